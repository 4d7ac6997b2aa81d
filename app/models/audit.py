"""Who did what to which campaign, in a hash chain per organisation that shows tampering.

Each organisation's events form one chain: event ``seq`` n links to event n - 1 of the same
organisation by carrying its hash, and its own hash covers its stored fields and that link.
Changing a stored event breaks its own hash; deleting one leaves a gap in the sequence
numbers; ``flask audit verify`` finds both. The ORM refuses to update or delete an event, so
only raw SQL can change one, and that is what the verification is for.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from app.models.base import Base, UTCDateTime, utcnow

#: Length of a hex SHA-256 digest.
HASH_LENGTH = 64


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_org_created", "organization_id", "created_at"),
        UniqueConstraint("organization_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    #: Position in the organisation's chain, from 1 without gaps.
    seq: Mapped[int] = mapped_column(Integer)
    #: The campaign as recorded; no foreign key, so the event outlives a deleted campaign.
    campaign_id: Mapped[int | None] = mapped_column(index=True)
    #: The acting user as recorded (None for the CLI run without a user); no foreign key, so
    #: the event keeps naming a deleted account's id.
    user_id: Mapped[int | None] = mapped_column()
    #: A short verb such as ``campaign.created`` or ``participants.imported``.
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The hash of the organisation's previous event; None for its first.
    previous_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    #: SHA-256 (hex) of the canonical form of this event (see ``chain_hash``).
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class AuditLogImmutable(RuntimeError):
    """Raised when code tries to change or delete a recorded audit event."""


def iso_utc(moment: datetime) -> str:
    """``moment`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always with microseconds)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where a timezone-aware one is required")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    """Sorted-key compact JSON: the one text of a value, whatever its key order."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def chain_hash(
    *,
    organization_id: int,
    seq: int,
    campaign_id: int | None,
    user_id: int | None,
    action: str,
    created_at: datetime,
    detail: dict[str, Any],
    previous_hash: str | None,
) -> str:
    """SHA-256 (hex) of an event's canonical form: its stored fields and its link.

    Stable forever: every stored hash was made by it (migration 0018 holds a copy).
    """
    document = {
        "action": action,
        "campaign_id": campaign_id,
        "created_at": iso_utc(created_at),
        "detail": detail,
        "organization_id": organization_id,
        "previous_hash": previous_hash,
        "seq": seq,
        "user_id": user_id,
    }
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def event_hash(audit_event: AuditEvent) -> str:
    """The hash ``audit_event`` should carry, from its fields as they are now."""
    return chain_hash(
        organization_id=audit_event.organization_id,
        seq=audit_event.seq,
        campaign_id=audit_event.campaign_id,
        user_id=audit_event.user_id,
        action=audit_event.action,
        created_at=audit_event.created_at,
        detail=audit_event.detail,
        previous_hash=audit_event.previous_hash,
    )


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise AuditLogImmutable(f"audit event {target.id} is part of the audit trail: never changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise AuditLogImmutable(f"audit event {target.id} is part of the audit trail: never deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    """``update(AuditEvent)`` and ``delete(AuditEvent)`` statements are refused too."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        raise AuditLogImmutable("audit events are part of the audit trail: never changed")
