"""Immutable in-memory representation of a questionnaire definition.

Every object here is a frozen dataclass built from tuples, so a parsed questionnaire can be
shared freely between requests and used as a dictionary key. ``Questionnaire.to_dict`` and
``Questionnaire.from_dict`` convert to and from plain JSON-compatible data: a campaign stores
that data so its answers are always interpreted against the exact content respondents saw.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

#: The kinds of dimension scored for maturity.
DIMENSION_KINDS: tuple[str, ...] = ("capability", "stage")
#: The kind of the one dimension whose items are customer outcomes: asked of everyone on
#: their own scale and never part of a maturity score.
OUTCOME_KIND = "outcome"
#: Most points an outcome scale may have (0-10): the survey shows them in one or two rows.
MAX_OUTCOME_POINTS = 11
#: The role keys an item's ``audience`` may name: the roles every organisation starts with
#: (``app.models.DEFAULT_ROLES``), from the top of the hierarchy down.
AUDIENCE_ROLES: tuple[str, ...] = ("executive", "middle_manager", "frontline")
DEFAULT_OPEN_QUESTION_MAX_LENGTH = 2000
DEFAULT_WEIGHT = 1.0


def canonical_json(data: Any) -> str:
    """Serialise ``data`` deterministically: sorted keys, UTF-8 text, no insignificant spaces."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_content_hash(content: Mapping[str, Any]) -> str:
    """Return the sha256 hex digest of the canonical JSON of a questionnaire content dict."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class LocalizedText:
    """A text available in several locales, kept in the questionnaire's locale order."""

    entries: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if not self.entries:
            raise ValueError("a localized text needs at least one locale")
        seen = [locale for locale, _ in self.entries]
        if len(set(seen)) != len(seen):
            raise ValueError(f"duplicate locale in localized text: {seen}")

    @classmethod
    def from_mapping(cls, texts: Mapping[str, str], order: Sequence[str] = ()) -> LocalizedText:
        """Build from ``{locale: text}``, ordering locales listed in ``order`` first.

        Ordering by the questionnaire's locales keeps equality independent of how a JSON
        store happened to order the keys.
        """
        ranked = {locale: index for index, locale in enumerate(order)}
        keys = sorted(texts, key=lambda loc: (ranked.get(loc, len(ranked)), loc))
        return cls(entries=tuple((str(loc), str(texts[loc])) for loc in keys))

    @property
    def locales(self) -> tuple[str, ...]:
        """Locales this text is available in."""
        return tuple(locale for locale, _ in self.entries)

    def get(self, locale: str | None = None, fallback: str | None = None) -> str:
        """Return the text in ``locale``, else in ``fallback``, else in the first locale.

        Texts built by the loader list the questionnaire's default locale first, so the last
        resort is the default-locale text.
        """
        for wanted in (locale, fallback):
            if wanted is None:
                continue
            for candidate, text in self.entries:
                if candidate == wanted:
                    return text
        return self.entries[0][1]

    def __getitem__(self, locale: str) -> str:
        for candidate, text in self.entries:
            if candidate == locale:
                return text
        raise KeyError(locale)

    def __contains__(self, locale: object) -> bool:
        return any(candidate == locale for candidate, _ in self.entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self.locales)

    def __len__(self) -> int:
        return len(self.entries)

    def to_dict(self) -> dict[str, str]:
        """Return ``{locale: text}`` in locale order."""
        return dict(self.entries)


def _points_text(pairs: Iterable[tuple[int, LocalizedText]], value: int) -> LocalizedText | None:
    for point, text in pairs:
        if point == value:
            return text
    return None


