"""Reads of the audit log."""

from __future__ import annotations

from sqlalchemy import select

from app.models import AuditEvent, Campaign, User
from app.platform.extensions import db


def campaign_events(campaign: Campaign, *, limit: int = 200) -> list[tuple[AuditEvent, str | None]]:
    """The campaign's events, newest first, with the acting user's email (None for the CLI)."""
    rows = db.session.execute(
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.campaign_id == campaign.id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    return [(event, email) for event, email in rows]
