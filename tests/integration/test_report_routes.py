"""Report downloads, previews and batches over HTTP, scoped to the caller's organisations."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from app.extensions import db
from app.models import Organization, ReportJob
from tests.integration.test_report_data import world  # noqa: F401 - module-scoped fixture
from tests.integration.workspace_support import csrf_token, grant, login, make_client, make_user

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


def test_someone_from_another_organisation_sees_nothing(people) -> None:
    app, built = people
    client = _client(app, "stranger@report.test")
    for url in _urls(built).values():
        assert client.get(url).status_code == 404, url


def test_executive_previews_organisation_and_department_reports(people) -> None:
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


def test_a_department_of_another_organisation_is_not_found(people) -> None:
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
    assert client.get("/reports/assets/shared/../../app/config.py").status_code == 404


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
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[-1])
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:
        job = db.session.get(ReportJob, job_id)
        db.session.refresh(job)
        status = job.status
        # End the read: on SQLite an open transaction here would hold the worker's writes.
        db.session.commit()
        if status in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == "done", job.errors
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
