"""Group statistics: descriptives, maturity levels, agreement, reliability, balance, targets.

Results are small frozen dataclasses whose ``to_dict()`` gives plain JSON-able values with
``None`` for anything that cannot be computed. Numbers are not rounded here; rounding is a
presentation concern.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.analysis.lazy import LazyMapping
from app.analysis.plain import PlainFields
from app.platform.lazy import lazy_module

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

#: Imported with the first computation: commands that compute nothing never load it.
np = lazy_module("numpy")

#: Imported with the first interval computed. Only scipy's special functions are used (the t
#: distribution's quantile is ``stdtrit``): ``scipy.stats`` takes three times as long to load.
special = lazy_module("scipy.special")

CONFIDENCE_LEVEL = 0.95
#: Agreement needs at least this many respondents in the group to mean anything.
MIN_AGREEMENT_N = 3

# Variances this small relative to the scale of the data are floating-point residue of
# identical values; treating them as exactly zero keeps the raw and the sums paths in step
# and keeps a unanimous group from yielding a huge t statistic made of rounding noise.
_ZERO_VARIANCE_TOLERANCE = 1e-12
#: Scores are shown with this many decimals everywhere; levels are read from the shown value.
SCORE_DIGITS = 2


def _clean_variance(variance: float, mean: float) -> float:
    if variance <= _ZERO_VARIANCE_TOLERANCE * max(1.0, mean * mean):
        return 0.0
    return variance


def _optional_float(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return float(value)


def _present(values: ArrayLike | Iterable[float | None]) -> np.ndarray:
    if not isinstance(values, np.ndarray | list | tuple):
        values = list(values)
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[~np.isnan(array)]


@dataclass(frozen=True)
class Moments(PlainFields):
    """Sufficient statistics of a set of values: count, sum and sum of squares.

    This is what a database returns for ``COUNT(x), SUM(x), SUM(x * x)``; moments of disjoint
    groups add up and can be subtracted, which is how "the rest of the organisation" is derived.
    """

    n: int
    total: float
    total_sq: float

    @classmethod
    def from_values(cls, values: ArrayLike | Iterable[float | None]) -> Moments:
        """Return the moments of the non-missing values (NaN and None are skipped)."""
        present = _present(values)
        return cls(int(present.size), float(present.sum()), float((present * present).sum()))

    @classmethod
    def from_counts(cls, counts: Mapping[int, int]) -> Moments:
        """Return the moments of answers given as ``{scale point: number of answers}``."""
        n = 0
        total = 0.0
        total_sq = 0.0
        for point, c in counts.items():
            number = int(c)
            value = float(point)
            n += number
            total += value * number
            total_sq += value * value * number
        return cls(n, total, total_sq)

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.total + other.total, self.total_sq + other.total_sq)

    def __sub__(self, other: Moments) -> Moments:
        if other.n > self.n:
            raise ValueError("cannot subtract a larger group")
        return Moments(self.n - other.n, self.total - other.total, self.total_sq - other.total_sq)

    @property
    def mean(self) -> float | None:
        """The mean, or None when there are no values."""
        if self.n == 0:
            return None
        return self.total / self.n

    @property
    def variance(self) -> float | None:
        """The sample variance (ddof=1), or None when there are fewer than two values."""
        if self.n < 2:
            return None
        mean = self.total / self.n
        raw = (self.total_sq - self.total * mean) / (self.n - 1)
        return _clean_variance(max(raw, 0.0), mean)


@dataclass(frozen=True)
class GroupStats(PlainFields):
    """Descriptive statistics of a group's scores on one dimension.

    ``n`` counts respondents with a score; ``sd`` and the confidence interval need ``n >= 2``;
    ``median`` is None when the statistics were built from sums, which cannot give a median.
    """

    n: int
    mean: float | None
    sd: float | None
    median: float | None
    ci_low: float | None
    ci_high: float | None


@functools.lru_cache(maxsize=1024)
def _t_critical(quantile: float, df: int) -> float:
    # A campaign's groups share a handful of sizes; scipy's per-call overhead dominates.
    return float(special.stdtrit(df, quantile))


def mean_ci(
    n: int, mean: float | None, sd: float | None, confidence: float = CONFIDENCE_LEVEL
) -> tuple[float, float] | None:
    """Return the t-distribution confidence interval of a mean, or None when ``n < 2``."""
    if n < 2 or mean is None or sd is None:
        return None
    if sd == 0:
        return (float(mean), float(mean))
    critical = _t_critical(0.5 + confidence / 2, n - 1)
    half_width = critical * sd / math.sqrt(n)
    return (float(mean - half_width), float(mean + half_width))


def describe_moments(moments: Moments, confidence: float = CONFIDENCE_LEVEL) -> GroupStats:
    """Return a group's statistics from its moments (the median is unavailable, so None)."""
    mean = moments.mean
    variance = moments.variance
    sd = None if variance is None else math.sqrt(variance)
    ci = mean_ci(moments.n, mean, sd, confidence)
    return GroupStats(
        n=moments.n,
        mean=_optional_float(mean),
        sd=_optional_float(sd),
        median=None,
        ci_low=None if ci is None else ci[0],
        ci_high=None if ci is None else ci[1],
    )


