"""Customer outcome figures: Net Promoter Score and customer lifetime value.

These are the customer side of the assessment, set beside the organisation's own view of its
maturity. Like the rest of the package they work on plain numbers (answer counts, ARPA,
margins), never on the database, and give ``None`` for what cannot be stated honestly.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from app.analysis.plain import PlainFields

#: NPS is not shown for fewer customer answers: below this, one answer moves the score by
#: more than three points and the interval is wider than most differences worth discussing.
MIN_NPS_ANSWERS = 30

#: The 0-10 "how likely are you to recommend us" scale has eleven points.
NPS_POINTS = 11
#: Answers from this point up are promoters; from ``PASSIVE_FROM`` up to it, passives.
PROMOTER_FROM = 9
PASSIVE_FROM = 7

# The normal quantile of a two-sided 95% interval. The NPS interval is the textbook normal
# approximation, so the rounded quantile is the one readers of the method will check against.
_Z95 = 1.96
_SCORE_BOUND = 100.0


def _whole(value: float, what: str) -> int:
    """``value`` as a non-negative int; a float is accepted only when whole (a SQL SUM)."""
    whole = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer()
    )
    if isinstance(value, bool) or not whole:
        raise ValueError(f"{what} must be a whole number, not {value!r}")
    number = int(value)
    if number < 0:
        raise ValueError(f"{what} cannot be negative ({number})")
    return number


def nps_groups(counts: Sequence[int]) -> tuple[int, int, int]:
    """Return ``(promoters, passives, detractors)`` from the counts of answers 0 to 10.

    ``counts[i]`` is the number of customers who answered ``i``: promoters answered 9 or 10,
    passives 7 or 8, detractors 0 to 6.
    """
    if isinstance(counts, str | bytes) or len(counts) != NPS_POINTS:
        raise ValueError(f"NPS needs {NPS_POINTS} counts, one for each answer from 0 to 10")
    answers = [_whole(count, f"the count of answer {point}") for point, count in enumerate(counts)]
    return (
        sum(answers[PROMOTER_FROM:]),
        sum(answers[PASSIVE_FROM:PROMOTER_FROM]),
        sum(answers[:PASSIVE_FROM]),
    )


@dataclass(frozen=True)
class Nps(PlainFields):
    """A Net Promoter Score in percentage points (-100 to 100) with its 95% interval.

    ``n`` counts every answer; ``score`` and ``ci95`` are None, and ``shown`` False, when
    ``n`` is below :data:`MIN_NPS_ANSWERS`.
    """

    n: int
    score: float | None
    ci95: tuple[float, float] | None
    shown: bool


def _clamp(value: float) -> float:
    return min(_SCORE_BOUND, max(-_SCORE_BOUND, value))


def nps(promoters: int, passives: int, detractors: int) -> Nps:
    """Return the NPS, ``(promoter share - detractor share) x 100``, and its interval.

    The interval is ``score ± 1.96 x sqrt((p + d - (p - d)^2) / n) x 100``, the normal
    approximation to the multinomial variance of ``p - d``, clamped to [-100, 100] because
    the approximation ignores the bounds near a unanimous answer.
    """
    p_count = _whole(promoters, "promoters")
    passive_count = _whole(passives, "passives")
    d_count = _whole(detractors, "detractors")
    n = p_count + passive_count + d_count
    if n < MIN_NPS_ANSWERS:
        return Nps(n=n, score=None, ci95=None, shown=False)
    p = p_count / n
    d = d_count / n
    difference = p - d
    score = difference * 100.0
    # p + d >= (p - d)^2 always; the max only absorbs rounding when nearly everyone agrees.
    variance = max(p + d - difference * difference, 0.0) / n
    half_width = _Z95 * math.sqrt(variance) * 100.0
    return Nps(
        n=n,
        score=score,
        ci95=(_clamp(score - half_width), _clamp(score + half_width)),
        shown=True,
    )


def _fraction(value: float, what: str) -> float:
    if value < 0:
        raise ValueError(f"{what} cannot be negative ({value})")
    if value > 1:
        raise ValueError(f"{what} is a fraction from 0 to 1, not {value} (0.3, not 30)")
    return float(value)


def ltv(arpa: float | None, gross_margin: float | None, churn_rate: float | None) -> float | None:
    """Return the customer lifetime value ``ARPA x gross margin / churn rate``.

    The seed formula: a customer is expected to stay ``1 / churn rate`` periods, so ARPA and
    the churn rate must be for the same period (monthly ARPA with monthly churn). Gross
    margin and churn rate are fractions (0.3, not 30). None when a figure is missing (None
    or NaN) or nobody churns, since an endless lifetime is no figure to report.
    """
    if arpa is None or gross_margin is None or churn_rate is None:
        return None
    if math.isnan(arpa) or math.isnan(gross_margin) or math.isnan(churn_rate):
        return None
    if not (math.isfinite(arpa) and math.isfinite(gross_margin) and math.isfinite(churn_rate)):
        raise ValueError("ARPA, gross margin and churn rate must be finite numbers")
    if arpa < 0:
        raise ValueError(f"ARPA cannot be negative ({arpa})")
    margin = _fraction(gross_margin, "gross margin")
    churn = _fraction(churn_rate, "churn rate")
    if churn == 0:
        return None
    return float(arpa) * margin / churn
