"""The statements of a dimension page: their answers, their chart and what comes next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.presentation import charts
from app.reporting.sections.base import OK, ReportContext
from app.reporting.viewmodel import ItemRow, TargetState

if TYPE_CHECKING:
    from app.results.model import DimensionResult

#: Statements per dimension whose next level is spelled out as the state to aim for.
TARGET_STATE_ITEMS = 3


def item_rows(
    report: ReportContext, dimension: DimensionResult, number: str
) -> tuple[ItemRow, ...]:
    """The dimension's statements numbered ``<number>.1``, ``<number>.2``, ... for its scope."""
    rows = []
    for index, item_id in enumerate(dimension.items, start=1):
        item = report.questionnaire.item(item_id)
        cell = report.scope.group.distributions.get(item_id)
        shown = cell is not None and cell.status == OK and bool(cell.n)
        rows.append(
            ItemRow(
                id=item_id,
                number=f"{number}.{index}",
                text=report.questionnaire.text(item.text, report.locale),
                n=cell.n if shown else 0,
                mean=cell.mean if shown else None,
                proportions=cell.proportions if shown else None,
                reverse=item.reverse,
            )
        )
    return tuple(rows)


def distribution_chart(report: ReportContext, items: Sequence[ItemRow]) -> str | None:
    """Stacked bars of how each shown statement's answers spread over the scale."""
    rows = [
        charts.DistributionRow(
            _("%(number)s (reverse)", number=item.number) if item.reverse else item.number,
            item.proportions,
            item.n,
        )
        for item in items
        if item.proportions is not None
    ]
    if not rows:
        return None
    # Numbers only: the statements and percentages are in the table beside the chart.
    svg = charts.distribution_chart(rows, report.scale, show_values=False)
    return charts.svg_data_uri(svg)


def target_state(report: ReportContext, items: Sequence[ItemRow]) -> tuple[TargetState, ...]:
    """What the next level looks like for the least established statements: the state to
    aim for, shown apart from the actions that get there."""
    scored = sorted(
        (item for item in items if item.mean is not None), key=lambda i: (i.mean, i.number)
    )
    found = []
    for item in scored[:TARGET_STATE_ITEMS]:
        level = report.results.level_of(item.mean)
        if level is None or level >= report.scale.max:
            continue
        descriptor = report.questionnaire.item(item.id).level(
            level + 1, report.locale, report.questionnaire.default_locale
        )
        if descriptor:
            found.append(TargetState(item.text, level, level + 1, descriptor))
    return tuple(found)
