"""Key drivers of a customer outcome among the assessment's dimensions, and where to act first.

Maturity dimensions are nearly always correlated with one another, so the coefficients of a
regression of an outcome (NPS answer, satisfaction) on them swing and change sign with the
sample and say little about what matters. Relative weights (Johnson, 2000) split the model's
R² into one non-negative share per dimension instead: the dimensions are replaced by their
closest uncorrelated counterparts, whose contributions add up, and each counterpart's
contribution is handed back to the dimensions in proportion to how much of it each one
makes. The weights sum to R² and come close to the Shapley decomposition of R² (each
dimension's gain in R² averaged over every order of entry), which :func:`shapley_r2`
computes exactly, at a cost that doubles with every dimension, to check them. Percentile
intervals come from bootstrap resamples of the respondents, with a fixed seed so that a
report shows the same figures every time it is made.

Degenerate data:

- A dimension or an outcome that does not vary correlates with nothing, so no weight can be
  given to anything: :func:`relative_weights`, :func:`shapley_r2` and
  :func:`bootstrap_weights` raise a ``ValueError`` naming the columns, and
  :func:`key_drivers`, which meets such data in real campaigns, returns no drivers with the
  reason ``no_variation`` and the keys concerned in ``constant``.
- Collinear dimensions (one a rescaling or a sum of others) do not make the computation fail:
  the eigenvalues of their correlation matrix are clipped at zero and the square root is
  inverted as a pseudo-inverse, so identical dimensions share their weight equally.
- A bootstrap resample in which a column happens not to vary is left out; the intervals are
  given only when at least half of the resamples could be used.

The priority matrix sets importance against weakness. A dimension is *important* when its
weight is at least the mean weight of the dimensions. It is *weak or contested* when the
executive / front-line gap is at least :data:`CONTESTED_GAP` either way (the project's notable
difference: the people at the top and at the front line do not see it alike) or when its
distance to target (target minus score) is at least :data:`FAR_FROM_TARGET`. A missing gap or
distance counts as neither contested nor far. The quadrants are ``act_first`` (important and
weak or contested), ``keep`` (important, neither), ``watch`` (not important, weak or contested)
and ``later`` (neither).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.analysis.gaps import NOTABLE_DIFFERENCE, is_notable
from app.analysis.plain import PlainFields
from app.analysis.stats import CONFIDENCE_LEVEL
from app.platform.lazy import lazy_module

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

#: Imported with the first computation: commands that compute nothing never load it.
np = lazy_module("numpy")

#: Fewer complete respondents than this give weights too unstable to rank dimensions by.
MIN_DRIVER_N = 30
BOOTSTRAP_ROUNDS = 1000
#: Fixed so that the same answers always give the same intervals.
BOOTSTRAP_SEED = 20261207
#: The exact Shapley decomposition fits a model to every subset of columns (4,096 at 12).
SHAPLEY_MAX_COLUMNS = 12

#: An executive / front-line gap this large either way makes a dimension contested.
CONTESTED_GAP = NOTABLE_DIFFERENCE
#: A dimension this many scale points or more below its target is far from it.
FAR_FROM_TARGET = 0.5

ACT_FIRST = "act_first"
KEEP = "keep"
WATCH = "watch"
LATER = "later"
QUADRANTS = (ACT_FIRST, KEEP, WATCH, LATER)

#: Reasons for giving no drivers.
TOO_FEW_RESPONDENTS = "too_few_respondents"
NO_VARIATION = "no_variation"

# Variances this small relative to the scale of the data are floating-point residue of
# identical values (the same allowance as for group statistics).
_ZERO_VARIANCE_TOLERANCE = 1e-12
# Eigenvalues of a correlation matrix this small relative to the largest are rounding noise
# of an exact collinearity, not a direction the data really spans.
_EIGEN_TOLERANCE = 1e-12
# Weights equal to this many decimals are tied: identical dimensions then keep their order
# instead of one being ranked first by rounding noise.
_RANK_DECIMALS = 12
# Equal weights average to a hair above themselves now and then; none should then be the
# only unimportant one.
_MEAN_TOLERANCE = 1e-12
# Resamples x respondents per bootstrap batch: about 16 MB of counts at a time.
_BOOTSTRAP_CELLS = 2_000_000
# Fewer usable resamples than this share of the rounds would give intervals of a different
# population (the one where no column is ever constant).
_MIN_BOOTSTRAP_SHARE = 0.5


@dataclass(frozen=True)
class RelativeWeights(PlainFields):
    """Relative weights of the columns of ``x`` in explaining ``y``; they sum to ``r2``."""

    weights: tuple[float, ...]
    r2: float
    n: int


@dataclass(frozen=True)
class BootstrapWeights(PlainFields):
    """Percentile intervals of the relative weights from resampled rows.

    ``used`` counts the resamples whose columns all varied; ``ci95`` is None when fewer than
    half of the ``rounds`` could be used.
    """

    ci95: tuple[tuple[float, float], ...] | None
    rounds: int
    used: int


@dataclass(frozen=True)
class Driver(PlainFields):
    """One dimension's weight in explaining the outcome.

    ``rank`` is 1 for the strongest driver; ``share`` is the weight as a share of R² (None
    when R² is zero); ``ci95`` is None when no bootstrap was run or it had too few usable
    resamples.
    """

    dimension: str
    weight: float
    ci95: tuple[float, float] | None
    rank: int
    share: float | None


@dataclass(frozen=True)
class Drivers(PlainFields):
    """The key drivers of an outcome, strongest first.

    ``n`` counts the respondents with the outcome and every dimension answered. When no
    drivers can be given, ``drivers`` is empty, ``r2`` None and ``reason`` says why:
    ``too_few_respondents`` or ``no_variation`` (``constant`` then names the keys, outcome or
    dimensions, that were the same for everyone).
    """

    outcome: str
    n: int
    r2: float | None
    drivers: tuple[Driver, ...]
    reason: str | None = None
    constant: tuple[str, ...] = ()

    @property
    def weights(self) -> dict[str, float]:
        """``{dimension: weight}`` in rank order: the importance of :func:`priority_matrix`."""
        return {driver.dimension: driver.weight for driver in self.drivers}


@dataclass(frozen=True)
class MatrixCell(PlainFields):
    """Where one dimension falls in the priority matrix, and the figures that put it there."""

    dimension: str
    importance: float
    gap: float | None
    distance: float | None
    quadrant: str


def _data(x: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """``x`` and ``y`` as one rows x (columns + 1) array, the outcome last, once checked."""
    predictors = np.asarray(x, dtype=np.float64)
    outcome = np.asarray(y, dtype=np.float64)
    if predictors.ndim != 2 or predictors.shape[1] == 0:
        raise ValueError("x must be rows x columns, with at least one column")
    if outcome.ndim != 1 or outcome.shape[0] != predictors.shape[0]:
        raise ValueError("y must hold one value for each row of x")
    if predictors.shape[0] < 2:
        raise ValueError("at least two rows are needed")
    data = np.column_stack([predictors, outcome])
    if not np.isfinite(data).all():
        raise ValueError("x and y must be finite numbers: leave out incomplete rows first")
    return data


def _constant_columns(data: NDArray[np.float64]) -> list[int]:
    """Indices of the columns of ``data`` whose values are all the same."""
    mean = data.mean(axis=0)
    variance = data.var(axis=0)
    return np.flatnonzero(
        variance <= _ZERO_VARIANCE_TOLERANCE * np.maximum(1.0, mean * mean)
    ).tolist()


def _standardised(data: NDArray[np.float64]) -> NDArray[np.float64]:
    """``data`` as z-scores, column by column; a ValueError when a column does not vary."""
    constant = _constant_columns(data)
    if constant:
        last = data.shape[1] - 1
        columns = [index for index in constant if index != last]
        names = []
        if columns:
            label = "column" if len(columns) == 1 else "columns"
            names.append(f"{label} {', '.join(str(index) for index in columns)}")
        if last in constant:
            names.append("the outcome")
        verb = "does" if len(constant) == 1 else "do"
        raise ValueError(
            f"{' and '.join(names)} {verb} not vary: relative weights need every column and "
            "the outcome to vary"
        )
    return (data - data.mean(axis=0)) / data.std(axis=0)


def _correlations(covariances: NDArray[np.float64]) -> NDArray[np.float64]:
    """Correlation matrices from a stack of covariance matrices with positive diagonals."""
    sd = np.sqrt(np.diagonal(covariances, axis1=-2, axis2=-1))
    return covariances / (sd[..., :, None] * sd[..., None, :])


def _weights(correlations: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """Relative weights and R² of each of a stack of correlation matrices (outcome last).

    With ``Rxx = V diag(λ) Vᵀ``, ``Λ = V diag(√λ) Vᵀ`` is the correlation between the
    predictors and their closest orthonormal counterparts; ``β = Λ⁺ r_xy`` regresses the
    outcome on those counterparts, and ``ε_j = Σ_k Λ_jk² β_k²``. Since every column of
    ``Λ`` has unit length over the predictors, the weights add up to ``Σ β_k² = R²``.
    """
    rxx = correlations[..., :-1, :-1]
    rxy = correlations[..., :-1, -1]
    values, vectors = np.linalg.eigh(rxx)
    spanned = values > _EIGEN_TOLERANCE * values.max(axis=-1, keepdims=True)
    root = np.sqrt(np.where(spanned, values, 1.0))
    root_of = np.where(spanned, root, 0.0)
    inverse_root = np.where(spanned, 1.0 / root, 0.0)
    transposed = np.swapaxes(vectors, -1, -2)
    lam = (vectors * root_of[..., None, :]) @ transposed
    lam_pinv = (vectors * inverse_root[..., None, :]) @ transposed
    beta = (lam_pinv @ rxy[..., None])[..., 0]
    beta_sq = beta * beta
    weights = ((lam * lam) @ beta_sq[..., None])[..., 0]
    return weights, beta_sq.sum(axis=-1)


def relative_weights(x: ArrayLike, y: ArrayLike) -> RelativeWeights:
    """Return Johnson's relative weights of the columns of ``x`` (rows x columns) for ``y``.

    Non-negative, summing to the R² of the least-squares fit of ``y`` on ``x`` with an
    intercept, and unchanged when a column is rescaled. A ValueError when a column or ``y``
    does not vary, or when a value is missing.
    """
    data = _data(x, y)
    z = _standardised(data)
    n = data.shape[0]
    weights, r2 = _weights(_correlations((z.T @ z / n)[None]))
    return RelativeWeights(tuple(weights[0].tolist()), float(r2[0]), n)


def _subset_r2(correlations: NDArray[np.float64], k: int) -> list[float]:
    """R² of the fit on every subset of the ``k`` predictors, indexed by bit mask."""
    r2 = [0.0] * (1 << k)
    for size in range(1, k + 1):
        subsets = list(itertools.combinations(range(k), size))
        keys = np.array([(*subset, k) for subset in subsets])
        stacked = correlations[keys[:, :, None], keys[:, None, :]]
        _, fitted = _weights(stacked)
        for subset, value in zip(subsets, fitted.tolist(), strict=True):
            r2[sum(1 << index for index in subset)] = value
    return r2


def shapley_r2(x: ArrayLike, y: ArrayLike) -> tuple[float, ...]:
    """Return the exact Shapley decomposition of R² over the columns of ``x``.

    Each column's R² gain when added to a subset of the others, weighted by
    ``|S|! (k - |S| - 1)! / k!``: the average gain over every order of entry. Fits all
    ``2^k`` subsets, so it is for checking :func:`relative_weights`, with up to
    :data:`SHAPLEY_MAX_COLUMNS` columns.
    """
    data = _data(x, y)
    k = data.shape[1] - 1
    if k > SHAPLEY_MAX_COLUMNS:
        raise ValueError(
            f"the exact Shapley decomposition takes at most {SHAPLEY_MAX_COLUMNS} columns"
        )
    z = _standardised(data)
    r2 = _subset_r2(z.T @ z / data.shape[0], k)
    factorial = [math.factorial(size) for size in range(k + 1)]
    values = []
    for column in range(k):
        bit = 1 << column
        total = 0.0
        for mask in range(1 << k):
            if mask & bit:
                continue
            size = mask.bit_count()
            share = factorial[size] * factorial[k - size - 1] / factorial[k]
            total += share * (r2[mask | bit] - r2[mask])
        values.append(total)
    return tuple(values)


def bootstrap_weights(
    x: ArrayLike, y: ArrayLike, rounds: int = BOOTSTRAP_ROUNDS, seed: int = BOOTSTRAP_SEED
) -> BootstrapWeights:
    """Return percentile 95% intervals of the relative weights from ``rounds`` resamples.

    Each resample draws as many rows as there are, with replacement, from
    ``numpy.random.default_rng(seed)``: the same data, rounds and seed give the same
    intervals. A resample is summed as counts of each row, so the rows are never copied.
    """
    if rounds < 1:
        raise ValueError("the bootstrap needs at least one round")
    data = _data(x, y)
    z = _standardised(data)
    n, width = z.shape
    products = (z[:, :, None] * z[:, None, :]).reshape(n, width * width)
    rng = np.random.default_rng(seed)
    batch = max(1, _BOOTSTRAP_CELLS // n)
    found = []
    for start in range(0, rounds, batch):
        size = min(batch, rounds - start)
        drawn = rng.integers(0, n, size=(size, n)) + n * np.arange(size)[:, None]
        counts = np.bincount(drawn.ravel(), minlength=size * n).reshape(size, n) / n
        mean = counts @ z
        covariances = (counts @ products).reshape(size, width, width)
        covariances -= mean[:, :, None] * mean[:, None, :]
        variances = np.diagonal(covariances, axis1=1, axis2=2)
        usable = (variances > _ZERO_VARIANCE_TOLERANCE).all(axis=1)
        if usable.any():
            weights, _ = _weights(_correlations(covariances[usable]))
            found.append(weights)
    used = sum(len(weights) for weights in found)
    if used < _MIN_BOOTSTRAP_SHARE * rounds:
        return BootstrapWeights(None, rounds, used)
    tail = (1.0 - CONFIDENCE_LEVEL) / 2.0 * 100.0
    low, high = np.percentile(np.concatenate(found), [tail, 100.0 - tail], axis=0)
    intervals = tuple(zip(low.tolist(), high.tolist(), strict=True))
    return BootstrapWeights(intervals, rounds, used)


def _complete(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def key_drivers(
    rows: Iterable[Mapping[str, float | None]],
    outcome: str,
    dimensions: Sequence[str],
    *,
    min_n: int = MIN_DRIVER_N,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = BOOTSTRAP_SEED,
) -> Drivers:
    """Return the dimensions' relative weights in explaining ``outcome``, strongest first.

    ``rows`` holds one mapping per respondent: their ``outcome`` answer and their score on
    each of ``dimensions``. A respondent missing any of them (absent, None or NaN) is left
    out. Below ``min_n`` complete respondents there are no drivers (``too_few_respondents``).
    Drivers whose weights are equal keep the order of ``dimensions``. ``rounds=0`` skips the
    bootstrap and its intervals.
    """
    names = tuple(dimensions)
    if not names:
        raise ValueError("key drivers need at least one dimension")
    if len(set(names)) != len(names):
        raise ValueError("a dimension is named twice")
    if outcome in names:
        raise ValueError("the outcome cannot also be one of the dimensions")
    keys = (*names, outcome)
    complete = []
    for row in rows:
        values = [row.get(key) for key in keys]
        if all(_complete(value) for value in values):
            complete.append(values)
    n = len(complete)
    if n < max(min_n, 2):
        return Drivers(outcome, n, None, (), TOO_FEW_RESPONDENTS)
    data = np.asarray(complete, dtype=np.float64)
    if not np.isfinite(data).all():
        raise ValueError("scores and outcome answers must be finite numbers")
    constant = _constant_columns(data)
    if constant:
        return Drivers(outcome, n, None, (), NO_VARIATION, tuple(keys[i] for i in constant))
    x, y = data[:, :-1], data[:, -1]
    point = relative_weights(x, y)
    intervals = bootstrap_weights(x, y, rounds, seed).ci95 if rounds > 0 else None
    order = sorted(range(len(names)), key=lambda j: -round(point.weights[j], _RANK_DECIMALS))
    drivers = tuple(
        Driver(
            dimension=names[j],
            weight=point.weights[j],
            ci95=None if intervals is None else intervals[j],
            rank=rank,
            share=point.weights[j] / point.r2 if point.r2 > 0 else None,
        )
        for rank, j in enumerate(order, start=1)
    )
    return Drivers(outcome, n, point.r2, drivers)


def _optional(value: float | None) -> float | None:
    return None if value is None else float(value)


def quadrant(important: bool, weak_or_contested: bool) -> str:
    """The quadrant key of a dimension from the two sides of the priority matrix."""
    if important:
        return ACT_FIRST if weak_or_contested else KEEP
    return WATCH if weak_or_contested else LATER


def priority_matrix(
    importance: Mapping[str, float],
    gaps: Mapping[str, float | None],
    distances: Mapping[str, float | None] | None = None,
) -> tuple[MatrixCell, ...]:
    """Place each dimension of ``importance`` in the priority matrix, in that order.

    ``importance`` gives each dimension's driver weight (:attr:`Drivers.weights`); ``gaps``
    the executive minus front-line difference of its mean; ``distances`` its target minus
    its score. The rule is in the module's description; a dimension absent from ``gaps`` or
    ``distances`` has no gap or no distance.
    """
    if not importance:
        return ()
    weights = list(importance.values())
    if not all(_complete(weight) for weight in weights):
        raise ValueError("every dimension of the matrix needs a weight")
    mean = math.fsum(weights) / len(weights)
    found = []
    for dimension, weight in importance.items():
        gap = gaps.get(dimension)
        distance = None if distances is None else distances.get(dimension)
        contested = is_notable(gap, CONTESTED_GAP)
        far = distance is not None and distance > 0 and is_notable(distance, FAR_FROM_TARGET)
        cell_quadrant = quadrant(weight >= mean - _MEAN_TOLERANCE, contested or far)
        found.append(
            MatrixCell(dimension, float(weight), _optional(gap), _optional(distance), cell_quadrant)
        )
    return tuple(found)
