"""Participants from CSV (UTF-8, BOM, Shift_JIS), the links CSV and the open-link command."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from app.models import AuditEvent, Participant
from app.operations.errors import OperationError
from app.operations.participant_import import apply_import, parse_participants
from app.operations.responses import begin, submit
from app.queries.participants import find_by_token
from tests.integration.survey_fixtures import invite, make_campaign

GOOD = (
    "name,email,department,role\n"
    "山田 太郎,taro@example.jp,営業本部,executive\n"
    "佐藤 花子,Hanako@Example.jp,個人営業部,現場\n"
    "John Smith,john@example.com,事務統括部,Middle management\n"
)


@pytest.fixture
def campaign(db):
    return make_campaign(db)


def _count(db):
    return db.session.scalar(select(func.count(Participant.id)))


def _links(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


@pytest.mark.parametrize(
    ("label", "payload"),
    [
        ("utf-8", GOOD.encode("utf-8")),
        ("utf-8 with BOM", b"\xef\xbb\xbf" + GOOD.encode("utf-8")),
        ("Shift_JIS (Excel)", GOOD.replace("\n", "\r\n").encode("cp932")),
    ],
)
def test_cli_import_reads_every_encoding_and_prints_working_links(
    db, runner, campaign, tmp_path, label, payload
):
    path = tmp_path / "people.csv"
    path.write_bytes(payload)
    result = runner.invoke(args=["participants", "import", str(campaign.id), str(path)])
    assert result.exit_code == 0, (label, result.output)
    rows = _links(result.stdout)
    assert [r["email"] for r in rows] == [
        "taro@example.jp",
        "hanako@example.jp",
        "john@example.com",
    ]
    assert [r["name"] for r in rows] == ["山田 太郎", "佐藤 花子", "John Smith"]
    assert [r["role"] for r in rows] == ["executive", "frontline", "middle_manager"]
    assert [r["department"] for r in rows] == ["営業本部", "個人営業部", "事務統括部"]
    for row in rows:
        assert row["url"].startswith("http://localhost/r/")
        participant = find_by_token(row["url"].rsplit("/", 1)[1])
        assert participant is not None
        assert participant.email == row["email"]
    assert _count(db) == 3


def test_cli_import_errors_name_line_and_column_and_import_nothing(db, runner, campaign, tmp_path):
    invite(db, campaign, email="already@example.jp")
    before = _count(db)
    path = tmp_path / "bad.csv"
    path.write_text(
        "name,email,department,role\n"  # line 1
        "ok,ok@example.jp,営業本部,frontline\n"  # 2
        "bad dept,d@example.jp,存在しない部,frontline\n"  # 3
        "bad role,r@example.jp,営業本部,社長\n"  # 4
        "dup,OK@example.jp,営業本部,frontline\n"  # 5
        "exists,already@example.jp,営業本部,frontline\n"  # 6
        "mail,not-an-email,営業本部,frontline\n"  # 7
        # 8-9: a quoted line break (refused in a name) and a missing role
        '"multi\nline",m@example.jp,営業本部\n'
        "empty,,営業本部,frontline\n",  # 10
        encoding="utf-8",
    )
    result = runner.invoke(args=["participants", "import", str(campaign.id), str(path)])
    assert result.exit_code == 1
    errors = result.stderr
    assert f"{path}:line 3, column department: There is no department named 存在しない部" in errors
    assert f"{path}:line 4, column role: There is no role 社長" in errors
    assert (
        f"{path}:line 5, column email: ok@example.jp appears twice in the file (first on line 2)"
        in errors
    )
    assert f"{path}:line 6, column email: already@example.jp is already a participant" in errors
    assert f"{path}:line 7, column email: not-an-email is not a valid email address" in errors
    assert f"{path}:line 8, column role: This row has no role field" in errors
    assert (
        f"{path}:line 8, column name: name contains a control character (U+000A) at character 6"
        in errors
    )
    assert f"{path}:line 10, column email: email is empty." in errors
    assert "8 problem(s) found; no participant was imported." in errors
    assert result.stdout == ""
    assert _count(db) == before


def test_missing_required_column_is_reported_on_the_header_line(db, runner, campaign, tmp_path):
    path = tmp_path / "nocol.csv"
    path.write_text("name,email,部署\n山田,y@example.jp,営業本部\n", encoding="utf-8")
    result = runner.invoke(args=["participants", "import", str(campaign.id), str(path)])
    assert result.exit_code == 1
    assert f"{path}:line 1, column role: Required column role is missing" in result.stderr
    assert _count(db) == 0


def test_unreadable_and_empty_files(db, campaign):
    assert parse_participants(campaign, b"").problems[0].code == "empty_file"
    garbage = parse_participants(campaign, b"\xff\xfe\x00\x81\x00")
    assert not garbage.ok


def test_preview_then_apply_for_the_browser_upload(db, app, campaign):
    preview = parse_participants(campaign, GOOD.encode("cp932"))
    assert preview.ok
    assert preview.encoding == "cp932"
    assert [row.line for row in preview.rows] == [2, 3, 4]
    assert [row.role.key for row in preview.rows] == ["executive", "frontline", "middle_manager"]
    assert _count(db) == 0  # a preview writes nothing
    imported = apply_import(campaign, preview)
    db.session.commit()
    assert [item.email for item in imported] == [
        "taro@example.jp",
        "hanako@example.jp",
        "john@example.com",
    ]
    # Applying the same preview again is refused: the emails are taken now.
    with pytest.raises(OperationError, match="Already participants of this campaign: "):
        apply_import(campaign, preview)
    bad = parse_participants(campaign, "email,department,role\nx@example.jp,nowhere,executive\n")
    assert not bad.ok
    problem = bad.problems[0]
    assert (problem.line, problem.column, problem.code) == (2, "department", "unknown_department")
    with app.test_request_context("/?lang=ja"):
        assert "部署「nowhere」は登録されていません" in problem.localized()
    with pytest.raises(OperationError, match="nothing was imported"):
        apply_import(campaign, bad)


def test_links_adds_a_link_for_each_participant_who_has_not_submitted(db, runner, campaign):
    _waiting, old_waiting = invite(db, campaign, email="w@example.jp")
    started, old_started = invite(db, campaign, email="s@example.jp")
    done, old_done = invite(db, campaign, email="d@example.jp")
    begin(started)
    begin(done)
    submit(done)
    db.session.commit()
    result = runner.invoke(args=["participants", "links", str(campaign.id)])
    assert result.exit_code == 0, result.output
    assert "2 link(s) issued" in result.stderr
    rows = _links(result.stdout)
    assert list(rows[0]) == ["name", "email", "department", "role", "role_label", "status", "url"]
    assert {r["email"]: r["status"] for r in rows} == {
        "w@example.jp": "invited",
        "s@example.jp": "started",
    }
    assert {(r["role"], r["role_label"]) for r in rows} == {
        ("middle_manager", "ミドルマネジメント")
    }
    for row in rows:
        assert find_by_token(row["url"].rsplit("/", 1)[1]).email == row["email"]
    # Links handed out before keep working.
    assert find_by_token(old_waiting).email == "w@example.jp"
    assert find_by_token(old_started).email == "s@example.jp"
    assert find_by_token(old_done).id == done.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "links.exported"))
    assert (event.detail, event.user_id) == ({"links": 2}, None)
    help_text = runner.invoke(args=["participants", "links", "--help"]).output
    assert "keep working" in help_text
    assert "stored only as hashes" in help_text


def test_cli_import_records_the_same_audit_event_as_the_web(db, runner, campaign, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["participants", "import", str(campaign.id), str(path)])
    assert result.exit_code == 0, result.output
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.campaign_id == campaign.id)
    ).all()
    imported = [e for e in events if e.action == "participants.imported"]
    assert len(imported) == 1
    assert (imported[0].detail, imported[0].user_id) == ({"count": 3}, None)
    # A file with problems imports nothing and records nothing.
    bad = tmp_path / "bad.csv"
    bad.write_text("email,department,role\nx@example.jp,nowhere,executive\n", encoding="utf-8")
    assert runner.invoke(args=["participants", "import", str(campaign.id), str(bad)]).exit_code
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "participants.imported")
        )
        == 1
    )


def test_import_writes_an_excel_friendly_file_when_asked(db, runner, campaign, tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(GOOD, encoding="utf-8")
    target = tmp_path / "links.csv"
    result = runner.invoke(
        args=["participants", "import", str(campaign.id), str(source), "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert len(_links(data.decode("utf-8-sig"))) == 3


def test_open_link_command(db, runner, campaign, client):
    result = runner.invoke(args=["participants", "open-link", str(campaign.id)])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip().splitlines()[-1]
    assert url.startswith("http://localhost/o/")
    assert client.get(url.removeprefix("http://localhost")).status_code == 200
    result = runner.invoke(args=["participants", "open-link", str(campaign.id), "--disable"])
    assert result.exit_code == 0
    assert client.get(url.removeprefix("http://localhost")).status_code == 404


def test_unknown_campaign_is_a_clear_error(db, runner, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["participants", "import", "999", str(path)])
    assert result.exit_code == 1
    assert "no campaign with id 999" in result.output.lower()
