"""The trend chapter: what changed since the previous round, as the results engine tested it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.presentation import charts
from app.presentation.charts import Series
from app.presentation.trends import trend_row
from app.reporting.sections.base import ReportContext
from app.reporting.viewmodel import TocEntry, TrendSection

if TYPE_CHECKING:
    from app.results.model import TrendResult


def build(report: ReportContext) -> TrendSection | None:
    """The chapter, or None without a previous round (or without a change to show)."""
    results = report.results
    previous = results.previous
    if previous is None:
        return None
    if report.is_department:
        trends = [
            t
            for t in results.trends
            if t.breakdown == "department" and t.key.get("department") == report.scope.department_id
        ]
    else:
        # Every dimension for the whole organisation; roles only where they moved notably,
        # so the table stays about what changed.
        trends = [
            t
            for t in results.trends
            if t.breakdown == "organization" or (t.breakdown == "role" and t.notable)
        ]
    not_comparable = tuple(
        report.dimension_title(c.dimension) for c in results.trend_comparability if not c.comparable
    )
    if not trends and not not_comparable:
        return None
    order = {d.id: i for i, d in enumerate(results.dimensions)}
    breakdown_order = {"organization": 0, "role": 1, "department": 2}
    trends.sort(
        key=lambda t: (
            breakdown_order.get(t.breakdown, 9),
            order[t.dimension],
            report.role_ranks.get(t.key.get("role"), 0),
        )
    )
    rows = tuple(trend_row(report, t) for t in trends)
    return TrendSection(
        number=report.next_number(),
        anchor="trend",
        previous_campaign=previous.campaign_title(report.locale),
        chart=_chart(report, trends),
        rows=rows,
        not_comparable=not_comparable,
        recomputed=any(c.recomputed for c in results.trend_comparability),
    )


def _chart(report: ReportContext, trends: Sequence[TrendResult]) -> str | None:
    """The scope's scores now and in the previous round on one radar (three dimensions up)."""
    top = "department" if report.is_department else "organization"
    by_dimension = {t.dimension: t for t in trends if t.breakdown == top}
    dimensions = [d for d in report.results.dimensions if d.id in by_dimension]
    if len(dimensions) < 3:
        return None
    titles = [report.text(d.title) for d in dimensions]
    current = tuple(by_dimension[d.id].current_mean for d in dimensions)
    before = tuple(by_dimension[d.id].previous_mean for d in dimensions)
    first = by_dimension[dimensions[0].id]
    series = [
        Series(
            report.campaign_name,
            current,
            charts.ORGANIZATION_COLOR,
            n=first.n_current,
            fill=True,
            linewidth=2.4,
        ),
        Series(
            report.results.previous.campaign_title(report.locale),
            before,
            charts.PREVIOUS_COLOR,
            n=first.n_previous,
            linestyle="dashed",
            linewidth=1.6,
        ),
    ]
    return charts.svg_data_uri(charts.radar_chart(titles, series, report.scale, label_width=14))


def toc_entry(section: TrendSection) -> TocEntry:
    return TocEntry(section.anchor, section.number, _("Trend since the previous round"))
