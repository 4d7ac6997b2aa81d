"""Actions: what a consultancy tells a client to do, by whom, by when and how to tell progress.

Every recommendation of the report rules (``reports/rules.yaml``) and of the level catalogue
(``reports/recommendations.yaml``) is an :class:`Action`: an instruction, the function that
owns it (a key of ``reports/owners.yaml``), a horizon in months, an observable measure of
progress, and the scope that can act on it. This module holds the shape, the owner
functions' file and the reading of an action from YAML, shared by both catalogues; the
formats are documented in ``reports/README.md``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from app.analysis.plain import PlainFields
from app.questionnaire.yamlcheck import Checker, Node, Problem, at_key

Localized = Mapping[str, str]

#: Horizons in months, in the order a plan runs through them: first steps, building, embedding.
HORIZONS = ("0-6", "6-18", "18-36")
HORIZON_LABELS: Mapping[str, Localized] = {
    "0-6": {"ja": "0〜6か月", "en": "0–6 months"},
    "6-18": {"ja": "6〜18か月", "en": "6–18 months"},
    "18-36": {"ja": "18〜36か月", "en": "18–36 months"},
}
#: Who can act: the whole organisation, or one department on its own.
ACTION_SCOPES = ("organisation", "department")
#: The keys of an action in a YAML file (``scope`` only where the file asks for it).
ACTION_KEYS = ("action", "owner", "horizon", "measure")

OWNER_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")
OWNER_KEY_HINT = "use lowercase letters, digits and underscores, starting with a letter"


@dataclass(frozen=True)
class Action(PlainFields):
    """One recommended action, as a consultancy deliverable states it."""

    #: What to do: an instruction, never a description of a state.
    text: Localized
    #: The owner function, a key of ``reports/owners.yaml``.
    owner: str
    #: When: one of :data:`HORIZONS` (months).
    horizon: str
    #: How progress is seen: observable, with a number or a date where possible.
    measure: Localized
    #: ``organisation`` or ``department``: who can act on it.
    scope: str


def horizon_order(action: Action) -> int:
    """The position of an action's horizon in :data:`HORIZONS` (for sequencing)."""
    return HORIZONS.index(action.horizon) if action.horizon in HORIZONS else len(HORIZONS)


def sequenced(actions: Sequence[Action]) -> tuple[Action, ...]:
    """The actions by horizon, first steps first; the given order within a horizon."""
    return tuple(sorted(actions, key=horizon_order))


def horizon_label(horizon: str, locale: str) -> str:
    """``0〜6か月`` or ``0–6 months``: a horizon in words (the key itself when unknown)."""
    labels = HORIZON_LABELS.get(horizon)
    if labels is None:
        return horizon
    return labels.get(locale) or labels["en"]


# Owner functions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerCatalogue:
    """The owner functions of ``reports/owners.yaml``: ``{key: {locale: name}}``."""

    owners: Mapping[str, Localized]
    source: str = "<string>"

    def label(self, key: str, locale: str) -> str:
        """The function's name in ``locale`` (the key itself when unknown)."""
        names = self.owners.get(key)
        if not names:
            return key
        return names.get(locale) or names.get("en") or key


def parse_owners(
    text: str, filename: str = "<string>", locales: Sequence[str] = ("ja", "en")
) -> OwnerCatalogue:
    """Parse and validate an owners document; raise ``OwnersError`` with every problem."""
    checker = Checker(filename)
    root = checker.load(text)
    owners: dict[str, Localized] = {}
    if root is not None:
        if root.value is None:
            checker.report_at(1, 1, "the file is empty; expected a mapping with 'owners:'")
        else:
            owners = _walk_owners(checker, root, locales)
    if checker.problems:
        raise OwnersError(checker.sorted_problems())
    return OwnerCatalogue(owners, filename)


