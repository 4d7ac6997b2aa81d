"""Recommendations per dimension and maturity level: what to do next from where you are.

The catalogue (``reports/recommendations.yaml``, documented in ``reports/README.md``) gives,
for each capability and each stage of the improvement cycle and each maturity level, two or
three :class:`~app.analysis.actions.Action` in sequence (by horizon): the next steps from
levels 1 to 4 and how to sustain level 5, each with its owner function, horizon, measure of
progress and scope. It is validated like questionnaire and rules files, every problem with
its line and column.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from app.analysis.actions import (
    HORIZONS,
    Action,
    horizon_label,
    horizon_order,
    read_action,
    sequenced,
)
from app.analysis.findings import LOCALES, RulesError, read_text
from app.questionnaire.yamlcheck import Checker, Node, Problem, at_key, suggestion

#: The maturity levels every dimension needs actions for.
DEFAULT_LEVELS = (1, 2, 3, 4, 5)
#: The catalogue format this module reads (2: per level, a list of actions).
RECOMMENDATIONS_VERSION = 2
#: How many actions a level lists.
MIN_ACTIONS, MAX_ACTIONS = 2, 3

Localized = Mapping[str, str]


@dataclass(frozen=True)
class RecommendationCatalogue:
    """``{dimension id: {level: actions in sequence}}`` with a lookup for one level."""

    entries: Mapping[str, Mapping[int, tuple[Action, ...]]]
    source: str = "<string>"

    def for_level(self, dimension: str, level: int) -> tuple[Action, ...]:
        """The actions for a dimension at a level, by horizon (empty when there are none)."""
        return sequenced(self.entries.get(dimension, {}).get(level, ()))

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(self.entries)


def parse_recommendations(
    text: str,
    filename: str = "<string>",
    known_dimensions: Mapping[str, str] | None = None,
    levels: Sequence[int] = DEFAULT_LEVELS,
    known_owners: Collection[str] | None = None,
) -> RecommendationCatalogue:
    """Parse and validate a recommendations document; raise ``RulesError`` with every problem.

    ``known_dimensions`` maps dimension ids to kinds; when given, every dimension must be one
    of them. Each dimension must give actions for each of ``levels`` and no other level.
    ``known_owners`` are the owner keys of ``owners.yaml``; when given, every owner must be
    one of them.
    """
    checker = Checker(filename)
    root = checker.load(text)
    entries: dict[str, dict[int, tuple[Action, ...]]] = {}
    if root is not None:
        if root.value is None:
            checker.report_at(1, 1, "the file is empty; expected a mapping with 'dimensions:'")
        else:
            entries = _walk(checker, root, known_dimensions, tuple(levels), known_owners)
    if checker.problems:
        raise RulesError(checker.sorted_problems())
    return RecommendationCatalogue(entries, filename)


def _walk(
    checker: Checker,
    root: Node,
    known: Mapping[str, str] | None,
    levels: tuple[int, ...],
    owners: Collection[str] | None,
) -> dict[str, dict[int, tuple[Action, ...]]]:
    top = checker.mapping(root, required=("version", "dimensions"))
    if top is None:
        return {}
    if "version" in top:
        version = checker.integer(top["version"], minimum=1)
        if version == 1:
            checker.report(
                top["version"],
                "version 1 is no longer read: since version 2 each level lists 2 to 3 actions "
                "{action, owner, horizon, measure, scope}, not a text (see reports/README.md); "
                "rewrite the levels and set 'version: 2'",
            )
            return {}
        if version is not None and version != RECOMMENDATIONS_VERSION:
            checker.report(
                top["version"],
                f"unsupported version {version}; expected {RECOMMENDATIONS_VERSION}",
            )
            return {}
    dimensions_node = top.get("dimensions")
    if dimensions_node is None or not isinstance(dimensions_node.value, Mapping):
        if dimensions_node is not None:
            checker.report(dimensions_node, "expected a mapping of dimension id to levels")
        return {}
    entries: dict[str, dict[int, tuple[Action, ...]]] = {}
    for dimension, node in checker.children(dimensions_node):
        key_node = at_key(node, dimensions_node)
        if not isinstance(dimension, str):
            checker.report(key_node, f"dimension ids must be strings, got {dimension!r}")
            continue
        if known is not None and dimension not in known:
            choices = sorted(known)
            checker.report(
                key_node,
                f"unknown dimension {dimension!r}{suggestion(dimension, choices)}; "
                f"known dimensions: {', '.join(choices)}",
            )
            continue
        by_level = checker.int_keyed(node)
        if by_level is None:
            continue
        actions: dict[int, tuple[Action, ...]] = {}
        for level, level_node in by_level.items():
            if level not in levels:
                checker.report(
                    at_key(level_node, node),
                    f"level {level} is not a maturity level; expected one of "
                    f"{', '.join(str(v) for v in levels)}",
                )
                continue
            found = _level_actions(checker, level_node, owners)
            if found is not None:
                actions[level] = found
        for level in levels:
            if level not in by_level:
                checker.report(node, f"missing the actions for level {level}")
        entries[dimension] = actions
    return entries


def _level_actions(
    checker: Checker, node: Node, owners: Collection[str] | None
) -> tuple[Action, ...] | None:
    """A level's list of actions: 2 to 3, in sequence (no horizon earlier than the one before)."""
    items = checker.sequence(node)
    if items is None:
        return None
    counted = MIN_ACTIONS <= len(items) <= MAX_ACTIONS
    if not counted:
        checker.report(
            node,
            f"expected {MIN_ACTIONS} to {MAX_ACTIONS} actions in sequence, got {len(items)}",
        )
    actions = []
    for item in items:
        action = read_action(
            checker, item, owners=owners, text=lambda n: checker.localized(n, LOCALES)
        )
        if action is None:
            continue
        if actions and horizon_order(action) < horizon_order(actions[-1]):
            checker.report(
                item,
                f"out of sequence: horizon {action.horizon} comes after "
                f"{actions[-1].horizon}; list the actions by horizon ({', '.join(HORIZONS)})",
            )
            return None
        actions.append(action)
    return tuple(actions) if counted and len(actions) == len(items) else None


def load_recommendations(
    path: str | os.PathLike[str],
    known_dimensions: Mapping[str, str] | None = None,
    levels: Sequence[int] = DEFAULT_LEVELS,
    known_owners: Collection[str] | None = None,
) -> RecommendationCatalogue:
    """Load and validate the recommendations file at ``path`` (``OSError`` if unreadable)."""
    return parse_recommendations(read_text(path), str(path), known_dimensions, levels, known_owners)


def check_recommendations_file(
    path: str | os.PathLike[str],
    known_dimensions: Mapping[str, str] | None = None,
    known_owners: Collection[str] | None = None,
) -> tuple[RecommendationCatalogue | None, list[Problem]]:
    """``(catalogue, [])`` or ``(None, problems)``; never raises for bad files."""
    try:
        return load_recommendations(path, known_dimensions, known_owners=known_owners), []
    except RulesError as exc:
        return None, exc.problems
    except OSError as exc:
        return None, [Problem(str(path), 1, 1, f"cannot read file: {exc.strerror or exc}")]


__all__ = [
    "DEFAULT_LEVELS",
    "HORIZONS",
    "Action",
    "RecommendationCatalogue",
    "check_recommendations_file",
    "horizon_label",
    "load_recommendations",
    "parse_recommendations",
    "sequenced",
]
