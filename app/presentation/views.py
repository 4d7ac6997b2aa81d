"""What the dashboard and the PDF reports both make of a results object, made once.

Both read one :class:`~app.results.model.CampaignResults` in one language and show it the same
way: the same titles and leads for the two kinds of dimension, the same role labels and
colours, the same answer scale on every chart and the same chart series for the organisation
and for each role. :class:`ResultsView` holds what both builders need from the results;
the dashboard's page builder and the report's section context extend it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from app.presentation import charts
from app.presentation.charts import ScaleSpec, Series

if TYPE_CHECKING:
    from app.results.model import CampaignResults, GroupResult, ScoreCell

#: The values of a series, one per dimension on the chart's axes (None: not shown).
Values = tuple[float | None, ...]


def kind_title(kind: str) -> str:
    """The heading of a kind of dimension: the five capabilities or the improvement cycle."""
    if kind == "capability":
        return _("The five capabilities")
    if kind == "stage":
        return _("The CX improvement cycle")
    return kind


def kind_lead(kind: str) -> str:
    """The sentence that says what a kind of dimension is about and how to read it."""
    if kind == "capability":
        return _(
            "Maturity of the five capabilities of CX management, and how evenly they are "
            "developed: the weakest capability often limits what the others can deliver."
        )
    return _(
        "How far each stage of the CX improvement cycle is practised: the cycle moves only "
        "as fast as its weakest stage."
    )


def mean_of(group: GroupResult, dimension_id: str) -> float | None:
    """A group's mean on a dimension, or None when its cell is missing or withheld."""
    cell = group.scores.get(dimension_id)
    return cell.mean if cell is not None and cell.shown else None


def focus_series(label: str, values: Values, n: int | None) -> Series:
    """The group a chart is about (the organisation, or a department): filled, drawn boldly."""
    return Series(label, values, charts.ORGANIZATION_COLOR, n=n, fill=True, linewidth=2.4)


def reference_series(label: str, values: Values, n: int | None) -> Series:
    """The whole organisation behind a smaller group: a grey dashed line."""
    return Series(label, values, charts.PREVIOUS_COLOR, n=n, linestyle="dashed", linewidth=1.4)


def target_series(targets: Values) -> Series | None:
    """The campaign's target levels as a thin black dashed outline; None without any target."""
    if all(target is None for target in targets):
        return None
    return Series(_("Target"), targets, charts.TARGET_COLOR, linestyle="dashed", linewidth=1.2)


def scale_of(results: CampaignResults, text: Callable[[Any], str]) -> ScaleSpec:
    """The campaign's answer scale as the charts draw it, its labels put into words by ``text``."""
    info = results.questionnaire
    return ScaleSpec(
        info.scale_min,
        info.scale_max,
        tuple(text(info.scale_labels[p]) for p in range(info.scale_min, info.scale_max + 1)),
    )


class ResultsView:
    """One results object read in one language, as both the dashboard and the reports show it."""

    def __init__(self, results: CampaignResults, locale: str) -> None:
        self.results = results
        self.locale = locale
        self.scale = scale_of(results, self.text)
        #: Roles in hierarchy order (top first): a custom role's colour follows its rank.
        self.role_ranks = {g.key["role"]: rank for rank, g in enumerate(results.by_role)}
        self.role_labels = {g.key["role"]: self.text(g.label) for g in results.by_role}

    def text(self, value: Any) -> str:
        """A localized text of the results in this view's language."""
        return self.results.text(value, self.locale)

    @property
    def campaign_name(self) -> str:
        """The campaign's name in this view's language (its English name in English)."""
        return self.results.campaign_title(self.locale)

    @property
    def organization_name(self) -> str:
        """The organisation's name in this view's language (its English name in English)."""
        return self.results.organization_title(self.locale)

    def dimension_title(self, dimension_id: str) -> str:
        return self.text(self.results.dimension(dimension_id).title)

    def role_label(self, key: str, default: str | None = None) -> str:
        """The role's name; ``default`` (else the key) for a role the results do not list."""
        found = self.role_labels.get(key)
        if found is not None:
            return found
        return key if default is None else default

    def role_color(self, key: str) -> str:
        """The role's fixed colour, the same on every chart of every output."""
        return charts.role_color(key, self.role_ranks.get(key, 0))

    def level_label(self, cell: ScoreCell) -> str:
        """The name of a shown cell's maturity level."""
        return self.text(cell.level_label)

    def role_series(
        self, groups: Iterable[GroupResult], values_of: Callable[[GroupResult], Values]
    ) -> list[Series]:
        """One chart series per shown role among ``groups``, in its fixed colour.

        A role without any value to draw gets no series (nor a line in the legend).
        """
        series = []
        for group in groups:
            if not group.shown:
                continue
            values = values_of(group)
            if all(value is None for value in values):
                continue
            role = group.key["role"]
            series.append(Series(self.role_label(role), values, self.role_color(role), n=group.n))
        return series

    def organization_series(self, values: Values, *, reference: bool = False) -> Series:
        """The whole organisation: the chart's subject, or (``reference``) a dashed reference."""
        organization = self.results.organization
        n = organization.n if organization.shown else None
        if reference:
            return reference_series(_("Whole organisation"), values, n)
        return focus_series(_("Whole organisation"), values, n)
