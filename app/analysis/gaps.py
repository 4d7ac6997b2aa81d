"""Perception gaps between groups and trends between rounds.

Every comparison works from each side's n, mean and standard deviation only, so it runs the
same on raw data and on sums from the database. Breakdown-level functions take
:class:`~app.analysis.summary.GroupSummary` objects, which leaves suppressed groups out of every
comparison by construction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self, TypeVar

from app.analysis.plain import PlainFields
from app.analysis.stats import GroupStats, Moments, describe_moments
from app.analysis.summary import GroupSummary
from app.platform.lazy import lazy_module

#: Imported with the first comparison: scipy takes half a second to load.
special = lazy_module("scipy.special")

SIGNIFICANCE_LEVEL = 0.05
#: A difference of half a scale point is the smallest one worth a manager's attention.
NOTABLE_DIFFERENCE = 0.5
# Differences such as 4.1 - 3.6 come out as 0.49999999999999956 in binary floating point;
# without this allowance an exact half-point gap would not count as notable.
_NOTABLE_TOLERANCE = 1e-9
#: A gap whose whole confidence interval lies within this many points either way is small.
SMALL_DIFFERENCE = 0.3
#: Hedges' g from which an unconfirmed gap is worth calling a possible difference.
LARGE_EFFECT = 0.5

CLEAR = "clear"
POSSIBLE = "possible"
SMALL = "small"
VERDICTS = (CLEAR, POSSIBLE, SMALL)

VERDICT_LABELS: Mapping[str, Mapping[str, str]] = {
    CLEAR: {"en": "Clear difference", "ja": "明確な差"},
    POSSIBLE: {
        "en": "Possible difference (too few answers to confirm)",
        "ja": "差の可能性（回答数が少なく確認できない）",
    },
    SMALL: {"en": "Small or no difference", "ja": "差は小さい"},
}

#: A text in several locales, e.g. ``{"ja": "経営層", "en": "Executive"}``.
Localized = Mapping[str, str]

BLIND_SPOT_AT_THE_TOP = "blind_spot_at_the_top"
HIDDEN_STRENGTH_BELOW = "hidden_strength_below"
ALIGNED = "aligned"
ABOVE_REST = "above_rest"
BELOW_REST = "below_rest"

DIRECTION_LABELS: Mapping[str, Mapping[str, str]] = {
    BLIND_SPOT_AT_THE_TOP: {"en": "Blind spot at the top", "ja": "経営層の盲点"},
    HIDDEN_STRENGTH_BELOW: {"en": "Hidden strength below", "ja": "現場の隠れた強み"},
    ALIGNED: {"en": "Aligned", "ja": "認識が一致"},
    ABOVE_REST: {"en": "Rated higher than the rest", "ja": "他部署より高い評価"},
    BELOW_REST: {"en": "Rated lower than the rest", "ja": "他部署より低い評価"},
}


def direction_label(key: str, language: str = "en") -> str:
    """Return the words for a direction key, in English when the language is not available."""
    labels = DIRECTION_LABELS[key]
    return labels.get(language, labels["en"])


def is_notable(difference: float | None, threshold: float = NOTABLE_DIFFERENCE) -> bool:
    """Return whether a difference is at least ``threshold`` scale points either way."""
    return difference is not None and abs(difference) >= threshold - _NOTABLE_TOLERANCE


@dataclass(frozen=True)
class WelchResult:
    """Welch's unequal-variance t-test: statistic, Welch-Satterthwaite df, two-sided p."""

    t: float
    df: float
    p_value: float
    #: Standard error of the difference.
    se: float


def welch_interval(
    difference: float, se: float | None, df: float | None, alpha: float = SIGNIFICANCE_LEVEL
) -> tuple[float, float] | None:
    """The two-sided ``1 - alpha`` Welch confidence interval of a difference; None untested."""
    if se is None or df is None or not 0 < alpha < 1:
        return None
    half = float(special.stdtrit(df, 1.0 - alpha / 2.0)) * se
    return (difference - half, difference + half)


