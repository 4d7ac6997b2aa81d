"""Producing a campaign's whole set of reports: the organisation's and one per department.

The CLI runs the set in parallel processes (:func:`run_batch`); the web starts a background
:class:`~app.models.ReportJob` that runs on an RQ worker when ``REDIS_URL`` is set and in a
local process pool otherwise, recording its progress in the database row and leaving a zip.
Every worker process builds its own application from the parent's settings: database
connections, fonts and WeasyPrint state are never shared across processes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import re
import resource
import secrets
import signal
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Campaign, Department, ReportJob, utcnow

logger = logging.getLogger(__name__)

#: Settings a worker process must not inherit: they describe the parent's process only.
_NOT_INHERITED = frozenset({"SERVER_NAME", "APPLICATION_ROOT", "PREFERRED_URL_SCHEME"})
ARCHIVE_DIR = "reports"


@dataclass(frozen=True)
class ReportTarget:
    """One report of a batch: the organisation's (no department) or one department's."""

    campaign_id: int
    department_id: int | None
    label: str
    filename: str


@dataclass(frozen=True)
class TargetResult:
    """What became of one report of a batch."""

    target: ReportTarget
    ok: bool
    seconds: float
    path: str | None = None
    error: str | None = None


def safe_filename(text: str) -> str:
    """``text`` usable as a file name on every system (Japanese kept, separators removed)."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text).strip(" ._")
    return cleaned[:80] or "report"


def batch_targets(campaign: Campaign, locale: str) -> tuple[list[ReportTarget], list[str]]:
    """The reports of a campaign's batch, and the departments left out (too few responses).

    A department below the anonymity threshold gets no report of its own: every number in it
    would be suppressed.
    """
    from app.reporting.service import campaign_results_for, department_report_allowed

    results = campaign_results_for(campaign)
    suffix = f"-{locale}.pdf"
    targets = [
        ReportTarget(campaign.id, None, "organization", f"00-organization{suffix}"),
    ]
    skipped: list[str] = []
    departments = db.session.scalars(
        select(Department)
        .where(Department.organization_id == campaign.organization_id, ~Department.archived)
        .order_by(Department.position, Department.id)
    ).all()
    for index, department in enumerate(departments, start=1):
        if not department_report_allowed(campaign, department, results):
            skipped.append(department.name)
            continue
        name = f"{index:02d}-{safe_filename(department.name)}{suffix}"
        targets.append(ReportTarget(campaign.id, department.id, department.name, name))
    return targets, skipped


