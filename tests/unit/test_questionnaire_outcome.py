"""The customer-outcome dimension: declared in the YAML with its own 0-10 scale, asked of
everyone, kept apart from the dimensions and items that maturity is scored from."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.questionnaire import (
    LocalizedText,
    OutcomeDimension,
    OutcomeItem,
    Questionnaire,
    QuestionnaireError,
    Scale,
    discover,
    load_questionnaire,
    parse_questionnaire,
)
from tests import versions_support

REPO = Path(__file__).resolve().parents[2]

# Line numbers below are stable: variants replace text within a line, so the expected
# positions can be read off this listing.
WITH_OUTCOME = """\
id: mini
version: "1.0.0"
locales: [ja, en]
title: {ja: ミニ, en: Mini}
scale:
  min: 1
  max: 3
  labels:
    1: {ja: 低, en: Low}
    2: {ja: 中, en: Mid}
    3: {ja: 高, en: High}
dimensions:
  - id: org
    kind: capability
    title: {ja: 組織, en: Org}
    items:
      - id: org_a
        text: {ja: あ, en: A}
  - id: customer_outcome
    kind: outcome
    title: {ja: 顧客成果, en: Customer outcome}
    scale:
      min: 0
      max: 10
      labels:
        0: {ja: まったくそう思わない, en: Not at all likely}
        10: {ja: 非常にそう思う, en: Extremely likely}
    items:
      - id: co_recommend
        text: {ja: 勧めると思います。, en: They would recommend us.}
open_questions:
  - id: comments
    text: {ja: ご意見, en: Comments}