@dataclass(frozen=True, kw_only=True)
class Scale:
    """An answer scale: integer points ``min..max`` with labels.

    Both ends are always labelled; the questionnaire's rating scale, shared by every rated
    item, labels every point (an outcome scale such as 0-10 may label its ends only).
    """

    min: int
    max: int
    labels: tuple[tuple[int, LocalizedText], ...]
    #: The label of "not applicable"; alone (without ``dont_know``) it also stands for
    #: "don't know", as in questionnaires written before the two were told apart.
    not_applicable: LocalizedText | None = None
    #: The label of "don't know", an answer of its own when declared.
    dont_know: LocalizedText | None = None

    def __post_init__(self) -> None:
        if self.min >= self.max:
            raise ValueError(f"scale min ({self.min}) must be less than max ({self.max})")
        labelled = [point for point, _ in self.labels]
        if labelled != sorted(set(labelled)) or not set(labelled) <= set(self.points):
            raise ValueError("scale labels must be points from min to max, in order")
        if not labelled or labelled[0] != self.min or labelled[-1] != self.max:
            raise ValueError("scale labels must label both ends of the scale")

    @property
    def labels_every_point(self) -> bool:
        """Whether every point has a label (as the rating scale of a questionnaire must)."""
        return len(self.labels) == len(self.points)

    @property
    def points(self) -> tuple[int, ...]:
        """Every valid answer value, ascending."""
        return tuple(range(self.min, self.max + 1))

    @property
    def allows_not_applicable(self) -> bool:
        """Whether respondents may answer "not applicable" (or, alone, "don't know / not
        applicable")."""
        return self.not_applicable is not None

    @property
    def allows_dont_know(self) -> bool:
        """Whether respondents may answer "don't know" as an answer of its own."""
        return self.dont_know is not None

    def __contains__(self, value: object) -> bool:
        return (
            isinstance(value, int) and not isinstance(value, bool) and self.min <= value <= self.max
        )

    def label(self, value: int, locale: str | None = None, fallback: str | None = None) -> str:
        """Return the label of scale point ``value``; raise ``KeyError`` for other values."""
        text = _points_text(self.labels, value)
        if text is None:
            raise KeyError(value)
        return text.get(locale, fallback)

    def reflect(self, value: int | float) -> int | float:
        """Mirror ``value`` around the middle of the scale, as reverse-keyed items need."""
        return self.min + self.max - value


@dataclass(frozen=True, kw_only=True)
class Item:
    """One rated statement belonging to a dimension."""

    id: str
    text: LocalizedText
    dimension_id: str
    levels: tuple[tuple[int, LocalizedText], ...] = ()
    reverse: bool = False
    weight: float = DEFAULT_WEIGHT
    #: The role keys asked this item; empty means every role.
    audience: tuple[str, ...] = ()
    #: The id of the item of the previous version whose meaning this item keeps.
    was: str | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise ValueError(f"item {self.id!r}: weight must be a positive number")
        unknown = [role for role in self.audience if role not in AUDIENCE_ROLES]
        if unknown:
            raise ValueError(f"item {self.id!r}: unknown audience role(s) {unknown}")

    def asks(self, role_key: str | None) -> bool:
        """Whether a respondent of the role ``role_key`` is asked this item.

        Items without an audience are asked of everyone; an item limited to some roles is
        asked of those roles only. A role the questionnaire cannot name (none, or one an
        organisation added) is asked every item.
        """
        if not self.audience or role_key not in AUDIENCE_ROLES:
            return True
        return role_key in self.audience

    def level(
        self, value: int, locale: str | None = None, fallback: str | None = None
    ) -> str | None:
        """Return the anchored descriptor for ``value``, or ``None`` if there is none."""
        text = _points_text(self.levels, value)
        return None if text is None else text.get(locale, fallback)


@dataclass(frozen=True, kw_only=True)
class Dimension:
    """A group of items measuring one capability or one maturity stage."""

    id: str
    kind: str
    title: LocalizedText
    items: tuple[Item, ...]
    description: LocalizedText | None = None

    def __post_init__(self) -> None:
        if not self.items:
            raise ValueError(f"dimension {self.id!r} has no items")
        for item in self.items:
            if item.dimension_id != self.id:
                raise ValueError(f"item {item.id!r} does not belong to dimension {self.id!r}")


@dataclass(frozen=True, kw_only=True)
class OpenQuestion:
    """A free-text question asked after the rated items."""

    id: str
    text: LocalizedText
    max_length: int = DEFAULT_OPEN_QUESTION_MAX_LENGTH

    def __post_init__(self) -> None:
        if self.max_length <= 0:
            raise ValueError(f"open question {self.id!r}: max_length must be positive")


