"""Respondent-level scoring: reverse coding, dimension scores and overall scores.

Missing values are NaN throughout this module because it works on numpy arrays; the result
dataclasses elsewhere turn them into ``None`` for presentation.

Every score can be computed either from a raw answer matrix or from the sufficient sums a
database can produce with ``GROUP BY`` (sum of weight * value, sum of weight, count answered),
and the two give the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from app.platform.lazy import lazy_module

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

#: Imported with the first computation: commands that compute nothing never load it.
np = lazy_module("numpy")

FloatArray = "NDArray[np.float64]"
_T = TypeVar("_T", float, "NDArray[np.float64]")


def recode_reverse(value: _T, scale_min: int, scale_max: int) -> _T:
    """Return the reverse-coded value ``scale_min + scale_max - value``.

    Works on scalars and arrays alike; NaN (not applicable) stays NaN. Applying it twice gives
    back the original value.
    """
    return scale_min + scale_max - value


def apply_reverse_coding(
    matrix: ArrayLike, reverse: Sequence[bool], scale_min: int, scale_max: int
) -> FloatArray:
    """Return a copy of a respondents x items matrix with the reverse items recoded.

    ``reverse`` has one flag per column. Not-applicable answers must already be NaN.
    """
    values = np.array(matrix, dtype=np.float64, copy=True, ndmin=2)
    flags = np.asarray(reverse, dtype=bool)
    if flags.shape != (values.shape[1],):
        raise ValueError("reverse needs one flag per item column")
    values[:, flags] = recode_reverse(values[:, flags], scale_min, scale_max)
    return values


def dimension_sums(
    matrix: ArrayLike, weights: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """Return the per-respondent sufficient sums of one dimension.

    ``matrix`` is respondents x the dimension's items, already reverse coded, NaN for not
    applicable. Returns ``(weighted_totals, weight_totals, answered)``, the same three numbers
    the database computes as ``SUM(weight * value)``, ``SUM(weight)`` and ``COUNT(value)``
    over answered items.
    """
    values = np.asarray(matrix, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("matrix must be respondents x items")
    item_weights = _weights(weights, values.shape[1])
    answered_mask = ~np.isnan(values)
    filled = np.where(answered_mask, values, 0.0)
    weighted_totals = filled @ item_weights
    weight_totals = answered_mask.astype(np.float64) @ item_weights
    answered = answered_mask.sum(axis=1).astype(np.int64)
    return weighted_totals, weight_totals, answered


def dimension_scores_from_sums(
    weighted_totals: ArrayLike,
    weight_totals: ArrayLike,
    answered: ArrayLike,
    n_items: int | ArrayLike,
) -> FloatArray:
    """Return dimension scores from per-respondent sufficient sums.

    ``n_items`` is the number of the dimension's items each respondent was asked: one number
    for everyone, or one per respondent when an item's audience leaves some roles out. The
    score is ``weighted_total / weight_total``; it is NaN when the respondent answered fewer
    than half of the items they were asked (``answered * 2 < n_items``), when they were asked
    none, or when the answered items carry no weight at all.
    """
    asked = np.asarray(n_items, dtype=np.int64)
    if asked.ndim == 0 and asked < 1:
        raise ValueError("a dimension needs at least one item")
    if np.any(asked < 0):
        raise ValueError("the number of items asked cannot be negative")
    weighted = np.asarray(weighted_totals, dtype=np.float64)
    weight = np.asarray(weight_totals, dtype=np.float64)
    count = np.asarray(answered, dtype=np.int64)
    enough = (count * 2 >= asked) & (asked > 0) & (weight > 0)
    safe_weight = np.where(enough, weight, 1.0)
    return np.where(enough, weighted / safe_weight, np.nan)


def dimension_score_from_sums(
    weighted_total: float, weight_total: float, answered: int, n_items: int
) -> float:
    """Return one respondent's dimension score from their sums (NaN when missing)."""
    return float(
        dimension_scores_from_sums([weighted_total], [weight_total], [answered], n_items)[0]
    )