def describe(
    values: ArrayLike | Iterable[float | None], confidence: float = CONFIDENCE_LEVEL
) -> GroupStats:
    """Return a group's statistics from its respondents' scores (NaN and None are missing)."""
    present = _present(values)
    n = int(present.size)
    if n == 0:
        return GroupStats(0, None, None, None, None, None)
    # np.mean, np.median and np.var(ddof=1), step by step as numpy computes them (the same
    # reductions, so the same numbers) without their per-call overhead, which at a few
    # hundred groups costs more than the arithmetic.
    total = present.sum()
    mean = float(total / n)
    half = n // 2
    if n % 2:
        median = float(np.partition(present, half)[half])
    else:
        middle = np.partition(present, [half - 1, half])
        median = float((middle[half - 1] + middle[half]) / 2)
    sd: float | None = None
    if n >= 2:
        deviations = present - total / n
        variance = float((deviations * deviations).sum() / (n - 1))
        sd = math.sqrt(_clean_variance(variance, mean))
    return _stats(n, mean, sd, median, confidence)


def _stats(n: int, mean: float, sd: float | None, median: float, confidence: float) -> GroupStats:
    ci = mean_ci(n, mean, sd, confidence)
    return GroupStats(
        n=n,
        mean=mean,
        sd=sd,
        median=median,
        ci_low=None if ci is None else ci[0],
        ci_high=None if ci is None else ci[1],
    )


@dataclass(frozen=True)
class Memberships:
    """Who belongs to which group, as (group, respondent) pairs: groups x respondents made
    ready once for :func:`describe_groups` of many scores of the same respondents."""

    n_groups: int
    n_respondents: int
    group_of: NDArray[np.int64]
    respondent: NDArray[np.int64]

    @classmethod
    def of(cls, members: ArrayLike) -> Memberships:
        """From ``members``, groups x respondents, true where a respondent is in a group."""
        inside = np.asarray(members, dtype=bool)
        if inside.ndim != 2:
            raise ValueError("members must be groups x respondents")
        group_of, respondent = np.nonzero(inside)
        return cls(inside.shape[0], inside.shape[1], group_of, respondent)