@dataclass(frozen=True, kw_only=True)
class OutcomeItem:
    """A customer-outcome statement ("our customers would recommend us"), asked of every
    respondent on its own scale (such as 0-10) after the rated items.

    Never part of a maturity score, gap or finding: the dimensions' scores are what explain
    it. Answering is optional, and there is no "don't know" or "not applicable" answer.
    """

    id: str
    text: LocalizedText
    dimension_id: str
    #: The title of its dimension.
    title: LocalizedText
    scale: Scale

    def __post_init__(self) -> None:
        if self.scale.allows_dont_know or self.scale.allows_not_applicable:
            raise ValueError(f"outcome item {self.id!r}: its scale has only numbers")
        if len(self.scale.points) > MAX_OUTCOME_POINTS:
            raise ValueError(
                f"outcome item {self.id!r}: a scale of at most {MAX_OUTCOME_POINTS} points"
            )


@dataclass(frozen=True, kw_only=True)
class OutcomeDimension:
    """The dimension of kind ``outcome``: its items and the scale they are answered on."""

    id: str
    title: LocalizedText
    scale: Scale
    items: tuple[OutcomeItem, ...]
    description: LocalizedText | None = None

    def __post_init__(self) -> None:
        if not self.items:
            raise ValueError(f"outcome dimension {self.id!r} has no items")
        for item in self.items:
            if item.dimension_id != self.id or item.title != self.title:
                raise ValueError(f"item {item.id!r} does not belong to dimension {self.id!r}")

    @property
    def kind(self) -> str:
        return OUTCOME_KIND


#: What an id of a questionnaire may name.
_Entry = Item | Dimension | OutcomeDimension | OutcomeItem | OpenQuestion


def _points_to_dict(pairs: Iterable[tuple[int, LocalizedText]]) -> dict[str, dict[str, str]]:
    return {str(point): text.to_dict() for point, text in pairs}


def _scale_dict(scale: Scale) -> dict[str, Any]:
    content: dict[str, Any] = {
        "min": scale.min,
        "max": scale.max,
        "labels": _points_to_dict(scale.labels),
    }
    if scale.not_applicable is not None:
        content["not_applicable"] = scale.not_applicable.to_dict()
    if scale.dont_know is not None:
        content["dont_know"] = scale.dont_know.to_dict()
    return content


def _outcome_dict(dimension: OutcomeDimension) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": dimension.id, "title": dimension.title.to_dict()}
    if dimension.description is not None:
        entry["description"] = dimension.description.to_dict()
    entry["scale"] = _scale_dict(dimension.scale)
    items = []
    for item in dimension.items:
        written: dict[str, Any] = {"id": item.id, "text": item.text.to_dict()}
        # An item answered on its dimension's scale does not repeat it.
        if item.scale != dimension.scale:
            written["scale"] = _scale_dict(item.scale)
        items.append(written)
    entry["items"] = items
    return entry


def _item_dict(item: Item) -> dict[str, Any]:
    # Optional keys are written only when set, so older content keeps its hash.
    entry: dict[str, Any] = {
        "id": item.id,
        "text": item.text.to_dict(),
        "levels": _points_to_dict(item.levels),
        "reverse": item.reverse,
        "weight": item.weight,
    }
    if item.audience:
        entry["audience"] = list(item.audience)
    if item.was is not None:
        entry["was"] = item.was
    return entry


