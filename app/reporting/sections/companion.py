"""The companion campaign's chapters: the kinds this campaign does not ask about.

They are built by a context of their own over the companion's results object (its anonymity
threshold already applied), for the same scope: the whole organisation, or the same
department when the companion shows it. Chapter numbers continue this report's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from flask_babel import gettext as _

from app.reporting.errors import ReportUnavailableError
from app.reporting.sections import kinds as kind_sections
from app.reporting.sections.base import SUPPRESSED, ReportContext
from app.reporting.viewmodel import CompanionInfo, KindSection, TocEntry


def build(report: ReportContext) -> list[KindSection]:
    """The companion's chapters (overview table, chart, bottleneck; no dimension pages)."""
    if report.companion is None:
        return []
    results, campaign = report.companion
    kinds = [kind for kind in results.kinds if kind not in report.results.kinds]
    if not kinds or results.organization_id != report.results.organization_id:
        return []
    try:
        other = ReportContext(
            results, campaign, report.locale, report.department, numbering=report.numbering
        )
    except ReportUnavailableError:
        # The companion does not show this scope (too few responses): nothing of it here.
        return []
    info = CompanionInfo(
        campaign=other.campaign_name,
        questionnaire=other.text(results.questionnaire.title),
        n=other.scope.group.n or 0,
        threshold=results.anonymity_threshold,
        hidden=tuple(
            other.role_label(g.key["role"], other.text(g.label))
            for g in other.scope_roles()
            if g.status == SUPPRESSED
        ),
    )
    sections = kind_sections.build(other, kinds, detail=False)
    return [replace(section, companion=info) for section in sections]


def toc_entry(section: KindSection) -> TocEntry:
    return kind_sections.toc_entry(section)


def findings(report: ReportContext) -> tuple[str, ...]:
    """The companion campaign's findings (its rules over its own shown figures)."""
    if report.companion is None or report.is_department:
        return ()
    results, _campaign = report.companion
    return tuple(results.text(f.text, report.locale) for f in results.findings)


def statistics(companion_sections: Sequence[KindSection]) -> tuple[str, ...]:
    """How the methods appendix explains the companion's chapters."""
    infos = {s.companion.campaign: s.companion for s in companion_sections if s.companion}
    return tuple(
        _(
            "Companion campaign %(campaign)s: its chapter is taken from its own results, "
            "with its own anonymity threshold (%(threshold)s); its groups below that "
            "threshold are not shown.",
            campaign=info.campaign,
            threshold=info.threshold,
        )
        for info in infos.values()
    )
