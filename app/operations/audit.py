"""The audit log: who did what to which organisation and campaign."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.models import AuditEvent, Campaign, Organization, User, utcnow
from app.models.audit import event_hash
from app.platform.extensions import db

#: The first key of PostgreSQL's two-key advisory locks taken on an organisation's chain
#: (the second is the organisation's id): "au" in ASCII.
CHAIN_LOCK_KEY = 0x6175

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
    "participants.upserted": _l("Participants updated through the API"),
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
    "webhook.created": _l("Webhook endpoint added"),
    "webhook.deleted": _l("Webhook endpoint removed"),
    "webhook.resent": _l("Webhook delivery sent again"),
    "participant.erased": _l("Participant's personal data erased (answers kept, anonymous)"),
    "campaign.erased": _l("Campaign's answers and personal data erased"),
    "retention.applied": _l("Retention period over: participants' personal data erased"),
    "organization.retention_set": _l("Retention period of personal data changed"),
    "user.mfa_enabled": _l("Two-factor login turned on"),
    "user.mfa_disabled": _l("Two-factor login turned off"),
    "user.mfa_reset": _l("Two-factor login reset by an administrator"),
    "user.mfa_required": _l("Two-factor login required or no longer required"),
    "user.mfa_recovery_used": _l("Recovery code used to log in"),
    "user.mfa_recovery_renewed": _l("New recovery codes made"),
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
    # Stored as JSON reads it back (tuples become lists, keys strings): the hash is made of
    # what verification will read.
    stored_detail = json.loads(json.dumps(dict(detail), allow_nan=False))
    seq, previous_hash = _chain_head(org_id)
    event = AuditEvent(
        organization_id=org_id,
        seq=seq + 1,
        campaign_id=campaign.id if campaign is not None else None,
        user_id=acting.id if acting is not None else None,
        action=action,
        detail=stored_detail,
        created_at=utcnow(),
        previous_hash=previous_hash,
    )
    event.hash = event_hash(event)
    db.session.add(event)
    db.session.flush()
    return event


def _chain_head(organization_id: int) -> tuple[int, str | None]:
    """The sequence number and hash of the organisation's last event ((0, None): none yet).

    On PostgreSQL a transaction-scoped advisory lock on the organisation's chain comes first,
    so two transactions never link to the same event; SQLite has one writer at a time. The
    unique (organisation, seq) constraint refuses a fork whatever happens.
    """
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK_KEY, organization_id)))
    head = db.session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.organization_id == organization_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    return (head.seq, head.hash) if head is not None else (0, None)


def action_label(action: str) -> str:
    """The translated label of an action (the action itself when unknown)."""
    label = ACTIONS.get(action)
    return str(label) if label is not None else action