def dimension_scores(
    matrix: ArrayLike, weights: ArrayLike | None = None, asked: ArrayLike | None = None
) -> FloatArray:
    """Return each respondent's score on one dimension from the raw answer matrix.

    ``matrix`` is respondents x the dimension's items (reverse coded, NaN for not applicable).
    ``asked`` (same shape, booleans) says which items each respondent was asked; the
    half-answered rule counts those only. By default every respondent was asked every column.
    ``weights`` defaults to equal weights.
    """
    values = np.asarray(matrix, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("matrix must be respondents x items")
    item_weights = _weights(weights, values.shape[1])
    if asked is None:
        asked_mask = np.ones(values.shape, dtype=bool)
    else:
        asked_mask = np.asarray(asked, dtype=bool)
        if asked_mask.shape != values.shape:
            raise ValueError("asked needs one flag per respondent and item")
    scores = np.full(values.shape[0], np.nan)
    for row_index, row in enumerate(values):
        answered_mask = ~np.isnan(row) & asked_mask[row_index]
        n_answered = int(answered_mask.sum())
        n_asked = int(asked_mask[row_index].sum())
        if n_asked == 0 or n_answered * 2 < n_asked:
            continue
        row_weights = item_weights[answered_mask]
        weight_total = float(row_weights.sum())
        if weight_total <= 0:
            continue
        scores[row_index] = float(np.average(row[answered_mask], weights=row_weights))
    return scores


def score_matrix(
    matrix: ArrayLike,
    dimension_columns: Mapping[str, Sequence[int]],
    weights: ArrayLike | None = None,
) -> dict[str, FloatArray]:
    """Return ``{dimension: scores per respondent}`` for a whole questionnaire matrix.

    ``dimension_columns`` maps each dimension to the column indices of its items; ``weights``
    holds one weight per column of ``matrix`` (equal weights when omitted).
    """
    values = np.asarray(matrix, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("matrix must be respondents x items")
    all_weights = _weights(weights, values.shape[1])
    return {
        dimension: dimension_scores(values[:, list(columns)], all_weights[list(columns)])
        for dimension, columns in dimension_columns.items()
    }


def overall_scores(dimension_score_matrix: ArrayLike) -> FloatArray:
    """Return each respondent's overall score for one kind of dimension.

    ``dimension_score_matrix`` is respondents x the dimensions of one kind (capability or
    stage). The overall score is the plain mean of the respondent's available dimension scores,
    NaN when they have none.
    """
    values = np.asarray(dimension_score_matrix, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("dimension_score_matrix must be respondents x dimensions")
    available = ~np.isnan(values)
    counts = available.sum(axis=1)
    totals = np.where(available, values, 0.0).sum(axis=1)
    safe_counts = np.where(counts > 0, counts, 1)
    return np.where(counts > 0, totals / safe_counts, np.nan)


def overall_score(dimension_score_values: Iterable[float | None]) -> float:
    """Return one respondent's overall score from their dimension scores of one kind."""
    present = [
        float(value)
        for value in dimension_score_values
        if value is not None and not np.isnan(value)
    ]
    if not present:
        return float("nan")
    return float(np.mean(present))


def overall_scores_by_kind(
    scores: Mapping[str, ArrayLike], kinds: Mapping[str, str]
) -> dict[str, FloatArray]:
    """Return ``{kind: overall score per respondent}`` from per-dimension score arrays.

    ``scores`` maps dimension ids to score arrays aligned on the same respondents; ``kinds``
    maps dimension ids to their kind (for example ``capability`` or ``stage``). Dimensions
    without a kind are ignored.
    """
    by_kind: dict[str, list[str]] = {}
    for dimension in scores:
        kind = kinds.get(dimension)
        if kind is not None:
            by_kind.setdefault(kind, []).append(dimension)
    return {
        kind: overall_scores(
            np.column_stack([np.asarray(scores[d], dtype=np.float64) for d in dimensions])
        )
        for kind, dimensions in by_kind.items()
    }


def _weights(weights: ArrayLike | None, n_items: int) -> FloatArray:
    if weights is None:
        return np.ones(n_items)
    item_weights = np.asarray(weights, dtype=np.float64)
    if item_weights.shape != (n_items,):
        raise ValueError("weights need one value per item")
    if not np.all(np.isfinite(item_weights)) or np.any(item_weights < 0):
        raise ValueError("weights must be finite and non-negative")
    return item_weights
