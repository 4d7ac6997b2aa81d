"""Parse and validate questionnaire YAML files into :class:`Questionnaire` objects.

Validation walks the whole document and reports every problem in one pass, each pointing at
the offending line and column, so an author can fix a file in one edit cycle.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from .model import (
    AUDIENCE_ROLES,
    DEFAULT_OPEN_QUESTION_MAX_LENGTH,
    DIMENSION_KINDS,
    MAX_OUTCOME_POINTS,
    OUTCOME_KIND,
    Questionnaire,
)
from .yamlcheck import (
    MAX_BYTES,
    Checker,
    Node,
    Problem,
    UniqueIds,
    at_key,
    is_integer,
    size_problem,
    suggestion,
)

QUESTIONNAIRE_ID_RE = re.compile(r"[a-z][a-z0-9-]*")
ENTRY_ID_RE = re.compile(r"[a-z][a-z0-9_]*")
VERSION_RE = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
)
LOCALE_RE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")

QUESTIONNAIRE_ID_HINT = "use lowercase letters, digits and hyphens, starting with a letter"
ENTRY_ID_HINT = "use lowercase letters, digits and underscores, starting with a letter"
VERSION_HINT = 'use a semantic version MAJOR.MINOR.PATCH such as "1.0.0"'
LOCALE_HINT = "use a language code such as 'ja', 'en' or 'pt-BR'"

TOP_REQUIRED = ("id", "version", "locales", "title", "scale", "dimensions")
#: ``estimated_minutes`` is accepted from older files and not used: the time shown is
#: computed from the text (:mod:`app.questionnaire.timing`).
TOP_OPTIONAL = ("description", "estimated_minutes", "previous_version", "open_questions")
SCALE_REQUIRED = ("min", "max", "labels")
SCALE_OPTIONAL = ("not_applicable", "dont_know")
DIMENSION_REQUIRED = ("id", "kind", "title", "items")
#: ``scale`` is for the outcome dimension only.
DIMENSION_OPTIONAL = ("description", "scale")
ITEM_REQUIRED = ("id", "text")
#: ``scale`` is for items of the outcome dimension only.
ITEM_OPTIONAL = ("levels", "reverse", "weight", "audience", "was", "scale")
#: What an item of the outcome dimension may not have, and why.
OUTCOME_ITEM_REFUSED = {
    "levels": "its scale's labels are what respondents see",
    "reverse": "it is never part of a maturity score",
    "weight": "it is never part of a maturity score",
    "audience": "it is asked of every respondent",
    "was": "it keeps its id from one version to the next",
}
OPEN_QUESTION_REQUIRED = ("id", "text")
OPEN_QUESTION_OPTIONAL = ("max_length",)

YAML_SUFFIXES = (".yaml", ".yml")


class QuestionnaireError(Exception):
    """A questionnaire file is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class _ScaleRange:
    min: int
    max: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.min <= value <= self.max

    def __str__(self) -> str:
        return f"{self.min}..{self.max}"


