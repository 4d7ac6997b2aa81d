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
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue

from app import create_app
from app.models import ReportJob, utcnow
from app.platform.extensions import db
from app.platform.queue import get_queue
from app.platform.worker import LISTENER_STOP_TIMEOUT_S, SimpleWorker
from app.reporting import jobs, service
from tests.conftest import make_config
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import csrf_token, login, make_client


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


def _stand_in(fail_for: str | None = None, calls: list[str] | None = None):
    def render(campaign, *, department=None, locale="ja"):
        if calls is not None:
            calls.append(department.name if department is not None else "organization")
        if department is not None and department.name == fail_for:
            raise RuntimeError("renderer crashed")
        return b"%PDF-1.7 stand-in\n%%EOF\n"

    return render


def test_a_job_on_redis_is_run_by_an_rq_worker(app, campaign, redis_url, monkeypatch, tmp_path):
    app.config.update(REDIS_URL=redis_url, CX_REPORT_ARCHIVE_DIR=str(tmp_path))
    monkeypatch.setattr(service, "render_pdf", _stand_in())
    job = jobs.create_report_job(campaign, None, "en")
    db.session.commit()
    job_id = job.id
    jobs.dispatch_report_job(job, app_factory=create_app)
    queue = get_queue()
    assert queue.count == 1
    assert job.queue_job_id in queue.job_ids
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    db.session.expire_all()
    job = db.session.get(ReportJob, job_id)
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
    job_id = job.id
    jobs.run_report_job(job_id)
    job = db.session.get(ReportJob, job_id)
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
    job_id = job.id
    jobs.run_report_job(job_id)
    job = db.session.get(ReportJob, job_id)
    assert job.status == "failed"
    assert job.failed == job.total == 2
    assert job.finished
    assert job.progress == 1.0


def test_the_archive_folder_is_read_from_the_environment(
    app, campaign, database_url, monkeypatch, tmp_path
):
    folder = tmp_path / "shared-archive"
    monkeypatch.setenv("CX_REPORT_ARCHIVE_DIR", str(folder))
    monkeypatch.setattr(service, "render_pdf", _stand_in())
    job = jobs.create_report_job(campaign, None, "ja")
    db.session.commit()
    job_id = job.id
    url, options = database_url
    # A worker started with the variable in its environment (as from /etc/cx-maturity/env).
    worker = create_app(make_config(url, options))
    assert worker.config["CX_REPORT_ARCHIVE_DIR"] == str(folder)
    worker.instance_path = str(tmp_path / "instance")
    with worker.app_context():
        jobs.run_report_job(job_id)
        done = db.session.get(ReportJob, job_id)
        assert done.status == "done", done.errors
        archive = jobs.report_job_archive(done)
        assert archive is not None
        assert archive.parent == folder.resolve()
        db.session.remove()
        db.engine.dispose()
    assert [path.name for path in folder.glob("*.zip")] == [archive.name]
    with zipfile.ZipFile(archive) as bundle:
        assert "00-organization-ja.pdf" in bundle.namelist()
    # Nothing went to the default folder.
    assert not (tmp_path / "instance").exists()

    # Unset, the default is unchanged: the instance folder's reports/.
    monkeypatch.delenv("CX_REPORT_ARCHIVE_DIR")
    default = create_app(make_config(url, options))
    assert default.config["CX_REPORT_ARCHIVE_DIR"] is None
    default.instance_path = str(tmp_path / "default-instance")
    with default.app_context():
        assert jobs.archive_dir() == (Path(default.instance_path) / "reports").resolve()
        db.engine.dispose()


def test_archive_names_cannot_point_outside_the_archive_folder(app, campaign, tmp_path):
    app.config["CX_REPORT_ARCHIVE_DIR"] = str(tmp_path / "archives")
    (tmp_path / "secret.zip").write_bytes(b"PK")
    job = jobs.create_report_job(campaign, None, "ja")
    job.status = "done"
    job.archive_path = "../secret.zip"
    db.session.commit()
    assert jobs.report_job_archive(job) is None


