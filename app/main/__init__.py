"""Landing page and health probe."""

from flask import Blueprint

bp = Blueprint("main", __name__, template_folder="templates")

from app.main import routes  # noqa: E402, F401  (routes attach themselves to bp)
