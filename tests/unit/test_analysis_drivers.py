"""Key drivers: relative weights, their exact Shapley check, bootstrap intervals, the matrix."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.analysis.drivers import (
    ACT_FIRST,
    CONTESTED_GAP,
    FAR_FROM_TARGET,
    KEEP,
    LATER,
    NO_VARIATION,
    QUADRANTS,
    SHAPLEY_MAX_COLUMNS,
    TOO_FEW_RESPONDENTS,
    WATCH,
    Drivers,
    MatrixCell,
    bootstrap_weights,
    key_drivers,
    priority_matrix,
    relative_weights,
    shapley_r2,
)
from app.analysis.gaps import NOTABLE_DIFFERENCE

PROPERTY = settings(max_examples=60, deadline=None, database=None)
#: Few rounds keep the tests fast; the intervals' behaviour does not depend on how many.
ROUNDS = 200


def ols_r2(x: np.ndarray, y: np.ndarray) -> float:
    """R² of the least-squares fit with an intercept, by numpy's lstsq."""
    design = np.column_stack([np.ones(len(y)), x])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coefficients
    centred = y - y.mean()
    return 1.0 - float(residuals @ residuals) / float(centred @ centred)


def varies(column: np.ndarray) -> bool:
    return bool(np.ptp(column) > 0)


