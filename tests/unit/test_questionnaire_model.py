"""The immutable questionnaire model: round trips, hashing, immutability, invariants."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from app.questionnaire import (
    Dimension,
    Item,
    LocalizedText,
    OpenQuestion,
    OutcomeDimension,
    OutcomeItem,
    Questionnaire,
    Scale,
    canonical_json,
    compute_content_hash,
    parse_questionnaire,
)


def text(**texts: str) -> LocalizedText:
    return LocalizedText.from_mapping(texts, ("ja", "en"))


def small_questionnaire(**overrides: Any) -> Questionnaire:
    items = (
        Item(id="a1", text=text(ja="あ", en="A"), dimension_id="a"),
        Item(
            id="a2",
            text=text(ja="い", en="B"),
            dimension_id="a",
            levels=((1, text(ja="低", en="low")),),
            reverse=True,
            weight=2.0,
        ),
    )
    fields: dict[str, Any] = {
        "id": "small",
        "version": "1.0.0",
        "locales": ("ja", "en"),
        "title": text(ja="小", en="Small"),
        "scale": Scale(
            min=1,
            max=3,
            labels=tuple((p, text(ja=str(p), en=str(p))) for p in (1, 2, 3)),
            not_applicable=text(ja="該当なし", en="N/A"),
        ),
        "dimensions": (
            Dimension(id="a", kind="capability", title=text(ja="甲", en="A"), items=items),
        ),
        "open_questions": (OpenQuestion(id="note", text=text(ja="メモ", en="Note")),),
    }
    fields.update(overrides)
    return Questionnaire(**fields)


def test_to_dict_is_json_with_string_keys() -> None:
    data = small_questionnaire().to_dict()
    assert json.loads(json.dumps(data)) == data
    assert list(data["scale"]["labels"]) == ["1", "2", "3"]
    assert data["dimensions"][0]["items"][1]["levels"] == {"1": {"ja": "低", "en": "low"}}
    assert "description" not in data
    assert "estimated_minutes" not in data
    assert data["content_hash"] == small_questionnaire().content_hash


def test_round_trip_through_dict_and_json() -> None:
    questionnaire = small_questionnaire(estimated_minutes=5, description=text(ja="説", en="D"))
    assert Questionnaire.from_dict(questionnaire.to_dict()) == questionnaire
    assert Questionnaire.from_json(questionnaire.to_json()) == questionnaire
    assert Questionnaire.from_dict(questionnaire.content_dict()) == questionnaire


def test_round_trip_survives_reordered_json_keys() -> None:
    questionnaire = small_questionnaire()
    # A JSON database column may hand keys back in any order.
    reordered = json.loads(canonical_json(questionnaire.to_dict()))
    assert Questionnaire.from_dict(reordered) == questionnaire


def test_content_hash_is_sha256_of_canonical_content() -> None:
    questionnaire = small_questionnaire()
    content = questionnaire.content_dict()
    assert "content_hash" not in content
    assert questionnaire.content_hash == compute_content_hash(content)
    assert canonical_json({"b": 1, "a": "日本"}) == '{"a":"日本","b":1}'


def test_from_dict_rejects_a_tampered_hash() -> None:
    data = small_questionnaire().to_dict()
    data["title"]["en"] = "Changed"
    with pytest.raises(ValueError, match="content_hash mismatch"):
        Questionnaire.from_dict(data)


def test_from_dict_rejects_malformed_data() -> None:
    data = small_questionnaire().to_dict()
    del data["scale"]
    with pytest.raises(ValueError, match="malformed questionnaire data"):
        Questionnaire.from_dict(data)


def test_objects_are_immutable_and_hashable() -> None:
    questionnaire = small_questionnaire()
    with pytest.raises(dataclasses.FrozenInstanceError):
        questionnaire.id = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        questionnaire.scale.min = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        questionnaire.items[0].weight = 3.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        questionnaire.title.entries = ()  # type: ignore[misc]
    assert isinstance(questionnaire.dimensions, tuple)
    assert isinstance(questionnaire.items, tuple)
    assert hash(questionnaire) == hash(small_questionnaire())
    assert {questionnaire: 1}[small_questionnaire()] == 1


def test_deepcopy_is_equal() -> None:
    questionnaire = small_questionnaire()
    assert copy.deepcopy(questionnaire) == questionnaire


def test_localized_text_lookup() -> None:
    title = LocalizedText.from_mapping({"en": "Small", "ja": "小"}, ("ja", "en"))
    assert title.locales == ("ja", "en")
    assert title.get("en") == "Small"
    assert title.get("fr") == "小"
    assert title.get("fr", "en") == "Small"
    assert title.get(None) == "小"
    assert title["en"] == "Small"
    assert "en" in title
    assert "fr" not in title
    assert list(title) == ["ja", "en"]
    assert len(title) == 2
    with pytest.raises(KeyError):
        title["fr"]
    with pytest.raises(ValueError, match="at least one locale"):
        LocalizedText(entries=())


def test_questionnaire_text_falls_back_to_default_locale() -> None:
    questionnaire = small_questionnaire()
    assert questionnaire.text(questionnaire.title, "en") == "Small"
    assert questionnaire.text(questionnaire.title, "de") == "小"


def test_scale_helpers() -> None:
    scale = small_questionnaire().scale
    assert scale.points == (1, 2, 3)
    assert scale.label(2, "en") == "2"
    assert 3 in scale
    assert 4 not in scale
    assert True not in scale
    assert scale.reflect(1) == 3
    assert scale.reflect(2.5) == 1.5
    with pytest.raises(KeyError):
        scale.label(9)


def test_kinds_in_order_of_appearance() -> None:
    def dimension(dimension_id: str, kind: str) -> Dimension:
        item = Item(id=f"{dimension_id}_i", text=text(ja="x", en="x"), dimension_id=dimension_id)
        return Dimension(id=dimension_id, kind=kind, title=text(ja="x", en="x"), items=(item,))

    questionnaire = small_questionnaire(
        dimensions=(
            dimension("s1", "stage"),
            dimension("c1", "capability"),
            dimension("s2", "stage"),
        )
    )
    assert questionnaire.kinds == ("stage", "capability")
    assert [d.id for d in questionnaire.dimensions_of_kind("stage")] == ["s1", "s2"]
    assert questionnaire.dimensions_of_kind("other") == ()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Scale(min=3, max=3, labels=()), "must be less than max"),
        (lambda: Scale(min=1, max=2, labels=((1, text(ja="x", en="x")),)), "both ends"),
        (
            lambda: Scale(min=1, max=2, labels=((3, text(ja="x", en="x")),)),
            "points from min to max",
        ),
        (
            lambda: small_questionnaire(
                scale=Scale(
                    min=1,
                    max=3,
                    labels=((1, text(ja="x", en="x")), (3, text(ja="y", en="y"))),
                )
            ),
            "label every point",
        ),
        (lambda: Item(id="i", text=text(ja="x", en="x"), dimension_id="d", weight=0), "positive"),
        (lambda: OpenQuestion(id="o", text=text(ja="x", en="x"), max_length=0), "positive"),
        (lambda: Dimension(id="d", kind="stage", title=text(ja="x", en="x"), items=()), "no items"),
        (
            lambda: Dimension(
                id="d",
                kind="stage",
                title=text(ja="x", en="x"),
                items=(Item(id="i", text=text(ja="x", en="x"), dimension_id="other"),),
            ),
            "does not belong",
        ),
        (
            lambda: small_questionnaire(
                open_questions=(OpenQuestion(id="a1", text=text(ja="x", en="x")),)
            ),
            "duplicate id 'a1'",
        ),
        (lambda: small_questionnaire(locales=()), "at least one locale"),
        (lambda: small_questionnaire(dimensions=()), "at least one dimension"),
    ],
)
def test_model_invariants(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


# Property: any questionnaire the model can represent survives both the JSON round trip a
# campaign relies on and a trip through YAML and the validating loader.

ENTRY_IDS = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
# Punctuation is limited to characters ruamel's emitter always writes back readably.
TEXTS = st.text(
    alphabet=st.characters(categories=("L", "N"), include_characters=" .,()、。ー"),
    min_size=1,
    max_size=12,
).filter(lambda value: value == value.strip() and value != "")
LOCALE_CHOICES = ("ja", "en", "fr", "pt-BR", "zh-Hant")


@st.composite
def questionnaires(draw: st.DrawFn) -> Questionnaire:
    locales = tuple(
        draw(st.lists(st.sampled_from(LOCALE_CHOICES), min_size=1, max_size=3, unique=True))
    )

    def localized() -> LocalizedText:
        return LocalizedText.from_mapping({loc: draw(TEXTS) for loc in locales}, locales)

    def maybe_localized() -> LocalizedText | None:
        return localized() if draw(st.booleans()) else None

    low = draw(st.integers(-2, 3))
    high = low + draw(st.integers(1, 6))
    points = range(low, high + 1)
    item_counts = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    open_count = draw(st.integers(0, 2))
    #: Items of the outcome dimension (none: the questionnaire asks no outcome).
    outcome_count = draw(st.integers(0, 2))
    total = len(item_counts) + sum(item_counts) + open_count + outcome_count + 1
    ids = iter(draw(st.lists(ENTRY_IDS, min_size=total, max_size=total, unique=True)))

    dimensions = []
    for count in item_counts:
        dimension_id = next(ids)
        items = tuple(
            Item(
                id=next(ids),
                text=localized(),
                dimension_id=dimension_id,
                levels=tuple(
                    (point, localized())
                    for point in sorted(draw(st.sets(st.sampled_from(points), max_size=3)))
                ),
                reverse=draw(st.booleans()),
                weight=draw(
                    st.one_of(
                        st.integers(1, 5).map(float),
                        st.floats(0.01, 100, allow_nan=False, allow_infinity=False),
                    )
                ),
            )
            for _ in range(count)
        )
        dimensions.append(
            Dimension(
                id=dimension_id,
                kind=draw(st.sampled_from(("capability", "stage"))),
                title=localized(),
                description=maybe_localized(),
                items=items,
            )
        )
    outcome_dimension = None
    outcome_id = next(ids)
    if outcome_count:
        outcome_low = draw(st.integers(-1, 1))

        def outcome_scale() -> Scale:
            high = outcome_low + draw(st.integers(1, 10))
            inner: list[int] = []
            if high > outcome_low + 1:
                inside = st.integers(outcome_low + 1, high - 1)
                inner = sorted(draw(st.sets(inside, max_size=2)))
            return Scale(
                min=outcome_low,
                max=high,
                labels=tuple((point, localized()) for point in [outcome_low, *inner, high]),
            )

        shared = outcome_scale()
        title = localized()
        outcome_dimension = OutcomeDimension(
            id=outcome_id,
            title=title,
            description=maybe_localized(),
            scale=shared,
            items=tuple(
                OutcomeItem(
                    id=next(ids),
                    text=localized(),
                    dimension_id=outcome_id,
                    title=title,
                    scale=outcome_scale() if draw(st.booleans()) else shared,
                )
                for _ in range(outcome_count)
            ),
        )
    return Questionnaire(
        id=draw(st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)),
        version=".".join(str(draw(st.integers(0, 20))) for _ in range(3)),
        locales=locales,
        title=localized(),
        description=maybe_localized(),
        estimated_minutes=draw(st.none() | st.integers(1, 120)),
        scale=Scale(
            min=low,
            max=high,
            labels=tuple((point, localized()) for point in points),
            not_applicable=maybe_localized(),
        ),
        dimensions=tuple(dimensions),
        open_questions=tuple(
            OpenQuestion(id=next(ids), text=localized(), max_length=draw(st.integers(1, 5000)))
            for _ in range(open_count)
        ),
        outcome_dimension=outcome_dimension,
    )


def to_yaml(questionnaire: Questionnaire) -> str:
    """Write a questionnaire as its YAML author would, with integer scale keys."""
    content = questionnaire.content_dict()

    def integer_keys(points: dict[str, Any]) -> dict[int, Any]:
        return {int(key): value for key, value in points.items()}

    content["scale"]["labels"] = integer_keys(content["scale"]["labels"])
    for dimension in content["dimensions"]:
        for item in dimension["items"]:
            item["levels"] = integer_keys(item["levels"])
    outcome = content.pop("outcome", None)
    if outcome is not None:
        # Written where an author writes it: among the dimensions, as one of kind outcome.
        outcome["kind"] = "outcome"
        for scale in [
            outcome["scale"],
            *(item["scale"] for item in outcome["items"] if "scale" in item),
        ]:
            scale["labels"] = integer_keys(scale["labels"])
        content["dimensions"].append(outcome)
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(content, stream)
    return stream.getvalue()


@settings(max_examples=40, deadline=None, database=None)
@given(questionnaires())
def test_property_round_trips(questionnaire: Questionnaire) -> None:
    assert Questionnaire.from_dict(questionnaire.to_dict()) == questionnaire
    assert Questionnaire.from_json(questionnaire.to_json()) == questionnaire
    parsed = parse_questionnaire(to_yaml(questionnaire), "generated.yaml")
    assert parsed == questionnaire
    assert parsed.content_hash == questionnaire.content_hash
