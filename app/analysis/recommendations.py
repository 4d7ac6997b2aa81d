"""Recommendations per dimension and maturity level: what to do next from where you are.

The catalogue (``reports/recommendations.yaml``, documented in ``reports/README.md``) gives,
for each capability and each stage of the improvement cycle, one text per maturity level in
every report language: the next step from levels 1 to 4 and how to sustain level 5. It is
validated like questionnaire and rules files, every problem with its line and column.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.analysis.findings import LOCALES, RulesError, read_text
from app.questionnaire.yamlcheck import Checker, Node, Problem, at_key, suggestion

#: The maturity levels every dimension needs a text for.
DEFAULT_LEVELS = (1, 2, 3, 4, 5)

Localized = Mapping[str, str]


@dataclass(frozen=True)
class RecommendationCatalogue:
    """``{dimension id: {level: {locale: text}}}`` with a lookup for one level."""

    entries: Mapping[str, Mapping[int, Localized]]
    source: str = "<string>"

    def for_level(self, dimension: str, level: int) -> Localized | None:
        """The recommendation for a dimension at a level, or None when there is none."""
        return self.entries.get(dimension, {}).get(level)

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(self.entries)


def parse_recommendations(
    text: str,
    filename: str = "<string>",
    known_dimensions: Mapping[str, str] | None = None,
    levels: Sequence[int] = DEFAULT_LEVELS,
) -> RecommendationCatalogue:
    """Parse and validate a recommendations document; raise ``RulesError`` with every problem.

    ``known_dimensions`` maps dimension ids to kinds; when given, every dimension must be one
    of them. Each dimension must give a text for each of ``levels`` and no other level.
    """
    checker = Checker(filename)
    root = checker.load(text)
    entries: dict[str, dict[int, Localized]] = {}
    if root is not None:
        if root.value is None:
            checker.report_at(1, 1, "the file is empty; expected a mapping with 'dimensions:'")
        else:
            entries = _walk(checker, root, known_dimensions, tuple(levels))
    if checker.problems:
        raise RulesError(checker.sorted_problems())
    return RecommendationCatalogue(entries, filename)


def _walk(
    checker: Checker,
    root: Node,
    known: Mapping[str, str] | None,
    levels: tuple[int, ...],
) -> dict[str, dict[int, Localized]]:
    top = checker.mapping(root, required=("dimensions",), optional=("version",))
    if top is None:
        return {}
    if "version" in top:
        version = checker.integer(top["version"], minimum=1)
        if version is not None and version != 1:
            checker.report(top["version"], f"unsupported version {version}; expected 1")
    dimensions_node = top.get("dimensions")
    if dimensions_node is None or not isinstance(dimensions_node.value, Mapping):
        if dimensions_node is not None:
            checker.report(dimensions_node, "expected a mapping of dimension id to levels")
        return {}
    entries: dict[str, dict[int, Localized]] = {}
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
        texts: dict[int, Localized] = {}
        for level, level_node in by_level.items():
            if level not in levels:
                checker.report(
                    at_key(level_node, node),
                    f"level {level} is not a maturity level; expected one of "
                    f"{', '.join(str(v) for v in levels)}",
                )
                continue
            localized = checker.localized(level_node, LOCALES)
            if localized is not None:
                texts[level] = localized
        for level in levels:
            if level not in by_level:
                checker.report(node, f"missing the recommendation for level {level}")
        entries[dimension] = texts
    return entries


def load_recommendations(
    path: str | os.PathLike[str],
    known_dimensions: Mapping[str, str] | None = None,
    levels: Sequence[int] = DEFAULT_LEVELS,
) -> RecommendationCatalogue:
    """Load and validate the recommendations file at ``path`` (``OSError`` if unreadable)."""
    return parse_recommendations(read_text(path), str(path), known_dimensions, levels)


def check_recommendations_file(
    path: str | os.PathLike[str], known_dimensions: Mapping[str, str] | None = None
) -> tuple[RecommendationCatalogue | None, list[Problem]]:
    """``(catalogue, [])`` or ``(None, problems)``; never raises for bad files."""
    try:
        return load_recommendations(path, known_dimensions), []
    except RulesError as exc:
        return None, exc.problems
    except OSError as exc:
        return None, [Problem(str(path), 1, 1, f"cannot read file: {exc.strerror or exc}")]
