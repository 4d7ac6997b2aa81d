"""The chapter "maturity and customer outcomes" (organisation report): the departments by
maturity and their customers' figures, as :mod:`app.results.outside_in` places them.

The chapter reads the first outcome the departments have (NPS, then churn, LTV, CSAT) and is
absent without one. With fewer departments than the correlation needs it describes them and
says that no relation is claimed.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.presentation import charts
from app.presentation.outcomes import (
    axis_scale,
    driver_views,
    metric_change,
    metric_label,
    metric_value,
    scatter_points,
)
from app.reporting.sections.base import ReportContext
from app.reporting.viewmodel import (
    OutcomeDrivers,
    OutcomeRow,
    OutcomesSection,
    TocEntry,
)
from app.results.drivers import campaign_drivers
from app.results.outside_in import METRICS, OutcomePoint, OutsideIn, outside_in


def build(report: ReportContext) -> OutcomesSection | None:
    """The chapter, or None in a department report or with neither outcomes to place nor
    an outcome item to find the drivers of."""
    if report.is_department:
        return None
    view = _first_placed(report)
    drivers = _drivers(report)
    if view is None and drivers is None:
        return None
    if view is None:
        return OutcomesSection(
            number=report.next_number(),
            anchor="outcomes",
            metric=None,
            metric_label="",
            period="",
            previous_period=None,
            descriptive=True,
            minimum=0,
            correlation=None,
            chart=None,
            rows=(),
            drivers=drivers,
        )
    label = metric_label(view.metric)
    scale = axis_scale(view.metric)
    maturity_axis = _("Maturity score (%(period)s)", period=view.period or "")
    return OutcomesSection(
        number=report.next_number(),
        anchor="outcomes",
        metric=view.metric,
        metric_label=label,
        period=view.period or "",
        previous_period=view.previous_period,
        descriptive=view.descriptive,
        minimum=view.minimum,
        correlation=view.correlation,
        chart=_chart(report, view.points, maturity_axis, label, scale, zero_lines=False),
        rows=tuple(
            OutcomeRow(
                report.text(p.label), f"{p.maturity:.2f}", metric_value(view.metric, p.outcome)
            )
            for p in sorted(view.points, key=lambda p: -p.maturity)
        ),
        change_chart=_chart(
            report,
            view.changes,
            _("Change of maturity score"),
            _("Change of %(metric)s", metric=label),
            scale,
            zero_lines=True,
        ),
        change_rows=tuple(
            OutcomeRow(
                report.text(p.label), f"{p.maturity:+.2f}", metric_change(view.metric, p.outcome)
            )
            for p in sorted(view.changes, key=lambda p: -p.maturity)
        ),
        drivers=drivers,
    )


def _drivers(report: ReportContext) -> OutcomeDrivers | None:
    found = campaign_drivers(report.campaign, report.results)
    if found.outcome is None:
        return None
    outcome = report.questionnaire.outcome(found.outcome)
    pooled = found.pooled
    lines = driver_views(found, report.dimension_title)
    if not lines:
        # Without drivers to name (too few respondents) the report says nothing of them:
        # the dashboard says why.
        return None
    return OutcomeDrivers(
        outcome=report.text(outcome.text.to_dict()),
        n=found.n,
        r2=pooled.r2 if pooled is not None else None,
        lines=lines,
        reason=found.reason,
    )


def _first_placed(report: ReportContext) -> OutsideIn | None:
    for metric in METRICS:
        view = outside_in(report.results, report.campaign, metric)
        if view.points:
            return view
    return None


def _chart(
    report: ReportContext,
    points: tuple[OutcomePoint, ...],
    x_label: str,
    y_label: str,
    scale: float,
    *,
    zero_lines: bool,
) -> str | None:
    if not points:
        return None
    drawn = scatter_points(points, report.text, scale)
    return charts.svg_data_uri(
        charts.scatter_chart(drawn, x_label=x_label, y_label=y_label, zero_lines=zero_lines)
    )


def toc_entry(section: OutcomesSection) -> TocEntry:
    return TocEntry(section.anchor, section.number, _("Maturity and customer outcomes"))