"""

WITHOUT_OUTCOME = WITH_OUTCOME.split("  - id: customer_outcome\n")[0] + (
    "open_questions:\n  - id: comments\n    text: {ja: ご意見, en: Comments}\n"
)

#: The content hashes of the questionnaires shipped before the outcome dimension existed:
#: campaigns froze these, and ``from_dict`` refuses stored content whose hash has moved.
SHIPPED_HASHES = {
    "cx-five-capabilities-1.0.0.yaml": (
        "2af502385af84b03787e112122643ccdcb8e421e88cc33c27fc72261cad86b48"
    ),
    "cx-five-capabilities-2.0.0.yaml": (
        "04879c5217fd4e99c306df88c21ddb575a4cb8800cbd63f76df84ddf69718e68"
    ),
    "cx-improvement-cycle-1.0.0.yaml": (
        "9b761e1382705fb2f7254bf184564dff1b58c9764ee253473432d6d7a5011d29"
    ),
    "cx-improvement-cycle-2.0.0.yaml": (
        "86a0967ce2fe6dd7b33308e23e448b0785a853c13d7ac8320af97c5b3c4a0009"
    ),
}


def variant(old: str, new: str, base: str = WITH_OUTCOME) -> str:
    assert base.count(old) == 1, f"{old!r} must occur exactly once"
    return base.replace(old, new)


def problems_of(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        parse_questionnaire(text, "q.yaml")
    return [str(problem) for problem in caught.value.problems]


def text(**texts: str) -> LocalizedText:
    return LocalizedText.from_mapping(texts, ("ja", "en"))


def test_the_outcome_item_stands_apart_from_what_is_scored() -> None:
    questionnaire = parse_questionnaire(WITH_OUTCOME, "q.yaml")
    assert [d.id for d in questionnaire.dimensions] == ["org"]
    assert [item.id for item in questionnaire.items] == ["org_a"]
    assert questionnaire.kinds == ("capability",)
    assert [item.id for item in questionnaire.items_for("frontline")] == ["org_a"]
    (outcome,) = questionnaire.outcomes
    assert isinstance(outcome, OutcomeItem)
    assert questionnaire.outcome("co_recommend") is outcome
    assert (outcome.dimension_id, outcome.title.get("en")) == (
        "customer_outcome",
        "Customer outcome",
    )
    assert outcome.text.get("ja") == "勧めると思います。"
    assert (outcome.scale.min, outcome.scale.max) == (0, 10)
    assert outcome.scale.points == tuple(range(11))
    assert outcome.scale.label(0, "en") == "Not at all likely"
    assert outcome.scale.label(10, "ja") == "非常にそう思う"
    assert [point for point, _ in outcome.scale.labels] == [0, 10]
    assert not outcome.scale.labels_every_point
    assert not outcome.scale.allows_dont_know
    assert not outcome.scale.allows_not_applicable
    # Looked up as what it is, never as a rated item or a scored dimension.
    for lookup, key in (
        (questionnaire.item, "co_recommend"),
        (questionnaire.dimension, "customer_outcome"),
        (questionnaire.outcome, "org_a"),
        (questionnaire.outcome, "customer_outcome"),
        (questionnaire.outcome, "nope"),
    ):
        with pytest.raises(KeyError):
            lookup(key)
    assert questionnaire.outcome_dimension is not None
    assert questionnaire.outcome_dimension.kind == "outcome"


def test_the_outcome_round_trips_through_frozen_content() -> None:
    questionnaire = parse_questionnaire(WITH_OUTCOME, "q.yaml")
    content = questionnaire.to_dict()
    assert content["outcome"] == {
        "id": "customer_outcome",
        "title": {"ja": "顧客成果", "en": "Customer outcome"},
        "scale": {
            "min": 0,
            "max": 10,
            "labels": {
                "0": {"ja": "まったくそう思わない", "en": "Not at all likely"},
                "10": {"ja": "非常にそう思う", "en": "Extremely likely"},
            },
        },
        "items": [
            {
                "id": "co_recommend",
                "text": {"ja": "勧めると思います。", "en": "They would recommend us."},
            }
        ],
    }
    assert [d["id"] for d in content["dimensions"]] == ["org"]
    again = Questionnaire.from_dict(content)
    assert again == questionnaire
    assert again.content_hash == questionnaire.content_hash
    assert Questionnaire.from_json(questionnaire.to_json()) == questionnaire
    # The outcome is part of the content: changing it changes the hash.
    content["outcome"]["items"][0]["text"]["en"] = "Changed."
    with pytest.raises(ValueError, match="content_hash mismatch"):
        Questionnaire.from_dict(content)
    # Where the dimension stands in the file does not matter: it is always asked last.
    block = _outcome_block()
    moved = WITH_OUTCOME.replace(block, "").replace("dimensions:\n", "dimensions:\n" + block)
    assert parse_questionnaire(moved, "q.yaml").content_hash == questionnaire.content_hash


def _outcome_block() -> str:
    """The outcome dimension of ``WITH_OUTCOME``, as written there."""
    start = WITH_OUTCOME.index("  - id: customer_outcome\n")
    return WITH_OUTCOME[start : WITH_OUTCOME.index("open_questions:\n")]


def test_a_questionnaire_without_outcome_keeps_its_content_and_hash() -> None:
    plain = parse_questionnaire(WITHOUT_OUTCOME, "q.yaml")
    assert plain.outcomes == ()
    assert plain.outcome_dimension is None
    assert "outcome" not in plain.to_dict()
    assert plain.content_hash != parse_questionnaire(WITH_OUTCOME, "q.yaml").content_hash
    for name, expected in SHIPPED_HASHES.items():
        shipped = load_questionnaire(REPO / "questionnaires" / name)
        assert shipped.outcomes == ()
        assert shipped.content_hash == expected, name


def test_an_item_may_have_its_own_outcome_scale() -> None:
    own = variant(
        "        text: {ja: 勧めると思います。, en: They would recommend us.}\n",
        "        text: {ja: 勧めると思います。, en: They would recommend us.}\n"
        "        scale: {min: 1, max: 7, labels: {1: {ja: 低, en: Low}, 7: {ja: 高, en: High}}}\n",
    )
    questionnaire = parse_questionnaire(own, "q.yaml")
    (outcome,) = questionnaire.outcomes
    assert (outcome.scale.min, outcome.scale.max) == (1, 7)
    written = questionnaire.to_dict()["outcome"]
    assert written["scale"]["max"] == 10
    assert written["items"][0]["scale"]["max"] == 7
    assert Questionnaire.from_dict(questionnaire.to_dict()) == questionnaire
    # The same scale written again on the item is the same content.
    same = variant(
        "        text: {ja: 勧めると思います。, en: They would recommend us.}\n",
        "        text: {ja: 勧めると思います。, en: They would recommend us.}\n"
        "        scale:\n"
        "          min: 0\n"
        "          max: 10\n"
        "          labels:\n"
        "            0: {ja: まったくそう思わない, en: Not at all likely}\n"
        "            10: {ja: 非常にそう思う, en: Extremely likely}\n",
    )
    parsed = parse_questionnaire(same, "q.yaml")
    assert parsed.content_hash == parse_questionnaire(WITH_OUTCOME, "q.yaml").content_hash


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "    title: {ja: 組織, en: Org}\n",
            "    title: {ja: 組織, en: Org}\n    scale: {min: 0, max: 10}\n",
            [
                "q.yaml:16:5: dimensions[0].scale: only a dimension of kind 'outcome' has its "
                "own scale; capability items are rated on the questionnaire's scale"
            ],
            id="scale-on-a-capability",
        ),
        pytest.param(
            "        text: {ja: あ, en: A}\n",
            "        text: {ja: あ, en: A}\n        scale: {min: 0, max: 10}\n",
            [
                "q.yaml:19:9: dimensions[0].items[0].scale: only an item of a dimension of kind "
                "'outcome' has its own scale; rated items use the questionnaire's scale"
            ],
            id="scale-on-a-rated-item",
        ),
        pytest.param(
            "        text: {ja: 勧めると思います。, en: They would recommend us.}\n",
            "        text: {ja: 勧めると思います。, en: They would recommend us.}\n"
            "        levels: {0: {ja: x, en: x}}\n"
            "        reverse: true\n"
            "        weight: 2\n"
            "        audience: [executive]\n"
            "        was: recommend\n",
            [
                "q.yaml:31:9: dimensions[1].items[0].levels: an outcome item has no 'levels': "
                "its scale's labels are what respondents see",
                "q.yaml:32:9: dimensions[1].items[0].reverse: an outcome item has no 'reverse': "
                "it is never part of a maturity score",
                "q.yaml:33:9: dimensions[1].items[0].weight: an outcome item has no 'weight': "
                "it is never part of a maturity score",
                "q.yaml:34:9: dimensions[1].items[0].audience: an outcome item has no "
                "'audience': it is asked of every respondent",
                "q.yaml:35:9: dimensions[1].items[0].was: an outcome item has no 'was': it "
                "keeps its id from one version to the next",
            ],
            id="outcome-item-fields",
        ),
        pytest.param(
            "    scale:\n      min: 0\n",
            "    scal:\n      min: 0\n",
            [
                "q.yaml:19:5: dimensions[1]: missing required key 'scale': an outcome dimension "
                "has its own scale, e.g. scale: {min: 0, max: 10, labels: {0: ..., 10: ...}}",
                "q.yaml:22:5: dimensions[1]: unknown key 'scal' (did you mean 'scale'?)",
            ],
            id="outcome-without-scale",
        ),
        pytest.param(
            "      max: 10\n",
            "      max: 10\n      dont_know: {ja: わからない, en: Don't know}\n",
            [
                "q.yaml:25:7: dimensions[1].scale.dont_know: an outcome scale has numbers "
                "only: a respondent who cannot answer leaves the item unanswered"
            ],
            id="outcome-dont-know",
        ),
        pytest.param(
            "      max: 10\n",
            "      max: 11\n",
            [
                "q.yaml:24:12: dimensions[1].scale.max: an outcome scale has at most 11 points "
                "(such as 0 to 10), got 12"
            ],
            id="outcome-too-many-points",
        ),
        pytest.param(
            "        10: {ja: 非常にそう思う, en: Extremely likely}\n",
            "        5: {ja: どちらとも, en: Neither}\n",
            [
                "q.yaml:26:9: dimensions[1].scale.labels: missing label for scale point 10 (an "
                "outcome scale labels at least both ends)"
            ],
            id="outcome-end-unlabelled",
        ),
        pytest.param(
            "        10: {ja: 非常にそう思う, en: Extremely likely}\n",
            "        10: {ja: 非常にそう思う, en: Extremely likely}\n        11: {ja: x, en: x}\n",
            ["q.yaml:28:9: dimensions[1].scale.labels: label key 11 is outside the scale 0..10"],
            id="outcome-label-outside",
        ),
        pytest.param(
            "      - id: co_recommend\n",
            "      - id: org_a\n",
            [
                "q.yaml:29:13: dimensions[1].items[0].id: duplicate id 'org_a' (first defined "
                "at line 17, column 13, dimensions[0].items[0].id)"
            ],
            id="outcome-id-clash",
        ),
    ],
)
def test_outcome_problems_point_at_file_line_col(old: str, new: str, expected: list[str]) -> None:
    assert problems_of(variant(old, new)) == expected


def test_at_most_one_outcome_dimension() -> None:
    second = WITH_OUTCOME.replace(
        "open_questions:\n",
        _outcome_block().replace("customer_outcome", "second").replace("co_recommend", "co_two")
        + "open_questions:\n",
    )
    assert problems_of(second) == [
        "q.yaml:32:11: dimensions[2].kind: a questionnaire has at most one dimension of kind "
        "'outcome' (the first is at line 20, column 11)"
    ]


def test_the_outcome_is_no_questionnaire_by_itself() -> None:
    alone = WITH_OUTCOME.replace(
        "  - id: org\n    kind: capability\n    title: {ja: 組織, en: Org}\n"
        "    items:\n      - id: org_a\n        text: {ja: あ, en: A}\n",
        "",
    )
    assert problems_of(alone) == [
        "q.yaml:13:3: dimensions: must list at least one capability or stage dimension "
        "besides the outcome dimension"
    ]


def _scale(low: int, high: int, **extra: LocalizedText) -> Scale:
    return Scale(
        min=low,
        max=high,
        labels=((low, text(ja="低", en="low")), (high, text(ja="高", en="high"))),
        **extra,
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: OutcomeItem(
                id="o",
                text=text(ja="x", en="x"),
                dimension_id="d",
                title=text(ja="d", en="d"),
                scale=_scale(0, 10, dont_know=text(ja="?", en="?")),
            ),
            "only numbers",
        ),
        (
            lambda: OutcomeItem(
                id="o",
                text=text(ja="x", en="x"),
                dimension_id="d",
                title=text(ja="d", en="d"),
                scale=_scale(0, 11),
            ),
            "at most 11 points",
        ),
        (
            lambda: OutcomeDimension(
                id="d", title=text(ja="d", en="d"), scale=_scale(0, 10), items=()
            ),
            "no items",
        ),
        (
            lambda: OutcomeDimension(
                id="d",
                title=text(ja="d", en="d"),
                scale=_scale(0, 10),
                items=(
                    OutcomeItem(
                        id="o",
                        text=text(ja="x", en="x"),
                        dimension_id="other",
                        title=text(ja="d", en="d"),
                        scale=_scale(0, 10),
                    ),
                ),
            ),
            "does not belong",
        ),
    ],
)
def test_outcome_model_invariants(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_a_restriction_for_scoring_leaves_the_outcome_out() -> None:
    questionnaire = parse_questionnaire(WITH_OUTCOME, "q.yaml")
    restricted = questionnaire.restricted({"org": list(questionnaire.items)})
    assert restricted is not None
    assert restricted.outcomes == ()


def test_a_version_that_only_adds_the_outcome_links_to_both_earlier_versions(tmp_path) -> None:
    """2.1.0 keeps 2.0.0's ids and its ``was`` links to 1.0.0: a trend from a round on either
    compares every item they share."""
    old, new = versions_support.old(), versions_support.new()
    added = versions_support.NEW.replace('version: "2.0.0"', 'version: "2.1.0"').replace(
        "open_questions:\n", _outcome_block() + "open_questions:\n"
    )
    newest = parse_questionnaire(added, "mini.yaml")
    assert newest.items == new.items
    assert newest.links_to(old) == new.links_to(old)
    assert any(
        item.id != earlier.id for pairs in newest.links_to(old).values() for item, earlier in pairs
    )
    by_id = newest.links_to(new)
    assert {d: [(a.id, b.id) for a, b in pairs] for d, pairs in by_id.items()} == {
        d.id: [(item.id, item.id) for item in d.items] for d in new.dimensions
    }
    # The library offers all three, and the was: links check against 1.0.0.
    versions_support.write_library(tmp_path)
    (tmp_path / "mini-2.0.0.yaml").write_text(versions_support.NEW, encoding="utf-8")
    (tmp_path / "mini.yaml").write_text(added, encoding="utf-8")
    found = {q.version: q for _path, q, problems in discover(tmp_path) if q and not problems}
    assert set(found) == {"1.0.0", "2.0.0", "2.1.0"}


def test_the_shipped_questionnaires_ask_one_outcome_item() -> None:
    for name in ("cx-five-capabilities", "cx-improvement-cycle"):
        newest = load_questionnaire(REPO / "questionnaires" / f"{name}.yaml")
        previous = load_questionnaire(REPO / "questionnaires" / f"{name}-2.0.0.yaml")
        first = load_questionnaire(REPO / "questionnaires" / f"{name}-1.0.0.yaml")
        assert newest.version == "2.1.0"
        assert [item.id for item in newest.outcomes] == ["co_recommend"]
        (outcome,) = newest.outcomes
        assert (outcome.scale.min, outcome.scale.max) == (0, 10)
        assert outcome.scale.label(0, "ja") == "まったくそう思わない"
        assert outcome.scale.label(10, "en") == "Extremely likely"
        # Nothing else moved: the rated items are 2.0.0's, linked to 1.0.0 as 2.0.0's are.
        assert newest.dimensions == previous.dimensions
        assert newest.scale == previous.scale
        assert newest.open_questions == previous.open_questions
        assert newest.links_to(first) == previous.links_to(first)
        assert sum(len(pairs) for pairs in newest.links_to(previous).values()) == len(
            previous.items
        )
