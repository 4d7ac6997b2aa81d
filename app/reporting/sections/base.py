"""What every section of a report reads: the results, whose report it is, and the numbering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.models.organization import display_name
from app.presentation.views import ResultsView
from app.reporting.errors import ReportUnavailableError
from app.reporting.viewmodel import Level

if TYPE_CHECKING:
    from app.models import Campaign, Department
    from app.results.model import CampaignResults, GroupResult, ScoreCell

OK = "ok"
SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Scope:
    """Whose report this is: the organisation, or one department against the organisation."""

    group: GroupResult
    department_id: int | None

    @property
    def is_department(self) -> bool:
        return self.department_id is not None


class Numbering:
    """Chapter numbers 01, 02, ...; the executive summary is 01."""

    def __init__(self) -> None:
        self.current = 1

    def next(self) -> str:
        self.current += 1
        return f"{self.current:02d}"


class ReportContext(ResultsView):
    """One report's reading of the results object, handed to every section's builder.

    Raises :class:`ReportUnavailableError` when the report's group (the organisation, or the
    department) is not shown. ``numbering`` is shared with the companion campaign's context,
    so its chapters continue this report's numbers.
    """

    def __init__(
        self,
        results: CampaignResults,
        campaign: Campaign,
        locale: str,
        department: Department | None,
        *,
        companion: tuple[CampaignResults, Campaign] | None = None,
        numbering: Numbering | None = None,
    ) -> None:
        super().__init__(results, locale)
        self.campaign = campaign
        self.questionnaire = campaign.questionnaire
        self.department = department
        #: The companion campaign's results and campaign, whose other kind the report adds.
        self.companion = companion
        self.scope = self._scope(department)
        self.numbering = numbering or Numbering()

    def _scope(self, department: Department | None) -> Scope:
        if department is None:
            if not self.results.organization.shown:
                raise ReportUnavailableError(
                    _(
                        "The campaign has fewer submitted responses than its anonymity "
                        "threshold (%(threshold)s): no report can be produced yet.",
                        threshold=self.results.anonymity_threshold,
                    )
                )
            return Scope(self.results.organization, None)
        try:
            group = self.results.group("department", department=department.id)
        except KeyError:
            raise ReportUnavailableError(
                _(
                    "%(department)s has no responses in this campaign.",
                    department=display_name(department, self.locale),
                )
            ) from None
        if not group.shown:
            raise ReportUnavailableError(
                _(
                    "%(department)s has fewer submitted responses than the anonymity threshold "
                    "(%(threshold)s), or is hidden so that a smaller group cannot be worked "
                    "out: it has no report of its own.",
                    department=display_name(department, self.locale),
                    threshold=self.results.anonymity_threshold,
                )
            )
        return Scope(group, department.id)

    @property
    def is_department(self) -> bool:
        return self.scope.is_department

    def next_number(self) -> str:
        """The next chapter's number."""
        return self.numbering.next()

    def level(self, cell: ScoreCell | None) -> Level:
        """A score with its maturity level, or "not shown" for a missing or withheld one."""
        if cell is None or not cell.shown:
            return Level(None, None, _("Not shown"), None)
        return Level(cell.mean, cell.level, self.level_label(cell), cell.n)

    def scope_roles(self) -> list[GroupResult]:
        """Every role group of the report's scope, shown or not (within the department)."""
        if not self.is_department:
            return list(self.results.by_role)
        return [
            g
            for g in self.results.by_role_department
            if g.key.get("department") == self.scope.department_id
        ]

    def role_groups(self) -> list[GroupResult]:
        """The shown roles of the report's scope (within the department for a department)."""
        return [group for group in self.scope_roles() if group.shown]

    def shown_departments(self) -> list[GroupResult]:
        return [g for g in self.results.by_department if g.shown]

    def hidden_departments(self) -> list[str]:
        return [self.text(g.label) for g in self.results.by_department if g.status == SUPPRESSED]
