"""Recommended actions in words, the same in the dashboard and the reports.

An action (see :class:`app.analysis.actions.Action`) is shown as what to do, the owner
function's name, the horizon in months, the measure of progress and who acts on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.analysis.actions import horizon_label, horizon_order
from app.results.owners import owner_label

if TYPE_CHECKING:
    from app.analysis.actions import Action
    from app.presentation.views import ResultsView
    from app.results.model import Diagnosis


@dataclass(frozen=True)
class ActionView:
    """One action in the reader's language."""

    text: str
    owner: str
    horizon: str
    measure: str
    #: ``organisation`` or ``department``, and its name.
    scope: str
    scope_label: str


def scope_label(scope: str) -> str:
    """Who acts: the whole organisation or one department."""
    return _("Department") if scope == "department" else _("Organisation")


def action_view(view: ResultsView, action: Action) -> ActionView:
    """An action in ``view``'s language, its owner named from ``owners.yaml``."""
    return ActionView(
        text=view.text(action.text),
        owner=view.text(owner_label(action.owner)),
        horizon=horizon_label(action.horizon, view.locale),
        measure=view.text(action.measure),
        scope=action.scope,
        scope_label=scope_label(action.scope),
    )


def action_views(view: ResultsView, actions: Iterable[Action]) -> tuple[ActionView, ...]:
    """Several actions in the order given (a level's actions come in sequence)."""
    return tuple(action_view(view, action) for action in actions)


#: How many priorities a plan names, and how many further actions it lists at most.
PRIORITIES = 3
FURTHER_ACTIONS = 2


@dataclass(frozen=True)
class PlanStep:
    """One action of a scope's plan, numbered, with what it answers."""

    number: int
    action: ActionView
    #: A key message ("Key message 2") or a dimension's level.
    source: str | None


@dataclass(frozen=True)
class WeakDimension:
    """A dimension the plan may draw on, weakest first: its id, its title and its level."""

    id: str
    title: str
    level: int


def plan(
    view: ResultsView,
    diagnosis: Diagnosis | None,
    weakest: Sequence[WeakDimension],
    level_actions: Callable[[WeakDimension], Sequence[Action]],
) -> tuple[tuple[PlanStep, ...], tuple[PlanStep, ...]]:
    """The three priorities of a scope, and its further actions.

    The key messages' actions come first, in the messages' order of importance; where they
    give fewer than three, the first next-level action (``level_actions``) of the weakest
    dimensions fills the plan. An action is named once even when two messages lead to it.
    Each list is shown in sequence: by horizon, then by importance.
    """
    found: list[tuple[Action, str]] = []
    seen: set[str] = set()

    def add(action: Action, source: str) -> None:
        key = view.text(action.text)
        if key not in seen:
            seen.add(key)
            found.append((action, source))

    for number, message in enumerate(diagnosis.key_messages if diagnosis else (), start=1):
        if message.recommendation is not None:
            add(message.recommendation, _("Key message %(number)s", number=number))
    from_messages = len(found)
    for dimension in weakest:
        if len(found) >= PRIORITIES:
            break
        actions = level_actions(dimension)
        if actions:
            source = _(
                "%(dimension)s, level %(level)s", dimension=dimension.title, level=dimension.level
            )
            add(actions[0], source)

    def steps(chosen: Sequence[tuple[Action, str]], start: int) -> tuple[PlanStep, ...]:
        ordered = sorted(chosen, key=lambda pair: horizon_order(pair[0]))
        return tuple(
            PlanStep(number, action_view(view, action), source)
            for number, (action, source) in enumerate(ordered, start=start)
        )

    priorities = steps(found[:PRIORITIES], 1)
    further = steps(found[PRIORITIES:from_messages][:FURTHER_ACTIONS], len(priorities) + 1)
    return priorities, further


__all__ = [
    "FURTHER_ACTIONS",
    "PRIORITIES",
    "ActionView",
    "PlanStep",
    "WeakDimension",
    "action_view",
    "action_views",
    "plan",
    "scope_label",
]
