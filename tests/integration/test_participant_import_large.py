"""Large participant imports: bounded queries, bulk writes, background jobs with progress.

A file of tens of thousands of rows used to fail on PostgreSQL (one ``IN`` list with more
than 65,535 parameters) and to take longer than a request may. These tests import such files
on the suite's database, on PostgreSQL whatever the suite runs on, through the CLI, and in
the browser as a background job (a thread without Redis, an RQ worker with it).
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app import create_app
from app.models import AuditEvent, Base, Participant, ParticipantImport, ParticipantLink
from app.operations import import_jobs
from app.operations import participant_import as participant_import_ops
from app.operations.errors import OperationError
from app.operations.participant_import import apply_import, parse_participants, taken_emails
from app.operations.participants import add_participant
from app.platform.extensions import db
from app.platform.queue import get_queue
from app.platform.worker import SimpleWorker
from tests.conftest import make_config
from tests.factories import grant, make_campaign, make_org, make_user

# A throw-away redis-server, the fixture the report job tests use.
from tests.integration.test_report_jobs import redis_url  # noqa: F401
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    import_id_of,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

LARGE = 40_000
HEADER = "email,department,role\n"


def people_csv(count: int, *, start: int = 1, extra: str = "") -> str:
    """``count`` valid rows across two departments and two roles (the header is line 1).

    Without names, so that 40,000 rows stay below the upload limit (``CX_MAX_CSV_BYTES``).
    """
    lines = [HEADER]
    for n in range(start, start + count):
        department = "営業部" if n % 2 else "開発部"
        role = "frontline" if n % 3 else "現場"
        lines.append(f"p{n:06d}@example.jp,{department},{role}\n")
    return "".join(lines) + extra


def _count(campaign_id: int) -> int:
    return db.session.scalar(
        select(func.count(Participant.id)).where(Participant.campaign_id == campaign_id)
    )


@pytest.fixture
def campaign(app):
    return make_campaign(make_org("big-bank", ("営業部", "開発部")))


@pytest.fixture
def staff(app, campaign):
    user = make_user("c@example.com")
    grant(user, campaign.organization, "consultant")
    client = make_client(app)
    login(client, "c@example.com")
    client.csrf = csrf_token(client, "/account")
    return client


def _upload(client, campaign, text: str):
    return client.post(
        f"/workspace/campaigns/{campaign.id}/participants/import",
        **multipart(client.csrf, text.encode()),
    )


def multipart(csrf: str, data: bytes) -> dict[str, Any]:
    """A file upload's body built in memory (the test client spools a large one to a
    temporary file that it never closes)."""
    boundary, body = encode_multipart(
        {"csrf_token": csrf, "file": FileStorage(io.BytesIO(data), filename="people.csv")}
    )
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def _confirm(client, campaign, html: str):
    return client.post(
        f"/workspace/campaigns/{campaign.id}/participants/import",
        data={"confirm-csrf_token": client.csrf, "confirm-import_id": import_id_of(html)},
    )


def _state(html: str) -> str:
    match = re.search(r'id="import-job" data-status="[a-z]+" data-state="([a-z]+)"', html)
    assert match, html
    return match.group(1)


def _wait_until_finished(client, url: str, timeout_s: float = 120) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        html = client.get(url).get_data(as_text=True)
        if _state(html) in ("done", "failed"):
            return html
        time.sleep(0.2)
    pytest.fail(f"the import at {url} did not finish within {timeout_s} s")


# --- the operations: bounded IN lists, bulk writes ------------------------------------------


def test_a_file_of_40000_rows_is_imported_with_bounded_queries(db, campaign):
    preview = parse_participants(campaign, people_csv(LARGE).encode())
    assert preview.ok, preview.problems[:3]
    imported = apply_import(campaign, preview, with_links=True)
    db.session.commit()
    assert len(imported) == LARGE
    assert _count(campaign.id) == LARGE
    assert imported[-1].email == f"p{LARGE:06d}@example.jp"
    assert imported[-1].line == LARGE + 1
    links = db.session.scalar(select(func.count(ParticipantLink.id)))
    assert links == LARGE
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "participants.imported")
    ).all()
    assert event.detail == {"count": LARGE}


def test_taken_emails_are_found_in_every_chunk(db, campaign, monkeypatch):
    monkeypatch.setattr(participant_import_ops, "QUERY_CHUNK", 100)
    org = campaign.organization
    for n in (7, 1500, 2999):
        add_participant(
            campaign,
            email=f"p{n:06d}@example.jp",
            department=org.departments[0],
            role=org.roles[0],
        )
    db.session.commit()
    emails = [f"p{n:06d}@example.jp" for n in range(1, 3001)]
    assert taken_emails(campaign, emails) == {
        "p000007@example.jp",
        "p001500@example.jp",
        "p002999@example.jp",
    }


def test_duplicates_across_chunks_are_reported_with_their_lines(db, campaign, monkeypatch):
    monkeypatch.setattr(participant_import_ops, "QUERY_CHUNK", 100)
    monkeypatch.setattr(participant_import_ops, "INSERT_CHUNK", 100)
    org = campaign.organization
    add_participant(
        campaign, email="p002500@example.jp", department=org.departments[0], role=org.roles[0]
    )
    db.session.commit()
    # Line 3002 repeats line 2 (p000001), far beyond any chunk; p002500 (line 2501) is taken.
    text = people_csv(3000, extra="P000001@example.jp,営業部,frontline\n")
    preview = parse_participants(campaign, text)
    found = {(p.line, p.code, p.params.get("first")) for p in preview.problems}
    assert found == {
        (2501, "duplicate_in_campaign", None),
        (3002, "duplicate_in_file", 2),
    }
    assert _count(campaign.id) == 1


def test_emails_taken_after_the_preview_refuse_the_whole_import(db, campaign, monkeypatch):
    monkeypatch.setattr(participant_import_ops, "INSERT_CHUNK", 100)
    preview = parse_participants(campaign, people_csv(3000))
    assert preview.ok
    org = campaign.organization
    add_participant(
        campaign, email="p002900@example.jp", department=org.departments[0], role=org.roles[0]
    )
    db.session.commit()
    with pytest.raises(OperationError, match=r"p002900@example\.jp"):
        apply_import(campaign, preview)
    db.session.rollback()
    assert _count(campaign.id) == 1


# --- the CLI --------------------------------------------------------------------------------


def test_cli_imports_a_huge_file(db, runner, campaign, tmp_path):
    path = tmp_path / "everyone.csv"
    path.write_text(people_csv(LARGE), encoding="utf-8")
    started = time.perf_counter()
    result = runner.invoke(args=["participants", "import", str(campaign.id), str(path)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output[-2000:]
    assert f"Imported {LARGE} participant(s) into campaign {campaign.id}" in result.stderr
    assert len(result.stdout.splitlines()) == LARGE + 1  # the links CSV and its header
    assert _count(campaign.id) == LARGE
    assert elapsed < 60


def test_cli_says_what_failed_without_a_traceback(db, runner, campaign, tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("INSERT INTO participant ...", {}, Exception("disk I/O error"))

    monkeypatch.setattr("app.cli.participants.apply_import", refuse)
    path = tmp_path / "people.csv"
    path.write_text(people_csv(5), encoding="utf-8")
    result = runner.invoke(args=["participants", "import", str(campaign.id), str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (
        f"Error: {path}: the database refused the import (OperationalError: disk I/O error); "
        "no participant was imported."
    ) in result.stderr
    assert _count(campaign.id) == 0


# --- the browser: kept file, background job, result page ------------------------------------


def test_a_large_import_runs_in_a_thread_and_shows_its_outcome(app, staff, campaign):
    app.config["CX_IMPORT_BACKGROUND_ROWS"] = 1000
    preview = _upload(staff, campaign, people_csv(LARGE)).get_data(as_text=True)
    assert f"Preview: {LARGE} participants" in preview
    assert 'id="import-background"' in preview
    record = db.session.scalar(select(ParticipantImport))
    assert record.status == "previewed"
    assert record.data == people_csv(LARGE).encode(), "the file is kept on the server"
    assert record.organization_id == campaign.organization_id
    assert len(record.public_id) >= 40
    response = _confirm(staff, campaign, preview)
    assert response.status_code == 302
    url = response.headers["Location"]
    assert url.endswith(f"/participants/imports/{record.public_id}")
    html = _wait_until_finished(staff, url)
    assert f"Import finished: {LARGE} participants created." in html
    assert 'http-equiv="refresh"' not in html
    assert _count(campaign.id) == LARGE
    db.session.expire_all()
    record = db.session.get(ParticipantImport, record.id)
    assert (record.status, record.created, record.checked_rows) == ("done", LARGE, LARGE)
    assert record.data is None, "the file is cleared once imported"
    # Confirming again (a second click) imports nothing more.
    again = _confirm(staff, campaign, preview)
    assert again.headers["Location"] == url
    assert _count(campaign.id) == LARGE


def test_a_large_file_with_problems_saves_nothing_and_lists_them(app, staff, campaign):
    app.config["CX_IMPORT_BACKGROUND_ROWS"] = 10
    preview = _upload(staff, campaign, people_csv(50)).get_data(as_text=True)
    # Between the preview and the job, someone adds the 45th person by hand.
    org = campaign.organization
    add_participant(
        campaign, email="p000045@example.jp", department=org.departments[0], role=org.roles[0]
    )
    db.session.commit()
    url = _confirm(staff, campaign, preview).headers["Location"]
    html = _wait_until_finished(staff, url)
    assert "Import failed: nothing was imported." in html
    assert "The file has 1 problem(s); nothing was imported" in html
    assert "Line 46" in html
    assert "p000045@example.jp is already a participant of this campaign." in html
    assert _count(campaign.id) == 1


def test_a_job_on_redis_shows_its_progress_then_its_outcome(
    app, staff, campaign, monkeypatch, request
):
    app.config.update(REDIS_URL=request.getfixturevalue("redis_url"), CX_IMPORT_BACKGROUND_ROWS=100)
    monkeypatch.setattr(participant_import_ops, "PROGRESS_EVERY", 100)
    preview = _upload(staff, campaign, people_csv(500)).get_data(as_text=True)
    url = _confirm(staff, campaign, preview).headers["Location"]
    waiting = staff.get(url).get_data(as_text=True)
    assert _state(waiting) == "queued"
    assert "Waiting to start…" in waiting
    assert '<meta http-equiv="refresh" content="2">' in waiting
    assert "0 of 500 rows checked" in waiting

    pages: list[str] = []
    real_parse = import_jobs.parse_participants

    def parse_and_look(campaign_, data, *, on_progress):
        def progress(checked: int, total: int) -> None:
            on_progress(checked, total)
            if checked == 300:
                pages.append(staff.get(url).get_data(as_text=True))

        return real_parse(campaign_, data, on_progress=progress)

    monkeypatch.setattr(import_jobs, "parse_participants", parse_and_look)
    real_apply = import_jobs.apply_import

    def apply_and_look(*args, **kwargs):
        pages.append(staff.get(url).get_data(as_text=True))
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(import_jobs, "apply_import", apply_and_look)
    queue = get_queue()
    assert queue is not None
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    during, saving = pages
    assert _state(saving) == "saving"
    assert "Saving the participants…" in saving
    assert '<meta http-equiv="refresh"' in saving
    assert _state(during) == "checking"
    assert "Checking the file…" in during
    assert '<progress max="500" value="300"' in during
    assert "300 of 500 rows checked" in during
    assert '<meta http-equiv="refresh"' in during
    done = staff.get(url).get_data(as_text=True)
    assert _state(done) == "done"
    assert "Import finished: 500 participants created." in done
    assert 'http-equiv="refresh"' not in done
    assert _count(campaign.id) == 500


def test_an_unreachable_queue_fails_the_import_with_a_reason(app, staff, campaign):
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0", CX_IMPORT_BACKGROUND_ROWS=10)
    preview = _upload(staff, campaign, people_csv(20)).get_data(as_text=True)
    response = _confirm(staff, campaign, preview)
    assert response.status_code == 302
    html = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Import failed: nothing was imported." in html
    assert "The job queue could not be reached" in html
    assert _count(campaign.id) == 0
    db.session.expire_all()
    assert db.session.scalar(select(ParticipantImport.data)) is None


def test_the_result_page_is_in_japanese(app, staff, campaign):
    app.config["CX_IMPORT_BACKGROUND_ROWS"] = 10
    preview = _upload(staff, campaign, people_csv(20)).get_data(as_text=True)
    url = _confirm(staff, campaign, preview).headers["Location"]
    _wait_until_finished(staff, url)
    staff.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ja"
    html = staff.get(url).get_data(as_text=True)
    assert "参加者の取り込み" in html
    assert "取り込みが完了しました。参加者を20名登録しました。" in html


def test_another_organisation_cannot_see_or_confirm_an_import(app, staff, campaign):
    preview = _upload(staff, campaign, people_csv(3)).get_data(as_text=True)
    import_id = import_id_of(preview)
    other_org = make_org("other-co", ("営業部",))
    other_campaign = make_campaign(other_org)
    outsider = make_user("o@example.com")
    grant(outsider, other_org, "consultant")
    client = make_client(app)
    login(client, "o@example.com")
    client.csrf = csrf_token(client, "/account")
    # Their own campaign with this import's id: no such import there.
    response = client.post(
        f"/workspace/campaigns/{other_campaign.id}/participants/import",
        data={"confirm-csrf_token": client.csrf, "confirm-import_id": import_id},
    )
    assert response.status_code == 404
    # The campaign of the import: not theirs.
    response = client.post(
        f"/workspace/campaigns/{campaign.id}/participants/import",
        data={"confirm-csrf_token": client.csrf, "confirm-import_id": import_id},
    )
    assert response.status_code == 404
    assert client.get(
        f"/workspace/campaigns/{campaign.id}/participants/imports/{import_id}"
    ).status_code in (403, 404)
    assert _count(campaign.id) == 0
    assert _count(other_campaign.id) == 0


def test_old_unconfirmed_previews_are_deleted_with_their_file(app, staff, campaign):
    from datetime import timedelta

    from app.models import utcnow

    _upload(staff, campaign, people_csv(3))
    old = db.session.scalar(select(ParticipantImport))
    old.created_at = utcnow() - import_jobs.PREVIEW_KEEP - timedelta(minutes=1)
    old_public_id = old.public_id
    db.session.commit()
    _upload(staff, campaign, people_csv(3))
    assert db.session.scalar(select(func.count(ParticipantImport.id))) == 1
    remaining = db.session.scalars(select(ParticipantImport.public_id)).all()
    assert old_public_id not in remaining


# --- PostgreSQL, whatever database the suite runs on ----------------------------------------


@pytest.fixture(scope="module")
def pg_app(postgres_database) -> Iterator[Flask]:
    """An app of its own on a fresh PostgreSQL schema with every table."""
    url, options = postgres_database.new("imports")
    engine = create_engine(url, **options)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(make_config(url, options))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_40000_rows_on_postgresql_through_the_browser_and_the_cli(pg_app, tmp_path):
    assert pg_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    with pg_app.app_context():
        campaign = make_campaign(make_org("pg-bank", ("営業部", "開発部")))
        campaign_id = campaign.id
        user = make_user("pg@example.com")
        grant(user, campaign.organization, "consultant")
        client = make_client(pg_app)
        login(client, "pg@example.com")
        client.csrf = csrf_token(client, "/account")
        url = f"/workspace/campaigns/{campaign_id}/participants/import"
        preview = client.post(url, **multipart(client.csrf, people_csv(LARGE).encode()))
        preview = preview.get_data(as_text=True)
        assert f"Preview: {LARGE} participants" in preview
        response = client.post(
            url,
            data={"confirm-csrf_token": client.csrf, "confirm-import_id": import_id_of(preview)},
        )
        assert response.status_code == 302
        html = _wait_until_finished(client, response.headers["Location"])
        assert f"Import finished: {LARGE} participants created." in html
        assert _count(campaign_id) == LARGE

        # The CLI, into the same campaign: 40,000 more, checked against the 40,000 there.
        path = tmp_path / "more.csv"
        path.write_text(people_csv(LARGE, start=LARGE + 1), encoding="utf-8")
        result = pg_app.test_cli_runner().invoke(
            args=["participants", "import", str(campaign_id), str(path)]
        )
        assert result.exit_code == 0, result.output[-2000:]
        assert _count(campaign_id) == 2 * LARGE
        # And the same file again: every row refused at its line, nothing added, no traceback.
        result = pg_app.test_cli_runner().invoke(
            args=["participants", "import", str(campaign_id), str(path)]
        )
        assert result.exit_code == 1
        assert f"{path}:line 2, column email: p{LARGE + 1:06d}@example.jp is already" in (
            result.stderr
        )
        assert f"{LARGE} problem(s) found; no participant was imported." in result.stderr
        assert _count(campaign_id) == 2 * LARGE
