"""A respondent's answers: one response per participant, one answer per item."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.participant import Participant

RESPONSE_STATUSES = ("draft", "submitted")


class Response(Base):
    __tablename__ = "response"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
        CheckConstraint("source IN ('web', 'import')", name="source"),
        Index("ix_response_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    #: One response per participant makes a second submission impossible; imported
    #: responses (collected on paper) have no participant.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), unique=True
    )
    #: Department and role as answered, copied from the invitation so results group by them.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    source: Mapped[str] = mapped_column(String(16), default="web")
    #: The last page the respondent was on, so a resumed session lands there.
    current_page: Mapped[int] = mapped_column(SmallInteger, default=0)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    participant: Mapped[Participant | None] = relationship(back_populates="response")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(Base):
    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("response_id", "item_id"),
        CheckConstraint(
            "(CASE WHEN value IS NOT NULL THEN 1 ELSE 0 END)"
            " + (CASE WHEN not_applicable THEN 1 ELSE 0 END)"
            " + (CASE WHEN text IS NOT NULL THEN 1 ELSE 0 END) = 1",
            name="one_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    #: The questionnaire item or open question id.
    item_id: Mapped[str] = mapped_column(String(64))
    #: A point on the campaign's scale (checked by the application against the frozen scale).
    value: Mapped[int | None] = mapped_column(SmallInteger)
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Free text, for open questions only.
    text: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    response: Mapped[Response] = relationship(back_populates="answers")
