"""Participant imports confirmed in the browser: the file kept on the server, large ones in the
background with their progress.

The preview stores the checked file on a :class:`~app.models.ParticipantImport` row of the
campaign under a random ``public_id``; the confirmation names only that id. A file of up to
``CX_IMPORT_BACKGROUND_ROWS`` rows is then imported within the request; a larger one as a
background job: on the RQ queue when ``REDIS_URL`` is set, in a thread of the web process
otherwise. Either way the file is checked again from scratch and imported all or nothing: the
participants and the row's outcome are committed in one transaction, so a failure at any
point saves no participant, and the row says what happened (problems with their lines, or the
reason). The file is cleared from the row once the import has run; previews never confirmed
are deleted after ``PREVIEW_KEEP``.
"""

from __future__ import annotations

import logging
import secrets
import threading
import uuid
from dataclasses import asdict
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.models import Campaign, ParticipantImport, User, utcnow
from app.operations.errors import N_, OperationError
from app.operations.participant_import import (
    ImportPreview,
    ImportProblem,
    apply_import,
    parse_participants,
)
from app.platform.db_setup import write_transactions
from app.platform.extensions import db
from app.platform.queue import get_queue, queue_unreachable

logger = logging.getLogger(__name__)

#: A preview not confirmed within this time is deleted, with its file.
PREVIEW_KEEP = timedelta(days=1)
#: A confirmed import without a sign of life for this long is shown as interrupted.
STALE_AFTER_S = 600
#: Problems kept on the row for the result page (the count of all of them is kept too).
MAX_STORED_PROBLEMS = 1000

#: Why an import failed when it is not a problem of the file (``ParticipantImport.error``).
JOB_ERRORS: dict[str, str] = {
    "queue_unavailable": N_(
        "The job queue could not be reached, so the import did not start; nothing was "
        "imported. Upload the file again in a few minutes."
    ),
    "database": N_(
        "The database could not save the participants; nothing was imported. Upload the file "
        "again in a few minutes."
    ),
    "refused": N_(
        "Some of these emails became participants of this campaign while the file was being "
        "imported; nothing was imported. Upload the file again to see which."
    ),
    "unexpected": N_("The import stopped on an unexpected error; nothing was imported."),
    "interrupted": N_(
        "The import stopped without finishing (the server was restarted); nothing was "
        "imported. Upload the file again."
    ),
}


def background_threshold() -> int:
    """Files with more rows than this are imported in the background."""
    return int(current_app.config["CX_IMPORT_BACKGROUND_ROWS"])


def save_preview(
    campaign: Campaign, data: bytes, *, filename: str, rows: int, user: User | None
) -> ParticipantImport:
    """Keep a checked file until it is confirmed; the caller commits.

    Previews of any campaign older than ``PREVIEW_KEEP`` are deleted on the way.
    """
    db.session.execute(
        delete(ParticipantImport).where(
            ParticipantImport.status == "previewed",
            ParticipantImport.created_at < utcnow() - PREVIEW_KEEP,
        )
    )
    record = ParticipantImport(
        public_id=secrets.token_urlsafe(32),
        organization_id=campaign.organization_id,
        campaign_id=campaign.id,
        user_id=user.id if user is not None else None,
        status="previewed",
        filename=filename[:255],
        data=data,
        total_rows=rows,
        problems=[],
    )
    db.session.add(record)
    db.session.flush()
    return record


def find_import(campaign: Campaign, public_id: str) -> ParticipantImport | None:
    """The import ``public_id`` of this campaign (and its organisation), or None."""
    return db.session.scalar(
        select(ParticipantImport).where(
            ParticipantImport.public_id == public_id,
            ParticipantImport.campaign_id == campaign.id,
            ParticipantImport.organization_id == campaign.organization_id,
        )
    )


def in_background(record: ParticipantImport) -> bool:
    """Whether confirming ``record`` starts a background job rather than importing at once."""
    return record.total_rows > background_threshold()


def confirm_import(record: ParticipantImport, *, actor: User | None = None) -> None:
    """Confirm a previewed import: run it now, or start its background job when it is large.

    Commits. Confirming an import that is no longer a preview (a second click) does nothing.
    """
    if record.status != "previewed":
        return
    if record.user_id is None and actor is not None:
        record.user_id = actor.id
    if in_background(record):
        dispatch_import(record)
        return
    run_import(record)
    db.session.commit()


def run_import(record: ParticipantImport) -> None:
    """Check the kept file again and import it, all or nothing, in the current transaction.

    Records the outcome on ``record`` (done with the count, or failed with the problems) and
    clears the file; the caller commits, which saves the participants and the outcome
    together.
    """
    preview = parse_participants(record.campaign, record.data or b"")
    record.checked_rows = record.total_rows
    _apply(record, preview)