def holm_alpha(p_value: float | None, p_adjusted: float | None) -> float:
    """The level at which a gap's own test is judged once Holm's adjustment is made.

    ``alpha x p / p_adjusted``: the interval at ``1 -`` this level excludes zero exactly when
    the adjusted p-value is below alpha, so the interval and the adjusted test never disagree.
    """
    if p_value is None or p_adjusted is None or p_value <= 0 or p_adjusted <= 0:
        return SIGNIFICANCE_LEVEL
    return SIGNIFICANCE_LEVEL * min(1.0, p_value / p_adjusted)


def gap_verdict(ci: tuple[float, float] | None, difference: float) -> str:
    """``clear``, ``possible`` or ``small``: what a gap's adjusted interval supports.

    Clear when the interval excludes zero; small when it lies within ±0.3 points; otherwise
    a possible difference that the answers are too few to confirm. A gap that could not be
    tested (a side without spread) is small only when there is no difference at all.
    """
    if ci is None:
        return SMALL if abs(difference) < _NOTABLE_TOLERANCE else POSSIBLE
    low, high = ci
    if low > 0 or high < 0:
        return CLEAR
    if low >= -SMALL_DIFFERENCE and high <= SMALL_DIFFERENCE:
        return SMALL
    return POSSIBLE


def hedges_g(
    n_a: int,
    mean_a: float | None,
    sd_a: float | None,
    n_b: int,
    mean_b: float | None,
    sd_b: float | None,
) -> float | None:
    """Return Hedges' g of ``a - b``: Cohen's d on the pooled SD, small-sample corrected.

    The pooled SD is ``sqrt(((n_a-1) sd_a^2 + (n_b-1) sd_b^2) / (n_a + n_b - 2))`` and the
    correction ``J = 1 - 3 / (4 (n_a + n_b) - 9)``. None when a side has fewer than two values
    or the pooled SD is zero.
    """
    if n_a < 2 or n_b < 2 or mean_a is None or mean_b is None or sd_a is None or sd_b is None:
        return None
    pooled_variance = ((n_a - 1) * sd_a * sd_a + (n_b - 1) * sd_b * sd_b) / (n_a + n_b - 2)
    if pooled_variance <= 0:
        return None
    correction = 1.0 - 3.0 / (4.0 * (n_a + n_b) - 9.0)
    return (mean_a - mean_b) / math.sqrt(pooled_variance) * correction


def welch_test(
    n_a: int,
    mean_a: float | None,
    sd_a: float | None,
    n_b: int,
    mean_b: float | None,
    sd_b: float | None,
) -> WelchResult | None:
    """Return Welch's two-sided t-test of ``a - b`` from summary statistics.

    None when a side has fewer than two values or both standard deviations are zero (the
    standard error is zero and the test is undefined).
    """
    if n_a < 2 or n_b < 2 or mean_a is None or mean_b is None or sd_a is None or sd_b is None:
        return None
    share_a = sd_a * sd_a / n_a
    share_b = sd_b * sd_b / n_b
    variance = share_a + share_b
    if variance <= 0:
        return None
    t = (mean_a - mean_b) / math.sqrt(variance)
    df = variance * variance / (share_a * share_a / (n_a - 1) + share_b * share_b / (n_b - 1))
    # stdtr is what scipy.stats.t.sf evaluates (sf(x, df) = stdtr(df, -x)), without the
    # argument checks and array handling that cost far more than the function itself.
    p_value = min(1.0, 2.0 * float(special.stdtr(df, -abs(t))))
    return WelchResult(t=t, df=df, p_value=p_value, se=math.sqrt(variance))


def holm_adjust(p_values: Sequence[float | None]) -> list[float | None]:
    """Return Holm step-down adjusted p-values, in the input order.

    The i-th smallest of m p-values is multiplied by ``m - i + 1``; a running maximum keeps the
    adjusted values in the same order as the raw ones, and they are capped at 1. None (or NaN)
    entries are not tests: they stay None and do not count in m.
    """
    tested = [
        (float(p), index) for index, p in enumerate(p_values) if p is not None and not math.isnan(p)
    ]
    m = len(tested)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(sorted(tested)):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[index] = running
    return adjusted


