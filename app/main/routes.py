from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth import access
from app.platform.health import readiness

bp = Blueprint("main", __name__, template_folder="templates")


@bp.get("/")
def index() -> Response | str:
    """The front page; a signed-in executive goes straight to their dashboard."""
    if access.is_executive_viewer(current_user):
        return redirect(url_for("dashboard.index"))
    return render_template("main/index.html")


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """The process is up; no database access, so a database outage never restarts it."""
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict[str, object], int]:
    """200 when the database, its schema and Redis (if configured) are usable, else 503."""
    ready, checks = readiness(current_app)
    return {"status": "ready" if ready else "unavailable", "checks": checks}, (
        200 if ready else 503
    )