class _Walker:
    """Validates one document, building the content dict that ``Questionnaire`` accepts."""

    def __init__(self, checker: Checker) -> None:
        self.check = checker
        self.ids = UniqueIds(checker)
        self.locales: list[str] | None = None
        self.range: _ScaleRange | None = None
        self.was_nodes: list[Node] = []
        #: The ``kind`` of the first outcome dimension, where a second one is compared to.
        self.outcome_node: Node | None = None

    def text(self, node: Node | None) -> dict[str, str] | None:
        return self.check.localized(node, self.locales)

    def entry_id(self, node: Node | None) -> str | None:
        value = self.check.string(node, pattern=ENTRY_ID_RE, pattern_hint=ENTRY_ID_HINT)
        self.ids.add(value, node)
        return value

    def document(self, root: Node) -> dict[str, Any] | None:
        top = self.check.mapping(root, required=TOP_REQUIRED, optional=TOP_OPTIONAL)
        if top is None:
            return None
        content: dict[str, Any] = {}
        content["id"] = self.check.string(
            top.get("id"), pattern=QUESTIONNAIRE_ID_RE, pattern_hint=QUESTIONNAIRE_ID_HINT
        )
        content["version"] = self.version(top.get("version"))
        # Locales first: every localized text below is checked against them.
        content["locales"] = self.locales = self.locale_list(top.get("locales"))
        content["title"] = self.text(top.get("title"))
        if "description" in top:
            content["description"] = self.text(top["description"])
        if "estimated_minutes" in top:
            content["estimated_minutes"] = self.check.integer(top["estimated_minutes"], minimum=1)
        if "previous_version" in top:
            content["previous_version"] = self.previous_version(
                top["previous_version"], content["version"]
            )
        content["scale"] = self.scale(top.get("scale"))
        dimension_nodes = self.check.sequence(top.get("dimensions"))
        if dimension_nodes is not None and not dimension_nodes:
            self.check.report(top["dimensions"], "must list at least one dimension")
        content["dimensions"] = []
        kinds = []
        for node in dimension_nodes or ():
            kind, dimension = self.dimension(node)
            kinds.append(kind)
            if kind != OUTCOME_KIND:
                content["dimensions"].append(dimension)
            elif "outcome" not in content:
                content["outcome"] = dimension
        if kinds and all(kind == OUTCOME_KIND for kind in kinds):
            self.check.report(
                top["dimensions"],
                "must list at least one capability or stage dimension besides the outcome "
                "dimension",
            )
        content["open_questions"] = [
            self.open_question(node)
            for node in self.check.sequence(top.get("open_questions")) or ()
        ]
        if "previous_version" not in top:
            for node in self.was_nodes:
                self.check.report(
                    node,
                    "names an item of the previous version, but the file declares no "
                    'previous_version; add e.g. previous_version: "1.0.0" at the top level',
                )
        return content

    def previous_version(self, node: Node, version: str | None) -> str | None:
        previous = self.version(node)
        if (
            previous is not None
            and version is not None
            and version_key(previous) >= version_key(version)
        ):
            self.check.report(
                node, f"must be lower than this file's version {version!r}, got {previous!r}"
            )
            return None
        return previous

    def version(self, node: Node | None) -> str | None:
        if node is not None and (is_integer(node.value) or isinstance(node.value, float)):
            self.check.report(
                node,
                f'expected a string, got number {node.value}; quote the version, e.g. "1.0.0"',
            )
            return None
        return self.check.string(node, pattern=VERSION_RE, pattern_hint=VERSION_HINT)

    def locale_list(self, node: Node | None) -> list[str] | None:
        nodes = self.check.sequence(node, non_empty=True)
        if nodes is None:
            return None
        locales: list[str] = []
        valid = True
        seen = UniqueIds(self.check, "locale")
        for item in nodes:
            locale = self.check.string(item, pattern=LOCALE_RE, pattern_hint=LOCALE_HINT)
            if locale is None or not seen.add(locale, item):
                valid = False
                continue
            locales.append(locale)
        return locales if valid else None

    def scale(self, node: Node | None) -> dict[str, Any] | None:
        fields = self.check.mapping(node, required=SCALE_REQUIRED, optional=SCALE_OPTIONAL)
        if fields is None:
            return None
        low = self.check.integer(fields.get("min"))
        high = self.check.integer(fields.get("max"))
        if low is not None and high is not None:
            if low >= high:
                self.check.report(fields["max"], f"must be greater than min ({low}), got {high}")
            else:
                self.range = _ScaleRange(low, high)
        labels_node = fields.get("labels")
        labels = self.points(labels_node, "label", self.range)
        if self.range is not None and labels is not None and labels_node is not None:
            for point in range(self.range.min, self.range.max + 1):
                if str(point) not in labels:
                    self.check.report(labels_node, f"missing label for scale point {point}")
        content: dict[str, Any] = {"min": low, "max": high, "labels": labels}
        if "not_applicable" in fields:
            content["not_applicable"] = self.text(fields["not_applicable"])
        if "dont_know" in fields:
            content["dont_know"] = self.text(fields["dont_know"])
        return content

    def outcome_scale(self, node: Node) -> dict[str, Any] | None:
        """The scale of the outcome dimension or of one of its items: at most
        ``MAX_OUTCOME_POINTS`` points, labelled at both ends at least, numbers only."""
        fields = self.check.mapping(node, required=SCALE_REQUIRED, optional=SCALE_OPTIONAL)
        if fields is None:
            return None
        for key in SCALE_OPTIONAL:
            if key in fields:
                self.check.report(
                    _at_own_key(fields[key]),
                    "an outcome scale has numbers only: a respondent who cannot answer leaves "
                    "the item unanswered",
                )
        low = self.check.integer(fields.get("min"))
        high = self.check.integer(fields.get("max"))
        bounds = None
        if low is not None and high is not None:
            if low >= high:
                self.check.report(fields["max"], f"must be greater than min ({low}), got {high}")
            elif high - low + 1 > MAX_OUTCOME_POINTS:
                self.check.report(
                    fields["max"],
                    f"an outcome scale has at most {MAX_OUTCOME_POINTS} points (such as 0 to "
                    f"10), got {high - low + 1}",
                )
            else:
                bounds = _ScaleRange(low, high)
        labels_node = fields.get("labels")
        labels = self.points(labels_node, "label", bounds)
        if bounds is not None and labels is not None and labels_node is not None:
            for point in (bounds.min, bounds.max):
                if str(point) not in labels:
                    self.check.report(
                        labels_node,
                        f"missing label for scale point {point} (an outcome scale labels at "
                        "least both ends)",
                    )
        return {"min": low, "max": high, "labels": labels}

    def points(
        self, node: Node | None, what: str, bounds: _ScaleRange | None
    ) -> dict[str, dict[str, str] | None] | None:
        """Check an integer-keyed mapping of texts whose keys must lie on the scale
        ``bounds`` (unchecked when the scale itself is invalid)."""
        keyed = self.check.int_keyed(node)
        if keyed is None or node is None:
            return None
        result: dict[str, dict[str, str] | None] = {}
        for point, child in keyed.items():
            if bounds is not None and point not in bounds:
                self.check.report(
                    at_key(child, node), f"{what} key {point} is outside the scale {bounds}"
                )
                continue
            result[str(point)] = self.text(child)
        return result

    def dimension(self, node: Node) -> tuple[str | None, dict[str, Any] | None]:
        """The dimension's kind and content; the outcome dimension's content has no kind."""
        fields = self.check.mapping(node, required=DIMENSION_REQUIRED, optional=DIMENSION_OPTIONAL)
        if fields is None:
            return None, None
        dimension_id = self.entry_id(fields.get("id"))
        kind = self.check.choice(fields.get("kind"), (*DIMENSION_KINDS, OUTCOME_KIND), what="kind")
        outcome = kind == OUTCOME_KIND
        content: dict[str, Any] = {"id": dimension_id}
        if not outcome:
            content["kind"] = kind
        content["title"] = self.text(fields.get("title"))
        if "description" in fields:
            content["description"] = self.text(fields["description"])
        if outcome:
            self.one_outcome(fields["kind"])
            if "scale" in fields:
                content["scale"] = self.outcome_scale(fields["scale"])
            else:
                self.check.report(
                    node,
                    "missing required key 'scale': an outcome dimension has its own scale, "
                    "e.g. scale: {min: 0, max: 10, labels: {0: ..., 10: ...}}",
                )
        elif "scale" in fields and kind is not None:
            self.check.report(
                _at_own_key(fields["scale"]),
                f"only a dimension of kind {OUTCOME_KIND!r} has its own scale; {kind} items are "
                "rated on the questionnaire's scale",
            )
        item_nodes = self.check.sequence(fields.get("items"))
        if item_nodes is not None and not item_nodes:
            name = f"dimension {dimension_id!r}" if dimension_id else "this dimension"
            self.check.report(fields["items"], f"{name} has no items; add at least one item")
        content["items"] = [self.item(item, outcome=outcome) for item in item_nodes or ()]
        return kind, content

    def one_outcome(self, kind: Node) -> None:
        """Remember the first outcome dimension; report any other."""
        first = self.outcome_node
        if first is None:
            self.outcome_node = kind
            return
        self.check.report(
            kind,
            f"a questionnaire has at most one dimension of kind {OUTCOME_KIND!r} (the first is "
            f"at line {first.line}, column {first.col})",
        )

    def outcome_item(self, fields: dict[str, Node]) -> dict[str, Any]:
        for key, reason in OUTCOME_ITEM_REFUSED.items():
            if key in fields:
                self.check.report(
                    _at_own_key(fields[key]), f"an outcome item has no {key!r}: {reason}"
                )
        content: dict[str, Any] = {
            "id": self.entry_id(fields.get("id")),
            "text": self.text(fields.get("text")),
        }
        if "scale" in fields:
            content["scale"] = self.outcome_scale(fields["scale"])
        return content

    def item(self, node: Node, *, outcome: bool = False) -> dict[str, Any] | None:
        fields = self.check.mapping(node, required=ITEM_REQUIRED, optional=ITEM_OPTIONAL)
        if fields is None:
            return None
        if outcome:
            return self.outcome_item(fields)
        if "scale" in fields:
            self.check.report(
                _at_own_key(fields["scale"]),
                f"only an item of a dimension of kind {OUTCOME_KIND!r} has its own scale; rated "
                "items use the questionnaire's scale",
            )
        content: dict[str, Any] = {
            "id": self.entry_id(fields.get("id")),
            "text": self.text(fields.get("text")),
            "levels": {},
            "reverse": False,
            "weight": 1.0,
        }
        if "levels" in fields:
            content["levels"] = self.points(fields["levels"], "level", self.range)
        if "reverse" in fields:
            content["reverse"] = self.check.boolean(fields["reverse"])
        if "weight" in fields:
            content["weight"] = self.check.number(fields["weight"], positive=True)
        if "audience" in fields:
            content["audience"] = self.audience(fields["audience"])
        if "was" in fields:
            self.was_nodes.append(fields["was"])
            content["was"] = self.check.string(
                fields["was"], pattern=ENTRY_ID_RE, pattern_hint=ENTRY_ID_HINT
            )
        return content

    def audience(self, node: Node) -> list[str] | None:
        nodes = self.check.sequence(node, non_empty=True)
        if nodes is None:
            return None
        roles: list[str] = []
        seen = UniqueIds(self.check, "role")
        valid = True
        for child in nodes:
            role = self.check.choice(child, AUDIENCE_ROLES, what="role")
            if role is None or not seen.add(role, child):
                valid = False
                continue
            roles.append(role)
        return roles if valid else None

    def open_question(self, node: Node) -> dict[str, Any] | None:
        fields = self.check.mapping(
            node, required=OPEN_QUESTION_REQUIRED, optional=OPEN_QUESTION_OPTIONAL
        )
        if fields is None:
            return None
        content: dict[str, Any] = {
            "id": self.entry_id(fields.get("id")),
            "text": self.text(fields.get("text")),
            "max_length": DEFAULT_OPEN_QUESTION_MAX_LENGTH,
        }
        if "max_length" in fields:
            content["max_length"] = self.check.integer(fields["max_length"], minimum=1)
        return content


