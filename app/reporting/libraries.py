"""The libraries a report is drawn, typeset and computed with, loaded on request.

They load on first use everywhere else (a command that renders nothing never imports them).
A process that will render for certain loads them at once: the fork server report renders
start from (:mod:`app.reporting.preload`), and a batch whose workers start as copies of its own
process (:func:`app.reporting.jobs.run_batch`), so that no worker imports them again.
"""

from __future__ import annotations

from app.platform.lazy import lazy_module, load
from app.presentation import charts, fonts
from app.reporting import linebreaks, rendering

#: What the results computation reaches through its own stand-ins.
numpy = lazy_module("numpy")
scipy_special = lazy_module("scipy.special")


def load_report_libraries() -> None:
    """Import matplotlib, WeasyPrint, the line breaker, numpy and scipy now."""
    load(
        fonts.matplotlib,
        fonts.font_manager,
        charts.mpl_figure,
        charts.mpl_collections,
        charts.mpl_patches,
        charts.mpl_path,
        charts.mpl_transforms,
        rendering.weasyprint,
        rendering.weasyprint_fonts,
        linebreaks.line_break,
        numpy,
        scipy_special,
    )
