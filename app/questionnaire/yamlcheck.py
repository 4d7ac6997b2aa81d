"""A small toolkit for validating YAML documents and reporting problems with positions.

It is deliberately independent of the questionnaire format so other YAML formats (report
rules, for example) can reuse it. The typical flow is::

    checker = Checker(filename)
    root = checker.load(text)
    fields = checker.mapping(root, required=("id",), optional=("title",))
    ...
    if checker.problems: ...

Each check records a :class:`Problem` pointing at the offending node and returns the cleaned
value, or ``None`` when the node is invalid, so a walker can keep going and report every
problem in one pass.

Loading is bounded, because these files may come from anyone who can write to a folder: a
document larger than ``max_bytes``, nested deeper than ``max_depth`` or holding more than
``max_values`` values (an alias counts as a copy of what it names, so a few lines cannot
expand into billions) is refused with the position where the limit is passed. Tags (``!!str``,
``!!python/object``, ``!custom``) and merge keys (``<<``) are refused as well: the formats read
here are plain mappings, lists and scalars, and both would make a value mean something other
than what the file shows at that place.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, SequenceNode
from ruamel.yaml.parser import ParserError
from ruamel.yaml.scanner import ScannerError

_EXCERPT_LENGTH = 40

#: Largest document read, in bytes of UTF-8: four times the largest questionnaire shipped
#: (65 KB). The round-trip parser takes about 7 s per MiB of such text.
MAX_BYTES = 256 * 1024
#: Deepest nesting of mappings and lists; the formats read here need at most 7 levels.
MAX_DEPTH = 20
#: Most values (scalars, mappings and lists) a document may hold, each alias counted as a
#: copy of what it names: six times the largest questionnaire shipped (1,664). The parser
#: takes about 0.3 ms per value, so this also bounds the time of a file of tiny values.
MAX_VALUES = 10_000

_MERGE_TAG = "tag:yaml.org,2002:merge"
#: What an implicitly typed scalar was taken for, by the last part of its resolved tag.
_KINDS = {"timestamp": "a date", "int": "an integer", "float": "a number", "bool": "a boolean"}


@dataclass(frozen=True, order=True)
class Problem:
    """One validation problem. ``line`` and ``col`` are 1-based."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


@dataclass(frozen=True)
class Node:
    """A loaded YAML value together with where it appeared.

    ``path`` is a readable location such as ``dimensions[0].items[2].text``; ``line`` and
    ``col`` (1-based) locate the value, ``key_line``/``key_col`` the mapping key it sits under.
    """

    value: Any
    path: str
    line: int
    col: int
    key_line: int | None = None
    key_col: int | None = None

    @property
    def where(self) -> str:
        """The path, or ``top level`` for the document root."""
        return self.path or "top level"


def child_path(parent: str, key: object) -> str:
    """Return the path of ``key`` under ``parent``: ``a.b`` for keys, ``a[0]`` for indices."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def describe(value: object) -> str:
    """Describe a YAML value for messages, naming its YAML type and a short excerpt."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"integer {int(value)}"
    if isinstance(value, float):
        return f"number {float(value)!r}"
    if isinstance(value, str):
        text = str(value)
        if len(text) > _EXCERPT_LENGTH:
            text = text[: _EXCERPT_LENGTH - 1] + "…"
        return f"string {text!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime.date):
        return f"date {value.isoformat()}"
    return type(value).__name__


