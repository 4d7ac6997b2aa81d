"""The names of an organisation's industry and size band, as the settings and the benchmark
show them."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

#: The name of every key of :data:`app.models.INDUSTRIES`, in that order.
INDUSTRY_LABELS: dict[str, Any] = {
    "banking": _l("Banking"),
    "insurance": _l("Insurance"),
    "securities": _l("Securities"),
    "retail": _l("Retail"),
    "manufacturing": _l("Manufacturing"),
    "telecom": _l("Telecommunications"),
    "it_services": _l("IT services"),
    "healthcare": _l("Healthcare"),
    "public": _l("Public sector"),
    "other": _l("Other"),
}
#: The name of every band of :data:`app.models.SIZE_BANDS`, in that order.
SIZE_BAND_LABELS: dict[str, Any] = {
    "1-99": _l("1-99 employees"),
    "100-999": _l("100-999 employees"),
    "1000-4999": _l("1,000-4,999 employees"),
    "5000+": _l("5,000 employees or more"),
}


def industry_label(key: str | None) -> str:
    """The industry's name in the current language ("" for none, the key when unknown)."""
    return "" if key is None else str(INDUSTRY_LABELS.get(key, key))


def size_band_label(band: str | None) -> str:
    """The size band's name in the current language ("" for none, the band when unknown)."""
    return "" if band is None else str(SIZE_BAND_LABELS.get(band, band))
