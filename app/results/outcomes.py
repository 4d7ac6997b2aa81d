"""An organisation's customer outcomes with the figures computed from them: NPS with its 95%
interval (not shown below 30 customer answers) and LTV (ARPA x gross margin / churn rate).

One read for the workspace, the API and the CLI, so that they show the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.analysis.outcomes import MIN_NPS_ANSWERS, Nps, ltv, nps
from app.models import Department, Organization, OutcomeRecord, name_labels
from app.models.outcome import VALUE_FIELDS
from app.platform.extensions import db


@dataclass(frozen=True)
class OutcomeFigures:
    """One outcome record as stored, with its computed figures."""

    id: int
    department_id: int | None
    #: The department's names (None: the whole organisation).
    department: dict[str, str] | None
    period: str
    values: dict[str, Any]
    nps: Nps | None
    ltv: float | None

    def document(self) -> dict[str, Any]:
        """The API's and the CLI's JSON form of the record (OpenAPI ``OutcomeRecord``)."""
        shown = self.nps is not None and self.nps.shown
        return {
            "department": self.department_id,
            "period": self.period,
            **self.values,
            "nps": self.nps.score if shown and self.nps is not None else None,
            "nps_ci95": list(self.nps.ci95) if shown and self.nps and self.nps.ci95 else None,
            "nps_answers": self.nps.n if self.nps is not None else None,
            "ltv": self.ltv,
        }


def figures_of(record: OutcomeRecord, departments: dict[int, Department]) -> OutcomeFigures:
    """The figures of one record (``departments``: the organisation's, by id)."""
    department = departments.get(record.department_id) if record.department_id else None
    score = None
    if record.promoters is not None:
        score = nps(record.promoters, record.passives or 0, record.detractors or 0)
    return OutcomeFigures(
        id=record.id,
        department_id=record.department_id,
        department=name_labels(department.name, department.name_en) if department else None,
        period=record.period,
        values={name: getattr(record, name) for name in VALUE_FIELDS},
        nps=score,
        ltv=ltv(record.arpa, record.gross_margin, record.churn_rate),
    )


def organization_outcomes(org: Organization) -> list[OutcomeFigures]:
    """Every outcome record of ``org``: the organisation's first, then by department (in
    id order) and period."""
    departments = {
        department.id: department
        for department in db.session.scalars(
            select(Department).where(Department.organization_id == org.id)
        )
    }
    records = db.session.scalars(
        select(OutcomeRecord).where(OutcomeRecord.organization_id == org.id)
    ).all()
    records = sorted(
        records,
        key=lambda r: (r.department_id is not None, r.department_id or 0, r.period),
    )
    return [figures_of(record, departments) for record in records]


__all__ = ["MIN_NPS_ANSWERS", "OutcomeFigures", "figures_of", "organization_outcomes"]
