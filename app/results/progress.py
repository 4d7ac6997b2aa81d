"""Response progress of a campaign: invited, started and submitted, by department and role.

Counts of people are not anonymity-sensitive (they reveal no answer), so they are given for
every group, however small. The counts, and what a revoked participant counts as, come from
:mod:`app.results.participation`, like every other output's. A participant whose draft was
left when the campaign closed stays ``started``: a partial response, kept and counted as such.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from app.models import DEPARTMENT_ORDER, Campaign, Department, Role, role_label
from app.platform.extensions import db
from app.results.model import Participation
from app.results.participation import participation_by_cell


@dataclass(frozen=True)
class DepartmentProgress:
    department_id: int
    name: str
    parent_id: int | None
    archived: bool
    counts: Participation


@dataclass(frozen=True)
class RoleProgress:
    role_id: int
    key: str
    labels: dict[str, str]
    rank: int
    counts: Participation

    def label(self, locale: str) -> str:
        return role_label(self.labels, self.key, locale)


@dataclass(frozen=True)
class CampaignProgress:
    total: Participation
    #: Departments in their display order: every live one, and archived ones with counts.
    by_department: list[DepartmentProgress]
    #: Roles from the top of the hierarchy down.
    by_role: list[RoleProgress]
    #: ``(department_id, role_id)`` → counts, only for pairs with any count.
    by_department_and_role: dict[tuple[int, int], Participation] = field(default_factory=dict)


def campaign_progress(campaign: Campaign) -> CampaignProgress:
    """Invited, started and submitted counts for a campaign, overall and by group.

    One grouped query for the counts plus the organisation's departments and roles; the
    caller scopes access to the campaign (app/auth/access.py) before calling this.
    """
    by_pair = participation_by_cell(campaign)
    dept_totals: dict[int, Participation] = defaultdict(Participation)
    role_totals: dict[int, Participation] = defaultdict(Participation)
    total = Participation()
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
                counts=dept_totals.get(d.id, Participation()),
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
                counts=role_totals.get(r.id, Participation()),
            )
            for r in roles
        ],
        by_department_and_role=by_pair,
    )
