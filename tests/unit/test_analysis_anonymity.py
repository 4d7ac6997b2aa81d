"""Anonymity: suppression, complementary suppression, open text, suppressed group summaries."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis import (
    AnonymityPolicy,
    GroupInput,
    GroupStatus,
    GroupSummary,
    Moments,
    describe,
    open_text_minimum,
    open_text_visible,
    point_counts,
    role_gaps,
    rwg_j,
    summarise_groups,
    suppressed_groups,
    suppression_statuses,
)

PROPERTY = settings(max_examples=80, deadline=None, database=None)
OK, SUPPRESSED, NO_DATA = GroupStatus.OK, GroupStatus.SUPPRESSED, GroupStatus.NO_DATA


def test_small_groups_are_suppressed_and_empty_ones_have_no_data() -> None:
    statuses = suppression_statuses({"a": 10, "b": 3, "c": 8, "d": 0, "e": 12}, 5)
    # b is below 5; alone it could be recovered from the total, so c (8, the smallest shown)
    # goes too.
    assert statuses == {"a": OK, "b": SUPPRESSED, "c": SUPPRESSED, "d": NO_DATA, "e": OK}


def test_complementary_suppression_breaks_ties_by_key() -> None:
    assert suppressed_groups({"b": 6, "a": 6, "c": 2}, 5) == {"a", "c"}


def test_no_complement_needed_when_two_are_already_suppressed() -> None:
    assert suppressed_groups({"a": 2, "b": 3, "c": 10}, 5) == {"a", "b"}


def test_no_complement_when_the_parent_total_is_hidden() -> None:
    assert suppressed_groups({"a": 10, "b": 3, "c": 8}, 5, parent_shown=False) == {"b"}


def test_threshold_boundary_and_lone_group() -> None:
    assert suppression_statuses({"a": 5, "b": 5}, 5) == {"a": OK, "b": OK}
    assert suppression_statuses({"a": 4}, 5) == {"a": SUPPRESSED}
    assert suppression_statuses({}, 5) == {}


def test_invalid_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="threshold"):
        AnonymityPolicy(0)
    with pytest.raises(ValueError, match="threshold"):
        suppression_statuses({"a": 1}, True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        suppression_statuses({"a": -1}, 3)


def test_open_text_needs_at_least_ten_and_the_threshold() -> None:
    assert not open_text_visible(9, 3)
    assert open_text_visible(10, 3)
    assert not open_text_visible(11, 3, 12)
    assert open_text_visible(12, 3, 12)
    assert not open_text_visible(9, 3, 5), "a campaign's minimum never goes below ten"
    assert AnonymityPolicy(3).open_text_visible(10)
    assert not AnonymityPolicy(3, open_text=20).open_text_visible(19)


def test_open_text_minimum_is_the_largest_of_ten_the_setting_and_the_threshold() -> None:
    assert open_text_minimum(3) == 10
    assert open_text_minimum(8, 25) == 25
    for threshold in (1, 5, 9, 12):
        for setting in (10, 15, 50):
            minimum = open_text_minimum(threshold, setting)
            assert minimum == max(threshold, setting)
            assert open_text_visible(minimum, threshold, setting)
            assert not open_text_visible(minimum - 1, threshold, setting)
    with pytest.raises(ValueError, match="positive whole number"):
        open_text_minimum(0)


def test_policy_methods_use_the_same_rules() -> None:
    policy = AnonymityPolicy(5)
    groups = {"a": 10, "b": 3, "c": 8}
    assert policy.statuses(groups) == suppression_statuses(groups, 5)
    assert policy.suppressed(groups) == {"b", "c"}


def test_summaries_of_suppressed_groups_carry_no_numbers() -> None:
    groups = {
        "big": GroupInput(
            6,
            scores={"d1": [1.0, 2.0, 3.0, 4.0, 5.0, 5.0]},
            item_counts={"q1": {1: 1, 2: 1, 3: 1, 4: 1, 5: 2}},
        ),
        "bigger": GroupInput(7, scores={"d1": Moments.from_values([3.0] * 7)}),
        "small": GroupInput(2, scores={"d1": [5.0, 5.0]}, item_counts={"q1": {5: 2}}),
        "empty": GroupInput(0),
    }
    result = summarise_groups(
        groups,
        AnonymityPolicy(5),
        scale_min=1,
        scale_max=5,
        dimension_items={"d1": ["q1"]},
    )
    assert result["small"].to_dict() == {
        "key": "small",
        "status": "suppressed",
        "n": None,
        "dimensions": {},
        "agreement": {},
        "distributions": {},
    }
    assert result["big"].status is SUPPRESSED  # complement of "small"
    assert result["empty"].to_dict()["status"] == "no_data"
    assert result["empty"].n == 0
    shown = result["bigger"]
    assert shown.n == 7
    stats = shown.stats("d1")
    assert stats is not None
    assert stats.mean == pytest.approx(3.0)
    assert stats.median is None  # built from sums
    assert result["small"].stats("d1") is None
    for summary in result.values():
        json.dumps(summary.to_dict(), allow_nan=False)


def test_shown_summary_contents() -> None:
    answers = np.array([[4, 2], [5, 2], [4, 3], [3, np.nan]], dtype=float)
    counts = {f"q{i}": point_counts(answers[:, i], 1, 5) for i in range(2)}
    result = summarise_groups(
        {"team": GroupInput(4, scores={"d1": [3.0, 3.5, 3.5, 3.0]}, item_counts=counts)},
        AnonymityPolicy(3),
        scale_min=1,
        scale_max=5,
        dimension_items={"d1": ["q0", "q1"]},
    )
    team = result["team"]
    assert team.shown
    assert team.stats("d1") == describe([3.0, 3.5, 3.5, 3.0])
    assert team.distributions["q1"].counts == (0, 2, 1, 0, 0)
    assert team.agreement["d1"] == pytest.approx(rwg_j(answers, 5))
    with pytest.raises(TypeError):
        team.dimensions["d2"] = describe([1.0])  # type: ignore[index]


def test_a_suppressed_summary_cannot_be_built_with_numbers() -> None:
    with pytest.raises(ValueError, match="cannot carry numbers"):
        GroupSummary("x", SUPPRESSED, 3)
    with pytest.raises(ValueError, match="cannot carry numbers"):
        GroupSummary("x", SUPPRESSED, None, dimensions={"d1": describe([1.0])})
    with pytest.raises(ValueError, match="cannot carry numbers"):
        GroupSummary("x", NO_DATA, None)


breakdowns = st.dictionaries(
    st.text(alphabet="abcdefgh", min_size=1, max_size=3), st.integers(0, 30), max_size=8
)


@PROPERTY
@given(breakdowns, st.integers(1, 10))
def test_property_complementary_suppression_holds(groups: dict[str, int], threshold: int) -> None:
    statuses = suppression_statuses(groups, threshold)
    suppressed = [key for key, status in statuses.items() if status is SUPPRESSED]
    shown = [key for key, status in statuses.items() if status is OK]
    for key, n in groups.items():
        assert (statuses[key] is NO_DATA) == (n == 0)
        if 0 < n < threshold:
            assert statuses[key] is SUPPRESSED
        if statuses[key] is OK:
            assert n >= threshold
    if shown:
        assert len(suppressed) != 1
    primary = [key for key, n in groups.items() if 0 < n < threshold]
    complementary = set(suppressed) - set(primary)
    assert len(complementary) <= 1
    if complementary:
        (extra,) = complementary
        assert all((groups[extra], extra) < (groups[key], key) for key in shown)


@PROPERTY
@given(breakdowns, st.integers(1, 10), st.randoms(use_true_random=False))
def test_property_suppression_ignores_group_order(
    groups: dict[str, int], threshold: int, rng: object
) -> None:
    items = list(groups.items())
    rng.shuffle(items)  # type: ignore[attr-defined]
    assert suppression_statuses(dict(items), threshold) == suppression_statuses(groups, threshold)


@PROPERTY
@given(
    st.integers(2, 10),
    st.lists(st.integers(1, 5), min_size=1, max_size=9),
    st.lists(st.integers(1, 5), min_size=10, max_size=20),
)
def test_property_adding_respondents_below_the_threshold_reveals_nothing(
    threshold: int, newcomers: list[int], others: list[int]
) -> None:
    newcomers = newcomers[: threshold - 1]
    policy = AnonymityPolicy(threshold)
    other = GroupInput(
        len(others),
        scores={"d1": [float(v) for v in others]},
        item_counts={"q1": point_counts(others, 1, 5)},
    )
    seen = set()
    for size in range(1, len(newcomers) + 1):
        answers = newcomers[:size]
        small = GroupInput(
            size,
            scores={"d1": [float(v) for v in answers]},
            item_counts={"q1": point_counts(answers, 1, 5)},
        )
        result = summarise_groups(
            {"small": small, "other": other},
            policy,
            scale_min=1,
            scale_max=5,
            dimension_items={"d1": ["q1"]},
        )
        seen.add(json.dumps(result["small"].to_dict(), sort_keys=True))
        # The only other group is suppressed in complement, so the total reveals nothing.
        assert not result["other"].shown
        assert role_gaps(result, ["other", "small"]) == []
    assert seen == {
        json.dumps(
            {
                "key": "small",
                "status": "suppressed",
                "n": None,
                "dimensions": {},
                "agreement": {},
                "distributions": {},
            },
            sort_keys=True,
        )
    }
