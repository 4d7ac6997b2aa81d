"""The shipped recommendations read as a consultancy deliverable: actions, owners, horizons,
measures, in sequence, in the register a Japanese client expects (reports/recommendations.yaml
and the rules' recommendations; the owner functions of reports/owners.yaml)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from app.analysis.actions import HORIZONS, Action, OwnerCatalogue, load_owners
from app.analysis.recommendations import RecommendationCatalogue, load_recommendations

ROOT = Path(__file__).resolve().parent.parent.parent
REPORTS = ROOT / "reports"
CAPABILITIES = ("org_behavior", "design", "operations", "digital", "unlearning")
STAGES = ("strategy", "planning", "rollout", "monitoring")

#: How long an action and its measure may be in Japanese (a table cell).
ACTION_MAX_JA = 90
MEASURE_MAX_JA = 60
#: Words of help text, or of a description of a state, that an action never uses.
NOT_AN_INSTRUCTION_JA = (
    "しましょう",
    "してください",
    "が大切",
    "が重要です",
    "状態です",
    "できている",
)
NOT_AN_INSTRUCTION_EN = ("let's", "you should", "please", "it is important")
#: Something a client can check: a number, a date or the next assessment.
OBSERVABLE_JA = re.compile(r"[0-9０-９]|次回診断|毎月|毎年|四半期|半期")


@functools.cache
def owners() -> OwnerCatalogue:
    return load_owners(REPORTS / "owners.yaml")


@functools.cache
def levels() -> RecommendationCatalogue:
    return load_recommendations(REPORTS / "recommendations.yaml", known_owners=tuple(OWNERS))


OWNERS = tuple(load_owners(REPORTS / "owners.yaml").owners)


def assert_consultancy_register(action: Action) -> None:
    """An instruction in the plain form (ja) or the imperative (en), never help text or a state."""
    ja, en = action.text["ja"], action.text["en"]
    for word in NOT_AN_INSTRUCTION_JA:
        assert word not in ja + action.measure["ja"], f"{word!r} in {ja!r}"
    assert not re.search(r"(です|ます|ましょう)。?$", ja), ja
    assert not ja.endswith("。"), ja
    for word in NOT_AN_INSTRUCTION_EN:
        assert word not in en.lower(), f"{word!r} in {en!r}"
    assert not en.endswith("."), en
    assert en.split()[0] not in ("The", "A", "An", "It", "This", "We", "You", "Our"), en
    assert OBSERVABLE_JA.search(action.measure["ja"]), action.measure["ja"]


def assert_fits_a_table_cell(action: Action) -> None:
    """Short enough for a row of the actions table; placeholders count as a long title."""

    def length(text: str) -> int:
        return len(re.sub(r"\{[^{}]*\}", "x" * 12, text))

    assert length(action.text["ja"]) <= ACTION_MAX_JA, action.text["ja"]
    assert length(action.measure["ja"]) <= MEASURE_MAX_JA, action.measure["ja"]
    assert length(action.text["en"]) <= 200, action.text["en"]
    assert length(action.measure["en"]) <= 120, action.measure["en"]


def test_the_owner_functions() -> None:
    assert set(owners().owners) == {
        "executive_team",
        "cx_office",
        "business_units",
        "department_head",
        "hr",
        "it_digital",
        "marketing",
        "customer_contact",
    }
    assert owners().label("executive_team", "ja") == "経営層"
    assert owners().label("department_head", "en") == "Department head"
    # The glossary's one term per concept: a unit is a 部署, never a 部門.
    assert not [key for key, names in owners().owners.items() if "部門" in names["ja"]]


def test_every_dimension_and_level_has_actions() -> None:
    assert set(levels().entries) == set(CAPABILITIES + STAGES)
    for dimension, by_level in levels().entries.items():
        assert sorted(by_level) == [1, 2, 3, 4, 5], dimension


@pytest.mark.parametrize("dimension", CAPABILITIES + STAGES)
def test_every_level_has_two_or_three_actions_in_sequence(dimension: str) -> None:
    for level in range(1, 6):
        actions = levels().for_level(dimension, level)
        assert 2 <= len(actions) <= 3, (dimension, level)
        order = [HORIZONS.index(action.horizon) for action in actions]
        assert order == sorted(order), (dimension, level)
        # As written in the file, already in sequence.
        assert tuple(levels().entries[dimension][level]) == actions


@pytest.mark.parametrize("dimension", CAPABILITIES + STAGES)
def test_level_actions_read_as_a_deliverable(dimension: str) -> None:
    for level in range(1, 6):
        for action in levels().for_level(dimension, level):
            assert action.owner in OWNERS
            assert action.scope in ("organisation", "department")
            if action.scope == "department":
                assert action.owner == "department_head"
            assert_consultancy_register(action)
            assert_fits_a_table_cell(action)


def test_no_two_levels_repeat_an_action() -> None:
    texts = [
        action.text["ja"]
        for by_level in levels().entries.values()
        for actions in by_level.values()
        for action in actions
    ]
    assert len(set(texts)) == len(texts)


def test_the_register_check_catches_help_text_and_states() -> None:
    measure = {"ja": "次回診断で3.0以上", "en": "3.0 next round"}
    for ja in ("CXビジョンを定めましょう。", "CX指標が経営会議で使われている状態です"):
        action = Action({"ja": ja, "en": "Define it"}, "cx_office", "0-6", measure, "organisation")
        with pytest.raises(AssertionError):
            assert_consultancy_register(action)
    vague = Action(
        {"ja": "CXビジョンを定める", "en": "Define the vision"},
        "cx_office",
        "0-6",
        {"ja": "しっかり進める", "en": "Progress"},
        "organisation",
    )
    with pytest.raises(AssertionError):
        assert_consultancy_register(vague)
