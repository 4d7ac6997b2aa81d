"""Group statistics: descriptives, maturity levels, agreement, reliability, balance, targets."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from app.analysis import (
    CapabilityBalance,
    GroupStats,
    ItemCountTable,
    Memberships,
    Moments,
    capability_balance,
    cronbach_alpha,
    cronbach_alpha_from_sums,
    describe,
    describe_groups,
    describe_moments,
    distribution_from_counts,
    item_distribution,
    maturity_level,
    mean_ci,
    point_counts,
    progress_from_baseline,
    rwg_j,
    rwg_j_from_moments,
    target_gaps,
)

NAN = float("nan")
PROPERTY = settings(max_examples=60, deadline=None, database=None)


def assert_close(actual: float | None, expected: float | None, tolerance: float = 1e-9) -> None:
    """Equal within tolerance, or both missing."""
    if expected is None:
        assert actual is None
    else:
        assert actual == pytest.approx(expected, rel=tolerance, abs=tolerance)


def test_describe_matches_numpy_and_scipy() -> None:
    values = [2.0, 3.0, NAN, 4.0, 5.0, None]
    result = describe(values)
    # mean = 14/4 = 3.5; deviations -1.5 -0.5 0.5 1.5; sum of squares 5; sd = sqrt(5/3)
    assert result.n == 4
    assert result.mean == pytest.approx(3.5)
    assert result.sd == pytest.approx(math.sqrt(5 / 3))
    assert result.median == pytest.approx(3.5)
    low, high = scipy_stats.t.interval(
        0.95, 3, loc=3.5, scale=scipy_stats.sem([2.0, 3.0, 4.0, 5.0])
    )
    assert result.ci_low == pytest.approx(low)
    assert result.ci_high == pytest.approx(high)
    # t(0.975, 3) = 3.18245; half width = 3.18245 * 1.29099 / 2 = 2.05426
    assert result.ci_high - 3.5 == pytest.approx(2.05426, abs=1e-5)


def test_describe_small_and_empty_groups() -> None:
    assert describe([]) == GroupStats(0, None, None, None, None, None)
    assert describe([NAN]) == GroupStats(0, None, None, None, None, None)
    assert describe([4.0]) == GroupStats(1, 4.0, None, 4.0, None, None)
    constant = describe([3.0, 3.0, 3.0])
    assert constant.sd == 0.0
    assert (constant.ci_low, constant.ci_high) == (3.0, 3.0)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(st.just(NAN), st.integers(min_value=1, max_value=5).map(float), st.floats(1, 5)),
        max_size=40,
    ),
    st.lists(st.lists(st.booleans(), min_size=40, max_size=40), max_size=6),
)
def test_describe_groups_matches_describing_each_group(values, rows) -> None:
    scores = np.array(values, dtype=np.float64)
    members = np.array([row[: len(values)] for row in rows], dtype=bool).reshape(
        len(rows), len(values)
    )
    found = describe_groups(scores, members)
    assert len(found) == len(members)
    # The memberships made ready once give the same, whatever the scores.
    assert describe_groups(scores, Memberships.of(members)) == found
    for row, stats in zip(members, found, strict=True):
        expected = describe(scores[row])
        assert stats.n == expected.n
        for name in ("mean", "sd", "median", "ci_low", "ci_high"):
            value, reference = getattr(stats, name), getattr(expected, name)
            if reference is None:
                assert value is None, name
            else:
                assert value == pytest.approx(reference, rel=1e-12, abs=1e-12), name


def test_describe_groups_hand_worked() -> None:
    scores = [1.0, 5.0, NAN, 3.0, 4.0]
    members = [
        [True, True, True, True, True],
        [False, False, True, False, False],
        [True, False, False, False, False],
        [False, True, False, True, False],
    ]
    everyone, nobody, alone, pair = describe_groups(scores, members)
    assert (everyone.n, everyone.mean, everyone.median) == (4, 3.25, 3.5)
    assert everyone.sd == pytest.approx(
        math.sqrt(((1 - 3.25) ** 2 + 1.75**2 + 0.25**2 + 0.75**2) / 3)
    )
    assert nobody == GroupStats(0, None, None, None, None, None)
    assert alone == GroupStats(1, 1.0, None, 1.0, None, None)
    assert (pair.n, pair.mean, pair.median) == (2, 4.0, 4.0)
    assert (
        describe_groups([], np.zeros((2, 0), dtype=bool))
        == [GroupStats(0, None, None, None, None, None)] * 2
    )


def test_describe_moments_matches_describe_except_median() -> None:
    values = [1.0, 2.5, 4.0, 4.0, 5.0]
    raw = describe(values)
    from_sums = describe_moments(Moments.from_values(values))
    assert from_sums.median is None
    assert from_sums.n == raw.n
    for name in ("mean", "sd", "ci_low", "ci_high"):
        assert getattr(from_sums, name) == pytest.approx(getattr(raw, name), rel=1e-12)


def test_moments_add_and_subtract() -> None:
    a = Moments.from_values([1.0, 2.0])
    b = Moments.from_values([3.0, None])
    assert a + b == Moments(3, 6.0, 14.0)
    assert (a + b) - b == a
    with pytest.raises(ValueError, match="larger group"):
        _ = b - a
    assert Moments(0, 0.0, 0.0).mean is None
    assert Moments(1, 3.0, 9.0).variance is None
    assert Moments.from_counts({1: 2, 3: 1}) == Moments(3, 5.0, 11.0)


def test_mean_ci_requires_two_values() -> None:
    assert mean_ci(1, 3.0, None) is None
    assert mean_ci(0, None, None) is None
    low, high = mean_ci(10, 3.0, 1.0, confidence=0.9)  # type: ignore[misc]
    assert high - 3.0 == pytest.approx(scipy_stats.t.ppf(0.95, 9) / math.sqrt(10))
    assert 3.0 - low == pytest.approx(high - 3.0)


@pytest.mark.parametrize(
    ("score", "scale_min", "scale_max", "level"),
    [
        (4.5, 1, 5, 5),
        (1.2, 1, 5, 1),
        (5.0, 1, 5, 5),
        (4.49, 1, 5, 4),
        (1.5, 1, 5, 2),
        (2.5, 1, 5, 3),  # half up, not to even
        (0.2, 1, 5, 1),  # clamped to the bottom of the scale
        (5.7, 1, 5, 5),  # clamped to the top
        (7.5, 0, 10, 8),
        (0.4, 0, 10, 0),
        (3.5, 1, 4, 4),
        (2.495, 1, 5, 3),  # shown as 2.50, so level 3
        (2.4949, 1, 5, 2),  # shown as 2.49
    ],
)
def test_maturity_level(score: float, scale_min: int, scale_max: int, level: int) -> None:
    assert maturity_level(score, scale_min, scale_max) == level


def test_maturity_level_is_not_fooled_by_float_noise() -> None:
    assert maturity_level(2.4999999999999996, 1, 5) == 3
    # (1.4 + 2.8 + 3.3) / 3 = 2.5, which numpy computes as 2.4999999999999996.
    assert maturity_level(float(np.mean([1.4, 2.8, 3.3])), 1, 5) == 3


def test_maturity_level_of_missing_scores() -> None:
    assert maturity_level(None, 1, 5) is None
    assert maturity_level(NAN, 1, 5) is None


def test_distribution_counts_and_proportions() -> None:
    dist = item_distribution("q1", [1, 2, 2, NAN, 5], 1, 5)
    assert dist.points == (1, 2, 3, 4, 5)
    assert dist.counts == (1, 2, 0, 0, 1)
    assert dist.n == 4
    assert dist.proportions == (0.25, 0.5, 0.0, 0.0, 0.25)
    assert distribution_from_counts("q1", {1: 1, 2: 2, 5: 1}, 1, 5) == dist
    assert distribution_from_counts("q2", {}, 1, 5).proportions is None
    assert json.dumps(dist.to_dict(), allow_nan=False)
    with pytest.raises(ValueError, match="outside the scale"):
        distribution_from_counts("q1", {6: 1}, 1, 5)
    with pytest.raises(ValueError, match="whole scale points"):
        point_counts([2.5], 1, 5)


def test_rwg_j_worked_example() -> None:
    # Item 1 answers 3, 4, 5: variance 1. Item 2 answers 4, 4, 4: variance 0.
    # Mean item variance 0.5; expected variance of a uniform 5-point answer (25-1)/12 = 2.
    # ratio 0.25; J = 2: 2 * 0.75 / (2 * 0.75 + 0.25) = 1.5 / 1.75 = 6/7.
    matrix = [[3, 4], [4, 4], [5, 4]]
    assert rwg_j(matrix, 5) == pytest.approx(6 / 7)
    moments = [Moments.from_values([3, 4, 5]), Moments.from_values([4, 4, 4])]
    assert rwg_j_from_moments(moments, 5) == pytest.approx(6 / 7)


def test_rwg_j_is_zero_when_disagreement_exceeds_random_answering() -> None:
    # Variance of 1, 5, 1, 5 is 16/3 > 2.
    assert rwg_j([[1], [5], [1], [5]], 5) == 0.0


def test_rwg_j_perfect_agreement_and_small_groups() -> None:
    assert rwg_j([[4, 2], [4, 2], [4, 2]], 5) == 1.0
    assert rwg_j([[4, 2], [3, 2]], 5) is None  # n < 3
    assert rwg_j([[4, 2], [3, 2], [5, 1]], 5, n=2) is None
    assert rwg_j([[4, NAN], [3, NAN], [5, NAN]], 5) == pytest.approx(
        (1 - 1 / 2) / ((1 - 1 / 2) + 1 / 2)
    )
    with pytest.raises(ValueError, match="two points"):
        rwg_j([[1]], 1)


def test_cronbach_alpha_matches_fraction_arithmetic() -> None:
    matrix = [[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [NAN, 1, 1]]
    complete = [[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4]]

    def variance(column: list[int]) -> Fraction:
        mean = Fraction(sum(column), len(column))
        return sum((Fraction(v) - mean) ** 2 for v in column) / (len(column) - 1)

    item_variances = [variance([row[i] for row in complete]) for i in range(3)]
    total_variance = variance([sum(row) for row in complete])
    expected = Fraction(3, 2) * (1 - sum(item_variances) / total_variance)
    alpha, n = cronbach_alpha(matrix)
    assert n == 4
    assert alpha == pytest.approx(float(expected))
    covariance = np.cov(np.array(complete, dtype=float), rowvar=False)
    assert alpha == pytest.approx(1.5 * (1 - np.trace(covariance) / covariance.sum()))


def test_cronbach_alpha_undefined_cases() -> None:
    assert cronbach_alpha([[1, 2], [NAN, 3]]) == (None, 1)
    assert cronbach_alpha([[1], [2], [3]]) == (None, 3)
    assert cronbach_alpha([[3, 3], [3, 3]]) == (None, 2)
    assert cronbach_alpha_from_sums(1, [1.0, 2.0], [1.0, 4.0], 3.0, 9.0) == (None, 1)
    assert cronbach_alpha_from_sums(2, [6.0, 6.0], [18.0, 18.0], 12.0, 72.0) == (None, 2)


def test_cronbach_alpha_from_sums_matches_the_matrix() -> None:
    complete = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4]], dtype=float)
    totals = complete.sum(axis=1)
    from_sums = cronbach_alpha_from_sums(
        4,
        complete.sum(axis=0).tolist(),
        (complete**2).sum(axis=0).tolist(),
        float(totals.sum()),
        float((totals**2).sum()),
    )
    alpha, n = cronbach_alpha(complete)
    assert from_sums[1] == n == 4
    assert from_sums[0] == pytest.approx(alpha)


def test_capability_balance() -> None:
    balance = capability_balance({"b": 2.5, "a": 3.0, "c": None, "d": 4.0, "e": NAN})
    assert balance == CapabilityBalance(spread=1.5, weakest="b", strongest="d")
    assert capability_balance({"x": 3.0, "a": 3.0}).weakest == "a"
    assert capability_balance({"x": None}) == CapabilityBalance(None, None, None)
    assert capability_balance({"x": 2.0}).spread == 0.0


def test_progress_from_baseline() -> None:
    targets = {"a": 4, "b": 3, "c": 5, "d": None}
    current = {"a": 3.5, "b": 3.2, "d": 2.0}
    baseline = {"a": 3.0, "b": 2.8, "c": 2.0}
    # Only a and b have all three: (0.5 + 0.4) / (1.0 + 0.2).
    assert progress_from_baseline(targets, current, baseline) == pytest.approx(0.9 / 1.2)
    assert target_gaps(targets, current) == {"a": 0.5, "b": 0.0}
    # All below target: never near 100% just because the scores are far from zero.
    assert progress_from_baseline({"a": 4}, {"a": 3.2}, {"a": 3.0}) == pytest.approx(0.2)
    # Below the baseline: negative.
    assert progress_from_baseline({"a": 4}, {"a": 2.5}, {"a": 3.0}) == pytest.approx(-0.5)
    # No baseline, or no distance to cover: none.
    assert progress_from_baseline({"a": 4}, {"a": 3.2}, {}) is None
    assert progress_from_baseline({"a": 3}, {"a": 3.2}, {"a": 3.5}) is None
    assert progress_from_baseline({}, {}, {}) is None


def test_results_are_json_serialisable() -> None:
    for result in (
        describe([1.0, 2.0]),
        describe([]),
        describe_moments(Moments(1, 2.0, 4.0)),
        capability_balance({}),
        Moments(2, 3.0, 5.0),
    ):
        json.dumps(result.to_dict(), allow_nan=False)


@st.composite
def group_matrices(draw: st.DrawFn, min_rows: int = 0) -> np.ndarray:
    n_rows = draw(st.integers(min_rows, 15))
    n_items = draw(st.integers(1, 5))
    cells = draw(
        st.lists(
            st.one_of(st.none(), st.integers(1, 5)),
            min_size=n_rows * n_items,
            max_size=n_rows * n_items,
        )
    )
    return np.array([NAN if c is None else c for c in cells], dtype=float).reshape(n_rows, n_items)


# Dimension scores are weighted means of whole answers, so they are fractions with small
# denominators; twelfths cover the usual item counts and weights.
score_values = st.integers(12, 60).map(lambda k: k / 12)
scores_lists = st.lists(st.one_of(st.none(), score_values), min_size=0, max_size=30)


@PROPERTY
@given(scores_lists)
def test_property_describe_from_sums_equals_describe(values: list[float | None]) -> None:
    raw = describe(values)
    from_sums = describe_moments(Moments.from_values(values))
    assert from_sums.n == raw.n
    for name in ("mean", "sd", "ci_low", "ci_high"):
        assert_close(getattr(from_sums, name), getattr(raw, name))


@PROPERTY
@given(scores_lists, st.randoms(use_true_random=False))
def test_property_describe_ignores_respondent_order(
    values: list[float | None], rng: object
) -> None:
    shuffled = list(values)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    a, b = describe(values), describe(shuffled)
    assert a.n == b.n
    for name in ("mean", "sd", "median", "ci_low", "ci_high"):
        assert_close(getattr(b, name), getattr(a, name), 1e-12)


@PROPERTY
@given(scores_lists)
def test_property_group_means_and_levels_stay_within_the_scale(
    values: list[float | None],
) -> None:
    result = describe(values)
    if result.mean is not None:
        assert 1.0 - 1e-12 <= result.mean <= 5.0 + 1e-12
        assert result.median is not None
        assert 1.0 <= result.median <= 5.0
        assert maturity_level(result.mean, 1, 5) in {1, 2, 3, 4, 5}


@PROPERTY
@given(group_matrices())
def test_property_rwg_from_counts_equals_rwg_from_matrix(matrix: np.ndarray) -> None:
    moments = [Moments.from_counts(point_counts(column, 1, 5)) for column in matrix.T]
    from_matrix = rwg_j(matrix, 5)
    assert_close(rwg_j_from_moments(moments, 5), from_matrix)
    if from_matrix is not None:
        assert 0.0 <= from_matrix <= 1.0


@PROPERTY
@given(group_matrices(min_rows=1), st.randoms(use_true_random=False))
def test_property_rwg_and_alpha_ignore_respondent_order(matrix: np.ndarray, rng: object) -> None:
    order = list(range(matrix.shape[0]))
    rng.shuffle(order)  # type: ignore[attr-defined]
    shuffled = matrix[order]
    assert_close(rwg_j(shuffled, 5), rwg_j(matrix, 5), 1e-12)
    alpha, n = cronbach_alpha(matrix)
    alpha_shuffled, n_shuffled = cronbach_alpha(shuffled)
    assert n == n_shuffled
    assert_close(alpha_shuffled, alpha)


@PROPERTY
@given(group_matrices())
def test_property_alpha_from_sums_equals_alpha_from_matrix(matrix: np.ndarray) -> None:
    complete = matrix[~np.isnan(matrix).any(axis=1)]
    totals = complete.sum(axis=1)
    from_sums = cronbach_alpha_from_sums(
        complete.shape[0],
        complete.sum(axis=0).tolist(),
        (complete**2).sum(axis=0).tolist(),
        float(totals.sum()),
        float((totals**2).sum()),
    )
    alpha, n = cronbach_alpha(matrix)
    assert from_sums[1] == n
    assert_close(from_sums[0], alpha)
    if alpha is not None:
        assert alpha <= 1.0 + 1e-12


@PROPERTY
@given(group_matrices())
def test_property_distribution_from_counts_equals_raw(matrix: np.ndarray) -> None:
    for index, column in enumerate(matrix.T):
        raw = item_distribution(f"q{index}", column, 1, 5)
        counted = distribution_from_counts(f"q{index}", point_counts(column, 1, 5), 1, 5)
        assert raw == counted
        assert raw.n == int((~np.isnan(column)).sum())
        if raw.proportions is not None:
            assert sum(raw.proportions) == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=2),
    st.integers(min_value=2, max_value=10),
    st.lists(
        st.lists(st.integers(min_value=0, max_value=500), min_size=10, max_size=10), max_size=8
    ),
)
def test_item_count_table_reads_like_its_counts(scale_min, points, rows) -> None:
    scale_max = scale_min + points - 1
    counts = [row[:points] for row in rows]
    items = [f"q{i}" for i in range(len(counts))]
    table = ItemCountTable(items, scale_min, scale_max, np.array(counts, dtype=np.int64))
    assert list(table) == items
    for item, row in zip(items, counts, strict=True):
        mapping = dict(zip(range(scale_min, scale_max + 1), row, strict=True))
        assert table[item] == mapping
        assert table.distribution(item) == distribution_from_counts(
            item, mapping, scale_min, scale_max
        )
    # The table's agreement index is the one of its items' moments (from the counts as given),
    # absent items counting as unanswered.
    moments = {
        item: Moments.from_counts(dict(zip(range(scale_min, scale_max + 1), row, strict=True)))
        for item, row in zip(items, counts, strict=True)
    }
    moments["absent"] = Moments(0, 0.0, 0.0)
    for n in (None, 2, 3, 40):
        choices = [items, items[:3], [*items[:2], "absent"], *([item] for item in items)]
        for chosen in choices:
            expected_rwg = rwg_j_from_moments([moments[i] for i in chosen], points, n)
            found_rwg = table.agreement(chosen, points, n)
            if expected_rwg is None:
                assert found_rwg is None
            else:
                assert found_rwg == pytest.approx(expected_rwg, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=2, max_value=7),
    st.lists(
        st.lists(st.lists(st.integers(0, 300), min_size=7, max_size=7), min_size=3, max_size=3),
        max_size=5,
    ),
)
def test_item_count_tables_made_at_once_equal_those_made_one_by_one(points, tables) -> None:
    items = ["q1", "q2", "q3"]
    counts = np.array([[row[:points] for row in table] for table in tables], dtype=np.int64)
    counts = counts.reshape(len(tables), 3, points)
    made = ItemCountTable.many(items, 1, points, counts)
    assert len(made) == len(tables)
    for table, single in zip(made, counts, strict=True):
        expected = ItemCountTable(items, 1, points, single)
        assert dict(table) == dict(expected)
        for item in items:
            assert table.distribution(item) == expected.distribution(item)
            assert table.agreement([item], points) == expected.agreement([item], points)
        assert table.agreement(items, points) == expected.agreement(items, points)


def test_item_count_table_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        ItemCountTable(["q1"], 1, 3, [[1, -1, 0]])
