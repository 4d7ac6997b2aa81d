"""How customer outcomes are named and written, the same on the dashboard and in the report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.presentation.charts import ScatterPoint

if TYPE_CHECKING:
    from app.results.drivers import CampaignDrivers
    from app.results.outside_in import OutcomePoint

#: How each outcome is named on pages, tables and chart axes.
METRIC_LABELS = {
    "nps": _l("NPS"),
    "churn_rate": _l("Churn rate (%)"),
    "ltv": _l("LTV"),
    "csat": _l("CSAT (share satisfied, %)"),
}


#: The priority matrix's quadrants (``app.analysis.drivers``), as pages name them.
QUADRANT_LABELS = {
    "act_first": _l("Act first"),
    "keep": _l("Keep strong"),
    "watch": _l("Watch"),
    "later": _l("Later"),
}


def quadrant_label(quadrant: str) -> str:
    return str(QUADRANT_LABELS[quadrant])


def metric_label(metric: str) -> str:
    return str(METRIC_LABELS[metric])


def axis_scale(metric: str) -> float:
    """What a value is multiplied by on a chart axis (churn is drawn in percent)."""
    return 100.0 if metric == "churn_rate" else 1.0


def metric_value(metric: str, value: float) -> str:
    """An outcome as pages write it."""
    if metric == "nps":
        return f"{value:+.1f}"
    if metric == "churn_rate":
        return f"{value * 100:.1f}%"
    if metric == "ltv":
        return f"{value:,.0f}"
    return f"{value:.1f}%"


def metric_change(metric: str, value: float) -> str:
    """A change of an outcome as pages write it (churn in percentage points)."""
    if metric == "churn_rate":
        return _("%(points)s pt", points=f"{value * 100:+.1f}")
    if metric == "ltv":
        return f"{value:+,.0f}"
    return f"{value:+.1f}"


@dataclass(frozen=True)
class DriverView:
    """One dimension's line of the key-driver table, written for pages and the report."""

    rank: int
    dimension: str
    #: The dimension's share of what the dimensions explain (its weight over R²), in percent.
    share: float
    weight: str
    interval: str
    gap: str
    distance: str
    quadrant: str
    quadrant_label: str


def driver_views(found: CampaignDrivers, title: Callable[[str], str]) -> tuple[DriverView, ...]:
    """The pooled drivers in rank order with their place in the priority matrix (empty when
    none could be computed); ``title`` names a dimension by its id."""
    pooled = found.pooled
    if pooled is None or not pooled.r2:
        return ()
    matrix = {cell.dimension: cell for cell in found.matrix}
    views = []
    for driver in sorted(pooled.drivers, key=lambda d: d.rank):
        cell = matrix.get(driver.dimension)
        views.append(
            DriverView(
                rank=driver.rank,
                dimension=title(driver.dimension),
                share=100.0 * driver.weight / pooled.r2,
                weight=f"{driver.weight:.3f}",
                interval=f"{driver.ci95[0]:.3f}–{driver.ci95[1]:.3f}" if driver.ci95 else "–",
                gap=_signed(cell.gap if cell else None),
                distance=_signed(cell.distance if cell else None),
                quadrant=cell.quadrant if cell else "",
                quadrant_label=quadrant_label(cell.quadrant) if cell else "",
            )
        )
    return tuple(views)


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def scatter_points(
    points: Sequence[OutcomePoint], text: Callable[[Mapping[str, str]], str], scale: float
) -> tuple[ScatterPoint, ...]:
    """Departments as chart points: maturity across, the outcome (times ``scale``) up."""
    return tuple(ScatterPoint(text(p.label), p.maturity, p.outcome * scale) for p in points)
