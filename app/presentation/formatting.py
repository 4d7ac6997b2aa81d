"""How numbers and dates are printed in reports (rounding happens here and nowhere else)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import flask_babel

MISSING = "–"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def score(value: float | None, digits: int = 2) -> str:
    """A score or mean: ``3.45``."""
    return MISSING if _missing(value) else f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 2) -> str:
    """A difference with its sign: ``+0.45`` / ``−0.45`` (a real minus sign)."""
    if _missing(value):
        return MISSING
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0:
        return f"±{text}"
    return ("+" if value > 0 else "−") + text


def percent(value: float | None, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage: ``76%``."""
    return MISSING if _missing(value) else f"{value * 100:.{digits}f}%"


def p_value(value: float | None) -> str:
    """A p-value: three decimals, or ``<0.001``."""
    if _missing(value):
        return MISSING
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def count(value: int | None) -> str:
    """A whole number with thousands separators."""
    return MISSING if value is None else f"{value:,}"


def long_date(value: date | datetime | None) -> str:
    """A date in the report's language (``2026年4月1日`` / ``1 April 2026``)."""
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        return flask_babel.format_date(flask_babel.to_user_timezone(value).date(), "long")
    return flask_babel.format_date(value, "long")


FILTERS: dict[str, Callable[..., str]] = {
    "score": score,
    "signed": signed,
    "percent": percent,
    "p_value": p_value,
    "count": count,
    "long_date": long_date,
}
