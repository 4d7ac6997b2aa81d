"""One chapter per kind of dimension (the five capabilities, the improvement cycle).

Each chapter gives the overview chart and table, and a page per dimension: its score, the
roles' and departments' scores, its statements, the actions towards the next level (owner,
horizon, measure) and, apart from them, the state to aim for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.presentation import charts
from app.presentation.actions import action_views
from app.presentation.charts import Series
from app.presentation.views import (
    focus_series,
    kind_lead,
    kind_title,
    mean_of,
    reference_series,
    target_series,
)
from app.reporting.sections.base import SUPPRESSED, ReportContext
from app.reporting.sections.items import distribution_chart, item_rows, target_state
from app.reporting.viewmodel import DimensionView, GroupScore, KindSection, TocEntry

if TYPE_CHECKING:
    from app.results.model import DimensionResult, GroupResult


def build(
    report: ReportContext, kinds: Sequence[str] | None = None, *, detail: bool = True
) -> list[KindSection]:
    """One chapter per kind (all of the campaign's kinds by default); ``detail=False``
    leaves out the answer distribution charts, which only the dimension pages show."""
    sections = []
    for kind in report.results.kinds if kinds is None else kinds:
        dimensions = report.results.dimensions_of_kind(kind)
        if not dimensions:
            continue
        number = report.next_number()
        views = tuple(
            dimension_view(report, d, f"{int(number)}.{i}", distribution=detail)
            for i, d in enumerate(dimensions, start=1)
        )
        bottleneck = None
        actions: tuple[str, ...] = ()
        if kind == "stage":
            weakest = _weakest(report, kind, views)
            if weakest is not None:
                bottleneck = weakest
                # The stage's own actions, each with its owner and horizon: no state
                # description among the instructions.
                actions = tuple(
                    _(
                        "%(action)s (%(owner)s, %(horizon)s)",
                        action=action.text,
                        owner=action.owner,
                        horizon=action.horizon,
                    )
                    for action in weakest.actions
                )
        sections.append(
            KindSection(
                kind=kind,
                number=number,
                anchor=f"kind-{kind}",
                title=kind_title(kind),
                lead=kind_lead(kind),
                overall=report.level(report.scope.group.overall.get(kind)),
                chart=kind_chart(report, kind, dimensions),
                dimensions=views,
                role_labels=tuple(report.role_label(g.key["role"]) for g in report.role_groups()),
                bottleneck=bottleneck,
                actions=actions,
            )
        )
    return sections


def toc_entry(section: KindSection) -> TocEntry:
    """The chapter in the table of contents, with its dimension pages (not for a companion's)."""
    if section.companion is not None:
        return TocEntry(section.anchor, section.number, section.title)
    return TocEntry(
        section.anchor,
        section.number,
        section.title,
        tuple(TocEntry(v.anchor, v.number, f"{v.number} {v.title}") for v in section.dimensions),
    )


def kind_chart(
    report: ReportContext, kind: str, dimensions: Sequence[DimensionResult]
) -> str | None:
    """The scope, the organisation behind a department, the roles and the targets on one chart.

    A radar for the capabilities; bars for the stages (the bottleneck highlighted in the
    organisation report).
    """
    titles = [report.text(d.title) for d in dimensions]
    ids = [d.id for d in dimensions]

    def values_of(group: GroupResult) -> tuple[float | None, ...]:
        return tuple(mean_of(group, i) for i in ids)

    scope = report.scope.group
    series: list[Series] = []
    if report.is_department:
        organization = report.results.organization
        series.append(focus_series(report.text(scope.label), values_of(scope), scope.n))
        series.append(
            reference_series(_("Whole organisation"), values_of(organization), organization.n)
        )
    else:
        series.append(report.organization_series(values_of(scope)))
    series += report.role_series(report.role_groups(), values_of)
    target = target_series(tuple(d.target for d in dimensions))
    if target is not None:
        series.append(target)
    if all(value is None for value in series[0].values):
        return None
    if kind == "capability" and len(dimensions) >= 3:
        return charts.svg_data_uri(charts.radar_chart(titles, series, report.scale))
    stage = _bottleneck_stage(report) if kind == "stage" else None
    highlight = ids.index(stage) if stage in ids else None
    svg = charts.bar_chart(
        titles, series, report.scale, highlight=highlight, highlight_label=_("Bottleneck")
    )
    return charts.svg_data_uri(svg)


def group_scores(
    groups: Sequence[GroupResult],
    dimension_id: str,
    label_of: Callable[[GroupResult], str],
    color_of: Callable[[GroupResult], str | None],
    reference: float | None = None,
) -> tuple[list[GroupScore], list[str]]:
    """The shown groups' scores on a dimension, and the names of the withheld ones."""
    shown: list[GroupScore] = []
    hidden: list[str] = []
    for group in groups:
        cell = group.scores.get(dimension_id)
        if group.status == SUPPRESSED or (cell is not None and cell.status == SUPPRESSED):
            hidden.append(label_of(group))
            continue
        if not group.shown or cell is None or not cell.shown:
            continue
        shown.append(
            GroupScore(
                key=str(group.key),
                label=label_of(group),
                n=cell.n or 0,
                mean=cell.mean,
                sd=cell.sd,
                level=cell.level,
                agreement=cell.agreement,
                difference=None
                if reference is None or cell.mean is None
                else cell.mean - reference,
                color=color_of(group),
            )
        )
    return shown, hidden


def dimension_view(
    report: ReportContext, dimension: DimensionResult, number: str, distribution: bool = True
) -> DimensionView:
    """A dimension's page: its score, by role (and by department), statements, next steps."""
    cell = report.scope.group.scores.get(dimension.id)
    level = report.level(cell)
    organization_cell = report.results.organization.scores.get(dimension.id)
    reference = None
    if report.is_department and organization_cell is not None and organization_cell.shown:
        reference = organization_cell.mean
    roles, hidden_roles = group_scores(
        report.scope_roles(),
        dimension.id,
        lambda g: report.role_label(g.key["role"]),
        lambda g: report.role_color(g.key["role"]),
    )
    departments: list[GroupScore] = []
    hidden_departments: list[str] = []
    if not report.is_department:
        org_mean = organization_cell.mean if organization_cell is not None else None
        departments, hidden_departments = group_scores(
            report.results.by_department,
            dimension.id,
            lambda g: report.text(g.label),
            lambda g: None,
            reference=org_mean,
        )
    items = item_rows(report, dimension, number)
    shown = cell is not None and cell.shown
    # The catalogue's actions are for the organisation's level: a department's level
    # differs, and its own actions are those of its key messages.
    recommendation = None if report.is_department else dimension.recommendation
    return DimensionView(
        id=dimension.id,
        kind=dimension.kind,
        number=number,
        anchor=f"dim-{dimension.id}",
        title=report.text(dimension.title),
        description=report.text(dimension.description) if dimension.description else None,
        score=level,
        sd=cell.sd if shown else None,
        ci_low=cell.ci_low if shown else None,
        ci_high=cell.ci_high if shown else None,
        agreement=cell.agreement if shown else None,
        alpha=dimension.reliability.alpha,
        target=dimension.target,
        reference=reference,
        roles=tuple(roles),
        departments=tuple(departments),
        hidden_groups=tuple(hidden_roles + hidden_departments),
        items=items,
        distribution_chart=distribution_chart(report, items) if distribution else None,
        target_state=target_state(report, items),
        actions=() if recommendation is None else action_views(report, recommendation.actions),
        actions_level=None if recommendation is None else recommendation.level,
        sustain=recommendation is not None and recommendation.level >= report.scale.max,
    )


def _bottleneck_stage(report: ReportContext) -> str | None:
    """The stage the results call the cycle's bottleneck: it stands out below the others by a
    margin and a paired test. Computed for the organisation; a department's report names none."""
    if report.is_department:
        return None
    return report.results.bottleneck.stage


def _weakest(
    report: ReportContext, kind: str, views: Sequence[DimensionView]
) -> DimensionView | None:
    stage = _bottleneck_stage(report) if kind == "stage" else None
    return next((v for v in views if v.id == stage), None) if stage else None
