"""Background report batches: queued on Redis for an RQ worker, progress kept in the database.

Rendering is replaced by a stand-in here (the PDFs themselves are tested elsewhere); these
tests are about the job: dispatching, progress, failures and the zip.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import zipfile
from collections.abc import Iterator

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker

from app.extensions import db
from app.models import ReportJob
from app.queue import get_queue
from app.reporting import jobs, service
from tests.integration.workspace_support import add_people, make_campaign, make_org, submit


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A throw-away redis-server on a free local port."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is missing: install Debian's redis-server package")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [executable, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = Redis(port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except RedisConnectionError:  # not listening yet
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def campaign(app):
    org = make_org("jobs-bank", departments=("営業部", "開発部"))
    campaign = make_campaign(org, threshold=3)
    for person in add_people(campaign, 4, department="営業部"):
        submit(person, value=4)
    add_people(campaign, 2, department="開発部")
    return campaign


def _stand_in(fail_for: str | None = None):
    def render(campaign, *, department=None, locale="ja"):
        if department is not None and department.name == fail_for:
            raise RuntimeError("renderer crashed")
        return b"%PDF-1.7 stand-in"

    return render


def test_a_job_on_redis_is_run_by_an_rq_worker(app, campaign, redis_url, monkeypatch, tmp_path):
    app.config.update(REDIS_URL=redis_url, CX_REPORT_ARCHIVE_DIR=str(tmp_path))
    monkeypatch.setattr(service, "render_pdf", _stand_in())
    job = jobs.create_report_job(campaign, None, "en")
    db.session.commit()
    jobs.dispatch_report_job(job)
    queue = get_queue()
    assert queue.count == 1
    assert job.queue_job_id in queue.job_ids
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    db.session.expire_all()
    job = db.session.get(ReportJob, job.id)
    assert job.status == "done", job.errors
    # The organisation and 営業部; 開発部 has no responses, so no report of its own.
    assert (job.total, job.completed, job.failed) == (2, 2, 0)
    archive = jobs.report_job_archive(job)
    assert archive is not None
    assert archive.parent == tmp_path.resolve()
    with zipfile.ZipFile(archive) as bundle:
        assert sorted(bundle.namelist()) == [
            "00-organization-en.pdf",
            "01-営業部-en.pdf",
            "skipped-departments.txt",
        ]


def test_a_failed_report_is_recorded_and_the_rest_still_zipped(
    app, campaign, monkeypatch, tmp_path
):
    app.config["CX_REPORT_ARCHIVE_DIR"] = str(tmp_path)
    monkeypatch.setattr(service, "render_pdf", _stand_in(fail_for="営業部"))
    job = jobs.create_report_job(campaign, None, "ja")
    db.session.commit()
    jobs.run_report_job(job.id)
    job = db.session.get(ReportJob, job.id)
    assert job.status == "done"
    assert (job.completed, job.failed) == (1, 1)
    assert job.errors == [{"report": "営業部", "error": "RuntimeError: renderer crashed"}]
    with zipfile.ZipFile(jobs.report_job_archive(job)) as bundle:
        assert "00-organization-ja.pdf" in bundle.namelist()


def test_a_job_where_nothing_could_be_produced_fails(app, campaign, monkeypatch, tmp_path):
    app.config["CX_REPORT_ARCHIVE_DIR"] = str(tmp_path)

    def broken(campaign, *, department=None, locale="ja"):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(service, "render_pdf", broken)
    job = jobs.create_report_job(campaign, None, "ja")
    db.session.commit()
    jobs.run_report_job(job.id)
    job = db.session.get(ReportJob, job.id)
    assert job.status == "failed"
    assert job.failed == job.total == 2
    assert job.finished
    assert job.progress == 1.0


def test_archive_names_cannot_point_outside_the_archive_folder(app, campaign, tmp_path):
    app.config["CX_REPORT_ARCHIVE_DIR"] = str(tmp_path / "archives")
    (tmp_path / "secret.zip").write_bytes(b"PK")
    job = jobs.create_report_job(campaign, None, "ja")
    job.status = "done"
    job.archive_path = "../secret.zip"
    db.session.commit()
    assert jobs.report_job_archive(job) is None
