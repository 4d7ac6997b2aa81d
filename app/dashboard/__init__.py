"""The executive's results views."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, template_folder="templates", url_prefix="/dashboard")

from app.dashboard import routes  # noqa: E402, F401  (routes attach themselves to bp)