def correlated_scores(seed: int = 7, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Five correlated dimension scores on a 1-5 scale and a 0-10 recommendation answer.

    The scores are means of four answers (quarter points), correlated around 0.5 as maturity
    dimensions are; the outcome depends on them with clearly unequal strengths.
    """
    rng = np.random.default_rng(seed)
    k = 5
    correlation = np.full((k, k), 0.5) + 0.5 * np.eye(k)
    latent = rng.multivariate_normal(np.zeros(k), correlation, size=n)
    scores = np.clip(np.round((3.0 + 0.9 * latent) * 4) / 4, 1.0, 5.0)
    effect = latent @ np.array([0.9, 0.5, 0.25, 0.1, 0.0])
    outcome = np.clip(np.round(6.0 + 1.2 * effect + rng.normal(0.0, 1.5, n)), 0, 10)
    return scores, outcome


def hadamard_predictors() -> tuple[np.ndarray, np.ndarray]:
    """Three exactly orthogonal, centred columns (of a Hadamard matrix) and an outcome."""
    h2 = np.array([[1.0, 1.0], [1.0, -1.0]])
    h8 = np.kron(np.kron(h2, h2), h2)
    x = h8[:, 1:4] * np.array([1.0, 2.0, 0.5]) + np.array([3.0, -1.0, 10.0])
    y = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    return x, y


# Relative weights ------------------------------------------------------------------------


def test_relative_weights_sum_to_the_r2_of_least_squares() -> None:
    x, y = correlated_scores()
    result = relative_weights(x, y)
    assert result.n == 300
    assert len(result.weights) == 5
    assert min(result.weights) >= 0.0
    assert result.r2 == pytest.approx(ols_r2(x, y), abs=1e-10)
    assert math.fsum(result.weights) == pytest.approx(result.r2, abs=1e-10)


def test_orthogonal_predictors_get_their_squared_correlations() -> None:
    x, y = hadamard_predictors()
    squared = [float(np.corrcoef(column, y)[0, 1] ** 2) for column in x.T]
    # With uncorrelated predictors R² splits without any ambiguity: each one's own r².
    result = relative_weights(x, y)
    assert result.weights == pytest.approx(squared, abs=1e-12)
    assert shapley_r2(x, y) == pytest.approx(squared, abs=1e-12)
    assert result.r2 == pytest.approx(sum(squared), abs=1e-12)
    assert result.r2 == pytest.approx(ols_r2(x, y), abs=1e-12)


@PROPERTY
@given(st.lists(st.integers(0, 10), min_size=8, max_size=8))
def test_property_orthogonal_predictors_any_outcome(answers: list[int]) -> None:
    y = np.array(answers, dtype=float)
    assume(varies(y))
    x, _ = hadamard_predictors()
    squared = [float(np.corrcoef(column, y)[0, 1] ** 2) for column in x.T]
    assert relative_weights(x, y).weights == pytest.approx(squared, abs=1e-10)
    assert shapley_r2(x, y) == pytest.approx(squared, abs=1e-10)


def test_relative_weights_are_close_to_the_exact_shapley_values() -> None:
    x, y = correlated_scores()
    weights = relative_weights(x, y).weights
    shapley = shapley_r2(x, y)
    assert math.fsum(shapley) == pytest.approx(ols_r2(x, y), abs=1e-10)
    for weight, exact in zip(weights, shapley, strict=True):
        assert abs(weight - exact) <= 0.02
    # Drivers whose Shapley values are clearly apart are ranked alike by both.
    for i, j in itertools.combinations(range(len(weights)), 2):
        if abs(shapley[i] - shapley[j]) > 0.02:
            assert (weights[i] > weights[j]) == (shapley[i] > shapley[j]), (i, j)
    assert int(np.argmax(weights)) == int(np.argmax(shapley)) == 0


def test_a_rescaled_column_keeps_its_weight() -> None:
    x, y = correlated_scores()
    before = relative_weights(x, y)
    rescaled = x.copy()
    rescaled[:, 1] = 20.0 * rescaled[:, 1] - 7.0  # a 1-5 scale read as 13-93
    rescaled[:, 3] = -rescaled[:, 3]  # reverse-coded
    after = relative_weights(rescaled, 2.5 * y + 1.0)
    assert after.weights == pytest.approx(before.weights, abs=1e-12)
    assert after.r2 == pytest.approx(before.r2, abs=1e-12)


@st.composite
def answer_matrices(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(6, 40))
    k = draw(st.integers(1, 5))
    cells = draw(st.lists(st.integers(1, 5), min_size=n * k, max_size=n * k))
    outcome = draw(st.lists(st.integers(0, 10), min_size=n, max_size=n))
    return np.array(cells, dtype=float).reshape(n, k), np.array(outcome, dtype=float)


@PROPERTY
@given(answer_matrices())
def test_property_weights_are_non_negative_and_sum_to_r2(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    x, y = data
    if not (varies(y) and all(varies(column) for column in x.T)):
        with pytest.raises(ValueError, match="not vary"):
            relative_weights(x, y)
        return
    result = relative_weights(x, y)
    assert min(result.weights) >= -1e-12
    assert result.r2 == pytest.approx(ols_r2(x, y), abs=1e-8)
    assert math.fsum(result.weights) == pytest.approx(result.r2, abs=1e-10)
    assert 0.0 <= result.r2 <= 1.0 + 1e-12


@PROPERTY
@given(answer_matrices(), st.randoms(use_true_random=False))
def test_property_weights_follow_their_columns_and_ignore_row_order(
    data: tuple[np.ndarray, np.ndarray], rng: object
) -> None:
    x, y = data
    assume(varies(y) and all(varies(column) for column in x.T))
    columns = list(range(x.shape[1]))
    rows = list(range(x.shape[0]))
    rng.shuffle(columns)  # type: ignore[attr-defined]
    rng.shuffle(rows)  # type: ignore[attr-defined]
    weights = relative_weights(x, y).weights
    shuffled = relative_weights(x[rows][:, columns], y[rows]).weights
    assert shuffled == pytest.approx([weights[c] for c in columns], abs=1e-9)


def test_collinear_predictors_share_their_weight() -> None:
    x, y = correlated_scores()
    # The same dimension twice, once on another scale, and a third that is a sum of two.
    twins = np.column_stack([x[:, 0], 2.0 * x[:, 0] + 1.0, x[:, 1], x[:, 1] + x[:, 2], x[:, 2]])
    result = relative_weights(twins, y)
    assert all(np.isfinite(result.weights))
    assert min(result.weights) >= 0.0
    assert result.weights[0] == pytest.approx(result.weights[1], abs=1e-9)
    assert result.r2 == pytest.approx(ols_r2(twins, y), abs=1e-9)
    assert math.fsum(result.weights) == pytest.approx(result.r2, abs=1e-10)
    shapley = shapley_r2(twins, y)
    assert shapley[0] == pytest.approx(shapley[1], abs=1e-9)
    assert math.fsum(shapley) == pytest.approx(result.r2, abs=1e-9)


def test_columns_or_outcomes_that_do_not_vary_are_refused() -> None:
    x, y = correlated_scores(n=40)
    flat = x.copy()
    flat[:, 2] = 3.0
    with pytest.raises(ValueError, match="column 2 does not vary"):
        relative_weights(flat, y)
    with pytest.raises(ValueError, match="the outcome does not vary"):
        relative_weights(x, np.full(40, 7.0))
    flat[:, 4] = 1.0
    with pytest.raises(ValueError, match="columns 2, 4 and the outcome do not vary"):
        relative_weights(flat, np.zeros(40))
    with pytest.raises(ValueError, match="do not vary"):
        shapley_r2(flat, y)
    with pytest.raises(ValueError, match="do not vary"):
        bootstrap_weights(flat, y, rounds=ROUNDS)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([[1.0, 2.0], [2.0, math.nan], [3.0, 1.0]], [1.0, 2.0, 3.0], "finite"),
        ([[1.0], [2.0], [3.0]], [1.0, 2.0], "one value for each row"),
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], "rows x columns"),
        (np.empty((3, 0)), [1.0, 2.0, 3.0], "at least one column"),
        ([[1.0]], [1.0], "two rows"),
    ],
)
def test_malformed_data_is_refused(x, y, message) -> None:
    with pytest.raises(ValueError, match=message):
        relative_weights(x, y)


def test_shapley_refuses_too_many_columns() -> None:
    rng = np.random.default_rng(1)
    k = SHAPLEY_MAX_COLUMNS + 1
    with pytest.raises(ValueError, match="at most"):
        shapley_r2(rng.normal(size=(50, k)), rng.normal(size=50))


# Bootstrap -------------------------------------------------------------------------------


def test_bootstrap_is_deterministic_for_a_fixed_seed() -> None:
    x, y = correlated_scores()
    first = bootstrap_weights(x, y, rounds=ROUNDS, seed=11)
    assert bootstrap_weights(x, y, rounds=ROUNDS, seed=11) == first
    assert bootstrap_weights(x, y, rounds=ROUNDS, seed=12) != first
    assert (first.rounds, first.used) == (ROUNDS, ROUNDS)


def test_bootstrap_intervals_hold_the_point_estimate() -> None:
    x, y = correlated_scores()
    weights = relative_weights(x, y).weights
    intervals = bootstrap_weights(x, y, rounds=ROUNDS).ci95
    assert intervals is not None
    assert len(intervals) == len(weights)
    for weight, (low, high) in zip(weights, intervals, strict=True):
        assert 0.0 <= low <= weight <= high
    # The strongest driver is well apart from the weakest, interval and all.
    assert intervals[0][0] > intervals[4][1]


def test_bootstrap_leaves_out_resamples_where_a_column_does_not_vary() -> None:
    rng = np.random.default_rng(3)
    n = 20
    y = rng.normal(size=n)
    lone = np.zeros(n)
    lone[0] = 1.0  # one respondent apart: about a third of resamples miss them
    other = np.zeros(n)
    other[1] = 1.0
    single = bootstrap_weights(np.column_stack([lone, y + rng.normal(size=n)]), y, ROUNDS)
    assert ROUNDS / 2 <= single.used < ROUNDS
    assert single.ci95 is not None
    # Two such columns: fewer than half the resamples keep both, too few for an interval.
    double = bootstrap_weights(np.column_stack([lone, other]), y, ROUNDS)
    assert double.used < ROUNDS / 2
    assert double.ci95 is None


def test_bootstrap_needs_a_round() -> None:
    x, y = correlated_scores(n=40)
    with pytest.raises(ValueError, match="at least one round"):
        bootstrap_weights(x, y, rounds=0)


# Key drivers -----------------------------------------------------------------------------

DIMENSIONS = ("strategy", "insight", "design", "culture", "metrics")


def respondent_rows(n: int = 300, seed: int = 7) -> list[dict[str, float | None]]:
    x, y = correlated_scores(seed, n)
    return [
        {**dict(zip(DIMENSIONS, scores.tolist(), strict=True)), "nps": float(answer)}
        for scores, answer in zip(x, y, strict=True)
    ]


def test_key_drivers_ranks_the_dimensions() -> None:
    rows = respondent_rows()
    result = key_drivers(rows, "nps", DIMENSIONS, rounds=ROUNDS)
    x, y = correlated_scores()
    expected = relative_weights(x, y)
    assert result.reason is None
    assert result.n == 300
    assert result.r2 == pytest.approx(expected.r2)
    assert [d.rank for d in result.drivers] == [1, 2, 3, 4, 5]
    assert result.drivers[0].dimension == "strategy"
    weights = [d.weight for d in result.drivers]
    assert weights == sorted(weights, reverse=True)
    for driver in result.drivers:
        assert driver.weight == pytest.approx(expected.weights[DIMENSIONS.index(driver.dimension)])
        assert driver.share == pytest.approx(driver.weight / expected.r2)
        assert driver.ci95 is not None
    assert math.fsum(d.share or 0.0 for d in result.drivers) == pytest.approx(1.0)
    assert list(result.weights) == [d.dimension for d in result.drivers]
    plain = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert plain["drivers"][0]["dimension"] == "strategy"
    assert isinstance(plain["drivers"][0]["ci95"], list)
    assert plain["reason"] is None
    # The same answers and seed, the same intervals.
    assert key_drivers(rows, "nps", DIMENSIONS, rounds=ROUNDS) == result


def test_key_drivers_leaves_out_incomplete_respondents() -> None:
    rows = respondent_rows(n=60)
    incomplete = [
        {**rows[0], "nps": None},
        {**rows[1], "design": math.nan},
        {key: value for key, value in rows[2].items() if key != "culture"},
        {**rows[3], "metrics": None, "nps": None},
    ]
    result = key_drivers([*incomplete, *rows[4:]], "nps", DIMENSIONS, rounds=0)
    assert result.n == 56
    complete = np.array([[row[key] for key in (*DIMENSIONS, "nps")] for row in rows[4:]])
    expected = relative_weights(complete[:, :-1], complete[:, -1])
    assert result.r2 == pytest.approx(expected.r2)
    assert {d.dimension: d.weight for d in result.drivers} == pytest.approx(
        dict(zip(DIMENSIONS, expected.weights, strict=True))
    )
    # Without the bootstrap there are no intervals.
    assert all(d.ci95 is None for d in result.drivers)
    # Keys that are not asked about do not matter.
    extra = [{**row, "comment_length": None} for row in rows]
    assert key_drivers(extra, "nps", DIMENSIONS, rounds=0).n == 60


def test_key_drivers_needs_enough_complete_respondents() -> None:
    rows = respondent_rows(n=40)
    rows = [*rows[:29], *({**row, "insight": None} for row in rows[29:])]
    result = key_drivers(rows, "nps", DIMENSIONS)
    assert result == Drivers("nps", 29, None, (), TOO_FEW_RESPONDENTS)
    assert result.to_dict() == {
        "outcome": "nps",
        "n": 29,
        "r2": None,
        "drivers": [],
        "reason": "too_few_respondents",
        "constant": [],
    }
    assert key_drivers(rows, "nps", DIMENSIONS, min_n=29, rounds=0).reason is None
    assert key_drivers([], "nps", DIMENSIONS, min_n=0).reason == TOO_FEW_RESPONDENTS


def test_key_drivers_reports_what_does_not_vary() -> None:
    rows = respondent_rows(n=40)
    same_answer = [{**row, "nps": 9.0} for row in rows]
    result = key_drivers(same_answer, "nps", DIMENSIONS)
    assert (result.reason, result.constant, result.drivers, result.n) == (
        NO_VARIATION,
        ("nps",),
        (),
        40,
    )
    flat = [{**row, "design": 3.0, "metrics": 2.5} for row in rows]
    assert key_drivers(flat, "nps", DIMENSIONS).constant == ("design", "metrics")


def test_equal_weights_keep_the_order_of_the_dimensions() -> None:
    # The same dimension on another scale: its weight differs only by rounding noise.
    rows = [{**row, "twin": 10.0 * row["strategy"]} for row in respondent_rows(n=80)]
    first = key_drivers(rows, "nps", ("strategy", "twin", "insight"), rounds=0)
    order = [d.dimension for d in first.drivers]
    # The tied pair stays next to each other, in the order the dimensions were given
    # (where "insight" falls depends on the sample, not on the rule tested here).
    assert order.index("twin") == order.index("strategy") + 1
    weights = {d.dimension: d.weight for d in first.drivers}
    assert weights["strategy"] == pytest.approx(weights["twin"], abs=1e-12)
    second = key_drivers(rows, "nps", ("insight", "twin", "strategy"), rounds=0)
    order = [d.dimension for d in second.drivers]
    assert order.index("strategy") == order.index("twin") + 1


@pytest.mark.parametrize(
    ("dimensions", "message"),
    [((), "at least one dimension"), (("a", "a"), "named twice"), (("a", "nps"), "outcome")],
)
def test_key_drivers_refuses_ill_posed_questions(dimensions, message) -> None:
    with pytest.raises(ValueError, match=message):
        key_drivers([], "nps", dimensions)


# Priority matrix -------------------------------------------------------------------------


def test_contested_gap_is_the_notable_difference() -> None:
    assert CONTESTED_GAP == NOTABLE_DIFFERENCE == 0.5
    assert FAR_FROM_TARGET == 0.5
    assert set(QUADRANTS) == {ACT_FIRST, KEEP, WATCH, LATER}


def test_priority_matrix_places_each_quadrant() -> None:
    # Mean weight 0.16: strategy and design are important, the others are not.
    importance = {"strategy": 0.30, "insight": 0.10, "design": 0.20, "culture": 0.05, "x": 0.15}
    gaps = {"strategy": 0.6, "insight": -0.7, "design": -0.2, "culture": None, "x": 0.2}
    distances = {"design": 0.1, "x": 0.5, "culture": -0.8}
    cells = priority_matrix(importance, gaps, distances)
    assert [cell.dimension for cell in cells] == list(importance)
    assert {cell.dimension: cell.quadrant for cell in cells} == {
        "strategy": ACT_FIRST,  # important, contested
        "insight": WATCH,  # a gap the other way is contested too
        "design": KEEP,  # important, near target, aligned
        "culture": LATER,  # no gap; above its target
        "x": WATCH,  # far from target though aligned
    }
    assert cells[0] == MatrixCell("strategy", 0.30, 0.6, None, ACT_FIRST)
    assert cells[3] == MatrixCell("culture", 0.05, None, -0.8, LATER)
    assert json.dumps([cell.to_dict() for cell in cells], allow_nan=False)


def test_priority_matrix_edges() -> None:
    # 4.1 - 3.6 is 0.49999999999999956 in binary: still an exact half-point gap.
    cells = priority_matrix({"a": 0.2, "b": 0.1}, {"a": 4.1 - 3.6, "b": 0.49})
    assert [cell.quadrant for cell in cells] == [ACT_FIRST, LATER]
    # Absent from the gaps and no distances at all: neither contested nor far.
    assert priority_matrix({"a": 0.2, "b": 0.1}, {})[0].quadrant == KEEP
    # An important dimension far below target with no gap measured.
    assert priority_matrix({"a": 0.2, "b": 0.1}, {"a": None}, {"a": 1.2})[0].quadrant == ACT_FIRST
    # Equal weights are all at the mean, so all important.
    equal = priority_matrix(dict.fromkeys("abc", 0.1), {"a": 0.0, "b": 0.7})
    assert [cell.quadrant for cell in equal] == [KEEP, ACT_FIRST, KEEP]
    assert priority_matrix({}, {"a": 1.0}) == ()
    with pytest.raises(ValueError, match="needs a weight"):
        priority_matrix({"a": 0.1, "b": None}, {})  # type: ignore[dict-item]


def test_priority_matrix_from_key_drivers() -> None:
    drivers = key_drivers(respondent_rows(), "nps", DIMENSIONS, rounds=0)
    cells = priority_matrix(drivers.weights, dict.fromkeys(DIMENSIONS, 0.8))
    assert cells[0].dimension == "strategy"
    assert cells[0].quadrant == ACT_FIRST
    assert cells[-1].quadrant == WATCH
    assert priority_matrix(key_drivers([], "nps", DIMENSIONS).weights, {}) == ()


optional_points = st.one_of(st.none(), st.floats(-3, 3, allow_nan=False))


@PROPERTY
@given(
    st.dictionaries(
        st.sampled_from("abcdefgh"),
        st.tuples(st.floats(0, 1, allow_nan=False), optional_points, optional_points),
        max_size=8,
    )
)
def test_property_quadrants_follow_the_rule(
    figures: dict[str, tuple[float, float | None, float | None]],
) -> None:
    importance = {key: weight for key, (weight, _, _) in figures.items()}
    gaps = {key: gap for key, (_, gap, _) in figures.items()}
    distances = {key: distance for key, (_, _, distance) in figures.items()}
    cells = priority_matrix(importance, gaps, distances)
    assert [cell.dimension for cell in cells] == list(figures)
    mean = sum(importance.values()) / len(importance) if importance else 0.0
    for cell in cells:
        weight, gap, distance = figures[cell.dimension]
        important = weight >= mean - 1e-12
        weak = (gap is not None and abs(gap) >= 0.5 - 1e-9) or (
            distance is not None and distance >= 0.5 - 1e-9
        )
        expected = {
            (True, True): ACT_FIRST,
            (True, False): KEEP,
            (False, True): WATCH,
            (False, False): LATER,
        }[(important, weak)]
        assert cell.quadrant == expected
        assert (cell.importance, cell.gap, cell.distance) == (weight, gap, distance)
    # At least one dimension is always important: the largest weight is never below the mean.
    if cells:
        assert any(cell.quadrant in (ACT_FIRST, KEEP) for cell in cells)
