"""Why a report cannot be produced."""

from __future__ import annotations


class ReportUnavailableError(Exception):
    """The report cannot be produced (a group too small to show, a campaign without data)."""