def suggestion(word: object, candidates: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    matches = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def is_integer(value: object) -> bool:
    """True for YAML integers; YAML booleans are not integers."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """True for finite YAML integers and floats; booleans are not numbers."""
    if is_integer(value):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _position(container: object, key: object, *, of_key: bool) -> tuple[int, int] | None:
    """0-based position recorded by ruamel for a mapping key/value or a list item."""
    try:
        if isinstance(container, CommentedMap):
            line, col = container.lc.key(key) if of_key else container.lc.value(key)
        elif isinstance(container, CommentedSeq):
            line, col = container.lc.item(key)
        else:
            return None
    except (KeyError, IndexError, TypeError):
        # Only keys of the text have a recorded position (merge keys, which would pull in
        # others, are refused when loading).
        return None
    return int(line), int(col)


def _node_start(container: object) -> tuple[int, int]:
    lc = getattr(container, "lc", None)
    if lc is None or lc.line is None:
        return 0, 0
    return int(lc.line), int(lc.col)


def size_problem(filename: str, data: bytes, limit: int = MAX_BYTES) -> Problem | None:
    """A problem at the place where ``data`` passes ``limit`` bytes, or None within it.

    Readers may pass only the first ``limit + 1`` bytes of a larger file: the message then
    says "more than" rather than the size.
    """
    if len(data) <= limit:
        return None
    before = data[:limit].decode("utf-8", errors="ignore")
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    size = f"{limit // 1024} KiB ({limit:,} bytes)" if limit >= 1024 else f"{limit:,} bytes"
    return Problem(
        filename,
        line,
        col,
        f"file too large: a YAML file here may have at most {size}, and this one passes that "
        "limit here",
    )


class _LimitsError(MarkedYAMLError):
    """A document passes one of the loader's limits, or uses a tag or a merge key."""


def _tag_as_written(tag: Any) -> str:
    handle = getattr(tag, "handle", None) or ""
    suffix = getattr(tag, "suffix", None)
    return f"{handle}{suffix}" if suffix is not None else str(tag)


class _LimitedComposer(Composer):
    """Builds the node tree while refusing tags, merge keys, deep nesting and alias bombs.

    Composition is where each of these is seen first and with its position, before anything
    is constructed: the parser underneath reads events one at a time, so a document is never
    parsed past the point where it breaks a limit.
    """

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        #: Values under each composed node (itself included), by node id, aliases expanded.
        self._sizes: dict[int, int] = {}
        #: Values of the document so far, aliases expanded.
        self._total = 0

    def _refuse(self, message: str, mark: Any) -> None:
        raise _LimitsError(None, None, message, mark)

    def _count(self, values: int, mark: Any) -> None:
        # Counted as values arrive, so a long flat list stops at the limit, not at its end.
        self._total += values
        limit = self.loader.max_values
        if limit and self._total > limit:
            self._refuse(
                f"more than {limit:,} values in the document (each alias counted as a copy of "
                "the value it names); use fewer aliases or a smaller file",
                mark,
            )

    def compose_document(self) -> Any:
        self._sizes = {}
        self._total = 0
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            if id(node) not in self._sizes:
                self._refuse(
                    f"alias *{event.anchor} refers to a value that contains it; a value "
                    "cannot include itself",
                    event.start_mark,
                )
            self._count(self._sizes[id(node)], event.start_mark)
            return node
        if isinstance(event, ScalarEvent | CollectionStartEvent) and event.ctag is not None:
            self._refuse(
                f"tags such as {_tag_as_written(event.ctag)} are not allowed; write the plain "
                "value (quote text that would otherwise read as a number, date or boolean)",
                event.start_mark,
            )
        limit = self.loader.max_depth
        if limit and self.depth >= limit:
            self._refuse(
                f"nested more than {limit} levels deep; the format needs far fewer levels "
                "(is a bracket or an indentation out of place?)",
                event.start_mark,
            )
        self._count(1, event.start_mark)
        node = super().compose_node(parent, index)
        size = 1
        if isinstance(node, SequenceNode):
            size += sum(self._sizes[id(child)] for child in node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                if str(key.tag) == _MERGE_TAG:
                    self._refuse(
                        "merge keys (<<) are not allowed; write the keys out in this mapping "
                        "(an alias such as *name may still stand for a whole value)",
                        key.start_mark,
                    )
                size += self._sizes[id(key)] + self._sizes[id(value)]
        self._sizes[id(node)] = size
        return node


class _CheckedConstructor(RoundTripConstructor):
    """Turns a scalar that cannot become a Python value into a positioned loader error.

    Implicit types are resolved from the text alone, so ``2020-02-31`` is taken for a date
    that does not exist and would otherwise fail with a bare ValueError.
    """

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:
            kind = str(node.tag).rsplit(":", 1)[-1]
            kind = _KINDS.get(kind, f"a {kind}")
            text = str(node.value) if isinstance(node.value, str) else ""
            if len(text) > _EXCERPT_LENGTH:
                text = text[: _EXCERPT_LENGTH - 1] + "…"
            raise ConstructorError(
                None,
                None,
                f"cannot read {text!r} as {kind} ({exc}); quote it if it is meant as text",
                node.start_mark,
            ) from exc


class Checker:
    """Collects problems for one file while validation code walks its nodes."""

    def __init__(
        self,
        filename: str,
        *,
        max_bytes: int = MAX_BYTES,
        max_depth: int = MAX_DEPTH,
        max_values: int = MAX_VALUES,
    ) -> None:
        self.filename = filename
        self.problems: list[Problem] = []
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.max_values = max_values

    @property
    def ok(self) -> bool:
        """True while no problem has been reported."""
        return not self.problems

    def report_at(self, line: int, col: int, message: str) -> None:
        """Record a problem at a 1-based position."""
        self.problems.append(Problem(self.filename, line, col, message))

    def report(self, node: Node, message: str) -> None:
        """Record a problem at ``node``'s position, prefixed with its path."""
        self.report_at(node.line, node.col, f"{node.where}: {message}")

    def sorted_problems(self) -> list[Problem]:
        """Problems ordered by position, keeping walk order for equal positions."""
        return sorted(self.problems, key=lambda problem: (problem.line, problem.col))

    # Loading -----------------------------------------------------------------------------

    def load(self, text: str) -> Node | None:
        """Parse ``text`` with ruamel's round-trip loader, which keeps positions.

        Syntax errors, duplicate keys, tags, merge keys, passed limits and other loader errors
        are recorded as problems at the error mark; ``None`` is returned in that case.
        """
        too_large = size_problem(
            self.filename, text.encode("utf-8", errors="replace"), self.max_bytes
        )
        if too_large is not None:
            self.problems.append(too_large)
            return None
        yaml = YAML(typ="rt")
        yaml.Composer = _LimitedComposer
        yaml.Constructor = _CheckedConstructor
        yaml.max_depth = self.max_depth
        yaml.max_values = self.max_values  # type: ignore[attr-defined]
        try:
            with warnings.catch_warnings():
                # Loader warnings (such as a reused anchor name) describe valid YAML; the
                # walker reports anything that actually matters for the format.
                warnings.simplefilter("ignore")
                data = yaml.load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            if isinstance(exc, DuplicateKeyError):
                message = f"YAML error: {exc.problem}; a key may appear only once in a mapping"
            elif isinstance(exc, _LimitsError):
                message = f"YAML error: {exc.problem}"
            else:
                kind = "syntax error" if isinstance(exc, ScannerError | ParserError) else "error"
                detail = " ".join(
                    part for part in (exc.context, exc.problem) if part and isinstance(part, str)
                )
                message = f"YAML {kind}: {detail or exc}"
            self.report_at(line, col, message)
            return None
        except YAMLError as exc:
            self.report_at(1, 1, f"YAML error: {exc}")
            return None
        line, col = _node_start(data)
        return Node(data, "", line + 1, col + 1)

    # Navigation --------------------------------------------------------------------------

    def child(self, parent: Node, key: object) -> Node:
        """Return the node for ``parent.value[key]`` with its recorded position."""
        container = parent.value
        value = container[key]
        if isinstance(container, CommentedSeq):
            value_pos = _position(container, key, of_key=False)
            key_pos = None
        else:
            key_pos = _position(container, key, of_key=True)
            value_pos = _position(container, key, of_key=False)
        if isinstance(value, CommentedMap | CommentedSeq) and value.lc.line is not None:
            value_pos = _node_start(value)
        if (
            value is None
            and key_pos is not None
            and value_pos is not None
            and value_pos[0] != key_pos[0]
        ):
            # An empty value is positioned at the start of the next line; the key is the
            # only place in the text the reader can act on.
            value_pos = key_pos
        if value_pos is None:
            value_pos = key_pos or (parent.line - 1, parent.col - 1)
        return Node(
            value,
            child_path(parent.path, key),
            value_pos[0] + 1,
            value_pos[1] + 1,
            None if key_pos is None else key_pos[0] + 1,
            None if key_pos is None else key_pos[1] + 1,
        )

    def children(self, parent: Node) -> list[tuple[Any, Node]]:
        """Return ``(key, node)`` pairs of a mapping node or ``(index, node)`` of a list node."""
        value = parent.value
        if isinstance(value, Mapping):
            return [(key, self.child(parent, key)) for key in value]
        if isinstance(value, list):
            return [(index, self.child(parent, index)) for index in range(len(value))]
        return []

    # Structural checks -------------------------------------------------------------------

    def mapping(
        self,
        node: Node | None,
        *,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
        allow_unknown: bool = False,
    ) -> dict[str, Node] | None:
        """Check that ``node`` is a mapping with string keys and the expected key set.

        Unknown keys are reported at the key with a did-you-mean suggestion; missing
        required keys are reported at the mapping itself. Returns the known keys' nodes.
        """
        if node is None:
            return None
        if not isinstance(node.value, Mapping):
            self.report(node, f"expected a mapping, got {describe(node.value)}")
            return None
        allowed = [*required, *optional]
        found: dict[str, Node] = {}
        for key, child in self.children(node):
            if not isinstance(key, str):
                self.report(at_key(child, node), f"keys must be strings, got {describe(key)}")
                continue
            if key in allowed or allow_unknown:
                found[str(key)] = child
                continue
            self.report(at_key(child, node), f"unknown key {key!r}{suggestion(key, allowed)}")
        for key in required:
            if key not in found:
                self.report(node, f"missing required key {key!r}")
        return found

    def sequence(self, node: Node | None, *, non_empty: bool = False) -> list[Node] | None:
        """Check that ``node`` is a list and return its item nodes."""
        if node is None:
            return None
        if not isinstance(node.value, list):
            self.report(node, f"expected a list, got {describe(node.value)}")
            return None
        if non_empty and not node.value:
            self.report(node, "must not be empty")
            return None
        return [child for _, child in self.children(node)]

    def int_keyed(self, node: Node | None) -> dict[int, Node] | None:
        """Check that ``node`` is a mapping whose keys are integers; return them with nodes."""
        if node is None:
            return None
        if not isinstance(node.value, Mapping):
            self.report(node, f"expected a mapping, got {describe(node.value)}")
            return None
        found: dict[int, Node] = {}
        for key, child in self.children(node):
            if not is_integer(key):
                self.report(
                    at_key(child, node),
                    f"keys must be integers, got {describe(key)}",
                )
                continue
            found[int(key)] = child
        return found

    # Scalar checks -----------------------------------------------------------------------

    def string(
        self,
        node: Node | None,
        *,
        pattern: re.Pattern[str] | None = None,
        pattern_hint: str = "",
        allow_empty: bool = False,
    ) -> str | None:
        """Check that ``node`` is a string, non-blank unless allowed, matching ``pattern``."""
        if node is None:
            return None
        value = node.value
        if not isinstance(value, str):
            self.report(node, f"expected a string, got {describe(value)}")
            return None
        text = str(value)
        if not allow_empty and not text.strip():
            self.report(node, "must not be empty")
            return None
        if pattern is not None and not pattern.fullmatch(text):
            hint = f" ({pattern_hint})" if pattern_hint else ""
            self.report(node, f"invalid value {text!r}{hint}")
            return None
        return text

    def integer(self, node: Node | None, *, minimum: int | None = None) -> int | None:
        """Check that ``node`` is an integer (not a boolean), at least ``minimum`` if given."""
        if node is None:
            return None
        if not is_integer(node.value):
            self.report(node, f"expected an integer, got {describe(node.value)}")
            return None
        value = int(node.value)
        if minimum is not None and value < minimum:
            self.report(node, f"must be at least {minimum}, got {value}")
            return None
        return value

    def number(self, node: Node | None, *, positive: bool = False) -> float | None:
        """Check that ``node`` is a finite number (not a boolean), optionally positive."""
        if node is None:
            return None
        if not is_number(node.value):
            self.report(node, f"expected a number, got {describe(node.value)}")
            return None
        value = float(node.value)
        if positive and value <= 0:
            self.report(node, f"must be a positive number, got {node.value}")
            return None
        return value

    def boolean(self, node: Node | None) -> bool | None:
        """Check that ``node`` is ``true`` or ``false``."""
        if node is None:
            return None
        if not isinstance(node.value, bool):
            self.report(node, f"expected a boolean (true or false), got {describe(node.value)}")
            return None
        return bool(node.value)

    def choice(
        self, node: Node | None, choices: Sequence[str], *, what: str = "value"
    ) -> str | None:
        """Check that ``node`` is one of ``choices``, suggesting the closest on a miss."""
        value = self.string(node)
        if value is None or node is None:
            return None
        if value not in choices:
            options = ", ".join(choices)
            self.report(
                node,
                f"unknown {what} {value!r}{suggestion(value, choices)}; expected one of: {options}",
            )
            return None
        return value

    def localized(self, node: Node | None, locales: Sequence[str] | None) -> dict[str, str] | None:
        """Check a localized text: a mapping of locale to non-empty string.

        With ``locales`` given, every declared locale must be present (reported at the
        mapping) and no other locale may appear (reported at the key). With ``None`` (the
        locales themselves are invalid) only the shape is checked. Returns stripped texts.
        """
        if node is None:
            return None
        if not isinstance(node.value, Mapping):
            expected = "a mapping of locale to text"
            if locales:
                expected += f" (e.g. {{{', '.join(f'{loc}: ...' for loc in locales)}}})"
            self.report(node, f"expected {expected}, got {describe(node.value)}")
            return None
        texts: dict[str, str] = {}
        valid = True
        for key, child in self.children(node):
            if not isinstance(key, str):
                self.report(
                    at_key(child, node), f"locale keys must be strings, got {describe(key)}"
                )
                valid = False
                continue
            if locales is not None and key not in locales:
                declared = ", ".join(locales)
                hint = suggestion(key, locales)
                self.report(
                    at_key(child, node),
                    f"unknown locale {key!r}{hint}; declared locales: {declared}",
                )
                valid = False
                continue
            text = self.string(child)
            if text is None:
                valid = False
                continue
            texts[str(key)] = text.strip()
        for locale in locales or ():
            if locale not in node.value:
                self.report(node, f"missing locale {locale!r}")
                valid = False
        if not texts and locales is None:
            self.report(node, "must contain at least one locale")
            valid = False
        return texts if valid else None


def at_key(child: Node, parent: Node) -> Node:
    """Return a node positioned at ``child``'s key and named by ``parent``'s path.

    Problems about a key itself (unknown key, unknown locale) read best as "in this mapping,
    this key is wrong". Keys without a recorded position fall back to the parent.
    """
    if child.key_line is None or child.key_col is None:
        return Node(child.value, parent.path, parent.line, parent.col)
    return Node(child.value, parent.path, child.key_line, child.key_col)


class UniqueIds:
    """Tracks identifiers that must be unique within one id space of a document."""

    def __init__(self, checker: Checker, what: str = "id") -> None:
        self.checker = checker
        self.what = what
        self._first: dict[str, Node] = {}

    def __contains__(self, value: object) -> bool:
        return value in self._first

    def add(self, value: str | None, node: Node | None) -> bool:
        """Register ``value``; report the second occurrence of a duplicate and return False."""
        if value is None or node is None:
            return False
        first = self._first.get(value)
        if first is not None:
            self.checker.report(
                node,
                f"duplicate {self.what} {value!r} (first defined at line {first.line}, "
                f"column {first.col}, {first.where})",
            )
            return False
        self._first[value] = node
        return True
