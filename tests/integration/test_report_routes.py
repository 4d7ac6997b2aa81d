"""Report downloads, previews and batches over HTTP, scoped to the caller's organisations."""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import timedelta

import pytest

from app.models import Campaign, Organization, ReportJob, utcnow
from app.platform.extensions import db
from app.reporting import jobs, service
from tests.factories import grant, make_user
from tests.integration.test_report_data import world  # noqa: F401 - module-scoped fixture
from tests.integration.workspace_support import csrf_token, login, make_client

JOB_TIMEOUT_S = 240


@pytest.fixture(scope="module")
def people(world):  # noqa: F811 - the fixture imported above
    app, built = world
    organization = db.session.get(Organization, built.organization_id)
    consultant = make_user("consultant@report.test")
    grant(consultant, organization, "consultant")
    executive = make_user("executive@report.test")
    grant(executive, organization, "executive")
    make_user("stranger@report.test")
    return app, built


def _client(app, email: str | None):
    client = make_client(app, language="ja")
    if email:
        response = login(client, email)
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    return client


def _urls(built) -> dict[str, str]:
    base = f"/reports/campaigns/{built.campaign_id}"
    return {
        "index": base,
        "org_html": f"{base}/organization.html",
        "org_pdf": f"{base}/organization.pdf",
        "dept_html": f"{base}/departments/{built.departments['営業部']}.html",
        "dept_pdf": f"{base}/departments/{built.departments['営業部']}.pdf",
        "hidden_html": f"{base}/departments/{built.departments['人事部']}.html",
    }


def test_anonymous_visitors_are_sent_to_the_login(people) -> None:
    app, built = people
    client = _client(app, None)
    for url in _urls(built).values():
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_someone_from_another_organization_sees_nothing(people) -> None:
    app, built = people
    client = _client(app, "stranger@report.test")
    for url in _urls(built).values():
        assert client.get(url).status_code == 404, url


def test_executive_previews_organization_and_department_reports(people) -> None:
    app, built = people
    client = _client(app, "executive@report.test")
    urls = _urls(built)
    page = client.get(urls["index"]).get_data(as_text=True)
    assert "営業部" in page
    assert "PDFをダウンロード" in page
    # Executives read; only consultants start batches.
    assert "/batch" not in page
    html = client.get(urls["org_html"] + "?lang=ja").get_data(as_text=True)
    assert "エグゼクティブサマリー" in html
    assert "/reports/assets/organization/style.css" in html
    english = client.get(urls["org_html"] + "?lang=en").get_data(as_text=True)
    assert "Executive summary" in english
    department = client.get(urls["dept_html"])
    assert department.status_code == 200
    assert "営業部" in department.get_data(as_text=True)
    hidden = client.get(urls["hidden_html"])
    assert hidden.status_code == 409
    assert "人事部" in hidden.get_data(as_text=True)


def test_a_department_of_another_organization_is_not_found(people) -> None:
    app, built = people
    client = _client(app, "consultant@report.test")
    response = client.get(f"/reports/campaigns/{built.campaign_id}/departments/999999.html")
    assert response.status_code == 404


