"""The bottleneck of the CX improvement cycle: a stage that clearly lags the others.

The lowest stage is a bottleneck only when it lies at least :data:`BOTTLENECK_MARGIN` points
below the next-lowest stage and the paired difference over the respondents who scored both
stages is significant (paired t-test, p < :data:`BOTTLENECK_ALPHA`). Otherwise the profile is
flat; with fewer than two stages or too few respondents there is no verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.analysis.plain import PlainFields
from app.platform.lazy import lazy_module

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: Imported with the first computation: commands that compute nothing never load it.
np = lazy_module("numpy")

#: Imported with the first test run. Only scipy's special functions are used (the t
#: distribution's tail is ``stdtr``): ``scipy.stats`` takes three times as long to load.
special = lazy_module("scipy.special")

#: Points the lowest stage must lie below the next-lowest one.
BOTTLENECK_MARGIN = 0.25
#: Significance level of the paired t-test.
BOTTLENECK_ALPHA = 0.05
VERDICT_BOTTLENECK = "bottleneck"
VERDICT_FLAT = "flat"
VERDICT_NONE = "none"
BOTTLENECK_VERDICTS = (VERDICT_BOTTLENECK, VERDICT_FLAT, VERDICT_NONE)


@dataclass(frozen=True)
class Bottleneck(PlainFields):
    """The verdict on the cycle's stages.

    ``stage`` is the bottleneck stage (only for the ``bottleneck`` verdict); ``margin`` is how
    far the lowest stage lies below the next-lowest, ``p`` the paired test's p-value (both
    None for the ``none`` verdict).
    """

    verdict: str
    stage: str | None = None
    margin: float | None = None
    p: float | None = None


NO_BOTTLENECK = Bottleneck(VERDICT_NONE)


def _paired_p(differences: NDArray[np.float64]) -> float:
    """Two-sided p-value of a paired t-test on the differences."""
    mean = float(differences.mean())
    sd = float(differences.std(ddof=1))
    if sd == 0.0 or not math.isfinite(sd):
        return 1.0 if math.isclose(mean, 0.0, abs_tol=1e-12) else 0.0
    # As scipy.stats.ttest_1samp(differences, 0.0): t over n - 1 degrees of freedom.
    n = differences.size
    t = mean / math.sqrt(float(differences.var(ddof=1)) / n)
    return float(2.0 * special.stdtr(n - 1, -abs(t)))


def stage_bottleneck(
    scores: Mapping[str, NDArray[np.float64]],
    minimum_respondents: int,
    *,
    margin: float = BOTTLENECK_MARGIN,
    alpha: float = BOTTLENECK_ALPHA,
) -> Bottleneck:
    """The verdict over per-respondent stage scores (one array per stage, NaN = not scored).

    ``minimum_respondents`` is the anonymity threshold: each stage, and the pair compared,
    needs at least that many respondents, else the verdict is ``none``.
    """
    means = []
    for stage, values in scores.items():
        present = values[~np.isnan(values)]
        if len(present) < max(minimum_respondents, 2):
            continue
        means.append((float(present.mean()), stage))
    if len(means) < 2:
        return NO_BOTTLENECK
    means.sort()
    (lowest_mean, lowest), (next_mean, following) = means[0], means[1]
    both = ~np.isnan(scores[lowest]) & ~np.isnan(scores[following])
    if int(both.sum()) < max(minimum_respondents, 2):
        return NO_BOTTLENECK
    differences = scores[following][both] - scores[lowest][both]
    p = _paired_p(differences)
    found = next_mean - lowest_mean
    stands_out = found >= margin - 1e-9 and float(differences.mean()) > 0 and p < alpha
    if stands_out:
        return Bottleneck(VERDICT_BOTTLENECK, lowest, found, p)
    return Bottleneck(VERDICT_FLAT, None, found, p)


__all__ = [
    "BOTTLENECK_ALPHA",
    "BOTTLENECK_MARGIN",
    "BOTTLENECK_VERDICTS",
    "NO_BOTTLENECK",
    "VERDICT_BOTTLENECK",
    "VERDICT_FLAT",
    "VERDICT_NONE",
    "Bottleneck",
    "stage_bottleneck",
]
