"""Producing a campaign's whole set of reports: the organisation's and one per department.

The CLI runs the set in parallel processes (:func:`run_batch`); the web starts a background
:class:`~app.models.ReportJob` that runs on an RQ worker when ``REDIS_URL`` is set and in a
local process pool otherwise, recording its progress in the database row and leaving a zip.
Every worker process builds its own application from the parent's settings with the
application factory its entry point hands over (see :mod:`app.reporting.processes`): database
connections, fonts and WeasyPrint state are never shared across processes. The CLI, which runs
no other thread, starts them as copies of itself (``fork``), the libraries already loaded; the
web and the RQ worker start them from the fork server.

Both can be resumed. Every PDF is written to a temporary file and renamed into place, so a
report file that exists is complete; resuming skips those and renders only what is missing
(``report batch --resume``; :func:`resume_report_job` for a web job, whose PDFs stay in a
folder of their own under the archive folder until all of them have been produced). A web job
that failed, finished with failed reports, or stopped showing progress for longer than
``CX_REPORT_JOB_STALE_S`` (its worker died, or Redis lost it) can be resumed.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import secrets
import shutil
import signal
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import select

from app.models import DEPARTMENT_ORDER, Campaign, Department, ReportJob, display_name, utcnow
from app.operations import webhooks
from app.platform.children import (
    exit_with_parent,
    forkserver_context,
    inheriting_context,
    stop_children,
    stop_children_at_exit,
)
from app.platform.extensions import db
from app.platform.queue import DEFAULT_JOB_TIMEOUT_S, get_queue, queue_unreachable
from app.reporting import service
from app.reporting.availability import campaign_results_for, department_report_allowed
from app.reporting.filenames import archive_dir, safe_filename
from app.reporting.libraries import load_report_libraries
from app.reporting.processes import AppFactory, worker_settings

logger = logging.getLogger(__name__)
#: Written into a batch's folder: which campaign its reports belong to.
BATCH_MANIFEST = ".report-batch.json"
#: The ``error`` of a job-level entry when the job could not be put on the queue.
QUEUE_UNAVAILABLE = "queue_unavailable"


class QueueUnavailableError(RuntimeError):
    """The job queue (Redis) could not be reached; the job was marked failed, resumable."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"report job {job_id} not queued: the job queue is unavailable")
        self.job_id = job_id


class BatchFolderError(ValueError):
    """A folder to resume into holds the reports of another campaign."""


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
    #: Already present from an earlier run (resume), not rendered again.
    reused: bool = False
    #: The peak memory (RSS, MB) of the worker process that rendered it, so far; None when
    #: rendered in the calling process.
    peak_memory_mb: float | None = None


