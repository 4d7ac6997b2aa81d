"""Response progress of a campaign: invited, started and submitted, by department and role.

Counts of people are not anonymity-sensitive (they reveal no answer), so they are given for
every group, however small. The counts, and what a revoked participant counts as, come from
:mod:`app.results.participation`, like every other output's. A participant whose draft was
left when the campaign closed stays ``started``: a partial response, kept and counted as such.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from app.models import Campaign, role_label
from app.results.load import DepartmentRow, RoleRow, load_departments, load_roles
from app.results.model import Participation
from app.results.participation import participation_by_cell


@dataclass(frozen=True)
class DepartmentProgress(DepartmentRow):
    """A department, as the results load it, with its own participants' counts."""

    counts: Participation = field(default_factory=Participation, kw_only=True)

    @property
    def department_id(self) -> int:
        return self.id


@dataclass(frozen=True)
class RoleProgress(RoleRow):
    """A role, as the results load it, with its participants' counts."""

    counts: Participation = field(default_factory=Participation, kw_only=True)

    @property
    def role_id(self) -> int:
        return self.id

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

    One grouped query for the counts plus the organisation's departments and roles, loaded
    as the results load them; the caller scopes access to the campaign (app/auth/access.py)
    before calling this.
    """
    by_pair = participation_by_cell(campaign)
    dept_totals: dict[int, Participation] = defaultdict(Participation)
    role_totals: dict[int, Participation] = defaultdict(Participation)
    total = Participation()
    for (department_id, role_id), counts in by_pair.items():
        dept_totals[department_id] += counts
        role_totals[role_id] += counts
        total += counts

    departments = load_departments(campaign.organization_id)
    roles = load_roles(campaign.organization_id)
    return CampaignProgress(
        total=total,
        by_department=[
            DepartmentProgress(**asdict(d), counts=dept_totals.get(d.id, Participation()))
            for d in departments
            if not d.archived or d.id in dept_totals
        ],
        by_role=[
            RoleProgress(**asdict(r), counts=role_totals.get(r.id, Participation())) for r in roles
        ],
        by_department_and_role=by_pair,
    )