def _run_queue(job_id: int) -> ReportJob:
    """Let an RQ worker run everything queued (in this process), then read the job again."""
    queue = get_queue()
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    db.session.expire_all()
    return db.session.get(ReportJob, job_id)


def test_resuming_a_partly_failed_job_renders_only_the_missing_report(
    app, campaign, redis_url, monkeypatch, tmp_path
):
    app.config.update(REDIS_URL=redis_url, CX_REPORT_ARCHIVE_DIR=str(tmp_path))
    calls: list[str] = []
    monkeypatch.setattr(service, "render_pdf", _stand_in(fail_for="営業部", calls=calls))
    consultant = make_user("consultant@jobs-bank.test")
    grant(consultant, campaign.organization, "consultant")
    index = f"/reports/campaigns/{campaign.id}"
    job = jobs.create_report_job(campaign, None, "ja")
    db.session.commit()
    job_id = job.id
    jobs.dispatch_report_job(job, app_factory=create_app)
    job = _run_queue(job_id)
    assert (job.status, job.completed, job.failed) == ("done", 1, 1)
    assert jobs.job_resumable(job)
    first_zip = jobs.report_job_archive(job)
    parts = jobs.job_parts_dir(job)
    kept = parts / "00-organization-ja.pdf"
    kept_stat = (kept.stat().st_ino, kept.stat().st_mtime_ns)
    assert sorted(p.name for p in parts.glob("*.pdf")) == ["00-organization-ja.pdf"]
    assert parts.parent == tmp_path.resolve()

    # The campaign's reports page names what failed and offers to resume.
    client = make_client(app)
    assert login(client, "consultant@jobs-bank.test").status_code == 302
    page = client.get(index).get_data(as_text=True)
    assert f'data-job="{job_id}" data-state="partial"' in page
    assert "Finished with failed reports" in page
    assert "営業部" in page

    calls.clear()
    monkeypatch.setattr(service, "render_pdf", _stand_in(calls=calls))
    token = csrf_token(client, index)
    resumed = client.post(f"/reports/jobs/{job_id}/resume", data={"csrf_token": token})
    assert resumed.status_code == 302
    assert db.session.get(ReportJob, job_id).status == "queued"
    # The organisation report was kept exactly as the first run wrote it.
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == kept_stat
    job = _run_queue(job_id)
    assert calls == ["営業部"]
    assert (job.status, job.total, job.completed, job.failed) == ("done", 2, 2, 0)
    assert job.errors == []
    assert not jobs.job_resumable(job)
    archive = jobs.report_job_archive(job)
    assert archive is not None
    assert archive != first_zip
    assert not first_zip.exists()  # the incomplete zip is replaced, not kept beside it
    with zipfile.ZipFile(archive) as bundle:
        assert sorted(bundle.namelist()) == [
            "00-organization-ja.pdf",
            "01-営業部-ja.pdf",
            "skipped-departments.txt",
        ]
    # Everything is in the zip: the folder kept for resuming is gone.
    assert not parts.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [archive.name]


