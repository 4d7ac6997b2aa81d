"""The department comparison chapter (organisation report only): a heatmap of each
department's difference from the organisation, a table and a small radar per department."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.presentation import charts
from app.presentation.charts import Series
from app.presentation.views import mean_of
from app.reporting.sections.base import OK, SUPPRESSED, ReportContext
from app.reporting.viewmodel import DepartmentCell, DepartmentsSection, GroupScore, TocEntry

if TYPE_CHECKING:
    from app.results.model import DimensionResult, GroupResult


def indent(label: str, depth: int) -> str:
    """A department's name indented under its parent."""
    return ("　" * depth + "└ " + label) if depth else label


def department_cells(
    group: GroupResult, dimensions: Sequence[DimensionResult]
) -> tuple[DepartmentCell, ...]:
    """A shown group's score per dimension, withheld cells marked (they are not "no data")."""
    cells = []
    for dimension in dimensions:
        cell = group.scores.get(dimension.id)
        withheld = cell is not None and cell.status == SUPPRESSED
        cells.append(DepartmentCell(mean_of(group, dimension.id), suppressed=withheld))
    return tuple(cells)


def build(report: ReportContext) -> DepartmentsSection | None:
    """The chapter, or None in a department report or without departments."""
    if report.is_department:
        return None
    groups = [g for g in report.results.by_department if g.status in (OK, SUPPRESSED)]
    if not groups:
        return None
    dimensions = report.results.dimensions
    organization = report.results.organization
    org_means = [mean_of(organization, d.id) for d in dimensions]
    heat_rows = []
    for group in groups:
        label = indent(report.text(group.label), group.depth)
        if not group.shown:
            heat_rows.append(charts.HeatmapRow(label, suppressed=True))
            continue
        values = []
        for dimension, org_mean in zip(dimensions, org_means, strict=True):
            mean = mean_of(group, dimension.id)
            values.append(None if mean is None or org_mean is None else mean - org_mean)
        withheld = frozenset(
            column
            for column, cell in enumerate(department_cells(group, dimensions))
            if cell.suppressed
        )
        heat_rows.append(charts.HeatmapRow(label, tuple(values), withheld=withheld))
    titles = [report.text(d.title) for d in dimensions]
    heatmap = charts.svg_data_uri(
        charts.heatmap(heat_rows, titles, suppressed_label=_("suppressed"))
    )
    kind = report.results.kinds[0]
    rows = []
    overall = organization.overall.get(kind)
    rows.append(
        (
            GroupScore(
                "organization",
                _("Whole organisation"),
                organization.n or 0,
                overall.mean if overall is not None and overall.shown else None,
            ),
            department_cells(organization, dimensions),
        )
    )
    panels = []
    for group in report.shown_departments():
        cell = group.overall.get(kind)
        label = indent(report.text(group.label), group.depth)
        rows.append(
            (
                GroupScore(
                    str(group.key),
                    label,
                    group.n or 0,
                    cell.mean if cell is not None and cell.shown else None,
                ),
                department_cells(group, dimensions),
            )
        )
        panels.append(
            charts.Panel(
                f"{report.text(group.label)} (n={group.n})",
                (
                    Series(
                        report.text(group.label),
                        tuple(mean_of(group, d.id) for d in dimensions),
                        charts.OKABE_ITO[1],
                    ),
                    Series(
                        _("Whole organisation"),
                        tuple(org_means),
                        charts.PREVIOUS_COLOR,
                        linestyle="dashed",
                        linewidth=1.0,
                    ),
                ),
            )
        )
    small: tuple[str, ...] = ()
    if panels and len(dimensions) >= 3:
        # A few panels per figure, one figure a page: eight radars on one page print too small.
        per = charts.MULTIPLES_PER_FIGURE
        small = tuple(
            charts.svg_data_uri(
                charts.radar_small_multiples(titles, panels[i : i + per], report.scale)
            )
            for i in range(0, len(panels), per)
        )
    return DepartmentsSection(
        number=report.next_number(),
        anchor="departments",
        heatmap=heatmap,
        small_multiples=small,
        dimensions=tuple(titles),
        rows=tuple(rows),
        hidden=tuple(report.hidden_departments()),
    )


def toc_entry(section: DepartmentsSection) -> TocEntry:
    return TocEntry(section.anchor, section.number, _("Department comparison"))
