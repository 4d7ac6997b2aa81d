"""The outcomes page: the campaign's departments placed by maturity and a customer outcome,
and by their changes since the previous round. :mod:`app.results.outside_in` finds the
points; this module only names, formats and charts them."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.dashboard.charts import cached_chart
from app.dashboard.viewmodel import Builder, Chart, Table
from app.models import Campaign
from app.presentation import charts
from app.presentation.outcomes import (
    DriverView,
    axis_scale,
    driver_views,
    metric_change,
    metric_label,
    metric_value,
    scatter_points,
)
from app.results.drivers import campaign_drivers
from app.results.outside_in import METRICS, OutcomePoint, OutsideIn, outside_in


@dataclass(frozen=True)
class Row:
    department: str
    maturity: str
    outcome: str
    respondents: int


@dataclass(frozen=True)
class DriversBlock:
    """What moves the outcome item, and where to act first."""

    outcome: str
    n: int
    r2: float | None
    rows: tuple[DriverView, ...]
    #: Why no driver is given (``too_few_respondents``...), None when they are.
    reason: str | None
    #: Per role label: its respondents and its top driver.
    by_role: tuple[tuple[str, int, str], ...] = ()


@dataclass(frozen=True)
class OutcomesPage:
    view: OutsideIn
    metric_label: str
    metrics: tuple[tuple[str, str], ...]
    chart: Chart | None
    rows: tuple[Row, ...]
    change_chart: Chart | None
    change_rows: tuple[Row, ...]
    drivers: DriversBlock | None = None

    def table(self) -> Table:
        header = [_("Department"), _("Maturity score"), self.metric_label, _("Respondents")]
        rows = [[r.department, r.maturity, r.outcome, str(r.respondents)] for r in self.rows]
        if self.change_rows:
            header += [_("Change of maturity"), _("Change of %(metric)s", metric=self.metric_label)]
            changes = {r.department: r for r in self.change_rows}
            for row in rows:
                change = changes.get(row[0])
                row += [change.maturity, change.outcome] if change else ["", ""]
        return Table(header, rows)


def outcomes(
    builder: Builder, campaign: Campaign, metric: str = "nps", period: str | None = None
) -> OutcomesPage:
    """The page of ``campaign``'s departments by maturity and ``metric``.

    Raises ``KeyError`` for a metric the page does not offer.
    """
    if metric not in METRICS:
        raise KeyError(metric)
    view = outside_in(builder.results, campaign, metric, period)
    label = metric_label(metric)
    scale = axis_scale(metric)
    maturity_axis = _("Maturity score (%(period)s)", period=view.period or "")
    chart = _chart(builder, "outcomes", view.points, maturity_axis, label, scale, False)
    change_chart = None
    if view.changes:
        change_chart = _chart(
            builder,
            "outcome-changes",
            view.changes,
            _("Change of maturity score"),
            _("Change of %(metric)s", metric=label),
            scale,
            True,
        )
    return OutcomesPage(
        view=view,
        metric_label=label,
        metrics=tuple((key, metric_label(key)) for key in METRICS),
        chart=chart,
        rows=tuple(
            Row(
                builder.text(p.label),
                f"{p.maturity:.2f}",
                metric_value(metric, p.outcome),
                p.respondents,
            )
            for p in sorted(view.points, key=lambda p: -p.maturity)
        ),
        change_chart=change_chart,
        drivers=_drivers(builder, campaign),
        change_rows=tuple(
            Row(
                builder.text(p.label),
                f"{p.maturity:+.2f}",
                metric_change(metric, p.outcome),
                p.respondents,
            )
            for p in sorted(view.changes, key=lambda p: -p.maturity)
        ),
    )


def _chart(
    builder: Builder,
    name: str,
    points: tuple[OutcomePoint, ...],
    x_label: str,
    y_label: str,
    scale: float,
    zero_lines: bool,
) -> Chart | None:
    if not points:
        return None
    drawn = scatter_points(points, builder.text, scale)
    uri = cached_chart(
        builder.chart_key(name, drawn, x_label, y_label),
        lambda: charts.scatter_chart(
            drawn, x_label=x_label, y_label=y_label, zero_lines=zero_lines
        ),
    )
    alt = _("%(y)s against %(x)s, one point per department", y=y_label, x=x_label)
    return Chart(uri, alt)


def _drivers(builder: Builder, campaign: Campaign) -> DriversBlock | None:
    found = campaign_drivers(campaign, builder.results)
    if found.outcome is None:
        return None
    outcome = campaign.questionnaire.outcome(found.outcome)
    titles = {d.id: builder.text(d.title) for d in builder.results.dimensions}
    pooled = found.pooled
    rows = driver_views(found, lambda dimension: titles.get(dimension, dimension))
    by_role = tuple(
        (
            builder.role_label(role),
            drivers.n,
            titles.get(drivers.drivers[0].dimension, "") if drivers.drivers else "",
        )
        for role, drivers in found.by_role.items()
    )
    return DriversBlock(
        outcome=builder.text(outcome.text.to_dict()),
        n=found.n,
        r2=pooled.r2 if pooled is not None else None,
        rows=rows,
        reason=found.reason,
        by_role=by_role,
    )
