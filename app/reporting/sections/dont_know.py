"""The chapter of the statements roles often could not judge: each role's "don't know" rate,
where some role's rate is notable. A high front-line rate is a finding of its own: the
practice is not visible from where customers are served (a visibility gap)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.presentation.dont_know import dont_know_rows
from app.reporting.sections.base import ReportContext
from app.reporting.viewmodel import DontKnowSection, TocEntry


def build(report: ReportContext) -> DontKnowSection | None:
    """The chapter, for the organisation report when some shown role's rate is notable."""
    if report.is_department:
        return None
    groups = report.role_groups()
    rows = dont_know_rows(report, report.questionnaire, groups)
    if not rows:
        return None
    return DontKnowSection(
        number=report.next_number(),
        anchor="dont-know",
        roles=tuple(report.text(group.label) for group in groups),
        rows=rows,
    )


def title() -> str:
    return _("Statements roles often could not judge")


def toc_entry(section: DontKnowSection) -> TocEntry:
    return TocEntry(section.anchor, section.number, title())
