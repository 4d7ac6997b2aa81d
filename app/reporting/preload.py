"""Imported by the fork server report renders and batch workers start from.

Each render runs in a child process (a time limit and a memory cap for a web download, a
worker of a batch). Forked from a server that has imported this module, a child starts with
the app, the report pipeline and the libraries it draws and typesets with already loaded,
instead of spending a second and a half importing them. Nothing here holds a connection, a
thread or a font configuration: those are made in each child.
"""

from __future__ import annotations

from app.reporting import jobs, service
from app.reporting.libraries import load_report_libraries

load_report_libraries()

__all__ = ["jobs", "service"]
