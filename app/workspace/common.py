"""What every workspace view shares: the signed-in user, commit-or-roll-back, downloads."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, flash
from flask_login import current_user, login_required

from app.models import User
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
