"""The audit log: who did what to which organisation and campaign."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.models import AuditEvent, Campaign, Organization, User
from app.platform.extensions import db

#: Every action the log knows, with its label for the campaign page.
ACTIONS: dict[str, Any] = {
    "organization.created": _l("Organisation created"),
    "organization.updated": _l("Organisation updated"),
    "organization.benchmark_set": _l("Benchmark settings changed"),
    "department.added": _l("Department added"),
    "department.updated": _l("Department updated"),
    "executive.invited": _l("Executive invited"),
    "campaign.created": _l("Campaign created"),
    "campaign.updated": _l("Campaign settings changed"),
    "campaign.targets_set": _l("Target levels set"),
    "profile.saved": _l("Organisation profile saved"),
    "campaign.opened": _l("Campaign opened"),
    "campaign.closed": _l("Campaign closed"),
    "campaign.reopened": _l("Campaign reopened"),
    "campaign.copied": _l("Next round created"),
    "campaign.paired": _l("Companion campaign set"),
    "campaign.unpaired": _l("Companion campaign removed"),
    "campaign.backed_up": _l("Backup downloaded"),
    "campaign.restored": _l("Restored from a backup"),
    "participants.imported": _l("Participants imported"),
    "participant.added": _l("Participant added"),
    "participant.updated": _l("Participant changed"),
    "participant.revoked": _l("Participant link revoked"),
    "participant.link_issued": _l("Personal link handed out"),
    "participant.link_replaced": _l("Personal link replaced (earlier links revoked)"),
    "links.exported": _l("Invitation links downloaded"),
    "invitations.sent": _l("Invitations sent"),
    "reminders.sent": _l("Reminders sent"),
    "responses.exported": _l("Responses exported"),
    "responses.imported": _l("Responses imported"),
    "open_link.enabled": _l("Open link enabled"),
    "open_link.disabled": _l("Open link disabled"),
    "outcomes.saved": _l("Customer outcomes saved"),
    "action.created": _l("Action added"),
    "action.updated": _l("Action changed"),
    "actions.reminded": _l("Owners reminded of overdue actions"),
    "executive.action_updates": _l("Executive's action updates granted or withdrawn"),
    "outcomes.deleted": _l("Customer outcome record deleted"),
}


def record(
    action: str,
    *,
    organization: Organization | None = None,
    campaign: Campaign | None = None,
    user: User | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an event to the log (flushed with the caller's transaction, never on its own).

    ``user`` is None for commands run from the CLI without ``--as``; ``detail`` holds small
    JSON-compatible facts such as counts, never personal data.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if organization is None and campaign is None:
        raise ValueError("an audit event needs an organisation or a campaign")
    org_id = organization.id if organization is not None else campaign.organization_id
    acting = user if user is not None and getattr(user, "is_authenticated", True) else None
    event = AuditEvent(
        organization_id=org_id,
        campaign_id=campaign.id if campaign is not None else None,
        user_id=acting.id if acting is not None else None,
        action=action,
        detail=dict(detail),
    )
    db.session.add(event)
    db.session.flush()
    return event


def action_label(action: str) -> str:
    """The translated label of an action (the action itself when unknown)."""
    label = ACTIONS.get(action)
    return str(label) if label is not None else action