def batch_targets(campaign: Campaign, locale: str) -> tuple[list[ReportTarget], list[str]]:
    """The reports of a campaign's batch, and the departments left out (too few responses).

    A department below the anonymity threshold gets no report of its own: every number in it
    would be suppressed.
    """
    results = campaign_results_for(campaign)
    suffix = f"-{locale}.pdf"
    targets = [
        ReportTarget(campaign.id, None, "organization", f"00-organization{suffix}"),
    ]
    skipped: list[str] = []
    departments = db.session.scalars(
        select(Department)
        .where(Department.organization_id == campaign.organization_id, ~Department.archived)
        .order_by(*DEPARTMENT_ORDER)
    ).all()
    for index, department in enumerate(departments, start=1):
        label = display_name(department, locale)
        if not department_report_allowed(campaign, department, results):
            skipped.append(label)
            continue
        name = f"{index:02d}-{safe_filename(label)}{suffix}"
        targets.append(ReportTarget(campaign.id, department.id, label, name))
    return targets, skipped


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path`` and rename it into place.

    The rename is atomic within one folder, so ``path`` is either absent or complete; a
    process killed half-way leaves only a hidden ``.part`` file behind.
    """
    partial = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def is_complete_pdf(path: Path) -> bool:
    """Whether ``path`` is a whole PDF: its header, and the end-of-file marker at its end."""
    try:
        with path.open("rb") as handle:
            if handle.read(5) != b"%PDF-":
                return False
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 1024))
            return b"%%EOF" in handle.read()
    except OSError:
        return False


def _claim_folder(out_dir: Path, campaign_id: int, resume: bool) -> None:
    """Mark ``out_dir`` as holding ``campaign_id``'s reports; resuming into another
    campaign's folder is refused (the file names of two rounds are the same)."""
    manifest = out_dir / BATCH_MANIFEST
    if resume and manifest.is_file():
        try:
            owner = json.loads(manifest.read_text(encoding="utf-8")).get("campaign_id")
        except (OSError, ValueError, AttributeError):
            owner = None
        if owner is not None and owner != campaign_id:
            raise BatchFolderError(
                f"{out_dir} holds the reports of campaign {owner}, not {campaign_id}: "
                "resume into that campaign's folder, or choose another one"
            )
    write_atomically(manifest, json.dumps({"campaign_id": campaign_id}).encode("utf-8"))


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Raise ``TimeoutError`` in this thread after ``seconds`` (main thread only).

    An alarm already set (an RQ work horse's job timeout) is kept: when it comes first it is
    left alone; otherwise it is set again afterwards for the time it had left.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    outer = signal.alarm(0)
    if outer and outer <= seconds:
        signal.alarm(outer)
        yield
        return

    def _expired(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"report not finished within {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    started = time.monotonic()
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.alarm(max(1, math.ceil(outer - (time.monotonic() - started))))


def render_target(target: ReportTarget, out_dir: Path, locale: str) -> TargetResult:
    """Render one report of a batch into ``out_dir`` (inside an application context)."""
    started = time.perf_counter()
    try:
        with _deadline(int(current_app.config["CX_PDF_TIMEOUT_S"])):
            campaign = db.session.get(Campaign, target.campaign_id)
            if campaign is None:
                raise LookupError(f"campaign {target.campaign_id} no longer exists")
            department = None
            if target.department_id is not None:
                department = db.session.get(Department, target.department_id)
                if department is None:
                    raise LookupError(f"department {target.department_id} no longer exists")
            pdf = service.render_pdf(campaign, department=department, locale=locale)
        path = out_dir / target.filename
        write_atomically(path, pdf)
        return TargetResult(target, True, time.perf_counter() - started, path=str(path))
    except Exception as exc:  # one broken report must not stop the others
        logger.exception("report %s of campaign %s failed", target.label, target.campaign_id)
        error = f"{type(exc).__name__}: {exc}"
        return TargetResult(target, False, time.perf_counter() - started, error=error)
    finally:
        db.session.remove()


# Worker processes keep their app (and its warm fonts and WeasyPrint) for every task.
_worker_app: Flask | None = None


def _init_worker(
    app_factory: AppFactory, settings: dict[str, Any], memory_mb: int, parent_pid: int
) -> None:
    global _worker_app
    # Ctrl-C reaches the whole process group: the batch's own process decides what stops,
    # and stops its workers (run_batch). A worker copied from it starts with SIGINT held
    # back, so one that comes while it starts is dropped here, not raised half-way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    exit_with_parent(parent_pid)
    if has_app_context():
        # A copy of the batch's own process: the connections in its pools are that
        # process's, left to it untouched; this worker opens its own.
        for engine in db.engines.values():
            engine.dispose(close=False)
    if memory_mb > 0:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_mb * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    _worker_app = app_factory(settings)
    _worker_app.app_context().push()


def _worker_render(target: ReportTarget, out_dir: str, locale: str) -> TargetResult:
    result = render_target(target, Path(out_dir), locale)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return replace(result, peak_memory_mb=round(peak, 1))


def run_batch(
    campaign: Campaign,
    out_dir: Path,
    *,
    jobs: int = 1,
    locale: str = "ja",
    resume: bool = False,
    on_start: Callable[[list[ReportTarget], list[str]], None] | None = None,
    on_result: Callable[[TargetResult], None] | None = None,
    app_factory: AppFactory | None = None,
) -> list[TargetResult]:
    """Render the organisation report and one per department into ``out_dir``.

    With ``jobs`` above 1 the reports are rendered in that many worker processes, each with
    its own app made by ``app_factory`` (required then). A failed report is recorded and the
    others are still written. With ``resume``, reports already complete in ``out_dir`` are
    kept (results with ``reused``) and only the others are rendered; resuming into another
    campaign's folder raises :class:`BatchFolderError`. ``on_start`` receives the targets and
    the skipped departments; ``on_result`` each result as it comes.
    """
    if jobs > 1 and app_factory is None:
        raise ValueError("rendering in worker processes needs the application factory")
    out_dir.mkdir(parents=True, exist_ok=True)
    _claim_folder(out_dir, campaign.id, resume)
    targets, skipped = batch_targets(campaign, locale)
    if on_start:
        on_start(targets, skipped)
    results: list[TargetResult] = []

    def record(result: TargetResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    pending: list[ReportTarget] = []
    for target in targets:
        existing = out_dir / target.filename
        if resume and is_complete_pdf(existing):
            record(TargetResult(target, True, 0.0, path=str(existing), reused=True))
        else:
            pending.append(target)
    if jobs <= 1:
        for target in pending:
            record(render_target(target, out_dir, locale))
    elif pending:
        app = current_app._get_current_object()
        memory_mb = int(app.config["CX_PDF_MEMORY_MB"])
        workers = min(jobs, len(pending))
        # A process running no other thread (the CLI) starts its workers as copies of
        # itself, with the report libraries loaded once here: the workers start at once,
        # warm, and share those pages. Any other starts them from the fork server.
        context = inheriting_context()
        if context.get_start_method() == "fork":
            load_report_libraries()
        logger.info(
            "report batch workers starting",
            extra={"workers": workers, "start_method": context.get_start_method()},
        )
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(app_factory, worker_settings(app), memory_mb, os.getpid()),
        ) as pool:
            try:
                # The first task starts the workers: SIGINT is held back meanwhile (they
                # inherit that, see _init_worker) and comes through here once they run.
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
                try:
                    futures: dict[Future[TargetResult], ReportTarget] = {
                        pool.submit(_worker_render, target, str(out_dir), locale): target
                        for target in pending
                    }
                finally:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
                for future in as_completed(futures):
                    try:
                        result = future.result()
                    except Exception as exc:  # the worker process itself died
                        result = TargetResult(futures[future], False, 0.0, error=repr(exc))
                    record(result)
            except BaseException:
                # Interrupted (Ctrl-C, an error in a callback): the workers stop now rather
                # than after the batch; the reports they finished stay for a resume.
                pool.shutdown(wait=False, cancel_futures=True)
                stop_children()
                raise
    order = {target: index for index, target in enumerate(targets)}
    return sorted(results, key=lambda result: order[result.target])


# ---------------------------------------------------------------------------------------
# Background jobs for the web


def create_report_job(campaign: Campaign, user_id: int | None, locale: str) -> ReportJob:
    """Record a new batch job for ``campaign`` (the caller commits, then dispatches it)."""
    job = ReportJob(campaign_id=campaign.id, user_id=user_id, locale=locale, status="queued")
    job.errors = []
    job.heartbeat_at = utcnow()
    db.session.add(job)
    db.session.flush()
    job.parts_dir = f"campaign-{campaign.id}-job-{job.id}-{secrets.token_hex(8)}-parts"
    return job


def stale_after_s() -> int:
    """Seconds without progress after which a queued or running job counts as interrupted."""
    return int(current_app.config["CX_REPORT_JOB_STALE_S"])


def job_resumable(job: ReportJob) -> bool:
    """Whether ``job`` failed, finished with failed reports, or was interrupted."""
    return job.resumable(stale_after_s())


def job_stalled(job: ReportJob) -> bool:
    """Whether ``job`` is queued or running but has shown no progress for too long."""
    return job.stalled(stale_after_s())


def dispatch_report_job(job: ReportJob, *, app_factory: AppFactory) -> None:
    """Start a committed job: on the RQ queue when Redis is configured, else locally.

    A local job runs in a process of its own, with an app made by ``app_factory``; the RQ
    worker (:mod:`app.platform.worker`) runs its jobs in its own app.

    Every dispatch is a new run (its id in ``queue_job_id``); a run that finds another id on
    the job stops. When Redis cannot be reached the job is marked failed with
    ``QUEUE_UNAVAILABLE`` (it can be resumed later) and :class:`QueueUnavailableError` raised.
    """
    job_id = job.id
    run_id = uuid.uuid4().hex
    job.queue_job_id = run_id
    job.heartbeat_at = utcnow()
    db.session.commit()
    queue = get_queue()
    if queue is None:
        _local_pool().submit(
            _local_report_job, app_factory, worker_settings(current_app), job_id, run_id
        )
        return
    try:
        queue.enqueue(
            "app.reporting.jobs.run_report_job",
            job_id,
            run_id,
            job_id=run_id,
            job_timeout=DEFAULT_JOB_TIMEOUT_S,
        )
    except Exception as exc:
        if not queue_unreachable(exc):
            raise
        logger.error(
            "report job %s not queued, the job queue is unavailable: %s",
            job_id,
            type(exc).__name__,
            extra={"report_job": job_id, "campaign_id": job.campaign_id},
        )
        db.session.rollback()
        job = db.session.get(ReportJob, job_id)
        errors = list(job.errors or [])
        if not errors or errors[-1] != {"report": "job", "error": QUEUE_UNAVAILABLE}:
            errors.append({"report": "job", "error": QUEUE_UNAVAILABLE})
        job.errors = errors
        job.status = "failed"
        job.finished_at = utcnow()
        db.session.commit()
        raise QueueUnavailableError(job_id) from exc


def resume_report_job(job: ReportJob, *, app_factory: AppFactory) -> None:
    """Run a failed, partly failed or interrupted job again: the reports already in its
    folder are kept and only the missing ones rendered, then the zip is built anew."""
    job.status = "queued"
    job.finished_at = None
    dispatch_report_job(job, app_factory=app_factory)


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _local_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            workers = int(current_app.config["CX_REPORT_WORKERS"])
            # A stopped server takes its running jobs with it (they can be resumed).
            stop_children_at_exit()
            _pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=forkserver_context(),
                initializer=exit_with_parent,
                initargs=(os.getpid(),),
            )
        return _pool


def _local_report_job(
    app_factory: AppFactory, settings: dict[str, Any], job_id: int, run_id: str | None = None
) -> None:
    app = app_factory(settings)
    with app.app_context():
        run_report_job(job_id, run_id)


def _archive_path(job: ReportJob) -> Path:
    # A random part keeps archive names unguessable even if the folder were ever exposed.
    name = f"campaign-{job.campaign_id}-job-{job.id}-{secrets.token_hex(8)}.zip"
    return archive_dir() / name


def job_parts_dir(job: ReportJob) -> Path:
    """The folder keeping ``job``'s rendered PDFs between runs (named on the job's row)."""
    if not job.parts_dir:
        job.parts_dir = f"campaign-{job.campaign_id}-job-{job.id}-{secrets.token_hex(8)}-parts"
    root = archive_dir()
    folder = (root / job.parts_dir).resolve()
    if not folder.is_relative_to(root) or folder == root:
        raise ValueError(f"report job {job.id}: parts folder outside the archive folder")
    return folder


class _Superseded(Exception):
    """The job was resumed: another run owns it now."""


def _owned_job(job_id: int, run_id: str | None) -> ReportJob:
    job = db.session.get(ReportJob, job_id)
    if job is None or (run_id is not None and job.queue_job_id != run_id):
        raise _Superseded
    return job


def _write_archive(job: ReportJob, files: list[Path], skipped: list[str]) -> Path:
    archive = _archive_path(job)
    partial = archive.with_name(f".{archive.name}.part")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for path in files:
                bundle.write(path, arcname=path.name)
            if skipped:
                bundle.writestr("skipped-departments.txt", "\n".join(skipped) + "\n")
        os.replace(partial, archive)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return archive


def run_report_job(job_id: int, run_id: str | None = None) -> None:
    """Run a recorded job to the end in this process (needs an application context).

    Reports already complete in the job's folder (from an earlier, failed or interrupted
    run) are kept; the others are rendered. Progress and a heartbeat are committed after
    every report so the progress page can follow it; the zip holds every report that could
    be produced, even when some failed. ``run_id``, when given, must still be the job's run:
    a run superseded by a resume stops without touching the job.
    """
    job = db.session.get(ReportJob, job_id)
    if job is None or job.finished or (run_id is not None and job.queue_job_id != run_id):
        return
    job.status = "running"
    job.started_at = utcnow()
    job.heartbeat_at = utcnow()
    job.completed = job.failed = 0
    job.errors = []
    try:
        folder = job_parts_dir(job)
        campaign = job.campaign
        db.session.commit()
        skipped_departments: list[str] = []

        def on_start(targets: list[ReportTarget], skipped: list[str]) -> None:
            skipped_departments.extend(skipped)
            current = _owned_job(job_id, run_id)
            current.total = len(targets)
            current.heartbeat_at = utcnow()
            db.session.commit()

        def on_result(result: TargetResult) -> None:
            current = _owned_job(job_id, run_id)
            if result.ok:
                current.completed += 1
            else:
                current.failed += 1
                error = {"report": result.target.label, "error": result.error}
                current.errors = [*(current.errors or []), error]
            current.heartbeat_at = utcnow()
            db.session.commit()

        results = run_batch(
            campaign,
            folder,
            locale=job.locale,
            resume=True,
            on_start=on_start,
            on_result=on_result,
        )
        written = [Path(result.path) for result in results if result.ok and result.path]
        job = _owned_job(job_id, run_id)
        archive = _write_archive(job, written, skipped_departments)
        previous = report_job_archive(job)
        job.archive_path = archive.name
        job.status = "done" if written else "failed"
        if previous is not None and previous != archive:
            previous.unlink(missing_ok=True)
        if not job.failed:
            # Every report is in the zip: the folder is no longer needed for resuming.
            shutil.rmtree(folder, ignore_errors=True)
    except _Superseded:
        logger.info("report job %s: run %s superseded by a resumed run", job_id, run_id)
        db.session.rollback()
        return
    except Exception as exc:
        logger.exception("report job %s failed", job_id)
        db.session.rollback()
        try:
            job = _owned_job(job_id, run_id)
        except _Superseded:
            return
        job.status = "failed"
        job.errors = [*(job.errors or []), {"report": "job", "error": f"{type(exc).__name__}"}]
    job.finished_at = utcnow()
    job.heartbeat_at = job.finished_at
    webhooks.report_batch_finished(job)
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
