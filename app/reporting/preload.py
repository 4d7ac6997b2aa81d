"""Imported by the fork server report renders and batch workers start from.

Each render runs in a child process (a time limit and a memory cap for a web download, a
worker of a batch). Forked from a server that has imported this module, a child starts with
the app, the report pipeline and the libraries it draws and typesets with already loaded,
instead of spending a second and a half importing them. Nothing here holds a connection, a
thread or a font configuration: those are made in each child.
"""

from __future__ import annotations

from app.platform.lazy import lazy_module, load
from app.presentation import charts, fonts
from app.reporting import jobs, linebreaks, rendering, service

#: What the results computation reaches through its own stand-ins.
numpy = lazy_module("numpy")
scipy_special = lazy_module("scipy.special")

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

__all__ = ["jobs", "service"]