@dataclass(frozen=True, kw_only=True)
class Questionnaire:
    """A complete, validated questionnaire definition.

    ``content_hash`` identifies the content independently of YAML formatting and comments.
    ``dimensions``, ``items`` and ``kinds`` are what maturity is scored from; the outcome
    items (``outcomes``) stand apart from them, so nothing that scores ever meets one.
    """

    id: str
    version: str
    locales: tuple[str, ...]
    title: LocalizedText
    scale: Scale
    dimensions: tuple[Dimension, ...]
    description: LocalizedText | None = None
    #: Accepted in older files and kept in their content (and hash); the time shown to
    #: respondents is computed from the text (:mod:`app.questionnaire.timing`).
    estimated_minutes: int | None = None
    #: The version this one succeeds; its items' ``was`` name items of that version.
    previous_version: str | None = None
    open_questions: tuple[OpenQuestion, ...] = ()
    #: The customer-outcome dimension (kind ``outcome``), if the questionnaire asks one.
    outcome_dimension: OutcomeDimension | None = None
    content_hash: str = field(init=False)
    _items: tuple[Item, ...] = field(init=False, repr=False, compare=False, hash=False)
    _index: tuple[tuple[str, _Entry], ...] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if not self.locales:
            raise ValueError("a questionnaire needs at least one locale")
        if not self.dimensions:
            raise ValueError("a questionnaire needs at least one dimension")
        if not self.scale.labels_every_point:
            raise ValueError("the rating scale must label every point from min to max")
        items = tuple(item for dimension in self.dimensions for item in dimension.items)
        index: dict[str, _Entry] = {}
        outcome = () if self.outcome_dimension is None else (self.outcome_dimension,)
        entries = (*self.dimensions, *items, *outcome, *self.outcomes, *self.open_questions)
        for entry in entries:
            if entry.id in index:
                raise ValueError(f"duplicate id {entry.id!r}")
            index[entry.id] = entry
        object.__setattr__(self, "_items", items)
        object.__setattr__(self, "_index", tuple(index.items()))
        object.__setattr__(self, "content_hash", compute_content_hash(self.content_dict()))

    @property
    def default_locale(self) -> str:
        """The first declared locale, used whenever a requested locale is unavailable."""
        return self.locales[0]

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item, in definition order across dimensions."""
        return self._items

    @property
    def kinds(self) -> tuple[str, ...]:
        """Dimension kinds present, in order of first appearance."""
        return tuple(dict.fromkeys(dimension.kind for dimension in self.dimensions))

    @property
    def outcomes(self) -> tuple[OutcomeItem, ...]:
        """The customer-outcome items, asked of everyone and never scored (empty if none)."""
        return () if self.outcome_dimension is None else self.outcome_dimension.items

    def _lookup(self, entry_id: str) -> _Entry | None:
        for candidate, entry in self._index:
            if candidate == entry_id:
                return entry
        return None

    def item(self, item_id: str) -> Item:
        """Return the item with ``item_id``; raise ``KeyError`` if there is none."""
        entry = self._lookup(item_id)
        if not isinstance(entry, Item):
            raise KeyError(item_id)
        return entry

    def dimension(self, dimension_id: str) -> Dimension:
        """Return the dimension with ``dimension_id``; raise ``KeyError`` if there is none."""
        entry = self._lookup(dimension_id)
        if not isinstance(entry, Dimension):
            raise KeyError(dimension_id)
        return entry

    def open_question(self, question_id: str) -> OpenQuestion:
        """Return the open question with ``question_id``; raise ``KeyError`` if there is none."""
        entry = self._lookup(question_id)
        if not isinstance(entry, OpenQuestion):
            raise KeyError(question_id)
        return entry

    def outcome(self, item_id: str) -> OutcomeItem:
        """Return the outcome item with ``item_id``; raise ``KeyError`` if there is none."""
        entry = self._lookup(item_id)
        if not isinstance(entry, OutcomeItem):
            raise KeyError(item_id)
        return entry

    def items_for(self, role_key: str | None) -> tuple[Item, ...]:
        """The items a respondent of ``role_key`` is asked, in definition order."""
        return tuple(item for item in self._items if item.asks(role_key))

    @property
    def has_reverse_items(self) -> bool:
        """Whether any item is reverse-keyed."""
        return any(item.reverse for item in self._items)

    def restricted(
        self,
        items: Mapping[str, Sequence[Item]],
        dimensions: Sequence[Dimension] | None = None,
    ) -> Questionnaire | None:
        """The same questionnaire scored over other items: ``items[dimension id]`` per dimension.

        What a comparison over a common set of items scores. The dimensions are this
        questionnaire's unless ``dimensions`` (another version's) are given; one absent from
        ``items`` or given none is left out. An item may come from another dimension or
        version, and is placed in the dimension it is given to. None when no dimension keeps
        an item.
        """
        kept = tuple(
            Dimension(
                id=dimension.id,
                kind=dimension.kind,
                title=dimension.title,
                description=dimension.description,
                items=tuple(
                    item
                    if item.dimension_id == dimension.id
                    else replace(item, dimension_id=dimension.id)
                    for item in items[dimension.id]
                ),
            )
            for dimension in (self.dimensions if dimensions is None else dimensions)
            if items.get(dimension.id)
        )
        if not kept:
            return None
        return replace(self, dimensions=kept, open_questions=(), outcome_dimension=None)

    def links_to(self, previous: Questionnaire) -> dict[str, tuple[tuple[Item, Item], ...]]:
        """Per dimension, its items comparable with ``previous`` (an earlier version): each
        item with the earlier item it keeps the meaning of, named by ``was`` or, without one,
        by the same id. An earlier item is linked once, to the first item naming it.

        A ``was`` names an item of this version's ``previous_version``. Compared with another
        version that has no item of that name (a version that only added to the previous one
        and kept its ids, such as 2.0.0 beside 2.1.0), an item is linked by its own id.
        """
        claimed: set[str] = set()
        found: dict[str, tuple[tuple[Item, Item], ...]] = {}
        for dimension in self.dimensions:
            pairs = []
            for item in dimension.items:
                earlier = item.was if item.was is not None else item.id
                if item.was is not None and not isinstance(previous._lookup(item.was), Item):
                    earlier = item.id
                if earlier in claimed:
                    continue
                try:
                    pairs.append((item, previous.item(earlier)))
                except KeyError:
                    continue
                claimed.add(earlier)
            found[dimension.id] = tuple(pairs)
        return found

    def dimensions_of_kind(self, kind: str) -> tuple[Dimension, ...]:
        """Dimensions of ``kind`` (``capability`` or ``stage``), in definition order."""
        return tuple(dimension for dimension in self.dimensions if dimension.kind == kind)

    def scored_value(self, item_id: str, value: int | float) -> int | float:
        """Return ``value`` oriented so that higher always means more mature."""
        return self.scale.reflect(value) if self.item(item_id).reverse else value

    def text(self, text: LocalizedText, locale: str | None = None) -> str:
        """Resolve ``text`` in ``locale``, falling back to this questionnaire's default locale."""
        return text.get(locale, self.default_locale)

    def content_dict(self) -> dict[str, Any]:
        """Return the content as JSON-compatible data, without the hash.

        Absent optional values are left out rather than written as ``null`` so that adding a
        new optional field later does not change the hash of existing questionnaires.
        """
        scale = _scale_dict(self.scale)
        dimensions: list[dict[str, Any]] = []
        for dimension in self.dimensions:
            entry: dict[str, Any] = {
                "id": dimension.id,
                "kind": dimension.kind,
                "title": dimension.title.to_dict(),
            }
            if dimension.description is not None:
                entry["description"] = dimension.description.to_dict()
            entry["items"] = [_item_dict(item) for item in dimension.items]
            dimensions.append(entry)
        content: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "locales": list(self.locales),
            "title": self.title.to_dict(),
        }
        if self.description is not None:
            content["description"] = self.description.to_dict()
        if self.estimated_minutes is not None:
            content["estimated_minutes"] = self.estimated_minutes
        if self.previous_version is not None:
            content["previous_version"] = self.previous_version
        content["scale"] = scale
        content["dimensions"] = dimensions
        if self.outcome_dimension is not None:
            content["outcome"] = _outcome_dict(self.outcome_dimension)
        content["open_questions"] = [
            {"id": question.id, "text": question.text.to_dict(), "max_length": question.max_length}
            for question in self.open_questions
        ]
        return content

    def to_dict(self) -> dict[str, Any]:
        """Return the content plus ``content_hash`` as JSON-serialisable data."""
        return {**self.content_dict(), "content_hash": self.content_hash}

    def to_json(self) -> str:
        """Return ``to_dict()`` as canonical JSON text."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Questionnaire:
        """Rebuild a questionnaire from ``to_dict()`` output (or the loader's content dict).

        If ``data`` carries a ``content_hash`` it must match the rebuilt content; a mismatch
        means the stored data was altered and raises ``ValueError``.
        """
        try:
            questionnaire = _from_content(data)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed questionnaire data: {exc!r}") from exc
        expected = data.get("content_hash")
        if expected is not None and expected != questionnaire.content_hash:
            raise ValueError(
                f"content_hash mismatch for questionnaire {questionnaire.id!r}: stored "
                f"{expected}, computed {questionnaire.content_hash}"
            )
        return questionnaire

    @classmethod
    def from_json(cls, text: str) -> Questionnaire:
        """Rebuild a questionnaire from ``to_json()`` output."""
        return cls.from_dict(json.loads(text))


def _from_content(data: Mapping[str, Any]) -> Questionnaire:
    locales = tuple(str(locale) for locale in data["locales"])

    def text(value: Mapping[str, str]) -> LocalizedText:
        return LocalizedText.from_mapping(value, locales)

    def optional_text(value: Mapping[str, str] | None) -> LocalizedText | None:
        return None if value is None else text(value)

    def points(value: Mapping[Any, Mapping[str, str]]) -> tuple[tuple[int, LocalizedText], ...]:
        return tuple(sorted(((int(key), text(label)) for key, label in value.items())))

    def scale_of(raw_scale: Mapping[str, Any]) -> Scale:
        return Scale(
            min=int(raw_scale["min"]),
            max=int(raw_scale["max"]),
            labels=points(raw_scale["labels"]),
            not_applicable=optional_text(raw_scale.get("not_applicable")),
            dont_know=optional_text(raw_scale.get("dont_know")),
        )

    scale = scale_of(data["scale"])
    dimensions = tuple(
        Dimension(
            id=str(raw_dimension["id"]),
            kind=str(raw_dimension["kind"]),
            title=text(raw_dimension["title"]),
            description=optional_text(raw_dimension.get("description")),
            items=tuple(
                Item(
                    id=str(raw_item["id"]),
                    text=text(raw_item["text"]),
                    dimension_id=str(raw_dimension["id"]),
                    levels=points(raw_item.get("levels") or {}),
                    reverse=bool(raw_item.get("reverse", False)),
                    weight=float(raw_item.get("weight", DEFAULT_WEIGHT)),
                    audience=tuple(str(role) for role in raw_item.get("audience") or ()),
                    was=None if raw_item.get("was") is None else str(raw_item["was"]),
                )
                for raw_item in raw_dimension["items"]
            ),
        )
        for raw_dimension in data["dimensions"]
    )
    open_questions = tuple(
        OpenQuestion(
            id=str(raw_question["id"]),
            text=text(raw_question["text"]),
            max_length=int(raw_question.get("max_length", DEFAULT_OPEN_QUESTION_MAX_LENGTH)),
        )
        for raw_question in data.get("open_questions") or ()
    )
    outcome_dimension = None
    raw_outcome = data.get("outcome")
    if raw_outcome is not None:
        outcome_id = str(raw_outcome["id"])
        outcome_title = text(raw_outcome["title"])
        outcome_scale = scale_of(raw_outcome["scale"])
        outcome_dimension = OutcomeDimension(
            id=outcome_id,
            title=outcome_title,
            description=optional_text(raw_outcome.get("description")),
            scale=outcome_scale,
            items=tuple(
                OutcomeItem(
                    id=str(raw_item["id"]),
                    text=text(raw_item["text"]),
                    dimension_id=outcome_id,
                    title=outcome_title,
                    scale=outcome_scale
                    if raw_item.get("scale") is None
                    else scale_of(raw_item["scale"]),
                )
                for raw_item in raw_outcome["items"]
            ),
        )
    minutes = data.get("estimated_minutes")
    previous = data.get("previous_version")
    return Questionnaire(
        id=str(data["id"]),
        version=str(data["version"]),
        locales=locales,
        title=text(data["title"]),
        description=optional_text(data.get("description")),
        estimated_minutes=None if minutes is None else int(minutes),
        previous_version=None if previous is None else str(previous),
        scale=scale,
        dimensions=dimensions,
        open_questions=open_questions,
        outcome_dimension=outcome_dimension,
    )
