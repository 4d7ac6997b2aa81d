"""Agreed actions in words, the same in the dashboard, the exports and the reports, and the
proposals a consultant turns into actions in one click.

An action's progress (see :mod:`app.results.actions`) is shown as its dimension's mean when
the action was set, now, the change and the change's verdict; a withheld side shows as a
dash, never as a zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.analysis.actions import HORIZONS
from app.analysis.gaps import VERDICT_LABELS
from app.models.action import ACTION_STATUSES, TITLE_LENGTH
from app.presentation.actions import action_view
from app.queries.action_deadlines import local_today, months_later

if TYPE_CHECKING:
    from app.analysis.actions import Action as Recommended
    from app.presentation.views import ResultsView
    from app.results.actions import ActionProgress

#: Months from today to the end of a recommendation's horizon: a proposal's due date.
HORIZON_MONTHS = {"0-6": 6, "6-18": 18, "18-36": 36}


def status_label(status: str) -> str:
    """An action's status in the reader's language."""
    labels = {
        "planned": _("Planned"),
        "in_progress": _("Under way"),
        "done": _("Done"),
        "dropped": _("Dropped"),
    }
    return labels.get(status, status)


def status_choices() -> list[tuple[str, str]]:
    return [(status, status_label(status)) for status in ACTION_STATUSES]


@dataclass(frozen=True)
class AgreedActionView:
    """One action and its progress in the reader's language."""

    id: int
    title: str
    origin_text: str | None
    dimension: str
    department: str
    owner: str
    owner_email: str | None
    due: str
    status: str
    status_label: str
    notes: str
    overdue: bool
    #: Set in an earlier round (and carried into this one while open).
    carried: bool
    origin_campaign: str
    baseline: str
    current: str
    change: str
    verdict: str
    #: The change's sign: ``up``, ``down`` or ``""`` (no change to show).
    direction: str


def _number(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def agreed_action_views(
    view: ResultsView,
    listed: Iterable[ActionProgress],
    *,
    departments: Mapping[int, str],
    campaigns: Mapping[int, str],
) -> tuple[AgreedActionView, ...]:
    """``listed`` (a campaign's actions) in ``view``'s language; ``departments`` and
    ``campaigns`` name the ids the actions refer to."""
    rows = []
    for item in listed:
        action, progress = item.action, item.progress
        try:
            dimension = view.dimension_title(action.dimension)
        except KeyError:
            dimension = action.dimension
        verdict = VERDICT_LABELS.get(progress.verdict or "")
        change = progress.change
        rows.append(
            AgreedActionView(
                id=action.id,
                title=action.title,
                origin_text=action.origin_text,
                dimension=dimension,
                department=(
                    departments.get(action.department_id, "–")
                    if action.department_id is not None
                    else _("Whole organisation")
                ),
                owner=action.owner,
                owner_email=action.owner_email,
                due=action.due.isoformat() if action.due else "–",
                status=action.status,
                status_label=status_label(action.status),
                notes=action.notes or "",
                overdue=item.overdue,
                carried=action.campaign_id != view.results.campaign_id,
                origin_campaign=campaigns.get(action.campaign_id, str(action.campaign_id)),
                baseline=_number(progress.baseline),
                current=_number(progress.current),
                change=_number(change, signed=True),
                verdict=view.text(verdict) if verdict else "",
                direction="" if not change else ("up" if change > 0 else "down"),
            )
        )
    return tuple(rows)


def table(rows: Sequence[AgreedActionView]) -> tuple[list[str], list[list[str]]]:
    """The header and rows of an actions export (CSV and XLSX)."""
    header = [
        _("Action title"),
        _("In answer to"),
        _("Dimension"),
        _("Department"),
        _("Owner"),
        _("Owner's e-mail"),
        _("Due date"),
        _("Status"),
        _("Overdue"),
        _("Set in"),
        _("Score when set"),
        _("Score now"),
        _("Change"),
        _("Verdict"),
        _("Notes"),
    ]
    body = [
        [
            row.title,
            row.origin_text or "",
            row.dimension,
            row.department,
            row.owner,
            row.owner_email or "",
            row.due,
            row.status_label,
            _("Yes") if row.overdue else "",
            row.origin_campaign,
            row.baseline,
            row.current if row.carried else "",
            row.change if row.carried else "",
            row.verdict,
            row.notes,
        ]
        for row in rows
    ]
    return header, body


@dataclass(frozen=True)
class Proposal:
    """A recommended action ready to become an agreed action: the values it starts with."""

    key: str
    #: Where it comes from: "Key message 2" or "Customer understanding, level 2".
    source: str
    #: The key message's headline it answers (None for a level's action).
    answers: str | None
    title: str
    dimension: str
    dimension_title: str
    owner: str
    horizon: str
    due: date


def _proposal(
    view: ResultsView,
    key: str,
    source: str,
    answers: str | None,
    dimension: str,
    recommended: Recommended,
    today: date,
) -> Proposal:
    words = action_view(view, recommended)
    months = HORIZON_MONTHS.get(recommended.horizon, HORIZON_MONTHS[HORIZONS[0]])
    try:
        title = view.dimension_title(dimension)
    except KeyError:
        title = dimension
    return Proposal(
        key=key,
        source=source,
        answers=answers[:TITLE_LENGTH] if answers else None,
        title=words.text[:TITLE_LENGTH],
        dimension=dimension,
        dimension_title=title,
        owner=words.owner,
        horizon=words.horizon,
        due=months_later(today, months),
    )


def proposals(view: ResultsView, today: date | None = None) -> tuple[Proposal, ...]:
    """The organisation's key messages with an action, then each dimension's next-level
    actions: the starting proposals of an action plan (the report's roadmap draws on the
    same two sources)."""
    today = today or local_today()
    results = view.results
    found: list[Proposal] = []
    seen: set[str] = set()
    diagnosis = results.diagnosis
    for number, message in enumerate(diagnosis.key_messages if diagnosis else (), start=1):
        if message.recommendation is None or message.dimension is None:
            continue
        proposal = _proposal(
            view,
            f"message-{number}",
            _("Key message %(number)s", number=number),
            view.text(message.headline),
            message.dimension,
            message.recommendation,
            today,
        )
        if proposal.title not in seen:
            seen.add(proposal.title)
            found.append(proposal)
    for dimension in results.dimensions:
        recommendation = dimension.recommendation
        if recommendation is None:
            continue
        for index, recommended in enumerate(recommendation.actions):
            source = _(
                "%(dimension)s, level %(level)s",
                dimension=view.text(dimension.title),
                level=recommendation.level,
            )
            proposal = _proposal(
                view,
                f"level-{dimension.id}-{index}",
                source,
                None,
                dimension.id,
                recommended,
                today,
            )
            if proposal.title not in seen:
                seen.add(proposal.title)
                found.append(proposal)
    return tuple(found)


__all__ = [
    "AgreedActionView",
    "Proposal",
    "agreed_action_views",
    "proposals",
    "status_choices",
    "status_label",
    "table",
]
