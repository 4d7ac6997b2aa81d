"""The executive summary (chapter 01), two pages: the headline figures and the storyline (the
key messages as action titles), then the maturity profile and the three priorities, each
with its owner function, horizon and measure of progress.

The priorities are the key messages' actions in their order of importance, completed from
the next-level actions of the weakest dimensions; the three are shown in sequence (by
horizon). The most and least established practices go with the first chapter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.presentation import actions, formatting
from app.presentation.actions import PlanStep, WeakDimension
from app.presentation.messages import message_views
from app.reporting.sections import companion
from app.reporting.sections.base import ReportContext
from app.reporting.viewmodel import (
    Card,
    Cover,
    DimensionView,
    Highlight,
    ItemRow,
    KindSection,
    Summary,
    TocEntry,
)
from app.results import report_catalogues

if TYPE_CHECKING:
    from app.analysis.actions import Action
    from app.results.model import Diagnosis

#: How many strengths and priorities the summary names.
HIGHLIGHTS = 3


def build(
    report: ReportContext,
    cover: Cover,
    sections: Sequence[KindSection],
    companion_sections: Sequence[KindSection] = (),
) -> Summary:
    """The summary of this campaign's chapters (and the companion's overall levels)."""
    overall = tuple((section.title, section.overall) for section in sections)
    companion_overall = tuple(
        (
            section.title,
            section.overall,
            _("Companion campaign"),
        )
        for section in companion_sections
        if section.companion is not None
    )
    strengths, weakest = highlights(report, sections)
    findings: tuple[str, ...] = ()
    results = report.results
    if report.is_department:
        diagnosis = results.department_diagnoses.get(report.scope.department_id)
    else:
        diagnosis = results.diagnosis
        findings = companion.findings(report)
    chart = sections[0].chart if sections else None
    caption = (
        _("Scores of the whole organisation and of each role")
        if not report.is_department
        else _("The department against the whole organisation, and its roles")
    )
    priorities, further = plan(report, diagnosis, sections)
    progress = None
    if not report.is_department:
        progress = progress_card(report.results.targets.progress)
    return Summary(
        overall=overall,
        cards=cards(cover),
        chart=chart,
        chart_caption=caption,
        strengths=tuple(strengths),
        weakest=tuple(weakest),
        findings=findings,
        progress_to_target=progress,
        messages=message_views(report, report.questionnaire, diagnosis),
        companion_overall=companion_overall,
        priorities=priorities,
        further_actions=further,
    )


def progress_card(progress: float | None) -> Card | None:
    """Progress from the previous round towards the targets; none without a previous round.

    Shown between 0% and 100%: below the baseline it says so rather than giving a negative
    share, and past the target it says the target is reached.
    """
    if progress is None:
        return None
    label = _("Progress to target since the previous round")
    if progress < 0:
        return Card(
            label, _("Below the baseline"), _("Scores are lower than in the previous round")
        )
    if progress >= 1:
        return Card(label, formatting.percent(1.0), _("Targets reached"))
    return Card(label, formatting.percent(progress), _("From the previous round's scores"))


def toc_entry() -> TocEntry:
    return TocEntry("summary", "01", _("Executive summary"))


def cards(cover: Cover) -> tuple[Card, ...]:
    """The headline figure beside the levels: the response rate (the radar and the storyline
    name the strongest and weakest dimensions)."""
    return (
        Card(
            _("Response rate"),
            formatting.percent(cover.response_rate),
            _(
                "%(submitted)s of %(invited)s invited",
                submitted=cover.submitted,
                invited=cover.invited,
            ),
        ),
    )


def highlights(
    report: ReportContext, sections: Sequence[KindSection]
) -> tuple[list[Highlight], list[Highlight]]:
    """The most and least established practices (statements) of the report's scope."""
    ranked: list[tuple[float, ItemRow, DimensionView]] = []
    for section in sections:
        for view in section.dimensions:
            for item in view.items:
                if item.mean is not None:
                    ranked.append((item.mean, item, view))
    ranked.sort(key=lambda entry: (-entry[0], entry[1].number))
    top = ranked[:HIGHLIGHTS]
    bottom = sorted(ranked[-HIGHLIGHTS:], key=lambda entry: (entry[0], entry[1].number))
    bottom = [entry for entry in bottom if entry not in top]
    scale = report.scale
    questionnaire = report.questionnaire

    def highlight(entry: tuple[float, ItemRow, DimensionView], step: int) -> Highlight:
        mean, item, view = entry
        level = report.results.level_of(mean)
        descriptor = None
        if level is not None and scale.min <= level + step <= scale.max:
            descriptor = questionnaire.item(item.id).level(
                level + step, report.locale, questionnaire.default_locale
            )
        return Highlight(item.text, mean, f"{item.number} {view.title}", descriptor)

    return [highlight(e, 0) for e in top], [highlight(e, 1) for e in bottom]


def _level_actions(report: ReportContext) -> Callable[[WeakDimension], Sequence[Action]]:
    """The next-level actions of a dimension at the scope's level, for the scope to take.

    The organisation reads the results' recommendation; a department, the catalogue's
    actions for the department's own level that a department can take by itself.
    """
    catalogue = report_catalogues().recommendations

    def for_dimension(dimension: WeakDimension) -> Sequence[Action]:
        if not report.is_department:
            recommendation = report.results.dimension(dimension.id).recommendation
            return () if recommendation is None else recommendation.actions
        if catalogue is None:
            return ()
        found = catalogue.for_level(dimension.id, dimension.level)
        return tuple(action for action in found if action.scope == "department")

    return for_dimension


def plan(
    report: ReportContext, diagnosis: Diagnosis | None, sections: Sequence[KindSection]
) -> tuple[tuple[PlanStep, ...], tuple[PlanStep, ...]]:
    """The scope's three priorities and further actions (see :func:`actions.plan`)."""
    scored = sorted(
        (v for section in sections for v in section.dimensions if v.score.level is not None),
        key=lambda v: (v.score.mean, v.number),
    )
    weakest = [WeakDimension(v.id, v.title, v.score.level) for v in scored]
    return actions.plan(report, diagnosis, weakest, _level_actions(report))
