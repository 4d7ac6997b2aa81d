"""The consultant's workspace: organisations, campaigns, participants, progress, exports."""

from flask import Blueprint

bp = Blueprint("workspace", __name__, template_folder="templates", url_prefix="/workspace")

from app.workspace import routes  # noqa: E402, F401  (routes attach themselves to bp)
