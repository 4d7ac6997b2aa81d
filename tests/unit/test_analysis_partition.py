"""Anonymity across overlapping breakdowns: partition_statuses, and summaries built from it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis import GroupInput, GroupStatus, role_gaps, suppression_statuses
from app.analysis.anonymity import Family, partition_statuses
from app.analysis.gaps import adjust_family, holm_adjust
from app.analysis.summary import summarise_with_statuses

OK, SUPPRESSED, NO_DATA = GroupStatus.OK, GroupStatus.SUPPRESSED, GroupStatus.NO_DATA
PROPERTY = settings(max_examples=150, deadline=None, database=None)


def test_flat_breakdown_matches_the_single_breakdown_rule_when_one_group_is_small() -> None:
    counts = {"total": 33, "a": 10, "b": 3, "c": 8, "d": 0, "e": 12}
    family = Family("total", ("a", "b", "c", "d", "e"))
    statuses = partition_statuses(counts, [family], 5)
    expected = suppression_statuses({k: v for k, v in counts.items() if k != "total"}, 5)
    assert {k: v for k, v in statuses.items() if k != "total"} == expected
    assert statuses["c"] is SUPPRESSED
    assert statuses["d"] is NO_DATA


def test_two_small_groups_that_together_stay_below_the_threshold_hide_a_third() -> None:
    # 1 + 2 people could be worked out together from the total: one more group goes.
    counts = {"total": 23, "a": 1, "b": 2, "c": 8, "d": 12}
    statuses = partition_statuses(counts, [Family("total", ("a", "b", "c", "d"))], 5)
    assert [k for k, v in statuses.items() if v is SUPPRESSED] == ["a", "b", "c"]


def test_two_small_groups_reaching_the_threshold_together_are_enough() -> None:
    counts = {"total": 25, "a": 2, "b": 3, "c": 8, "d": 12}
    statuses = partition_statuses(counts, [Family("total", ("a", "b", "c", "d"))], 5)
    assert [k for k, v in statuses.items() if v is SUPPRESSED] == ["a", "b"]


def test_hidden_total_imposes_nothing() -> None:
    counts = {"total": 4, "a": 1, "b": 3}
    statuses = partition_statuses(counts, [Family("total", ("a", "b"))], 5)
    assert statuses == {"total": SUPPRESSED, "a": SUPPRESSED, "b": SUPPRESSED}
    counts = {"total": 21, "a": 3, "b": 18}
    statuses = partition_statuses(counts, [Family(None, ("a", "b"))], 5)
    assert statuses["b"] is OK


def test_people_directly_in_a_parent_department_protect_or_need_protection() -> None:
    # Parent 40 = 12 directly + child A 3 + child B 25. The 12 are never shown but also
    # never derivable alone, so they protect A: A is hidden, B stays.
    counts = {"parent": 40, "direct": 12, "a": 3, "b": 25}
    family = Family("parent", ("direct", "a", "b"))
    statuses = partition_statuses(counts, [family], 5, never_shown=["direct"])
    assert (statuses["a"], statuses["b"]) == (SUPPRESSED, OK)
    # With only 1 person directly in the parent, parent - B would reveal A + 1 = 4 people.
    counts = {"parent": 29, "direct": 1, "a": 3, "b": 25}
    statuses = partition_statuses(counts, [family], 5, never_shown=["direct"])
    assert statuses["b"] is SUPPRESSED
    # Twelve people directly in the parent may be worked out; nothing else is hidden for it.
    counts = {"parent": 52, "direct": 12, "a": 15, "b": 25}
    statuses = partition_statuses(counts, [family], 5, never_shown=["direct"])
    assert (statuses["direct"], statuses["a"], statuses["b"]) == (SUPPRESSED, OK, OK)


def test_cross_classified_cells_are_protected_along_both_directions() -> None:
    # Roles within departments: the executive of department 1 is alone in their cell. Within
    # department 1 the middle managers are hidden as its complement; within the executive
    # role, department 2's executives are hidden too, so neither total gives the cell away.
    counts = {
        "org": 60,
        "exec": 11,
        "staff": 49,
        "d1": 25,
        "d2": 35,
        "d1.exec": 1,
        "d1.staff": 24,
        "d2.exec": 10,
        "d2.staff": 25,
    }
    families = [
        Family("org", ("exec", "staff")),
        Family("org", ("d1", "d2")),
        Family("d1", ("d1.exec", "d1.staff")),
        Family("d2", ("d2.exec", "d2.staff")),
        Family("exec", ("d1.exec", "d2.exec")),
        Family("staff", ("d1.staff", "d2.staff")),
    ]
    statuses = partition_statuses(counts, families, 5)
    hidden = {k for k, v in statuses.items() if v is SUPPRESSED}
    assert hidden == {"d1.exec", "d1.staff", "d2.exec", "d2.staff"}


def test_unknown_cells_and_bad_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="without a count"):
        partition_statuses({"a": 3}, [Family("total", ("a",))], 5)
    with pytest.raises(ValueError, match="negative"):
        partition_statuses({"a": -1}, [], 5)
    with pytest.raises(ValueError, match="threshold"):
        partition_statuses({"a": 1}, [], 0)


@st.composite
def _partitions(draw: st.DrawFn) -> tuple[dict[str, int], list[Family], int]:
    threshold = draw(st.integers(3, 10))
    parts = draw(st.lists(st.integers(0, 30), min_size=1, max_size=7))
    counts = {"total": sum(parts)}
    counts.update({f"g{i}": n for i, n in enumerate(parts)})
    return counts, [Family("total", tuple(f"g{i}" for i in range(len(parts))))], threshold


@PROPERTY
@given(_partitions())
def test_no_subset_of_hidden_groups_below_the_threshold_can_be_derived(case) -> None:
    counts, families, threshold = case
    statuses = partition_statuses(counts, families, threshold)
    members = families[0].members
    hidden = [k for k in members if statuses[k] is SUPPRESSED]
    for key in members:
        if 0 < counts[key] < threshold:
            assert statuses[key] is SUPPRESSED
    if statuses["total"] is OK:
        hidden_total = sum(counts[k] for k in hidden)
        # What the shown total minus the shown groups reveals is never a small group, nor a
        # single hidden group.
        assert hidden_total == 0 or hidden_total >= threshold
        assert len([k for k in hidden if counts[k] > 0]) != 1


def test_summaries_leave_out_hidden_cells_but_keep_agreement_from_all_items() -> None:
    rng = np.random.default_rng(7)
    group = GroupInput(
        8,
        {"d1": rng.uniform(1, 5, 8), "d2": rng.uniform(1, 5, 8)},
        {"i1": {1: 2, 3: 6}, "i2": {2: 4, 4: 4}, "i3": {5: 8}},
    )
    full = summarise_with_statuses(
        {"g": group}, {"g": OK}, scale_min=1, scale_max=5, dimension_items={"d1": ["i1", "i2"]}
    )["g"]
    hidden = summarise_with_statuses(
        {"g": group},
        {"g": OK},
        scale_min=1,
        scale_max=5,
        dimension_items={"d1": ["i1", "i2"], "d2": ["i3"]},
        hidden_cells={"g": ["d2", "i2"]},
    )["g"]
    assert set(hidden.dimensions) == {"d1"}
    assert set(hidden.distributions) == {"i1", "i3"}
    assert "d2" not in hidden.agreement
    assert hidden.agreement["d1"] == pytest.approx(full.agreement["d1"])
    suppressed = summarise_with_statuses({"g": group}, {"g": SUPPRESSED}, scale_min=1, scale_max=5)[
        "g"
    ]
    assert suppressed.n is None
    assert not suppressed.dimensions


def test_adjust_family_reruns_holm_over_gaps_gathered_from_several_calls() -> None:
    rng = np.random.default_rng(3)
    per_department = []
    for shift in (0.0, 0.6):
        groups = {
            "top": GroupInput(12, {"d": rng.normal(3.5 + shift, 0.5, 12)}),
            "bottom": GroupInput(12, {"d": rng.normal(3.0, 0.5, 12)}),
        }
        summaries = summarise_with_statuses(
            groups, {"top": OK, "bottom": OK}, scale_min=1, scale_max=5
        )
        per_department.append(role_gaps(summaries, ["top", "bottom"]))
    gathered = list(itertools.chain.from_iterable(per_department))
    adjusted = adjust_family(gathered)
    expected = holm_adjust([gap.p_value for gap in gathered])
    assert [gap.p_adjusted for gap in adjusted] == pytest.approx(expected)
    assert all(gap.significant == (gap.p_adjusted < 0.05) for gap in adjusted)
