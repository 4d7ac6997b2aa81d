"""The consultant's workspace: organisations, campaigns, participants, progress, exports.

Thin views, a module per subject, all on one blueprint: each view finds its object through
:mod:`app.auth.access` (another organisation's object is a 404), fills a form from
:mod:`app.workspace.forms`, calls one operation or gathers one page from
:mod:`app.workspace.pages`, and renders; a failed operation is rolled back and shown.
"""

from flask import Blueprint

bp = Blueprint("workspace", __name__, template_folder="templates", url_prefix="/workspace")

# The views attach themselves to bp.
from app.workspace import (  # noqa: E402, F401
    campaigns,
    common,
    files,
    invitations,
    organizations,
    participants,
)