@dataclass(frozen=True)
class Gap(PlainFields):
    """A perception gap ``a - b`` on one dimension; ``difference`` is ``mean_a - mean_b``.

    The one record of a gap, from the test to every output (report rules, reports, dashboard,
    API): the functions here name the two groups by the keys they were given and leave the
    breakdown and the labels empty; the results engine places each gap in its breakdown
    (:meth:`placed`), with the groups' public keys and labels. A field added here, with a
    default, reaches every reader without being copied along the way.
    """

    dimension: str
    a: Any
    b: Any
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    difference: float
    hedges_g: float | None
    t: float | None
    df: float | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    notable: bool
    direction: str | None
    #: ``role``, ``department`` or ``role_department`` once placed; None before.
    breakdown: str | None = None
    a_label: Localized | None = None
    b_label: Localized | None = None
    #: Standard error of the difference (Welch); None when the test is undefined.
    se: float | None = None

    @property
    def direction_label(self) -> Localized:
        """The words for the direction in every language (``aligned`` when it has none)."""
        return DIRECTION_LABELS[self.direction or ALIGNED]

    @property
    def ci95(self) -> tuple[float, float] | None:
        """The Welch interval of the difference at the Holm-adjusted level (95% for one test)."""
        return welch_interval(
            self.difference, self.se, self.df, holm_alpha(self.p_value, self.p_adjusted)
        )

    @property
    def verdict(self) -> str:
        """``clear``, ``possible`` or ``small`` (see :func:`gap_verdict`)."""
        return gap_verdict(self.ci95, self.difference)

    @property
    def verdict_label(self) -> Localized:
        """The verdict in plain words, in every language."""
        return VERDICT_LABELS[self.verdict]

    def placed(
        self,
        breakdown: str,
        a: Any,
        b: Any,
        a_label: Localized,
        b_label: Localized,
    ) -> Self:
        """The same comparison with its groups named as the outputs name them."""
        return _with(self, breakdown=breakdown, a=a, b=b, a_label=a_label, b_label=b_label)


def _alias(name: str, doc: str) -> Any:
    """A read-only property giving the field ``name`` under another name."""
    return property(lambda self: getattr(self, name), doc=doc)


@dataclass(frozen=True)
class Trend(Gap):
    """The change of a group's mean on one dimension since the previous round.

    A gap between the group in this round (``a``, ``mean_a``) and in the previous one (``b``,
    ``mean_b``), tested the same way; the names below call its parts as a change.
    """

    group = _alias("a", "The group's key (the same in both rounds).")
    key = _alias("a", "The group's key, as placed by the results engine.")
    label = _alias("a_label", "The group's label, once placed.")
    n_current = _alias("n_a", "Respondents with a score in this round.")
    n_previous = _alias("n_b", "Respondents with a score in the previous round.")
    current_mean = _alias("mean_a", "This round's mean.")
    previous_mean = _alias("mean_b", "The previous round's mean.")
    change = _alias("difference", "``current_mean - previous_mean``.")


def compare(dimension: str, a: str, b: str, stats_a: GroupStats, stats_b: GroupStats) -> Gap | None:
    """Return the gap ``a - b`` on one dimension as a single test (p_adjusted = p_value).

    None when either side has no mean. ``direction`` is left None; breakdown functions fill it.
    """
    return _compare(dimension, a, b, stats_a, stats_b, None)


def _compare(
    dimension: str,
    a: str,
    b: str,
    stats_a: GroupStats,
    stats_b: GroupStats,
    direction_of: Callable[[float, bool], str] | None,
    record: type[Gap] = Gap,
) -> Gap | None:
    """:func:`compare`, with the direction given by ``direction_of(difference, notable)``."""
    if stats_a.mean is None or stats_b.mean is None:
        return None
    difference = stats_a.mean - stats_b.mean
    welch = welch_test(stats_a.n, stats_a.mean, stats_a.sd, stats_b.n, stats_b.mean, stats_b.sd)
    p_value = None if welch is None else welch.p_value
    notable = is_notable(difference)
    return record(
        dimension=dimension,
        a=a,
        b=b,
        n_a=stats_a.n,
        n_b=stats_b.n,
        mean_a=stats_a.mean,
        mean_b=stats_b.mean,
        difference=difference,
        hedges_g=hedges_g(stats_a.n, stats_a.mean, stats_a.sd, stats_b.n, stats_b.mean, stats_b.sd),
        t=None if welch is None else welch.t,
        df=None if welch is None else welch.df,
        p_value=p_value,
        p_adjusted=p_value,
        significant=p_value is not None and p_value < SIGNIFICANCE_LEVEL,
        notable=notable,
        direction=None if direction_of is None else direction_of(difference, notable),
        se=None if welch is None else welch.se,
    )


