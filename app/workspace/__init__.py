"""The consultant's workspace: organisations, campaigns, participants, progress, exports.

Thin views, a module per subject, all on one blueprint: each view finds its object through
:mod:`app.auth.access` (another organisation's object is a 404), fills a form from
:mod:`app.workspace.forms`, calls one operation or gathers one page from
:mod:`app.workspace.pages`, and renders; a failed operation is rolled back and shown.
"""

# The view modules attach themselves to bp when imported.
from app.workspace import (  # noqa: F401
    audit_log,
    campaigns,
    common,
    files,
    identity_providers,
    invitations,
    organizations,
    outcomes,
    participants,
    portfolio,
    profile,
    webhooks,
)
from app.workspace.blueprint import bp

__all__ = ["bp"]
