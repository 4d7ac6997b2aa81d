"""The organisation profile chapter: facts beside the perception results.

The facts were recorded by the client's CX office or the consultant, not answered by
respondents: they are shown as recorded and take no part in scores, gaps or findings.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from app.presentation.profile import FactRow
from app.reporting.sections.base import ReportContext
from app.reporting.viewmodel import ProfileSection, TocEntry


def build(report: ReportContext, rows: Sequence[FactRow]) -> ProfileSection | None:
    """The chapter, for the organisation report when at least one fact is recorded."""
    if report.is_department or not rows:
        return None
    return ProfileSection(number=report.next_number(), anchor="profile", rows=tuple(rows))


def title() -> str:
    return _("Organisation profile (facts)")


def toc_entry(section: ProfileSection) -> TocEntry:
    return TocEntry(section.anchor, section.number, title())