def _at_own_key(node: Node) -> Node:
    """``node`` positioned at its key, for problems about a key being there at all."""
    if node.key_line is None or node.key_col is None:
        return node
    return Node(node.value, node.path, node.key_line, node.key_col)


def parse_questionnaire(text: str, filename: str = "<string>") -> Questionnaire:
    """Parse and validate questionnaire YAML ``text``.

    ``filename`` is only used in problem reports. Raises :class:`QuestionnaireError` listing
    every problem, ordered by position.
    """
    checker = Checker(filename)
    root = checker.load(text)
    content = None
    if root is not None:
        if root.value is None:
            checker.report_at(1, 1, "the file is empty; expected a questionnaire mapping")
        else:
            content = _Walker(checker).document(root)
    if checker.problems or content is None:
        raise QuestionnaireError(checker.sorted_problems())
    try:
        return Questionnaire.from_dict(content)
    except ValueError as exc:  # pragma: no cover - the walker rejects whatever the model would
        raise QuestionnaireError([Problem(filename, 1, 1, str(exc))]) from exc


def _read(path: Path, filename: str) -> str:
    # One byte past the limit is enough to refuse a file, however large it is.
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    too_large = size_problem(filename, data)
    if too_large is not None:
        raise QuestionnaireError([too_large])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        problem = Problem(filename, line, col, f"file is not valid UTF-8: {exc.reason}")
        raise QuestionnaireError([problem]) from exc


