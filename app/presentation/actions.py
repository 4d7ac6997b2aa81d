"""Recommended actions in words, the same in the dashboard and the reports.

An action (see :class:`app.analysis.actions.Action`) is shown as what to do, the owner
function's name, the horizon in months, the measure of progress and who acts on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from app.analysis.actions import horizon_label
from app.results.owners import owner_functions

if TYPE_CHECKING:
    from app.analysis.actions import Action
    from app.presentation.views import ResultsView


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
    owners = owner_functions()
    owner = view.text(owners[action.owner]) if action.owner in owners else action.owner
    return ActionView(
        text=view.text(action.text),
        owner=owner,
        horizon=horizon_label(action.horizon, view.locale),
        measure=view.text(action.measure),
        scope=action.scope,
        scope_label=scope_label(action.scope),
    )


def action_views(view: ResultsView, actions: Iterable[Action]) -> tuple[ActionView, ...]:
    """Several actions in the order given (a level's actions come in sequence)."""
    return tuple(action_view(view, action) for action in actions)


__all__ = ["ActionView", "action_view", "action_views", "scope_label"]
