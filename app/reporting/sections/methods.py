"""The last chapter: who answered and what was withheld, with how to read the report (the
client's appendix) or how the figures were made (the technical note)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from app.models.organization import ENGLISH, lacks_english
from app.reporting.methodology import methodology_html, reading_guide_html
from app.reporting.sections import companion
from app.reporting.sections.base import ReportContext
from app.reporting.viewmodel import KindSection, Methods, SuppressedGroup, TocEntry


def build(report: ReportContext, companion_sections: Sequence[KindSection] = ()) -> Methods:
    """The appendix, the last chapter."""
    results = report.results
    counts = results.response_counts.total
    suppressed = []
    seen: set[tuple[str, str]] = set()
    breakdown_names = {
        "role": _("Role"),
        "department": _("Department"),
        "role_department": _("Role within department"),
        "organization": _("Organisation"),
    }
    for cell in results.suppressed_cells:
        if cell.level != "group":
            continue
        if report.is_department and (
            cell.breakdown != "role_department"
            or cell.key.get("department") != report.scope.department_id
        ):
            continue
        entry = (breakdown_names.get(cell.breakdown, cell.breakdown), report.text(cell.label))
        if entry not in seen:
            seen.add(entry)
            suppressed.append(SuppressedGroup(*entry))
    reliability = tuple(
        (report.text(d.title), d.reliability.alpha, d.reliability.n) for d in results.dimensions
    )
    info = results.questionnaire
    return Methods(
        number=report.next_number(),
        anchor="methods",
        invited=counts.invited,
        submitted=counts.submitted,
        response_rate=counts.response_rate,
        threshold=results.anonymity_threshold,
        suppressed=tuple(suppressed),
        questionnaire_id=info.id,
        questionnaire_version=info.version,
        questionnaire_hash=info.hash,
        statistics=(
            _(
                "Scores: the mean of respondents' dimension scores (each the weighted mean "
                "of the statements they answered, when at least half were answered)."
            ),
            _(
                "Spread and precision: standard deviation and %(level)s confidence "
                "interval (Student's t).",
                level="95%",
            ),
            _(
                "Maturity levels: a score shown as 2.50 up to 3.49 is level 3, and likewise "
                "for every level (level n covers n - 0.5 up to n + 0.5, read from the score "
                "as shown with two decimals)."
            ),
            _("Agreement within a group: r_wg(j); reliability of a dimension: Cronbach's alpha."),
            _(
                "Perception gaps: difference of means, Hedges' g and Welch's t-test with "
                "Holm's adjustment within each breakdown; notable from half a scale point."
            ),
            _(
                "Departments are compared with the rest of the organisation; a department "
                "includes its sub-departments."
            ),
            *companion.statistics(companion_sections),
        ),
        methodology=methodology_html(report.locale),
        reliability=reliability,
        questionnaire_title=report.text(info.title),
        guide=reading_guide_html(report.locale),
        untranslated=untranslated_names(report) if report.locale == ENGLISH else (),
    )


def untranslated_names(report: ReportContext) -> tuple[str, ...]:
    """The names the report shows as entered, for want of an English name: the
    organisation, the campaigns it names, and its departments (a department report's own)."""
    results = report.results
    names = list(results.names_without_english())
    if report.is_department:
        scope = report.department
        names = [name for name in names if name not in results.departments_without_english]
        if scope is not None and lacks_english(scope):
            names.append(scope.name)
    if report.companion is not None:
        other, _campaign = report.companion
        if not other.campaign_name_en:
            names.append(other.campaign_name)
    return tuple(dict.fromkeys(names))


def toc_entry(section: Methods) -> TocEntry:
    return TocEntry(section.anchor, section.number, _("Appendix: how to read this report"))
