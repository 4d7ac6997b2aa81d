"""Assessment campaigns: one questionnaire version, frozen, asked of one organisation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.analysis.anonymity import OPEN_TEXT_MINIMUM
from app.models.base import Base, UTCDateTime, utcnow
from app.models.organization import NAME_LENGTH
from app.platform.cache import BoundedCache
from app.questionnaire import Questionnaire

if TYPE_CHECKING:
    from app.models.organization import Organization
    from app.models.participant import Participant

CAMPAIGN_STATUSES = ("draft", "open", "closed")
DEFAULT_ANONYMITY_THRESHOLD = 5
MIN_ANONYMITY_THRESHOLD = 3
MAX_ANONYMITY_THRESHOLD = 10
#: The range of a campaign's minimum group for free-text answers (see ``comment_minimum``).
MIN_COMMENT_MINIMUM = OPEN_TEXT_MINIMUM
MAX_COMMENT_MINIMUM = 50
#: Parsed questionnaires kept per process, by content hash.
PARSED_QUESTIONNAIRES = 64

#: The one cache of parsed questionnaires: the survey, results and reports all read it.
_parsed_questionnaires: BoundedCache[str, Questionnaire] = BoundedCache(PARSED_QUESTIONNAIRES)


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="status"),
        CheckConstraint(
            f"anonymity_threshold BETWEEN {MIN_ANONYMITY_THRESHOLD} AND {MAX_ANONYMITY_THRESHOLD}",
            name="anonymity_threshold",
        ),
        CheckConstraint(
            f"comment_minimum BETWEEN {MIN_COMMENT_MINIMUM} AND {MAX_COMMENT_MINIMUM}",
            name="comment_minimum",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    #: The name English outputs show; without one they show ``name`` as entered.
    name_en: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    #: SHA-256 of the questionnaire's canonical content at the time the campaign was created.
    questionnaire_hash: Mapped[str] = mapped_column(String(64))
    #: The parsed questionnaire, frozen: editing the YAML later never changes this campaign.
    questionnaire_content: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Groups with fewer submitted responses than this are suppressed in every output.
    anonymity_threshold: Mapped[int] = mapped_column(Integer, default=DEFAULT_ANONYMITY_THRESHOLD)
    #: The fewest respondents of a group who answered an open question for the group's
    #: answers to it, and their themes, to be shown; the anonymity threshold when larger.
    #: Fixed, like the threshold, once the campaign has opened.
    comment_minimum: Mapped[int] = mapped_column(
        Integer, default=MIN_COMMENT_MINIMUM, server_default=str(MIN_COMMENT_MINIMUM)
    )
    #: The campaign this one is the next round of, for comparisons over time.
    previous_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL")
    )
    #: The campaign of the other questionnaire kind asked of the same organisation (five
    #: capabilities with the improvement cycle), whose results the reports and the dashboard
    #: show alongside. Set on both campaigns of a pair (``operations.campaigns.pair_campaigns``).
    companion_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL")
    )
    #: Whether anyone with the campaign's open link may register and answer.
    open_link_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    open_link_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Whether respondents may download their individual report once the campaign is closed.
    individual_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Optional target maturity level per dimension id.
    targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the campaign's answers, participants and reports were erased; the campaign
    #: itself (its settings and audit log) stays, and it can no longer be opened.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship(back_populates="campaigns")
    previous_campaign: Mapped[Campaign | None] = relationship(
        remote_side="Campaign.id", foreign_keys="Campaign.previous_campaign_id"
    )
    companion_campaign: Mapped[Campaign | None] = relationship(
        remote_side="Campaign.id", foreign_keys="Campaign.companion_campaign_id", post_update=True
    )
    participants: Mapped[list[Participant]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )

    @property
    def questionnaire(self) -> Questionnaire:
        """The frozen questionnaire this campaign asks."""
        cached = self.__dict__.get("_questionnaire")
        if cached is None or cached.content_hash != self.questionnaire_hash:
            # Parsed once per process and content: campaigns of the same questionnaire
            # version share one frozen object.
            cached = _parsed_questionnaires.get(self.questionnaire_hash)
            if cached is None:
                cached = Questionnaire.from_dict(self.questionnaire_content)
                if cached.content_hash == self.questionnaire_hash:
                    _parsed_questionnaires.put(self.questionnaire_hash, cached)
            self.__dict__["_questionnaire"] = cached
        return cached

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.name!r}>"