def worker_settings(app: Flask) -> dict[str, Any]:
    """The parent's settings that a worker's own app is created with (picklable ones)."""
    settings: dict[str, Any] = {}
    for key, value in app.config.items():
        if not key.isupper() or key in _NOT_INHERITED:
            continue
        try:
            pickle.dumps(value)
        except (pickle.PicklingError, TypeError, AttributeError):
            continue
        settings[key] = value
    return settings


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Raise ``TimeoutError`` in this thread after ``seconds`` (main thread only)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expired(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"report not finished within {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def render_target(target: ReportTarget, out_dir: Path, locale: str) -> TargetResult:
    """Render one report of a batch into ``out_dir`` (inside an application context)."""
    from app.reporting.service import render_pdf

    started = time.perf_counter()
    try:
        with _deadline(int(current_app.config.get("CX_PDF_TIMEOUT_S", 0) or 0)):
            campaign = db.session.get(Campaign, target.campaign_id)
            if campaign is None:
                raise LookupError(f"campaign {target.campaign_id} no longer exists")
            department = None
            if target.department_id is not None:
                department = db.session.get(Department, target.department_id)
                if department is None:
                    raise LookupError(f"department {target.department_id} no longer exists")
            pdf = render_pdf(campaign, department=department, locale=locale)
        path = out_dir / target.filename
        path.write_bytes(pdf)
        return TargetResult(target, True, time.perf_counter() - started, path=str(path))
    except Exception as exc:  # one broken report must not stop the others
        logger.exception("report %s of campaign %s failed", target.label, target.campaign_id)
        error = f"{type(exc).__name__}: {exc}"
        return TargetResult(target, False, time.perf_counter() - started, error=error)
    finally:
        db.session.remove()


# Worker processes keep their app (and its warm fonts and WeasyPrint) for every task.
_worker_app: Flask | None = None


def _init_worker(settings: dict[str, Any], memory_mb: int) -> None:
    global _worker_app
    if memory_mb > 0:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_mb * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    from app import create_app

    _worker_app = create_app(settings)
    _worker_app.app_context().push()


def _worker_render(target: ReportTarget, out_dir: str, locale: str) -> TargetResult:
    return render_target(target, Path(out_dir), locale)


def _process_context() -> multiprocessing.context.BaseContext:
    # Never fork a process that may hold threads or open connections (a web worker, a CLI
    # with a database pool): forkserver starts workers from a clean, single-threaded server.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def run_batch(
    campaign: Campaign,
    out_dir: Path,
    *,
    jobs: int = 1,
    locale: str = "ja",
    on_start: Callable[[list[ReportTarget], list[str]], None] | None = None,
    on_result: Callable[[TargetResult], None] | None = None,
) -> list[TargetResult]:
    """Render the organisation report and one per department into ``out_dir``.

    With ``jobs`` above 1 the reports are rendered in that many worker processes, each with
    its own app. A failed report is recorded and the others are still written. ``on_start``
    receives the targets and the skipped departments; ``on_result`` each result as it comes.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    targets, skipped = batch_targets(campaign, locale)
    if on_start:
        on_start(targets, skipped)
    results: list[TargetResult] = []
    if jobs <= 1:
        for target in targets:
            result = render_target(target, out_dir, locale)
            results.append(result)
            if on_result:
                on_result(result)
        return results
    app = current_app._get_current_object()
    memory_mb = int(app.config.get("CX_PDF_MEMORY_MB", 0) or 0)
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(targets)),
        mp_context=_process_context(),
        initializer=_init_worker,
        initargs=(worker_settings(app), memory_mb),
    ) as pool:
        futures: dict[Future[TargetResult], ReportTarget] = {
            pool.submit(_worker_render, target, str(out_dir), locale): target for target in targets
        }
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:  # the worker process itself died
                result = TargetResult(futures[future], False, 0.0, error=repr(exc))
            results.append(result)
            if on_result:
                on_result(result)
    order = {target: index for index, target in enumerate(targets)}
    return sorted(results, key=lambda result: order[result.target])


# ---------------------------------------------------------------------------------------
# Background jobs for the web


def create_report_job(campaign: Campaign, user_id: int | None, locale: str) -> ReportJob:
    """Record a new batch job for ``campaign`` (the caller commits, then dispatches it)."""
    job = ReportJob(campaign_id=campaign.id, user_id=user_id, locale=locale, status="queued")
    job.errors = []
    db.session.add(job)
    db.session.flush()
    return job


def dispatch_report_job(job: ReportJob) -> None:
    """Start a committed job: on the RQ queue when Redis is configured, else locally."""
    from app.queue import DEFAULT_JOB_TIMEOUT_S, get_queue

    queue = get_queue()
    if queue is not None:
        queued = queue.enqueue(
            "app.reporting.jobs.run_report_job", job.id, job_timeout=DEFAULT_JOB_TIMEOUT_S
        )
        job.queue_job_id = queued.id
        db.session.commit()
        return
    _local_pool().submit(_local_report_job, worker_settings(current_app), job.id)


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _local_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            workers = int(current_app.config.get("CX_REPORT_WORKERS", 1) or 1)
            _pool = ProcessPoolExecutor(max_workers=workers, mp_context=_process_context())
        return _pool


def _local_report_job(settings: dict[str, Any], job_id: int) -> None:
    from app import create_app

    app = create_app(settings)
    with app.app_context():
        run_report_job(job_id)


def archive_dir() -> Path:
    """Where finished zips are kept: ``CX_REPORT_ARCHIVE_DIR``, else ``instance/reports``."""
    configured = current_app.config.get("CX_REPORT_ARCHIVE_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / ARCHIVE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def _archive_path(job: ReportJob) -> Path:
    # A random part keeps archive names unguessable even if the folder were ever exposed.
    name = f"campaign-{job.campaign_id}-job-{job.id}-{secrets.token_hex(8)}.zip"
    return archive_dir() / name


def run_report_job(job_id: int) -> None:
    """Run a recorded job to the end in this process (needs an application context).

    Progress is committed after every report so the progress page can follow it; the zip
    holds every report that could be produced, even when some failed.
    """
    job = db.session.get(ReportJob, job_id)
    if job is None or job.finished:
        return
    job.status = "running"
    job.started_at = utcnow()
    campaign = job.campaign
    try:
        targets, skipped = batch_targets(campaign, job.locale)
        job.total = len(targets)
        db.session.commit()
        with tempfile.TemporaryDirectory(prefix="cx-reports-") as scratch:
            written: list[Path] = []
            errors: list[dict[str, Any]] = []
            for target in targets:
                result = render_target(target, Path(scratch), job.locale)
                job = db.session.get(ReportJob, job_id)
                if result.ok and result.path:
                    written.append(Path(result.path))
                    job.completed += 1
                else:
                    job.failed += 1
                    errors.append({"report": target.label, "error": result.error})
                    job.errors = list(errors)
                db.session.commit()
            archive = _archive_path(job)
            with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
                for path in written:
                    bundle.write(path, arcname=path.name)
                if skipped:
                    bundle.writestr("skipped-departments.txt", "\n".join(skipped) + "\n")
        job.archive_path = archive.name
        job.status = "done" if written else "failed"
    except Exception as exc:
        logger.exception("report job %s failed", job_id)
        db.session.rollback()
        job = db.session.get(ReportJob, job_id)
        job.status = "failed"
        job.errors = [*(job.errors or []), {"report": "job", "error": f"{type(exc).__name__}"}]
    job.finished_at = utcnow()
    db.session.commit()


def report_job_archive(job: ReportJob) -> Path | None:
    """The finished zip of a job, if it exists on this machine."""
    if not job.archive_path:
        return None
    root = archive_dir()
    path = (root / job.archive_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def cpu_count() -> int:
    """Usable CPUs of this process (the default for ``--jobs``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1
