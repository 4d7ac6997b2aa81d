"""Response progress of a campaign: invited, started and submitted, by department and role.

Counts of people are not anonymity-sensitive (they reveal no answer), so they are given for
every group, however small. Revoked links are left out. A participant whose draft was left
when the campaign closed stays ``started``: a partial response, kept and counted as such.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.models import DEPARTMENT_ORDER, Campaign, Department, Participant, Role, role_label
from app.platform.extensions import db


@dataclass(frozen=True)
class ProgressCounts:
    #: Everyone with a live link, whatever they have done with it.
    invited: int = 0
    #: Opened the questionnaire but not submitted (drafts, including partial ones).
    started: int = 0
    submitted: int = 0

    @property
    def not_started(self) -> int:
        return self.invited - self.started - self.submitted

    @property
    def response_rate(self) -> float:
        """Submitted over invited, 0.0 when nobody is invited."""
        return self.submitted / self.invited if self.invited else 0.0

    def __add__(self, other: ProgressCounts) -> ProgressCounts:
        return ProgressCounts(
            invited=self.invited + other.invited,
            started=self.started + other.started,
            submitted=self.submitted + other.submitted,
        )


@dataclass(frozen=True)
class DepartmentProgress:
    department_id: int
    name: str
    parent_id: int | None
    archived: bool
    counts: ProgressCounts


@dataclass(frozen=True)
class RoleProgress:
    role_id: int
    key: str
    labels: dict[str, str]
    rank: int
    counts: ProgressCounts

    def label(self, locale: str) -> str:
        return role_label(self.labels, self.key, locale)


@dataclass(frozen=True)
class CampaignProgress:
    total: ProgressCounts
    #: Departments in their display order: every live one, and archived ones with participants.
    by_department: list[DepartmentProgress]
    #: Roles from the top of the hierarchy down.
    by_role: list[RoleProgress]
    #: ``(department_id, role_id)`` → counts, only for pairs with participants.
    by_department_and_role: dict[tuple[int, int], ProgressCounts] = field(default_factory=dict)


def _counts(by_status: dict[str, int]) -> ProgressCounts:
    return ProgressCounts(
        invited=sum(by_status.values()),
        started=by_status.get("started", 0),
        submitted=by_status.get("submitted", 0),
    )


def campaign_progress(campaign: Campaign) -> CampaignProgress:
    """Invited, started and submitted counts for a campaign, overall and by group.

    One GROUP BY query over the participants plus the organisation's departments and roles;
    the caller scopes access to the campaign (app/auth/access.py) before calling this.
    """
    rows = db.session.execute(
        select(
            Participant.department_id,
            Participant.role_id,
            Participant.status,
            func.count(Participant.id),
        )
        .where(Participant.campaign_id == campaign.id, Participant.revoked_at.is_(None))
        .group_by(Participant.department_id, Participant.role_id, Participant.status)
    ).all()
    pairs: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for department_id, role_id, status, count in rows:
        pairs[(department_id, role_id)][status] = int(count)
    by_pair = {key: _counts(statuses) for key, statuses in pairs.items()}

    dept_totals: dict[int, ProgressCounts] = defaultdict(ProgressCounts)
    role_totals: dict[int, ProgressCounts] = defaultdict(ProgressCounts)
    total = ProgressCounts()
    for (department_id, role_id), counts in by_pair.items():
        dept_totals[department_id] += counts
        role_totals[role_id] += counts
        total += counts

    departments = db.session.scalars(
        select(Department)
        .where(Department.organization_id == campaign.organization_id)
        .order_by(*DEPARTMENT_ORDER)
    ).all()
    roles = db.session.scalars(
        select(Role).where(Role.organization_id == campaign.organization_id).order_by(Role.rank)
    ).all()
    return CampaignProgress(
        total=total,
        by_department=[
            DepartmentProgress(
                department_id=d.id,
                name=d.name,
                parent_id=d.parent_id,
                archived=d.archived,
                counts=dept_totals.get(d.id, ProgressCounts()),
            )
            for d in departments
            if not d.archived or d.id in dept_totals
        ],
        by_role=[
            RoleProgress(
                role_id=r.id,
                key=r.key,
                labels=dict(r.labels),
                rank=r.rank,
                counts=role_totals.get(r.id, ProgressCounts()),
            )
            for r in roles
        ],
        by_department_and_role=by_pair,
    )