def load_questionnaire(path: str | os.PathLike[str]) -> Questionnaire:
    """Load and validate the questionnaire file at ``path``.

    Raises :class:`QuestionnaireError` for invalid content and ``OSError`` if unreadable.
    """
    file_path = Path(path)
    filename = str(path)
    return parse_questionnaire(_read(file_path, filename), filename)


def check_file(path: str | os.PathLike[str]) -> tuple[Questionnaire | None, list[Problem]]:
    """Load ``path`` and return ``(questionnaire, [])`` or ``(None, problems)``; never raises
    for invalid or unreadable files."""
    try:
        return load_questionnaire(path), []
    except QuestionnaireError as exc:
        return None, exc.problems
    except OSError as exc:
        return None, [Problem(str(path), 1, 1, f"cannot read file: {exc.strerror or exc}")]
    except Exception as exc:
        # A file no check foresaw must still be reported as this file's problem, never stop
        # the listing of a folder (``discover``) or the validation of other files at it.
        message = f"cannot be read as a questionnaire ({type(exc).__name__}: {exc})"
        return None, [Problem(str(path), 1, 1, message)]


def validate_file(path: str | os.PathLike[str]) -> list[Problem]:
    """Return every problem in the questionnaire file at ``path`` (empty when valid)."""
    return check_file(path)[1]