def _apply(record: ParticipantImport, preview: ImportPreview) -> None:
    """Import a checked file's rows and record the outcome; nothing is written on refusal."""
    if not preview.ok:
        _finish(record, "failed", problems=preview.problems)
        return
    record.status = "saving"
    actor = db.session.get(User, record.user_id) if record.user_id is not None else None
    try:
        # Refuses before writing anything (emails taken since the check, say).
        imported = apply_import(record.campaign, preview, actor=actor)
    except OperationError:
        _finish(record, "failed", error="refused")
        return
    _finish(record, "done", created=len(imported))


def _finish(
    record: ParticipantImport,
    status: str,
    *,
    created: int = 0,
    problems: list[ImportProblem] | None = None,
    error: str | None = None,
) -> None:
    record.status = status
    record.created = created
    record.error = error
    problems = problems or []
    record.problem_count = len(problems)
    record.problems = [asdict(problem) for problem in problems[:MAX_STORED_PROBLEMS]]
    record.data = None
    record.finished_at = record.heartbeat_at = utcnow()


def stored_problems(record: ParticipantImport) -> list[ImportProblem]:
    """The problems kept on ``record``, as problems again (for their messages)."""
    return [
        ImportProblem(entry["line"], entry.get("column"), entry["code"], entry.get("params") or {})
        for entry in record.problems or []
    ]


def job_error_message(record: ParticipantImport) -> str | None:
    """The English message id of ``record``'s job-level error (translated when shown)."""
    if record.error is None and record.stalled(STALE_AFTER_S):
        return JOB_ERRORS["interrupted"]
    return JOB_ERRORS.get(record.error) if record.error else None


def import_state(record: ParticipantImport) -> str:
    """``record``'s status, or ``interrupted`` when its run stopped without finishing."""
    if record.stalled(STALE_AFTER_S):
        return "interrupted"
    return record.status


# --- the background job ---------------------------------------------------------------------


def dispatch_import(record: ParticipantImport) -> None:
    """Start a confirmed import in the background: on the RQ queue, else in a thread. Commits.

    When Redis cannot be reached the import is marked failed (``queue_unavailable``).
    """
    record_id = record.id
    run_id = uuid.uuid4().hex
    record.status = "queued"
    record.run_id = run_id
    record.heartbeat_at = utcnow()
    db.session.commit()
    queue = get_queue()
    if queue is None:
        app = current_app._get_current_object()
        threading.Thread(
            target=_run_in_thread,
            args=(app, record_id, run_id),
            name=f"participant-import-{record_id}",
            daemon=True,
        ).start()
        return
    try:
        queue.enqueue("app.operations.import_jobs.run_import_job", record_id, run_id, job_id=run_id)
    except Exception as exc:
        if not queue_unreachable(exc):
            raise
        logger.error(
            "participant import %s not queued, the job queue is unavailable: %s",
            record_id,
            type(exc).__name__,
        )
        db.session.rollback()
        record = db.session.get(ParticipantImport, record_id)
        if record is not None:
            _finish(record, "failed", error="queue_unavailable")
            db.session.commit()


def _run_in_thread(app: Flask, record_id: int, run_id: str) -> None:
    with app.app_context():
        run_import_job(record_id, run_id)


def run_import_job(record_id: int, run_id: str | None = None) -> None:
    """Run a confirmed import to the end in this process (needs an application context).

    The rows checked are reported as progress from a connection of their own, so that the
    import's own transaction stays all or nothing; a run that finds another ``run_id`` on
    the row (or the row gone, or finished) stops.
    """
    with write_transactions():
        record = db.session.get(ParticipantImport, record_id)
        if record is None or record.finished or (run_id is not None and record.run_id != run_id):
            db.session.rollback()
            return
        record.status = "checking"
        record.started_at = record.heartbeat_at = utcnow()
        db.session.commit()
    try:

        def show(**values: object) -> None:
            # Seen by the progress page at once, outside the import's own transaction.
            with db.engine.begin() as connection:
                connection.execute(
                    update(ParticipantImport)
                    .where(ParticipantImport.id == record_id)
                    .values(heartbeat_at=utcnow(), **values)
                )

        def on_checked(checked: int, total: int) -> None:
            show(checked_rows=checked, total_rows=total)

        record = db.session.get(ParticipantImport, record_id)
        preview = parse_participants(record.campaign, record.data or b"", on_progress=on_checked)
        # The checks only read; the writes begin a transaction of their own that takes
        # SQLite's write lock at once, and check the emails again inside it.
        db.session.commit()
        if preview.ok:
            show(status="saving")
        with write_transactions():
            record = db.session.get(ParticipantImport, record_id)
            _apply(record, preview)
            db.session.commit()
    except Exception as exc:
        logger.exception("participant import %s failed", record_id)
        db.session.rollback()
        with write_transactions():
            record = db.session.get(ParticipantImport, record_id)
            if record is not None and not record.finished:
                error = "database" if isinstance(exc, SQLAlchemyError) else "unexpected"
                _finish(record, "failed", error=error)
                db.session.commit()
