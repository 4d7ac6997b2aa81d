"""Invited respondents and their personal links (each link's token stored only as a hash).

A participant may hold several working links at once: every way of handing a link out (an
invitation or reminder email, the links CSV, the consultant copying one) adds a link and
leaves the earlier ones working, because a link already sent may still be in use. Only
revoking the participant, or explicitly replacing their link, revokes every earlier link.
``link_epoch`` changes exactly then, and respondent sessions carry it, so adding links never
ends a session in progress while revocation and replacement end all of them.
"""

from __future__ import annotations

import secrets
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
#: How a link was handed out: by the consultant (added or copied on the participant page),
#: in the import's output, by email, in the links CSV, on screen after registering through
#: the campaign's open link, or before links were recorded one by one (``migrated``).
LINK_CHANNELS = ("manual", "import", "invitation", "reminder", "csv", "open-link", "migrated")


def new_link_epoch() -> str:
    """A fresh random link epoch (16 hex characters)."""
    return secrets.token_hex(8)


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
    #: Changes (to a new random value) whenever every earlier link is revoked; a respondent
    #: session is valid only while it carries the current value.
    link_epoch: Mapped[str] = mapped_column(String(32), default=new_link_epoch)
    status: Mapped[str] = mapped_column(String(16), default="invited")
    #: Set when the consultant revokes the participant: all their links answer like unknown ones.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the invitation email was last sent (or written to the outbox).
    invited_by_email_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the participant's name, e-mail and links were erased (on request, or at the end
    #: of the organisation's retention period); the row stays so that the counts hold, and
    #: their answers stay as anonymous answers.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    campaign: Mapped[Campaign] = relationship(back_populates="participants")
    department: Mapped[Department] = relationship()
    role: Mapped[Role] = relationship()
    response: Mapped[Response | None] = relationship(back_populates="participant")
    links: Mapped[list[ParticipantLink]] = relationship(
        back_populates="participant",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ParticipantLink.id",
    )

    def __repr__(self) -> str:
        return f"<Participant {self.id} campaign={self.campaign_id}>"


class ParticipantLink(Base):
    """One personal link of a participant: the SHA-256 of its token, never the token."""

    __tablename__ = "participant_link"
    __table_args__ = (
        CheckConstraint(
            "channel IN (" + ", ".join(f"'{c}'" for c in LINK_CHANNELS) + ")", name="channel"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set when the participant is revoked or their link explicitly replaced.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    participant: Mapped[Participant] = relationship(back_populates="links")

    def __repr__(self) -> str:
        return f"<ParticipantLink {self.id} participant={self.participant_id} {self.channel}>"