def test_stylesheets_are_served_and_nothing_else(people) -> None:
    app, _built = people
    client = _client(app, None)
    css = client.get("/reports/assets/organization/style.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert client.get("/reports/assets/shared/_assessment.html").status_code == 404
    assert client.get("/reports/assets/../pyproject.toml").status_code == 404
    assert client.get("/reports/assets/shared/../../app/platform/config.py").status_code == 404


def test_pdf_download(people) -> None:
    app, built = people
    client = _client(app, "executive@report.test")
    response = client.get(_urls(built)["dept_pdf"] + "?lang=ja")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" in disposition


def _wait_for(job_id: int) -> ReportJob:
    """The job once it has finished (or the time limit passed)."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:
        job = db.session.get(ReportJob, job_id)
        db.session.refresh(job)
        # End the read: on SQLite an open transaction here would hold the worker's writes.
        db.session.commit()
        if job.finished or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


def _zip_names(client, progress: dict) -> list[str]:
    download = client.get(progress["download"])
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.data)) as bundle:
        return sorted(bundle.namelist())


ALL_REPORTS = [
    "00-organization-ja.pdf",
    "01-営業部-ja.pdf",
    "02-開発部-ja.pdf",
    "skipped-departments.txt",
]


def test_batch_runs_in_the_background_and_ends_in_a_zip(people, tmp_path) -> None:
    app, built = people
    app.config["CX_REPORT_ARCHIVE_DIR"] = str(tmp_path)
    executive = _client(app, "executive@report.test")
    url = f"/reports/campaigns/{built.campaign_id}/batch"
    token = csrf_token(executive, "/account")
    assert executive.post(url, data={"csrf_token": token}).status_code == 404
    client = _client(app, "consultant@report.test")
    assert client.post(url, data={"lang": "ja"}).status_code == 400  # no CSRF token
    token = csrf_token(client, _urls(built)["index"])
    response = client.post(url, data={"lang": "ja", "csrf_token": token})
    assert response.status_code in (302, 303)
    job_url = response.headers["Location"]
    job = _wait_for(int(job_url.rstrip("/").rsplit("/", 1)[-1]))
    assert job.status == "done", job.errors
    progress = client.get(f"{job_url}.json").get_json()
    assert progress["completed"] == 3
    assert progress["failed"] == 0
    assert progress["progress"] == 1
    page = client.get(job_url).get_data(as_text=True)
    assert "ZIPファイルをダウンロード" in page
    download = client.get(progress["download"])
    assert download.status_code == 200
    assert download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as bundle:
        names = sorted(bundle.namelist())
        assert names == [
            "00-organization-ja.pdf",
            "01-営業部-ja.pdf",
            "02-開発部-ja.pdf",
            "skipped-departments.txt",
        ]
        assert bundle.read("01-営業部-ja.pdf").startswith(b"%PDF")
        assert "人事部" in bundle.read("skipped-departments.txt").decode("utf-8")
    stranger = _client(app, "stranger@report.test")
    assert stranger.get(job_url).status_code == 404
    assert stranger.get(progress["download"]).status_code == 404


def test_a_batch_without_a_reachable_queue_fails_clearly_and_resumes_later(
    people, tmp_path, monkeypatch, caplog
) -> None:
    app, built = people
    monkeypatch.setitem(app.config, "CX_REPORT_ARCHIVE_DIR", str(tmp_path))
    # Nothing listens on port 1: Redis is "down".
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    client = _client(app, "consultant@report.test")
    index = _urls(built)["index"]
    token = csrf_token(client, index)
    response = client.post(f"{index}/batch", data={"lang": "ja", "csrf_token": token})
    assert response.status_code == 302
    job_url = response.headers["Location"]
    job_id = int(job_url.rsplit("/", 1)[-1])
    assert f"report job {job_id} not queued, the job queue is unavailable" in caplog.text
    page = client.get(job_url).get_data(as_text=True)
    # The flashed message, the recorded reason and the way out, in Japanese.
    assert "ジョブキューが利用できないため、レポートを今は作成できませんでした" in page
    assert "ジョブキューが利用できないため、一括作成を実行できませんでした。" in page
    assert f'action="/reports/jobs/{job_id}/resume"' in page
    assert 'http-equiv="refresh"' not in page
    progress = client.get(f"{job_url}.json").get_json()
    assert (progress["status"], progress["resumable"]) == ("failed", True)
    assert f'data-job="{job_id}" data-state="failed"' in client.get(index).get_data(as_text=True)

    # Executives see the job but cannot resume it.
    executive = _client(app, "executive@report.test")
    refused = executive.post(
        f"{job_url}/resume", data={"csrf_token": csrf_token(executive, "/account")}
    )
    assert refused.status_code == 404
    assert client.post(f"{job_url}/resume").status_code == 400  # no CSRF token

    # The queue is back (here: the local process pool): resuming produces every report.
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    response = client.post(f"{job_url}/resume", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(job_url)
    job = _wait_for(job_id)
    assert (job.status, job.completed, job.failed, job.errors) == ("done", 3, 0, [])
    progress = client.get(f"{job_url}.json").get_json()
    assert progress["resumable"] is False
    assert _zip_names(client, progress) == ALL_REPORTS


def test_a_batch_without_progress_shows_as_interrupted_and_resumes(
    people, tmp_path, monkeypatch
) -> None:
    app, built = people
    monkeypatch.setitem(app.config, "CX_REPORT_ARCHIVE_DIR", str(tmp_path))
    campaign = db.session.get(Campaign, built.campaign_id)
    # A run that had produced the organisation report when its worker died.
    job = jobs.create_report_job(campaign, None, "ja")
    job.status = "running"
    job.queue_job_id = "run-of-a-dead-worker"
    job.total, job.completed = 3, 1
    job.started_at = utcnow() - timedelta(hours=1)
    job.heartbeat_at = utcnow() - timedelta(seconds=app.config["CX_REPORT_JOB_STALE_S"] + 5)
    parts = jobs.job_parts_dir(job)
    parts.mkdir(parents=True)
    kept = service.render_pdf(campaign, locale="ja") + b"% rendered by the interrupted run\n"
    (parts / "00-organization-ja.pdf").write_bytes(kept)
    db.session.commit()
    job_id = job.id
    job_url = f"/reports/jobs/{job_id}"

    client = _client(app, "consultant@report.test")
    index = client.get(_urls(built)["index"]).get_data(as_text=True)
    entry = re.search(rf'<li data-job="{job_id}" data-state="(\w+)">(.*?)</li>', index, re.S)
    assert entry is not None
    assert entry.group(1) == "interrupted"
    assert "中断" in entry.group(2)
    assert f'action="/reports/jobs/{job_id}/resume"' in entry.group(2)
    page = client.get(job_url).get_data(as_text=True)
    assert 'data-state="interrupted"' in page
    assert 'http-equiv="refresh"' not in page
    progress = client.get(f"{job_url}.json").get_json()
    assert (progress["status"], progress["interrupted"], progress["resumable"]) == (
        "running",
        True,
        True,
    )

    # A run that shows progress is not resumed under its feet.
    job = db.session.get(ReportJob, job_id)
    job.heartbeat_at = utcnow()
    db.session.commit()
    token = csrf_token(client, job_url)
    assert f'action="{job_url}/resume"' not in client.get(job_url).get_data(as_text=True)
    client.post(f"{job_url}/resume", data={"csrf_token": token})
    job = db.session.get(ReportJob, job_id)
    db.session.refresh(job)
    assert (job.status, job.queue_job_id) == ("running", "run-of-a-dead-worker")
    job.heartbeat_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    response = client.post(f"{job_url}/resume", data={"csrf_token": token})
    assert response.status_code == 302
    job = _wait_for(job_id)
    assert (job.status, job.completed, job.failed) == ("done", 3, 0)
    progress = client.get(f"{job_url}.json").get_json()
    assert _zip_names(client, progress) == ALL_REPORTS
    download = client.get(progress["download"])
    with zipfile.ZipFile(io.BytesIO(download.data)) as bundle:
        # Only the missing reports were rendered: the organisation's is the one kept.
        assert bundle.read("00-organization-ja.pdf") == kept
        assert bundle.read("02-開発部-ja.pdf").startswith(b"%PDF")