def describe_groups(
    values: ArrayLike, members: ArrayLike | Memberships, confidence: float = CONFIDENCE_LEVEL
) -> list[GroupStats]:
    """:func:`describe` of many groups of the same respondents at once.

    ``values`` holds every respondent's score (NaN for missing); ``members`` is groups x
    respondents, true where a respondent belongs to a group (groups may overlap), or the
    same as :class:`Memberships`. Gives what :func:`describe` gives for each group's scores,
    up to the rounding of the sums, which add the same values in another order; the work
    grows with the memberships, not with groups x respondents.
    """
    scores = np.asarray(values, dtype=np.float64).ravel()
    membership = members if isinstance(members, Memberships) else Memberships.of(members)
    if membership.n_respondents != scores.size:
        raise ValueError("members must be groups x respondents")
    size = scores.size
    order = np.argsort(scores, kind="stable")  # NaN last
    ordered = scores[order]
    rank = np.empty(size, dtype=np.int64)
    rank[order] = np.arange(size, dtype=np.int64)
    # Each group's scored members as (group, position in ``ordered``) pairs, by group and
    # then ascending score: one sort of a whole number per membership.
    scored = ~np.isnan(scores)[membership.respondent]
    keys = membership.group_of[scored] * max(size, 1) + rank[membership.respondent[scored]]
    keys.sort()
    group_of, position = np.divmod(keys, max(size, 1))
    chosen = ordered[position]
    n_groups = membership.n_groups
    counts = np.bincount(group_of, minlength=n_groups)
    totals = np.bincount(group_of, weights=chosen, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = totals / counts
        deviations = chosen - means[group_of]
        squares = np.bincount(group_of, weights=deviations * deviations, minlength=n_groups)
        variances = squares / (counts - 1)
    starts = np.cumsum(counts) - counts
    low = np.minimum(starts + (counts - 1) // 2, max(len(chosen) - 1, 0))
    high = np.minimum(starts + counts // 2, max(len(chosen) - 1, 0))
    medians = (chosen[low] + chosen[high]) / 2 if len(chosen) else np.zeros(n_groups)
    found = []
    for n, mean, variance, median in zip(
        counts.tolist(), means.tolist(), variances.tolist(), medians.tolist(), strict=True
    ):
        if n == 0:
            found.append(GroupStats(0, None, None, None, None, None))
            continue
        sd = math.sqrt(_clean_variance(variance, mean)) if n >= 2 else None
        found.append(_stats(n, mean, sd, median, confidence))
    return found


def displayed_score(score: float, digits: int = SCORE_DIGITS) -> float:
    """The score as it is shown: rounded to ``digits`` decimals exactly as it is printed."""
    return float(f"{score:.{digits}f}")


def maturity_level(score: float | None, scale_min: int, scale_max: int) -> int | None:
    """Return the maturity level of a score as shown, clamped into the scale.

    Levels are bands ``[k - 0.5, k + 0.5)`` applied to the score rounded to the displayed
    precision, so the level always agrees with the number printed beside it: 2.47 is level 2,
    2.495 (shown as 2.50) is level 3, 4.5 is level 5. Missing scores give None.
    """
    if score is None or math.isnan(score):
        return None
    # Halves are exact in binary, so a shown 2.50 lands on 3 without any tolerance.
    level = math.floor(displayed_score(score) + 0.5)
    return int(min(max(level, scale_min), scale_max))


@dataclass(frozen=True)
class ItemDistribution(PlainFields):
    """How one item's answers spread over the scale points."""

    plain_keys = ("item", "n", "points", "counts", "proportions")

    item: str
    points: tuple[int, ...]
    counts: tuple[int, ...]
    n: int

    @property
    def proportions(self) -> tuple[float, ...] | None:
        """Share of answers per scale point, or None when nobody answered."""
        if self.n == 0:
            return None
        return tuple(count / self.n for count in self.counts)


def distribution_from_counts(
    item: str, counts: Mapping[int, int], scale_min: int, scale_max: int
) -> ItemDistribution:
    """Return an item's distribution from ``{scale point: count}`` (missing points count 0)."""
    points, valid = _points(scale_min, scale_max)
    if not counts.keys() <= valid:
        raise ValueError(f"answers outside the scale: {sorted(set(counts) - valid)}")
    point_counts = tuple([int(counts.get(point, 0)) for point in points])
    if min(point_counts, default=0) < 0:
        raise ValueError("counts cannot be negative")
    return ItemDistribution(item, points, point_counts, sum(point_counts))


class ItemCountTable(Mapping[str, Mapping[int, int]]):
    """Answer counts of several items as one items x scale points array.

    Reads like ``{item: {scale point: count}}``; :meth:`distribution` and :meth:`agreement`
    answer from the array directly, which matters when a results computation asks for
    thousands of them.
    """

    def __init__(
        self, item_ids: Sequence[str], scale_min: int, scale_max: int, counts: ArrayLike
    ) -> None:
        points, _ = _points(scale_min, scale_max)
        table = np.asarray(counts, dtype=np.int64).reshape(1, len(item_ids), len(points))
        self._fill(*_table_columns(tuple(item_ids), points, table), 0)

    @classmethod
    def many(
        cls, item_ids: Sequence[str], scale_min: int, scale_max: int, counts: ArrayLike
    ) -> list[ItemCountTable]:
        """One table per entry of ``counts`` (tables x items x scale points), made at once."""
        points, _ = _points(scale_min, scale_max)
        tables = np.asarray(counts, dtype=np.int64).reshape(-1, len(item_ids), len(points))
        columns = _table_columns(tuple(item_ids), points, tables)
        found = []
        for index in range(tables.shape[0]):
            table = cls.__new__(cls)
            table._fill(*columns, index)
            found.append(table)
        return found

    def _fill(
        self,
        points: tuple[int, ...],
        item_ids: tuple[str, ...],
        row: dict[str, int],
        rows: list[list[list[int]]],
        n: list[list[int]],
        variance: list[list[float]],
        index: int,
    ) -> None:
        self.points = points
        self.item_ids = item_ids
        self._row = row
        self._rows = [tuple(counts) for counts in rows[index]]
        self._n = n[index]
        self._variance = variance[index]

    def __getitem__(self, item: str) -> Mapping[int, int]:
        return dict(zip(self.points, self._rows[self._row[item]], strict=True))

    def __iter__(self) -> Iterator[str]:
        return iter(self.item_ids)

    def __len__(self) -> int:
        return len(self.item_ids)

    def distribution(self, item: str) -> ItemDistribution:
        """The item's distribution (what :func:`distribution_from_counts` gives)."""
        row = self._row[item]
        return ItemDistribution(item, self.points, self._rows[row], self._n[row])

    def distributions(self, hidden: Collection[str] = ()) -> Mapping[str, ItemDistribution]:
        """``{item: distribution}`` of every item not ``hidden``, each made when first read."""
        shown = [item for item in self.item_ids if item not in hidden]
        return LazyMapping(shown, self.distribution)

    def agreement(
        self, items: Sequence[str], n_scale_points: int, n: int | None = None
    ) -> float | None:
        """r_wg(j) of ``items``: what :func:`rwg_j_from_moments` gives for their moments."""
        if n_scale_points < 2:
            raise ValueError("a scale needs at least two points")
        rows = [self._row.get(item) for item in items]
        if n is None:
            n = max((self._n[row] for row in rows if row is not None), default=0)
        if n < MIN_AGREEMENT_N:
            return None
        variances = [self._variance[row] for row in rows if row is not None and self._n[row] >= 2]
        return _rwg_from_variances(variances, n_scale_points)


def _table_columns(
    item_ids: tuple[str, ...], points: tuple[int, ...], tables: NDArray[np.int64]
) -> tuple[Any, ...]:
    """What :class:`ItemCountTable` keeps of each of ``tables`` (tables x items x points)."""
    if tables.size and tables.min() < 0:
        raise ValueError("counts cannot be negative")
    values = np.asarray(points, dtype=np.float64)
    n = tables.sum(axis=2)
    total = tables @ values
    total_sq = tables @ (values * values)
    # Every item's sample variance at once, by the same steps as Moments.variance.
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        raw = np.maximum((total_sq - total * mean) / (n - 1), 0.0)
    residue = raw <= _ZERO_VARIANCE_TOLERANCE * np.maximum(1.0, mean * mean)
    variance = np.where(residue, 0.0, raw)
    row = {item: index for index, item in enumerate(item_ids)}
    return (
        points,
        item_ids,
        row,
        tables.tolist(),
        n.tolist(),
        variance.tolist(),
    )


@functools.lru_cache(maxsize=64)
def _points(scale_min: int, scale_max: int) -> tuple[tuple[int, ...], frozenset[int]]:
    points = tuple(range(scale_min, scale_max + 1))
    return points, frozenset(points)


def point_counts(values: ArrayLike, scale_min: int, scale_max: int) -> dict[int, int]:
    """Return ``{scale point: count}`` of raw answers, skipping NaN (not applicable)."""
    present = _present(np.asarray(values, dtype=np.float64))
    points = np.arange(scale_min, scale_max + 1)
    if not np.all(np.isin(present, points)):
        raise ValueError("answers must be whole scale points")
    return {int(point): int(np.count_nonzero(present == point)) for point in points}


def item_distribution(
    item: str, values: ArrayLike, scale_min: int, scale_max: int
) -> ItemDistribution:
    """Return an item's distribution from its raw answers (NaN is not applicable)."""
    return distribution_from_counts(
        item, point_counts(values, scale_min, scale_max), scale_min, scale_max
    )


def _rwg_from_variances(variances: Sequence[float], n_scale_points: int) -> float | None:
    if not variances:
        return None
    expected = (n_scale_points * n_scale_points - 1) / 12.0
    ratio = math.fsum(variances) / len(variances) / expected
    if ratio >= 1.0:
        return 0.0
    n_items = len(variances)
    agreement = n_items * (1.0 - ratio)
    return agreement / (agreement + ratio)


def rwg_j_from_moments(
    items: Sequence[Moments], n_scale_points: int, n: int | None = None
) -> float | None:
    """Return the multi-item agreement index r_wg(j) of a group from item moments.

    ``items`` holds, for each of the dimension's items, the group's count, sum and sum of
    squares of answers. Items with fewer than two answers have no variance and are left out of
    the average; ``J`` counts the items that remain. ``n`` is the group's number of respondents
    (defaults to the largest item count); the index is None when ``n < 3``. Reverse coding does
    not change a variance, so raw answers work as well as recoded ones.
    """
    if n_scale_points < 2:
        raise ValueError("a scale needs at least two points")
    group_n = max((item.n for item in items), default=0) if n is None else n
    if group_n < MIN_AGREEMENT_N:
        return None
    variances = [v for v in (item.variance for item in items) if v is not None]
    return _rwg_from_variances(variances, n_scale_points)


def rwg_j(matrix: ArrayLike, n_scale_points: int, n: int | None = None) -> float | None:
    """Return r_wg(j) from a group's respondents x items answer matrix (NaN = not applicable).

    Same rules as :func:`rwg_j_from_moments`; ``n`` defaults to the largest item count.
    """
    if n_scale_points < 2:
        raise ValueError("a scale needs at least two points")
    values = np.asarray(matrix, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("matrix must be respondents x items")
    columns = [column[~np.isnan(column)] for column in values.T]
    group_n = max((column.size for column in columns), default=0) if n is None else n
    if group_n < MIN_AGREEMENT_N:
        return None
    variances = [
        _clean_variance(float(np.var(column, ddof=1)), float(np.mean(column)))
        for column in columns
        if column.size >= 2
    ]
    return _rwg_from_variances(variances, n_scale_points)


def _alpha(k: int, n: int, item_variance_sum: float, total_variance: float) -> float | None:
    if n < 2 or k < 2 or total_variance <= 0:
        return None
    return k / (k - 1) * (1.0 - item_variance_sum / total_variance)


def cronbach_alpha(matrix: ArrayLike) -> tuple[float | None, int]:
    """Return Cronbach's alpha of one dimension and the number of respondents it used.

    ``matrix`` is respondents x the dimension's items, reverse coded. Only respondents who
    answered every item are used. Alpha is None when fewer than two such respondents or items
    exist, or when their total scores do not vary.
    """
    values = np.asarray(matrix, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("matrix must be respondents x items")
    complete = values[~np.isnan(values).any(axis=1)]
    n, k = complete.shape
    if n < 2 or k < 2:
        return None, int(n)
    item_variances = [
        _clean_variance(float(np.var(column, ddof=1)), float(np.mean(column)))
        for column in complete.T
    ]
    totals = complete.sum(axis=1)
    total_variance = _clean_variance(float(np.var(totals, ddof=1)), float(np.mean(totals)))
    return _alpha(k, n, float(sum(item_variances)), total_variance), int(n)


def cronbach_alpha_from_sums(
    n: int,
    item_totals: Sequence[float],
    item_totals_sq: Sequence[float],
    score_total: float,
    score_total_sq: float,
) -> tuple[float | None, int]:
    """Return Cronbach's alpha from sums over the respondents who answered every item.

    ``n`` is the number of such respondents; ``item_totals`` / ``item_totals_sq`` are, per
    item, the sum and sum of squares of their (reverse coded) answers; ``score_total`` /
    ``score_total_sq`` are the sum and sum of squares of their unweighted total scores
    (the sum of their answers on the dimension).
    """
    if len(item_totals) != len(item_totals_sq):
        raise ValueError("item_totals and item_totals_sq must have the same length")
    k = len(item_totals)
    if n < 2 or k < 2:
        return None, n
    item_variances = [
        Moments(n, total, total_sq).variance or 0.0
        for total, total_sq in zip(item_totals, item_totals_sq, strict=True)
    ]
    total_variance = Moments(n, score_total, score_total_sq).variance or 0.0
    return _alpha(k, n, float(sum(item_variances)), total_variance), n


@dataclass(frozen=True)
class CapabilityBalance(PlainFields):
    """How evenly the organisation's capabilities are developed."""

    spread: float | None
    weakest: str | None
    strongest: str | None


def capability_balance(scores: Mapping[str, float | None]) -> CapabilityBalance:
    """Return the spread (max - min) of capability scores and the weakest and strongest one.

    Missing scores are ignored; ties go to the capability id that sorts first.
    """
    present = {
        key: float(value)
        for key, value in scores.items()
        if value is not None and not math.isnan(value)
    }
    if not present:
        return CapabilityBalance(None, None, None)
    ordered = sorted(present.items(), key=lambda pair: (pair[1], pair[0]))
    weakest = ordered[0]
    strongest = min(ordered, key=lambda pair: (-pair[1], pair[0]))
    return CapabilityBalance(strongest[1] - weakest[1], weakest[0], strongest[0])


def _comparable(
    targets: Mapping[str, float | None], current: Mapping[str, float | None]
) -> list[tuple[str, float, float]]:
    rows = []
    for dimension in sorted(targets):
        target = targets[dimension]
        score = current.get(dimension)
        if target is None or score is None or math.isnan(target) or math.isnan(score):
            continue
        rows.append((dimension, float(target), float(score)))
    return rows


def target_gaps(
    targets: Mapping[str, float | None], current: Mapping[str, float | None]
) -> dict[str, float]:
    """Return ``max(0, target - current)`` for each dimension with both a target and a score."""
    return {
        dimension: max(0.0, target - score)
        for dimension, target, score in _comparable(targets, current)
    }


def progress_from_baseline(
    targets: Mapping[str, float | None],
    current: Mapping[str, float | None],
    baseline: Mapping[str, float | None],
) -> float | None:
    """Return how far the organisation has come from its baseline towards its targets.

    ``sum(current - baseline) / sum(target - baseline)`` over the dimensions having a target,
    a current score and a baseline score: 0 at the baseline, 1 at the target, negative below
    the baseline. None when no dimension has all three, or when the targets do not lie above
    the baseline in sum (there is no distance to cover).
    """
    rows = [
        (target, score, float(before))
        for dimension, target, score in _comparable(targets, current)
        if (before := baseline.get(dimension)) is not None and not math.isnan(before)
    ]
    distance = sum(target - before for target, _, before in rows)
    if not rows or distance <= 0:
        return None
    return sum(score - before for _, score, before in rows) / distance