def test_a_job_without_progress_is_interrupted_and_its_old_run_stops(
    app, campaign, redis_url, monkeypatch, tmp_path
):
    app.config.update(
        REDIS_URL=redis_url, CX_REPORT_ARCHIVE_DIR=str(tmp_path), CX_REPORT_JOB_STALE_S=300
    )
    calls: list[str] = []
    monkeypatch.setattr(service, "render_pdf", _stand_in(calls=calls))
    # A run that rendered the organisation report, then its worker died with Redis.
    job = jobs.create_report_job(campaign, None, "ja")
    job.status = "running"
    job.queue_job_id = "run-of-a-dead-worker"
    job.total, job.completed = 2, 1
    job.started_at = utcnow() - timedelta(minutes=20)
    job.heartbeat_at = utcnow() - timedelta(seconds=200)
    parts = jobs.job_parts_dir(job)
    parts.mkdir(parents=True)
    (parts / "00-organization-ja.pdf").write_bytes(b"%PDF-1.7 kept\n%%EOF\n")
    # What it was writing when it died: a temporary file, never counted as a report.
    (parts / ".01-営業部-ja.pdf.0123456789ab.part").write_bytes(b"%PDF-1.7 half")
    db.session.commit()
    job_id = job.id
    assert not jobs.job_stalled(job)  # 200 s without progress: still within the limit
    assert not jobs.job_resumable(job)
    job.heartbeat_at = utcnow() - timedelta(seconds=301)
    db.session.commit()
    assert jobs.job_stalled(job)
    assert jobs.job_resumable(job)

    jobs.resume_report_job(job, app_factory=create_app)
    new_run = db.session.get(ReportJob, job_id).queue_job_id
    assert new_run != "run-of-a-dead-worker"
    # The old run, should its worker come back, finds the job resumed and leaves it alone.
    jobs.run_report_job(job_id, "run-of-a-dead-worker")
    db.session.expire_all()
    job = db.session.get(ReportJob, job_id)
    assert (job.status, job.queue_job_id) == ("queued", new_run)
    assert calls == []
    job = _run_queue(job_id)
    assert calls == ["営業部"]
    assert (job.status, job.completed, job.failed) == ("done", 2, 0)
    with zipfile.ZipFile(jobs.report_job_archive(job)) as bundle:
        assert bundle.read("00-organization-ja.pdf") == b"%PDF-1.7 kept\n%%EOF\n"
        assert bundle.read("01-営業部-ja.pdf") == b"%PDF-1.7 stand-in\n%%EOF\n"


def test_an_unreachable_queue_fails_the_job_with_a_reason(
    app, campaign, monkeypatch, tmp_path, caplog
):
    # Nothing listens on port 1: the connection is refused at once.
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0", CX_REPORT_ARCHIVE_DIR=str(tmp_path))
    job = jobs.create_report_job(campaign, None, "ja")
    db.session.commit()
    job_id = job.id
    with pytest.raises(jobs.QueueUnavailableError):
        jobs.dispatch_report_job(job, app_factory=create_app)
    db.session.expire_all()
    job = db.session.get(ReportJob, job_id)
    assert job.status == "failed"
    assert job.finished_at is not None
    assert job.errors == [{"report": "job", "error": jobs.QUEUE_UNAVAILABLE}]
    assert jobs.job_resumable(job)
    assert f"report job {job_id} not queued, the job queue is unavailable" in caplog.text
    # Still unreachable on a resume: failed again, the reason recorded once.
    with pytest.raises(jobs.QueueUnavailableError):
        jobs.resume_report_job(job, app_factory=create_app)
    db.session.expire_all()
    job = db.session.get(ReportJob, job_id)
    assert (job.status, job.errors) == ("failed", [{"report": "job", "error": "queue_unavailable"}])


def test_a_worker_stops_listening_for_commands_at_once(redis_url):
    class ReplyReadFirst(SimpleWorker):
        """Lets the listener thread read the unsubscribe reply before the thread is stopped:
        the ordering that made RQ's own shutdown wait a minute, forced here every time."""

        def subscribe(self) -> None:
            super().subscribe()
            pubsub = self.pubsub
            leave = pubsub.unsubscribe

            def leave_and_wait_for_the_reply(*args):
                leave(*args)
                deadline = time.monotonic() + 2
                while pubsub.subscribed and time.monotonic() < deadline:
                    time.sleep(0.005)

            pubsub.unsubscribe = leave_and_wait_for_the_reply

    connection = Redis.from_url(redis_url)
    queue = Queue("default", connection=connection)
    try:
        for _ in range(3):
            started = time.monotonic()
            ReplyReadFirst([queue], connection=connection).work(burst=True)
            assert time.monotonic() - started < LISTENER_STOP_TIMEOUT_S
    finally:
        connection.close()
