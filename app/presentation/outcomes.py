"""How customer outcomes are named and written, the same on the dashboard and in the report."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

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