def _id_position(path: Path) -> tuple[int, int]:
    """1-based position of the top-level ``id`` value, for cross-file problems."""
    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8-sig"))
        if isinstance(data, CommentedMap) and "id" in data:
            line, col = data.lc.value("id")
            return int(line) + 1, int(col) + 1
    except (OSError, UnicodeDecodeError, YAMLError):
        pass
    return 1, 1


def _was_positions(path: Path) -> dict[str, tuple[int, int]]:
    """1-based position of each item's ``was`` value, by item id."""
    found: dict[str, tuple[int, int]] = {}
    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, YAMLError):
        return found
    dimensions = data.get("dimensions") if isinstance(data, CommentedMap) else None
    for dimension in dimensions if isinstance(dimensions, list) else ():
        items = dimension.get("items") if isinstance(dimension, CommentedMap) else None
        for item in items if isinstance(items, list) else ():
            if isinstance(item, CommentedMap) and "was" in item and "id" in item:
                line, col = item.lc.value("was")
                found[str(item["id"])] = (int(line) + 1, int(col) + 1)
    return found


def lineage_problems(
    path: str | os.PathLike[str],
    questionnaire: Questionnaire,
    others: Iterable[Questionnaire],
) -> list[Problem]:
    """Problems of the ``was:`` links of ``questionnaire`` (read from ``path``).

    When the previous version it declares is among ``others`` (the library), each ``was``
    must name one of that version's items; a version absent from the library cannot be
    checked and yields no problem.
    """
    if questionnaire.previous_version is None:
        return []
    previous = latest(others, questionnaire.id, questionnaire.previous_version)
    if previous is None:
        return []
    known = {item.id for item in previous.items}
    broken = [
        item for item in questionnaire.items if item.was is not None and item.was not in known
    ]
    if not broken:
        return []
    positions = _was_positions(Path(path))
    problems = []
    for item in broken:
        line, col = positions.get(item.id, (1, 1))
        hint = suggestion(item.was or "", sorted(known))
        message = (
            f"dimensions.items.was: item {item.id!r} names {item.was!r}, which is no item of "
            f"{questionnaire.id} {previous.version}{hint}"
        )
        problems.append(Problem(str(path), line, col, message))
    return sorted(problems)