def _walk_owners(checker: Checker, root: Node, locales: Sequence[str]) -> dict[str, Localized]:
    top = checker.mapping(root, required=("owners",), optional=("version",))
    if top is None:
        return {}
    if "version" in top:
        version = checker.integer(top["version"], minimum=1)
        if version is not None and version != 1:
            checker.report(top["version"], f"unsupported version {version}; expected 1")
    node = top.get("owners")
    if node is None:
        return {}
    if not isinstance(node.value, Mapping) or not node.value:
        checker.report(node, "expected a mapping of owner key to its name in every locale")
        return {}
    owners: dict[str, Localized] = {}
    for key, child in checker.children(node):
        if not isinstance(key, str) or not OWNER_KEY_RE.fullmatch(key):
            checker.report(at_key(child, node), f"invalid owner key {key!r} ({OWNER_KEY_HINT})")
            continue
        names = checker.localized(child, locales)
        if names is not None:
            owners[key] = names
    return owners


class OwnersError(Exception):
    """An owners file is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def load_owners(path: str | os.PathLike[str]) -> OwnerCatalogue:
    """Load and validate the owners file at ``path`` (``OSError`` if unreadable)."""
    with open(path, encoding="utf-8-sig") as handle:
        return parse_owners(handle.read(), str(path))


def check_owners_file(
    path: str | os.PathLike[str],
) -> tuple[OwnerCatalogue | None, list[Problem]]:
    """``(owners, [])`` or ``(None, problems)``; never raises for bad files."""
    try:
        return load_owners(path), []
    except OwnersError as exc:
        return None, exc.problems
    except UnicodeDecodeError as exc:
        return None, [Problem(str(path), 1, 1, f"file is not valid UTF-8: {exc.reason}")]
    except OSError as exc:
        return None, [Problem(str(path), 1, 1, f"cannot read file: {exc.strerror or exc}")]


# Reading an action -------------------------------------------------------------------------


def read_action(
    checker: Checker,
    node: Node | None,
    *,
    owners: Collection[str] | None,
    text: Callable[[Node | None], dict[str, str] | None],
    scope: str | None = None,
) -> Action | None:
    """An action from a mapping ``{action, owner, horizon, measure[, scope]}``.

    ``text`` reads and checks a localized text (the rules file also checks placeholders).
    ``scope`` is the scope the action belongs to where the file gives it by position (a
    rule's ``organisation:`` or ``department:``); without it the mapping must name one.
    ``owners`` are the known owner keys; None checks only the key's form.
    """
    keys = ACTION_KEYS if scope is not None else (*ACTION_KEYS, "scope")
    fields = checker.mapping(node, required=keys)
    if fields is None:
        return None
    instruction = text(fields.get("action"))
    measure = text(fields.get("measure"))
    owner = None
    if "owner" in fields:
        if owners is not None:
            owner = checker.choice(fields["owner"], sorted(owners), what="owner")
        else:
            owner = checker.string(
                fields["owner"], pattern=OWNER_KEY_RE, pattern_hint=OWNER_KEY_HINT
            )
    horizon = None
    if "horizon" in fields:
        horizon = checker.choice(_as_text(fields["horizon"]), HORIZONS, what="horizon (months)")
    if scope is None and "scope" in fields:
        scope = checker.choice(fields["scope"], ACTION_SCOPES, what="scope")
    if instruction is None or measure is None or owner is None or horizon is None:
        return None
    if scope is None:
        return None
    return Action(instruction, owner, horizon, measure, scope)


def _as_text(node: Node) -> Node:
    # ``horizon: 0-6`` is a string in YAML, but a reader may well write a bare number.
    if isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return Node(str(node.value), node.path, node.line, node.col, node.key_line, node.key_col)
    return node


__all__ = [
    "ACTION_SCOPES",
    "HORIZONS",
    "HORIZON_LABELS",
    "Action",
    "OwnerCatalogue",
    "OwnersError",
    "check_owners_file",
    "horizon_label",
    "horizon_order",
    "load_owners",
    "parse_owners",
    "read_action",
    "sequenced",
]
