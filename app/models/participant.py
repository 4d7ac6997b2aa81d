"""Invited respondents. The personal link's token is stored only as a hash."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.campaign import Campaign
    from app.models.organization import Department, Role
    from app.models.response import Response

PARTICIPANT_STATUSES = ("invited", "started", "submitted")


class Participant(Base):
    __tablename__ = "participant"
    __table_args__ = (
        UniqueConstraint("campaign_id", "email"),
        CheckConstraint("status IN ('invited', 'started', 'submitted')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    #: SHA-256 of the personal link token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="invited")
    #: Set when the consultant revokes the link; a revoked link answers like an unknown one.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the invitation email was last sent (or written to the outbox).
    invited_by_email_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    campaign: Mapped[Campaign] = relationship(back_populates="participants")
    department: Mapped[Department] = relationship()
    role: Mapped[Role] = relationship()
    response: Mapped[Response | None] = relationship(back_populates="participant")

    def __repr__(self) -> str:
        return f"<Participant {self.id} campaign={self.campaign_id}>"
