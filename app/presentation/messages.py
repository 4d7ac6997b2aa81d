"""Key messages in words, read the same way by the dashboard and the reports.

Each message shows its headline, its detail, the figures it rests on (each with its group and
the number of respondents behind it) and, where one applies, what to do and who can do it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from app.presentation import formatting
from app.presentation.actions import ActionView, action_view
from app.presentation.views import ResultsView

if TYPE_CHECKING:
    from app.analysis.messages import Evidence
    from app.questionnaire import Questionnaire
    from app.results.model import Diagnosis


@dataclass(frozen=True)
class MessageView:
    number: int
    severity: str
    severity_label: str
    headline: str
    detail: str
    evidence: tuple[str, ...]
    #: What to do, by whom, by when and how progress shows (None without a recommendation).
    action: ActionView | None
    #: "What to do", "What the department can do" or "Raise with management".
    recommendation_label: str | None


def severity_label(severity: str) -> str:
    return {
        "high": _("High priority"),
        "medium": _("Medium priority"),
        "low": _("For reference"),
    }.get(severity, severity)


def group_label(view: ResultsView, key: Mapping[str, Any]) -> str:
    """The name of a group of the results: the organisation, a role, a department or both."""
    wanted = dict(key)
    if not wanted:
        return _("Whole organisation")
    for breakdown in ("role", "department", "role_department"):
        for group in view.results.groups(breakdown):
            if dict(group.key) == wanted:
                return view.text(group.label)
    if wanted.get("rest"):
        return _("Rest of the organisation")
    return ", ".join(str(value) for value in wanted.values())


def _subject(view: ResultsView, questionnaire: Questionnaire, entry: Evidence) -> str:
    if entry.item is not None:
        return questionnaire.text(questionnaire.item(entry.item).text, view.locale)
    if entry.dimension is not None:
        # A synthesis message also names a dimension of the companion campaign.
        for results in (view.results, view.results.companion):
            if results is not None and entry.dimension in {d.id for d in results.dimensions}:
                return view.text(results.dimension(entry.dimension).title)
        return entry.dimension
    return ""


def _figure(view: ResultsView, entry: Evidence) -> str:
    group = group_label(view, entry.group)
    if entry.measure == "dont_know_rate":
        return _(
            '%(group)s: %(rate)s answered "don\'t know" (n=%(n)s)',
            group=group,
            rate=formatting.percent(entry.value),
            n=entry.n,
        )
    if entry.change is not None:
        return _(
            "%(group)s %(value)s (%(change)s since the previous round; n=%(n)s)",
            group=group,
            value=formatting.score(entry.value),
            change=f"{entry.change:+.2f}",
            n=entry.n,
        )
    return _(
        "%(group)s %(value)s (n=%(n)s)", group=group, value=formatting.score(entry.value), n=entry.n
    )


def evidence_lines(
    view: ResultsView, questionnaire: Questionnaire, evidence: tuple[Evidence, ...]
) -> tuple[str, ...]:
    """One line per dimension or item, naming it once before its groups' figures."""
    lines: list[tuple[str, list[str]]] = []
    for entry in evidence:
        subject = _subject(view, questionnaire, entry)
        if lines and lines[-1][0] == subject:
            lines[-1][1].append(_figure(view, entry))
        else:
            lines.append((subject, [_figure(view, entry)]))
    return tuple(
        _("%(subject)s: %(figures)s", subject=subject, figures=" / ".join(figures))
        for subject, figures in lines
    )


def _recommendation_label(scope: str | None, department: bool) -> str | None:
    if scope is None:
        return None
    if department and scope == "organisation":
        return _("Raise with management")
    if scope == "department":
        return _("What the department can do")
    return _("What to do")


def message_views(
    view: ResultsView, questionnaire: Questionnaire, diagnosis: Diagnosis | None
) -> tuple[MessageView, ...]:
    """The key messages of a diagnosis in ``view``'s language, numbered from 1 (none for a
    scope without a diagnosis)."""
    if diagnosis is None:
        return ()
    department = diagnosis.scope == "department"
    found = []
    for number, message in enumerate(diagnosis.key_messages, start=1):
        action = message.recommendation
        found.append(
            MessageView(
                number=number,
                severity=message.severity,
                severity_label=severity_label(message.severity),
                headline=view.text(message.headline),
                detail=view.text(message.detail),
                evidence=evidence_lines(view, questionnaire, message.evidence),
                action=None if action is None else action_view(view, action),
                recommendation_label=_recommendation_label(
                    None if action is None else action.scope, department
                ),
            )
        )
    return tuple(found)
