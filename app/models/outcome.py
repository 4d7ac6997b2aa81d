"""Customer outcomes: what the organisation's customers say and do, per department and period.

Recorded beside the assessment (entered, imported from CSV or sent through the API), never
part of any maturity score: the results set them next to the scores to show whether maturity
goes with better outcomes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow

#: Longest period label: ``2026``, ``2026-H1``, ``2026-Q3`` or ``2026-04``.
PERIOD_LENGTH = 7


class OutcomeRecord(Base):
    __tablename__ = "outcome_record"
    __table_args__ = (
        UniqueConstraint("organization_id", "department_id", "period"),
        CheckConstraint(
            "(promoters IS NULL) = (passives IS NULL)"
            " AND (passives IS NULL) = (detractors IS NULL)",
            name="nps_complete",
        ),
        CheckConstraint(
            "promoters IS NULL OR (promoters >= 0 AND passives >= 0 AND detractors >= 0)",
            name="nps_counts",
        ),
        CheckConstraint("churn_rate IS NULL OR churn_rate BETWEEN 0 AND 1", name="churn_rate"),
        CheckConstraint(
            "gross_margin IS NULL OR gross_margin BETWEEN 0 AND 1", name="gross_margin"
        ),
        CheckConstraint("csat IS NULL OR csat BETWEEN 0 AND 100", name="csat"),
        CheckConstraint("ces IS NULL OR ces BETWEEN 1 AND 7", name="ces"),
        CheckConstraint("arpa IS NULL OR arpa >= 0", name="arpa"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    #: None: the whole organisation.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    #: ``2026`` (a year), ``2026-H1`` (a half), ``2026-Q3`` (a quarter) or ``2026-04`` (a month).
    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH))
    #: The customers' answers 0 to 10 to the recommendation question, when known one by one.
    nps_counts: Mapped[list[int] | None] = mapped_column(JSON)
    #: Customers answering 9-10, 7-8 and 0-6 (derived from ``nps_counts`` when given).
    promoters: Mapped[int | None] = mapped_column(Integer)
    passives: Mapped[int | None] = mapped_column(Integer)
    detractors: Mapped[int | None] = mapped_column(Integer)
    #: Share of satisfied customers, in percent (0-100).
    csat: Mapped[float | None] = mapped_column(Float)
    #: Customer effort score, the mean of answers 1 (little effort) to 7.
    ces: Mapped[float | None] = mapped_column(Float)
    #: Share of customers lost over the period, as a fraction (0.05 for 5%).
    churn_rate: Mapped[float | None] = mapped_column(Float)
    #: Average revenue per account over the period, in the organisation's currency.
    arpa: Mapped[float | None] = mapped_column(Float)
    #: Gross margin, as a fraction of revenue (0.4 for 40%).
    gross_margin: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def values(self) -> dict[str, Any]:
        """The recorded figures by field name (None where not recorded)."""
        return {name: getattr(self, name) for name in VALUE_FIELDS}

    def __repr__(self) -> str:
        return f"<OutcomeRecord {self.organization_id}/{self.department_id} {self.period}>"


#: The recorded figures, in the order of the CSV columns and the API document.
VALUE_FIELDS = (
    "nps_counts",
    "promoters",
    "passives",
    "detractors",
    "csat",
    "ces",
    "churn_rate",
    "arpa",
    "gross_margin",
)