_G = TypeVar("_G", bound=Gap)


def _with(gap: _G, **changes: Any) -> _G:
    """``dataclasses.replace(gap, **changes)`` without its overhead.

    A results computation adjusts and places thousands of gaps; a frozen dataclass's
    ``replace`` runs its whole ``__init__`` again, field by field. A Gap has no
    ``__post_init__`` to skip.
    """
    copy = object.__new__(type(gap))
    copy.__dict__.update(gap.__dict__, **changes)
    return copy


def _adjust_family(gaps: list[_G]) -> list[_G]:
    adjusted = holm_adjust([gap.p_value for gap in gaps])
    result = []
    for gap, p in zip(gaps, adjusted, strict=True):
        significant = p is not None and p < SIGNIFICANCE_LEVEL
        if p != gap.p_adjusted or significant != gap.significant:
            gap = _with(gap, p_adjusted=p, significant=significant)
        result.append(gap)
    return result


def adjust_family(gaps: Sequence[Gap]) -> list[Gap]:
    """Return the gaps with Holm's adjustment re-run over all of them as one family.

    For comparisons gathered from several calls that form one family, such as the role gaps
    within every department of a role-by-department breakdown.
    """
    return _adjust_family(list(gaps))


def _dimensions_of(
    summaries: Iterable[GroupSummary], dimensions: Sequence[str] | None
) -> list[str]:
    if dimensions is not None:
        return list(dimensions)
    return sorted({dimension for summary in summaries for dimension in summary.dimensions})


def role_direction(difference: float, notable: bool) -> str:
    """Return the direction key of a gap ``higher role - lower role``."""
    if notable and difference > 0:
        return BLIND_SPOT_AT_THE_TOP
    if notable and difference < 0:
        return HIDDEN_STRENGTH_BELOW
    return ALIGNED


def role_gaps(
    summaries: Mapping[str, GroupSummary],
    role_order: Sequence[str],
    dimensions: Sequence[str] | None = None,
    *,
    adjust: bool = True,
    common: Mapping[tuple[str, str], Mapping[str, GroupSummary]] | None = None,
) -> list[Gap]:
    """Return the gaps between every pair of shown roles on every dimension.

    ``common[(higher, lower)]``, where given, holds both roles' summaries over the items
    both were asked (for the pairs whose questionnaire limits some items to some roles):
    their gap compares those, and a dimension absent from them (no item asked of both) has
    no gap.

    ``role_order`` lists the roles from the top of the hierarchy down (for example executive,
    middle_manager, frontline); in each gap ``a`` is the higher role, so a positive difference
    means the higher role rates the dimension better. Holm's adjustment runs over all the gaps
    returned (the whole role breakdown is one family of tests), unless ``adjust`` is False:
    for a caller that adjusts a larger family itself (:func:`adjust_family`), the gaps then
    carry their unadjusted p-values. Suppressed roles are skipped.
    """
    unknown = set(summaries) - set(role_order)
    if unknown:
        raise ValueError(f"roles missing from the hierarchy: {sorted(unknown)}")
    shown = [role for role in role_order if role in summaries and summaries[role].shown]
    gaps: list[Gap] = []
    for dimension in _dimensions_of((summaries[r] for r in shown), dimensions):
        for i, higher in enumerate(shown):
            for lower in shown[i + 1 :]:
                pair = summaries if common is None else common.get((higher, lower), summaries)
                if higher not in pair or lower not in pair:
                    continue
                stats_higher = pair[higher].stats(dimension)
                stats_lower = pair[lower].stats(dimension)
                if stats_higher is None or stats_lower is None:
                    continue
                gap = _compare(dimension, higher, lower, stats_higher, stats_lower, role_direction)
                if gap is not None:
                    gaps.append(gap)
    return _adjust_family(gaps) if adjust else gaps


def rest_of_organization(organization: Moments, group: Moments) -> GroupStats:
    """Return the statistics of everyone outside a group, from whole-organisation and group sums.

    Both arguments are moments of the same respondent-level scores (count, sum, sum of
    squares); the median is not available this way and is None.
    """
    return describe_moments(organization - group)


