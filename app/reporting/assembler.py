"""The organisation and department reports' view, assembled from their sections.

Every number comes from :class:`~app.results.model.CampaignResults`; the sections
(:mod:`app.reporting.sections`) only pick, order, word and chart them. Groups and cells that
the anonymity rules withhold are never given a number: they are either left out or listed
by name as "not shown".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.presentation.profile import FactRow
from app.reporting.sections import companion as companion_chapters
from app.reporting.sections import (
    cover,
    departments,
    dont_know,
    gaps,
    kinds,
    methods,
    outcomes,
    slots,
    summary,
    trend,
)
from app.reporting.sections import profile as profile_chapter
from app.reporting.sections.base import ReportContext
from app.reporting.viewmodel import ReportView, TocEntry
from app.results.drivers import ACT_FIRST

if TYPE_CHECKING:
    from app.models import Campaign, Department
    from app.results.model import CampaignResults


def build_report_view(
    results: CampaignResults,
    campaign: Campaign,
    *,
    locale: str,
    department: Department | None = None,
    companion: tuple[CampaignResults, Campaign] | None = None,
    profile: Sequence[FactRow] = (),
) -> ReportView:
    """What the organisation report (or ``department``'s report) shows, in ``locale``.

    ``companion`` is the companion campaign's results object and campaign: its sections of
    the kind this campaign does not ask about are added after this campaign's own. ``profile``
    is the organisation profile's recorded facts, shown as a chapter of their own. Raises
    :class:`~app.reporting.errors.ReportUnavailableError` when the report's group is not shown.
    """
    report = ReportContext(results, campaign, locale, department, companion=companion)
    # Chapters are numbered in the order they are built here.
    kind_sections = kinds.build(report)
    companion_sections = companion_chapters.build(report)
    profile_section = profile_chapter.build(report, profile)
    role_gaps = gaps.role_gaps(report)
    gaps_section = gaps.build(report, role_gaps)
    dont_know_section = dont_know.build(report)
    voice_section = slots.build(report, slots.LEADERS_VOICE)
    departments_section = departments.build(report)
    outcomes_section = outcomes.build(report)
    trend_section = trend.build(report)
    plan_section = slots.build(report, slots.ACTION_PLAN)
    cover_page = cover.build(report)
    summary_section = summary.build(report, cover_page, kind_sections, companion_sections)
    if outcomes_section is not None and outcomes_section.drivers is not None:
        act_first = tuple(
            line.dimension for line in outcomes_section.drivers.lines if line.quadrant == ACT_FIRST
        )
        summary_section = replace(
            summary_section, act_first=act_first, act_first_chapter=outcomes_section.number
        )
    methods_section = methods.build(report, companion_sections)
    toc: list[TocEntry] = [summary.toc_entry()]
    toc += [kinds.toc_entry(section) for section in kind_sections]
    toc += [companion_chapters.toc_entry(section) for section in companion_sections]
    if profile_section:
        toc.append(profile_chapter.toc_entry(profile_section))
    if gaps_section:
        toc.append(gaps.toc_entry(gaps_section))
    if dont_know_section:
        toc.append(dont_know.toc_entry(dont_know_section))
    if voice_section:
        toc.append(slots.toc_entry(voice_section))
    if departments_section:
        toc.append(departments.toc_entry(departments_section))
    if outcomes_section:
        toc.append(outcomes.toc_entry(outcomes_section))
    if trend_section:
        toc.append(trend.toc_entry(trend_section))
    if plan_section:
        toc.append(slots.toc_entry(plan_section))
    toc.append(methods.toc_entry(methods_section))
    return ReportView(
        kind="department" if report.is_department else "organization",
        locale=locale,
        title=_title(cover_page.scope, cover_page.organization),
        cover=cover_page,
        summary=summary_section,
        sections=tuple(kind_sections),
        gaps=gaps_section,
        departments=departments_section,
        trend=trend_section,
        methods=methods_section,
        toc=tuple(toc),
        scale_labels=report.scale.labels,
        companion_sections=tuple(companion_sections),
        profile=profile_section,
        dont_know=dont_know_section,
        voice=voice_section,
        action_plan=plan_section,
        outcomes=outcomes_section,
    )


def _title(scope: str | None, organization: str) -> str:
    if scope:
        return _("CX maturity diagnostic report: %(scope)s", scope=scope)
    return _("CX maturity diagnostic report: %(organization)s", organization=organization)
