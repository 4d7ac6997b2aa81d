"""Respondent scoring: reverse coding, dimension scores from raw answers and from sums."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis import (
    apply_reverse_coding,
    dimension_score_from_sums,
    dimension_scores,
    dimension_scores_from_sums,
    dimension_sums,
    overall_score,
    overall_scores,
    overall_scores_by_kind,
    recode_reverse,
    score_matrix,
)

NAN = float("nan")
PROPERTY = settings(max_examples=60, deadline=None, database=None)


def test_analysis_package_does_not_import_the_web_or_database_layers() -> None:
    package = Path(__file__).resolve().parents[2] / "app" / "analysis"
    imported: set[str] = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert not imported & {"flask", "sqlalchemy", "flask_sqlalchemy"}


def test_recode_reverse_on_a_five_point_scale() -> None:
    # 1 + 5 - value: 1<->5, 2<->4, 3 stays.
    assert [recode_reverse(v, 1, 5) for v in (1, 2, 3, 4, 5)] == [5, 4, 3, 2, 1]
    assert recode_reverse(3, 0, 10) == 7
    assert math.isnan(recode_reverse(NAN, 1, 5))


def test_apply_reverse_coding_only_touches_flagged_columns() -> None:
    matrix = [[1, 2, NAN], [5, 4, 3]]
    recoded = apply_reverse_coding(matrix, [False, True, True], 1, 5)
    np.testing.assert_array_equal(recoded, [[1, 4, NAN], [5, 2, 3]])
    assert matrix[0][1] == 2
    with pytest.raises(ValueError, match="one flag per item"):
        apply_reverse_coding(matrix, [True], 1, 5)


def test_dimension_score_is_the_weighted_mean_of_answered_items() -> None:
    weights = [1.0, 2.0, 1.0]
    matrix = [
        [5, 3, 1],  # (1*5 + 2*3 + 1*1) / (1+2+1) = 12/4 = 3.0
        [4, NAN, 2],  # 2 of 3 answered (2*2 >= 3): (1*4 + 1*2) / (1+1) = 3.0
        [NAN, 4, NAN],  # 1 of 3 answered (1*2 < 3): missing
        [5, 5, NAN],  # (5 + 10) / 3 = 5.0
    ]
    scores = dimension_scores(matrix, weights)
    np.testing.assert_allclose(scores, [3.0, 3.0, NAN, 5.0])


def test_half_answered_counts_as_enough() -> None:
    # 4 items, 2 answered: 2*2 = 4, not below 4, so scored; 1 answered is missing.
    scores = dimension_scores([[2, 4, NAN, NAN], [3, NAN, NAN, NAN]])
    np.testing.assert_allclose(scores, [3.0, NAN])


def test_answered_items_without_weight_give_no_score() -> None:
    scores = dimension_scores([[4, NAN]], [0.0, 1.0])
    assert math.isnan(scores[0])


def test_scores_from_sums_match_the_worked_example() -> None:
    # Respondent sums as the database would give them for the example above.
    scores = dimension_scores_from_sums(
        [12.0, 6.0, 8.0, 15.0], [4.0, 2.0, 2.0, 3.0], [3, 2, 1, 2], 3
    )
    np.testing.assert_allclose(scores, [3.0, 3.0, NAN, 5.0])
    assert dimension_score_from_sums(6.0, 2.0, 2, 3) == 3.0
    assert math.isnan(dimension_score_from_sums(0.0, 0.0, 0, 3))


def test_dimension_sums_are_what_sql_would_compute() -> None:
    weighted, weight, answered = dimension_sums([[4, NAN, 2], [1, 1, 1]], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(weighted, [1 * 4 + 3 * 2, 1 + 2 + 3])
    np.testing.assert_allclose(weight, [1 + 3, 1 + 2 + 3])
    np.testing.assert_array_equal(answered, [2, 3])


def test_invalid_weights_are_rejected() -> None:
    with pytest.raises(ValueError, match="one value per item"):
        dimension_scores([[1, 2]], [1.0])
    with pytest.raises(ValueError, match="non-negative"):
        dimension_scores([[1, 2]], [1.0, -1.0])
    with pytest.raises(ValueError, match="at least one item"):
        dimension_scores_from_sums([1.0], [1.0], [1], 0)


def test_score_matrix_scores_each_dimension_on_its_own_columns() -> None:
    matrix = [[1, 5, 3, NAN], [2, 4, NAN, NAN]]
    scores = score_matrix(matrix, {"a": [0, 1], "b": [2, 3]}, [1.0, 3.0, 1.0, 1.0])
    np.testing.assert_allclose(scores["a"], [(1 + 15) / 4, (2 + 12) / 4])
    np.testing.assert_allclose(scores["b"], [3.0, NAN])


def test_overall_score_is_the_mean_of_available_dimension_scores() -> None:
    np.testing.assert_allclose(
        overall_scores([[3.0, NAN, 4.0], [NAN, NAN, NAN], [2.0, 2.5, 3.0]]), [3.5, NAN, 2.5]
    )
    assert overall_score([3.0, None, 4.0, NAN]) == 3.5
    assert math.isnan(overall_score([None, NAN]))


def test_overall_scores_by_kind_groups_dimensions() -> None:
    scores = {"c1": [3.0, NAN], "c2": [4.0, 2.0], "s1": [1.0, 5.0], "x": [9.0, 9.0]}
    kinds = {"c1": "capability", "c2": "capability", "s1": "stage"}
    result = overall_scores_by_kind(scores, kinds)
    assert set(result) == {"capability", "stage"}
    np.testing.assert_allclose(result["capability"], [3.5, 2.0])
    np.testing.assert_allclose(result["stage"], [1.0, 5.0])


@st.composite
def answer_matrices(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int, int]:
    scale_min = draw(st.integers(0, 1))
    scale_max = draw(st.integers(scale_min + 2, 10))
    n_rows = draw(st.integers(1, 12))
    n_items = draw(st.integers(1, 6))
    cells = draw(
        st.lists(
            st.one_of(st.none(), st.integers(scale_min, scale_max)),
            min_size=n_rows * n_items,
            max_size=n_rows * n_items,
        )
    )
    matrix = np.array([NAN if c is None else c for c in cells], dtype=float)
    weights = draw(
        st.lists(st.integers(1, 5), min_size=n_items, max_size=n_items).map(np.array)
    ).astype(float)
    return matrix.reshape(n_rows, n_items), weights, scale_min, scale_max


@PROPERTY
@given(answer_matrices())
def test_property_scores_stay_within_the_scale(
    data: tuple[np.ndarray, np.ndarray, int, int],
) -> None:
    matrix, weights, scale_min, scale_max = data
    scores = dimension_scores(matrix, weights)
    present = scores[~np.isnan(scores)]
    assert np.all(present >= scale_min - 1e-12)
    assert np.all(present <= scale_max + 1e-12)
    overall = overall_scores(np.column_stack([scores, dimension_scores(matrix)]))
    present_overall = overall[~np.isnan(overall)]
    assert np.all((present_overall >= scale_min - 1e-12) & (present_overall <= scale_max + 1e-12))


@PROPERTY
@given(answer_matrices())
def test_property_scores_from_sums_equal_scores_from_the_matrix(
    data: tuple[np.ndarray, np.ndarray, int, int],
) -> None:
    matrix, weights, _, _ = data
    from_matrix = dimension_scores(matrix, weights)
    from_sums = dimension_scores_from_sums(*dimension_sums(matrix, weights), matrix.shape[1])
    np.testing.assert_allclose(from_sums, from_matrix, rtol=1e-12, atol=1e-12)


@PROPERTY
@given(answer_matrices(), st.data())
def test_property_reverse_coding_twice_is_the_identity(
    data: tuple[np.ndarray, np.ndarray, int, int], draw: st.DataObject
) -> None:
    matrix, _, scale_min, scale_max = data
    flags = draw.draw(st.lists(st.booleans(), min_size=matrix.shape[1], max_size=matrix.shape[1]))
    twice = apply_reverse_coding(
        apply_reverse_coding(matrix, flags, scale_min, scale_max), flags, scale_min, scale_max
    )
    np.testing.assert_array_equal(twice, matrix)
    once = apply_reverse_coding(matrix, flags, scale_min, scale_max)
    present = once[~np.isnan(once)]
    assert np.all((present >= scale_min) & (present <= scale_max))


@PROPERTY
@given(answer_matrices(), st.randoms(use_true_random=False))
def test_property_permuting_respondents_permutes_their_scores(
    data: tuple[np.ndarray, np.ndarray, int, int], rng: object
) -> None:
    matrix, weights, _, _ = data
    order = list(range(matrix.shape[0]))
    rng.shuffle(order)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(
        dimension_scores(matrix[order], weights), dimension_scores(matrix, weights)[order]
    )


def test_half_answered_counts_only_the_items_the_respondent_was_asked() -> None:
    # Asked two of three items (the third is limited to other roles), one answered: enough.
    matrix = np.array([[4.0, NAN, NAN], [4.0, NAN, NAN]])
    asked = np.array([[True, True, False], [True, True, True]])
    np.testing.assert_allclose(dimension_scores(matrix, asked=asked), [4.0, NAN])
    np.testing.assert_allclose(
        dimension_scores_from_sums(*dimension_sums(matrix), [2, 3]), [4.0, NAN]
    )
    # Asked none of the dimension's items: no score.
    assert math.isnan(dimension_scores_from_sums([0.0], [0.0], [0], [0])[0])


@PROPERTY
@given(answer_matrices(), st.data())
def test_property_half_answered_rule_counts_the_items_asked(
    data: tuple[np.ndarray, np.ndarray, int, int], draw: st.DataObject
) -> None:
    matrix, weights, _, _ = data
    n_rows, n_items = matrix.shape
    asked = np.array(
        draw.draw(
            st.lists(
                st.lists(st.booleans(), min_size=n_items, max_size=n_items),
                min_size=n_rows,
                max_size=n_rows,
            )
        ),
        dtype=bool,
    )
    # Respondents only ever answer the items they were asked.
    matrix = np.where(asked, matrix, NAN)
    scores = dimension_scores(matrix, weights, asked)
    for row in range(n_rows):
        columns = asked[row]
        answered = int((~np.isnan(matrix[row]) & columns).sum())
        expected = dimension_scores(matrix[row : row + 1, columns], weights[columns])[0]
        np.testing.assert_allclose(scores[row], expected, rtol=1e-12, atol=1e-12)
        assert math.isnan(scores[row]) == (not columns.any() or answered * 2 < int(columns.sum()))
    from_sums = dimension_scores_from_sums(*dimension_sums(matrix, weights), asked.sum(axis=1))
    np.testing.assert_allclose(from_sums, scores, rtol=1e-12, atol=1e-12)
