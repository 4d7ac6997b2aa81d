"""Organisation profile answers: facts recorded once per campaign, never part of any score."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class ProfileAnswer(Base):
    __tablename__ = "profile_answer"
    __table_args__ = (UniqueConstraint("campaign_id", "fact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    #: The fact's id in the profile definition (``questionnaires/profile/*.yaml``).
    fact_id: Mapped[str] = mapped_column(String(64))
    #: The answer as stored: an option id, ``yes``/``no``, a whole number or a short text;
    #: None while only an evidence note is recorded.
    value: Mapped[str | None] = mapped_column(Text)
    #: Where the fact can be checked (a document, a meeting), in the answerer's words.
    evidence: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<ProfileAnswer {self.campaign_id} {self.fact_id}={self.value!r}>"