def discover(
    directory: str | os.PathLike[str],
    check: Callable[[Path], tuple[Questionnaire | None, list[Problem]]] = check_file,
) -> list[tuple[Path, Questionnaire | None, list[Problem]]]:
    """Validate every ``*.yaml``/``*.yml`` file directly in ``directory``, sorted by name.

    This is the questionnaire library of the CLI and of the web alike. Campaigns refer to
    questionnaires by id and version, so the pair must be unique: when two files define the
    same id and version, both are reported and neither is offered, since choosing one by its
    file name would be arbitrary. ``check`` validates one file (``check_file``, or a cached
    version of it).
    """
    root = Path(directory)
    paths = sorted(
        path for path in root.iterdir() if path.is_file() and path.suffix in YAML_SUFFIXES
    )
    checked = [(path, *check(path)) for path in paths]
    places: dict[tuple[str, str], list[Path]] = {}
    for path, questionnaire, _problems in checked:
        if questionnaire is not None:
            places.setdefault((questionnaire.id, questionnaire.version), []).append(path)
    results: list[tuple[Path, Questionnaire | None, list[Problem]]] = []
    for path, questionnaire, problems in checked:
        if questionnaire is not None:
            same = places[(questionnaire.id, questionnaire.version)]
            if len(same) > 1:
                line, col = _id_position(path)
                others = ", ".join(other.name for other in same if other != path)
                message = (
                    f"id: questionnaire {questionnaire.id!r} version {questionnaire.version!r} "
                    f"is also defined in {others}; neither file is offered until each "
                    "id and version pair is unique"
                )
                problems = [Problem(str(path), line, col, message)]
                questionnaire = None
        results.append((path, questionnaire, problems))
    offered = [questionnaire for _path, questionnaire, _problems in results if questionnaire]
    linked: list[tuple[Path, Questionnaire | None, list[Problem]]] = []
    for path, questionnaire, problems in results:
        if questionnaire is not None:
            broken = lineage_problems(path, questionnaire, offered)
            if broken:
                questionnaire, problems = None, broken
        linked.append((path, questionnaire, problems))
    return linked


def left_out_notice(path: Path, problems: Sequence[Problem]) -> str:
    """Why a library file is not offered, in one line (the CLI and the workspace show it)."""
    if len(problems) == 1:
        problem = problems[0]
        return f"{path.name}:{problem.line}:{problem.col}: {problem.message}"
    return f"{path.name}: invalid ({len(problems)} problems)"


def version_key(version: str) -> tuple[int, ...]:
    """A semantic version's MAJOR.MINOR.PATCH as numbers, for ordering versions."""
    core = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
    return tuple(int(part) for part in core.groups()) if core else ()


def latest(
    questionnaires: Iterable[Questionnaire], questionnaire_id: str, version: str | None = None
) -> Questionnaire | None:
    """The questionnaire with that id (the highest version unless one is given), or None."""
    matches = [
        q
        for q in questionnaires
        if q.id == questionnaire_id and (version is None or q.version == version)
    ]
    return max(matches, key=lambda q: version_key(q.version), default=None)