def department_gaps(
    summaries: Mapping[str, GroupSummary],
    rest: Mapping[str, Mapping[str, GroupStats]],
    dimensions: Sequence[str] | None = None,
) -> list[Gap]:
    """Return each shown department's gap against the rest of the organisation.

    ``rest[department][dimension]`` holds the statistics of all respondents not in that
    department (see :func:`rest_of_organisation`). In each gap ``a`` is the department and
    ``b`` is ``"rest"``. Holm's adjustment runs over all the gaps returned. Suppressed
    departments are skipped, since their gap would reveal their mean.
    """
    shown = sorted(key for key, summary in summaries.items() if summary.shown)
    gaps: list[Gap] = []
    for dimension in _dimensions_of((summaries[d] for d in shown), dimensions):
        for department in shown:
            stats_department = summaries[department].stats(dimension)
            stats_rest = rest.get(department, {}).get(dimension)
            if stats_department is None or stats_rest is None:
                continue
            gap = _compare(
                dimension, department, "rest", stats_department, stats_rest, _rest_direction
            )
            if gap is not None:
                gaps.append(gap)
    return _adjust_family(gaps)


def _rest_direction(difference: float, notable: bool) -> str:
    if not notable:
        return ALIGNED
    return ABOVE_REST if difference > 0 else BELOW_REST


def trend(dimension: str, group: str, current: GroupStats, previous: GroupStats) -> Trend | None:
    """Return ``current mean - previous mean`` with Welch's test and Hedges' g, as one test.

    None when either round has no mean.
    """
    found = _compare(dimension, group, group, current, previous, None, Trend)
    return found if isinstance(found, Trend) else None


def trends(
    current: Mapping[str, GroupSummary],
    previous: Mapping[str, GroupSummary],
    dimensions: Sequence[str] | None = None,
) -> list[Trend]:
    """Return the trend of every group shown in both rounds on every dimension.

    A group suppressed in either round is skipped. Holm's adjustment runs over all the trends
    returned.
    """
    groups = sorted(
        key
        for key, summary in current.items()
        if summary.shown and key in previous and previous[key].shown
    )
    found: list[Trend] = []
    for dimension in _dimensions_of((current[g] for g in groups), dimensions):
        for group in groups:
            stats_current = current[group].stats(dimension)
            stats_previous = previous[group].stats(dimension)
            if stats_current is None or stats_previous is None:
                continue
            result = trend(dimension, group, stats_current, stats_previous)
            if result is not None:
                found.append(result)
    return _adjust_family(found)


@dataclass(frozen=True)
class ItemGap(PlainFields):
    """A perception gap between two roles on one item: which item, and the gap itself.

    ``gap.dimension`` is the item's dimension; the gap is tested and judged like a dimension
    gap, with Holm's adjustment over every item gap of the results as one family.
    """

    item: str
    gap: Gap

    @property
    def dimension(self) -> str:
        return self.gap.dimension


def item_role_gaps(
    stats: Mapping[str, Mapping[str, GroupStats]],
    role_order: Sequence[str],
    items: Sequence[tuple[str, str]],
    asks: Callable[[str, str], bool],
) -> list[ItemGap]:
    """Return the gaps between every pair of roles on every item both roles were asked.

    ``stats[role][item]`` holds a role's statistics on an item, for the shown cells only
    (a suppressed role or item is simply absent). ``items`` lists ``(item id, dimension id)``
    and ``asks(item, role)`` says whether the role was asked the item. In each gap ``a`` is
    the higher role of ``role_order``. Holm's adjustment runs over all the item gaps returned.
    """
    found: list[tuple[str, Gap]] = []
    for item, dimension in items:
        shown = [role for role in role_order if item in stats.get(role, {}) and asks(item, role)]
        for i, higher in enumerate(shown):
            for lower in shown[i + 1 :]:
                gap = _compare(
                    dimension,
                    higher,
                    lower,
                    stats[higher][item],
                    stats[lower][item],
                    role_direction,
                )
                if gap is not None:
                    found.append((item, gap))
    adjusted = _adjust_family([gap for _, gap in found])
    return [ItemGap(item, gap) for (item, _), gap in zip(found, adjusted, strict=True)]
