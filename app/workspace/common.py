"""What every workspace view shares: the signed-in user, commit-or-roll-back, downloads."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, flash
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.models import User
from app.operations.emails import Delivery
from app.operations.errors import OperationError
from app.platform.extensions import db
from app.workspace.blueprint import bp


@bp.before_request
@login_required
def _require_login() -> None:
    """Every workspace page is for signed-in staff only."""


def user() -> User:
    """The signed-in staff member."""
    return current_user._get_current_object()


def commit_and_flash(message: str, category: str = "success") -> None:
    """Commit the request's one transaction and say what was done."""
    db.session.commit()
    flash(message, category)


def fail(exc: OperationError) -> None:
    """Roll the failed operation back and show why."""
    db.session.rollback()
    flash(str(exc), "error")


def download(body: Iterable[bytes] | bytes | str, mimetype: str, filename: str) -> Response:
    """A file to save, never cached: links, answers and backups are personal data."""
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def flash_delivery(delivery: Delivery, sent: str, skipped: str, *, outbox_when_none: bool) -> None:
    """Say what a send did: ``sent`` and ``skipped`` are the messages for the messages sent
    and the recipients skipped (already e-mailed in the last 24 hours); without a mail server
    the outbox folder is named instead of ``sent`` (also for none when ``outbox_when_none``)."""
    if delivery.mode == "outbox" and (delivery.sent or outbox_when_none):
        flash(
            _(
                "No mail server is configured: %(n)d message(s) were written to the outbox "
                "folder %(folder)s instead of being sent.",
                n=delivery.sent,
                folder=delivery.outbox,
            ),
            "warning",
        )
    elif delivery.sent or outbox_when_none:
        flash(sent, "success")
    if delivery.skipped:
        flash(skipped, "info")
    if delivery.failed:
        flash(_("Sending failed for: %(emails)s", emails=", ".join(delivery.failed)), "error")
