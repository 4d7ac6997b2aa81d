"""Perception gaps, Holm adjustment, direction labels and trends."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from app.analysis import (
    DIRECTION_LABELS,
    AnonymityPolicy,
    GroupInput,
    GroupStats,
    Moments,
    compare,
    department_gaps,
    describe,
    direction_label,
    hedges_g,
    holm_adjust,
    is_notable,
    rest_of_organization,
    role_gaps,
    summarise_groups,
    trend,
    trends,
    welch_test,
)
from app.analysis.gaps import Gap, Trend, adjust_family

PROPERTY = settings(max_examples=60, deadline=None, database=None)
ROLES = ["executive", "middle_manager", "frontline"]


def summaries(groups: dict[str, dict[str, list[float]]], threshold: int = 3) -> dict:
    return summarise_groups(
        {
            key: GroupInput(n_submitted=len(next(iter(scores.values()))), scores=scores)
            for key, scores in groups.items()
        },
        AnonymityPolicy(threshold),
        scale_min=1,
        scale_max=5,
    )


def test_hedges_g_against_a_direct_computation() -> None:
    a = np.array([4.0, 4.5, 5.0, 3.5, 4.0])
    b = np.array([3.0, 2.5, 3.5, 3.0])
    n_a, n_b = len(a), len(b)
    pooled = math.sqrt(((n_a - 1) * a.var(ddof=1) + (n_b - 1) * b.var(ddof=1)) / (n_a + n_b - 2))
    # J = 1 - 3 / (4 * 9 - 9) = 1 - 3/27 = 8/9
    expected = (a.mean() - b.mean()) / pooled * (8 / 9)
    g = hedges_g(n_a, a.mean(), a.std(ddof=1), n_b, b.mean(), b.std(ddof=1))
    assert g == pytest.approx(expected)


def test_hedges_g_hand_worked() -> None:
    # a: n=3, mean 4, sd 1; b: n=3, mean 3, sd 1 -> pooled sd 1, d = 1, J = 1 - 3/15 = 0.8
    assert hedges_g(3, 4.0, 1.0, 3, 3.0, 1.0) == pytest.approx(0.8)


def test_welch_matches_scipy_ttest_ind() -> None:
    a = np.array([4.0, 4.5, 5.0, 3.5, 4.0, 4.2])
    b = np.array([3.0, 2.5, 3.5, 3.0, 4.5])
    result = welch_test(len(a), a.mean(), a.std(ddof=1), len(b), b.mean(), b.std(ddof=1))
    reference = scipy_stats.ttest_ind(a, b, equal_var=False)
    assert result is not None
    assert result.t == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue)
    # Welch-Satterthwaite df written out.
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    assert result.df == pytest.approx(df)


def test_small_or_constant_groups_give_no_test_and_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert welch_test(1, 4.0, None, 5, 3.0, 1.0) is None
        assert welch_test(3, 4.0, 0.0, 3, 3.0, 0.0) is None
        assert hedges_g(3, 4.0, 0.0, 3, 3.0, 0.0) is None
        assert hedges_g(1, 4.0, None, 5, 3.0, 1.0) is None
        one_constant = welch_test(3, 4.0, 0.0, 3, 3.0, 1.0)
        assert one_constant is not None
        assert 0.0 <= one_constant.p_value <= 1.0
        gap = compare("d", "a", "b", describe([4.0, 4.0, 4.0]), describe([3.0, 3.0]))
        assert gap is not None
        assert gap.difference == 1.0
        assert gap.p_value is None
        assert gap.hedges_g is None
        assert not gap.significant
        assert gap.notable
        assert compare("d", "a", "b", describe([]), describe([3.0, 4.0])) is None


def test_holm_hand_worked() -> None:
    # Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06.
    adjusted = holm_adjust([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm_adjust([0.5, 0.6]) == [1.0, 1.0]
    assert holm_adjust([None, 0.02, float("nan"), 0.04]) == [None, 0.04, None, 0.04]
    assert holm_adjust([]) == []


def test_notable_threshold_is_half_a_point_despite_float_noise() -> None:
    assert is_notable(4.1 - 3.6)
    assert is_notable(-0.5)
    assert not is_notable(0.49)
    assert not is_notable(None)


def test_role_gaps_directions_and_family_adjustment() -> None:
    result = summaries(
        {
            "executive": {"d1": [4.0, 4.5, 5.0, 4.5], "d2": [2.0, 2.5, 2.0, 2.5]},
            "middle_manager": {"d1": [4.0, 4.5, 4.5, 4.0], "d2": [3.0, 3.5, 3.0, 2.5]},
            "frontline": {"d1": [2.0, 2.5, 3.0, 2.0], "d2": [3.5, 4.0, 3.5, 4.0]},
        }
    )
    gaps = role_gaps(result, ROLES)
    assert len(gaps) == 6
    by_key = {(g.dimension, g.a, g.b): g for g in gaps}
    top = by_key[("d1", "executive", "frontline")]
    assert top.difference == pytest.approx(4.5 - 2.375)
    assert top.direction == "blind_spot_at_the_top"
    assert by_key[("d2", "executive", "frontline")].direction == "hidden_strength_below"
    assert by_key[("d1", "executive", "middle_manager")].direction == "aligned"
    assert [g.p_adjusted for g in gaps] == pytest.approx(holm_adjust([g.p_value for g in gaps]))
    for gap in gaps:
        assert gap.p_adjusted is not None
        assert gap.p_value is not None
        assert gap.significant == (gap.p_adjusted < 0.05)
        json.dumps(gap.to_dict(), allow_nan=False)
    reference = scipy_stats.ttest_ind([4.0, 4.5, 5.0, 4.5], [2.0, 2.5, 3.0, 2.0], equal_var=False)
    assert top.p_value == pytest.approx(reference.pvalue)


def test_family_adjustment_matches_dataclass_replace() -> None:
    result = summaries(
        {
            "executive": {"d1": [4.0, 4.5, 5.0, 4.5], "d2": [2.0, 2.5, 2.0, 2.5]},
            "frontline": {"d1": [2.0, 2.5, 3.0, 2.0], "d2": [3.5, 4.0, 3.5, 4.0]},
        }
    )
    raw = role_gaps(result, ROLES, adjust=False)
    adjusted = adjust_family(raw + raw)
    expected = holm_adjust([g.p_value for g in raw + raw])
    for gap, after, p in zip(raw + raw, adjusted, expected, strict=True):
        significant = p is not None and p < 0.05
        assert after == dataclasses.replace(gap, p_adjusted=p, significant=significant)
        assert type(after) is type(gap)
        assert after.to_dict()["p_adjusted"] == p
    # The originals are left as they were.
    assert [g.p_adjusted for g in raw] == [g.p_value for g in raw]


def test_role_gaps_leave_out_suppressed_roles() -> None:
    result = summaries(
        {
            "executive": {"d1": [4.0, 5.0]},
            "middle_manager": {"d1": [3.0, 3.5, 4.0, 3.0, 4.5]},
            "frontline": {"d1": [2.0, 2.5, 3.0, 2.0]},
            "unassigned": {"d1": []},
        },
        threshold=4,
    )
    # executive (2 < 4) is suppressed, so frontline (the smallest shown) is suppressed too.
    assert not result["executive"].shown
    assert not result["frontline"].shown
    assert role_gaps(result, [*ROLES, "unassigned"]) == []
    with pytest.raises(ValueError, match="hierarchy"):
        role_gaps(result, ROLES)


def test_department_gaps_against_the_rest() -> None:
    org = {
        "sales": [4.0, 4.5, 5.0, 4.0, 4.5],
        "support": [2.0, 2.5, 3.0, 2.5],
        "it": [3.0, 3.5, 3.0, 4.0],
        "legal": [3.0],
    }
    result = summaries({key: {"d1": values} for key, values in org.items()}, threshold=3)
    assert not result["legal"].shown
    assert not result["it"].shown  # complementary suppression of the smallest shown group
    everyone = Moments.from_values([v for values in org.values() for v in values])
    rest = {
        key: {"d1": rest_of_organization(everyone, Moments.from_values(values))}
        for key, values in org.items()
    }
    gaps = department_gaps(result, rest)
    assert [(g.a, g.b) for g in gaps] == [("sales", "rest"), ("support", "rest")]
    sales = gaps[0]
    others = [v for key, values in org.items() if key != "sales" for v in values]
    assert sales.mean_b == pytest.approx(np.mean(others))
    reference = scipy_stats.ttest_ind(org["sales"], others, equal_var=False)
    assert sales.p_value == pytest.approx(reference.pvalue)
    assert sales.direction == "above_rest"
    assert gaps[1].direction == "below_rest"
    assert [g.p_adjusted for g in gaps] == pytest.approx(holm_adjust([g.p_value for g in gaps]))


def test_rest_of_organization_equals_describing_the_rest() -> None:
    group = [4.0, 5.0, 4.5]
    others = [2.0, 3.0, 3.5, 4.0]
    rest = rest_of_organization(Moments.from_values(group + others), Moments.from_values(group))
    expected = describe(others)
    assert rest.n == expected.n
    assert rest.mean == pytest.approx(expected.mean)
    assert rest.sd == pytest.approx(expected.sd)


def test_trend_matches_scipy() -> None:
    current = [3.5, 4.0, 4.5, 4.0, 3.0]
    previous = [2.5, 3.0, 3.5, 3.0]
    result = trend("d1", "org", describe(current), describe(previous))
    assert result is not None
    assert result.change == pytest.approx(np.mean(current) - np.mean(previous))
    assert result.p_value == pytest.approx(
        scipy_stats.ttest_ind(current, previous, equal_var=False).pvalue
    )
    assert result.hedges_g == pytest.approx(
        hedges_g(5, np.mean(current), np.std(current, ddof=1), 4, 3.0, np.std(previous, ddof=1))
    )
    assert result.notable
    json.dumps(result.to_dict(), allow_nan=False)
    assert trend("d1", "org", describe([]), describe(previous)) is None


def test_a_gap_placed_for_the_outputs_keeps_its_figures() -> None:
    groups = {"executive": {"d1": [4.0, 4.5, 5.0, 4.0]}, "frontline": {"d1": [2.0, 3.0, 2.5, 3.0]}}
    gap = role_gaps(summaries(groups), ["executive", "frontline"])[0]
    high, low = describe(groups["executive"]["d1"]), describe(groups["frontline"]["d1"])
    assert (gap.breakdown, gap.a_label) == (None, None)
    placed = gap.placed(
        "role",
        {"role": "executive"},
        {"role": "frontline"},
        {"ja": "経営層", "en": "Executive"},
        {"ja": "現場", "en": "Front line"},
    )
    assert type(placed) is Gap
    assert (placed.breakdown, placed.a, placed.b_label["en"]) == (
        "role",
        {"role": "executive"},
        "Front line",
    )
    unchanged = [f.name for f in dataclasses.fields(Gap) if f.name not in ("a", "b")]
    unchanged = [n for n in unchanged if n not in ("breakdown", "a_label", "b_label")]
    assert all(getattr(placed, name) == getattr(gap, name) for name in unchanged)
    assert placed.direction == "blind_spot_at_the_top"
    assert placed.direction_label == DIRECTION_LABELS["blind_spot_at_the_top"]
    assert compare("d1", "a", "b", high, low).direction_label["en"] == "Aligned"


def test_a_trend_names_its_parts_as_a_change() -> None:
    result = trend("d1", "dept:3", describe([3.0, 4.0, 4.0]), describe([2.0, 3.0, 2.0, 3.0]))
    assert result is not None
    placed = result.placed("department", {"department": 3}, {"department": 3}, {"en": "HQ"}, {})
    assert type(placed) is Trend
    assert (placed.key, placed.label, placed.group) == ({"department": 3}, {"en": "HQ"}, placed.a)
    assert (placed.n_current, placed.n_previous) == (3, 4)
    assert placed.current_mean == pytest.approx(11 / 3)
    assert placed.previous_mean == pytest.approx(2.5)
    assert placed.change == placed.difference == pytest.approx(11 / 3 - 2.5)


def test_trends_skip_groups_suppressed_in_either_round() -> None:
    now = summaries({"a": {"d1": [3.0, 4.0, 5.0]}, "b": {"d1": [3.0, 4.0, 5.0, 4.0]}})
    before = summaries({"a": {"d1": [2.0, 3.0, 4.0]}, "b": {"d1": [3.0, 4.0]}})
    assert not before["b"].shown
    assert not before["a"].shown
    assert trends(now, before) == []
    before_shown = summaries({"a": {"d1": [2.0, 3.0, 4.0]}, "b": {"d1": [3.0, 4.0, 3.0]}})
    found = trends(now, before_shown)
    assert [(t.group, t.dimension) for t in found] == [("a", "d1"), ("b", "d1")]
    assert [t.p_adjusted for t in found] == pytest.approx(holm_adjust([t.p_value for t in found]))


def test_direction_labels_have_both_languages() -> None:
    for key, labels in DIRECTION_LABELS.items():
        assert set(labels) >= {"en", "ja"}
        assert direction_label(key, "fr") == labels["en"]
    assert direction_label("blind_spot_at_the_top", "ja") == "経営層の盲点"
    assert direction_label("hidden_strength_below", "ja") == "現場の隠れた強み"


@PROPERTY
@given(st.lists(st.one_of(st.none(), st.floats(0.0, 1.0)), max_size=30))
def test_property_holm_is_at_least_raw_monotone_and_capped(p_values: list[float | None]) -> None:
    adjusted = holm_adjust(p_values)
    pairs = [(p, a) for p, a in zip(p_values, adjusted, strict=True) if p is not None]
    assert all(a is None for p, a in zip(p_values, adjusted, strict=True) if p is None)
    for p, a in pairs:
        assert a is not None
        assert p <= a <= 1.0
    ordered = sorted(pairs)
    for (p1, a1), (p2, a2) in itertools.pairwise(ordered):
        if p1 < p2:
            assert a1 <= a2


samples = st.lists(st.integers(1, 5).map(float), min_size=2, max_size=25)


@PROPERTY
@given(samples, samples)
def test_property_welch_and_hedges_match_scipy_and_raw_data(a: list[float], b: list[float]) -> None:
    assume(np.var(a) > 0 and np.var(b) > 0)
    stats_a, stats_b = describe(a), describe(b)
    gap = compare("d", "a", "b", stats_a, stats_b)
    assert gap is not None
    reference = scipy_stats.ttest_ind(a, b, equal_var=False)
    assert gap.p_value == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-12)
    assert gap.t == pytest.approx(reference.statistic, rel=1e-9, abs=1e-12)
    pooled = math.sqrt(
        ((len(a) - 1) * np.var(a, ddof=1) + (len(b) - 1) * np.var(b, ddof=1))
        / (len(a) + len(b) - 2)
    )
    correction = 1 - 3 / (4 * (len(a) + len(b)) - 9)
    assert gap.hedges_g == pytest.approx(
        (np.mean(a) - np.mean(b)) / pooled * correction, rel=1e-9, abs=1e-12
    )
    from_sums = compare(
        "d",
        "a",
        "b",
        GroupStats(stats_a.n, stats_a.mean, stats_a.sd, None, None, None),
        GroupStats(stats_b.n, stats_b.mean, stats_b.sd, None, None, None),
    )
    assert from_sums == gap


@PROPERTY
@given(
    st.lists(st.integers(1, 5).map(float), max_size=12),
    st.lists(st.integers(1, 5).map(float), max_size=12),
)
def test_property_comparisons_never_warn(a: list[float], b: list[float]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gap = compare("d", "a", "b", describe(a), describe(b))
    if gap is not None and gap.p_value is not None:
        assert 0.0 <= gap.p_value <= 1.0


@PROPERTY
@given(
    st.lists(st.integers(12, 60).map(lambda k: k / 12), min_size=1, max_size=20),
    st.lists(st.integers(12, 60).map(lambda k: k / 12), max_size=20),
)
def test_property_rest_from_sums_equals_describing_the_rest(
    group: list[float], others: list[float]
) -> None:
    rest = rest_of_organization(Moments.from_values(group + others), Moments.from_values(group))
    expected = describe(others)
    assert rest.n == expected.n
    for name in ("mean", "sd", "ci_low", "ci_high"):
        value, reference = getattr(rest, name), getattr(expected, name)
        if reference is None:
            assert value is None
        else:
            assert value == pytest.approx(reference, rel=1e-9, abs=1e-9)
