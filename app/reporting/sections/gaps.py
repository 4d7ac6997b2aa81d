"""The perception gaps chapter: between roles (within the department for a department
report), and between departments and the rest of the organisation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.presentation import charts
from app.presentation.gaps import gap_row
from app.presentation.item_gaps import item_gap_rows
from app.reporting.sections.base import ReportContext
from app.reporting.viewmodel import GapsSection, TocEntry

if TYPE_CHECKING:
    from app.results.model import GapResult

#: How many gaps the gap chart shows.
CHART_GAPS = 8


def _largest_first(gaps: Sequence[GapResult]) -> list[GapResult]:
    return sorted(gaps, key=lambda g: (-abs(g.difference), g.dimension))


def role_gaps(report: ReportContext) -> list[GapResult]:
    """The gaps between the scope's roles, largest first."""
    if not report.is_department:
        return _largest_first(report.results.gaps_of("role"))
    return _largest_first(
        [
            g
            for g in report.results.gaps_of("role_department")
            if g.a.get("department") == report.scope.department_id
        ]
    )


def build(report: ReportContext, role_gaps: Sequence[GapResult]) -> GapsSection | None:
    """The chapter, or None when there is no gap to show."""
    if report.is_department:
        department_gaps = [
            g
            for g in report.results.gaps_of("department")
            if g.a.get("department") == report.scope.department_id
        ]
    else:
        department_gaps = [g for g in report.results.gaps_of("department") if g.notable]
    item_rows = () if report.is_department else item_gap_rows(report, report.questionnaire)
    if not role_gaps and not department_gaps and not item_rows:
        return None
    rows = tuple(gap_row(report, g) for g in role_gaps)
    chart = None
    if role_gaps:
        bars = [
            charts.GapBar(
                f"{row.dimension}: {row.pair}", row.difference, row.notable, row.significant
            )
            for row in rows[:CHART_GAPS]
        ]
        chart = charts.svg_data_uri(
            charts.gap_chart(
                bars,
                left_caption=_("lower role rates higher"),
                right_caption=_("higher role rates higher"),
            )
        )
    department_rows = tuple(gap_row(report, g) for g in _largest_first(department_gaps))
    return GapsSection(
        number=report.next_number(),
        anchor="gaps",
        chart=chart,
        rows=rows,
        blind_spots=tuple(r for r in rows if r.direction == "blind_spot_at_the_top"),
        hidden_strengths=tuple(r for r in rows if r.direction == "hidden_strength_below"),
        department_rows=department_rows,
        item_rows=item_rows,
    )


def toc_entry(section: GapsSection) -> TocEntry:
    return TocEntry(section.anchor, section.number, _("Perception gaps"))
