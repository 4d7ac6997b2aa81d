"""Customer outcome figures: NPS with its interval and floor, customer lifetime value."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis.outcomes import MIN_NPS_ANSWERS, Nps, ltv, nps, nps_groups

PROPERTY = settings(max_examples=80, deadline=None, database=None)

answers_0_to_10 = st.lists(st.integers(0, 10), max_size=300)


def counts_of(answers: list[int]) -> list[int]:
    return [answers.count(point) for point in range(11)]


def test_nps_groups_hand_worked() -> None:
    #          0  1  2  3  4  5  6  7  8  9 10
    counts = [1, 0, 2, 0, 0, 3, 4, 5, 6, 7, 8]
    assert nps_groups(counts) == (15, 11, 10)
    assert nps_groups([0] * 11) == (0, 0, 0)
    # Whole floats, as a database SUM may give them, are counts too.
    assert nps_groups([0.0] * 10 + [3.0]) == (3, 0, 0)


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([1] * 10, "11 counts"),
        ([1] * 12, "11 counts"),
        ([], "11 counts"),
        ("01234567890", "11 counts"),
        ([1] * 10 + [-1], "negative"),
        ([1] * 10 + [2.5], "whole number"),
        ([1] * 10 + [math.nan], "whole number"),
        ([1] * 10 + [True], "whole number"),
        ([1] * 10 + [None], "whole number"),
    ],
)
def test_nps_groups_refuses_what_is_not_eleven_counts(counts, message) -> None:
    with pytest.raises(ValueError, match=message):
        nps_groups(counts)


def test_nps_worked_example_and_interval_formula() -> None:
    # 50 promoters, 30 passives, 20 detractors: p = 0.5, d = 0.2, NPS = 30.
    # Variance of p - d: (0.5 + 0.2 - 0.3^2) / 100 = 0.0061; half width 1.96 * 0.078102 * 100.
    result = nps(50, 30, 20)
    assert result.n == 100
    assert result.shown is True
    assert result.score == pytest.approx(30.0)
    assert result.ci95 is not None
    low, high = result.ci95
    assert high - 30.0 == pytest.approx(15.3080, abs=1e-4)
    assert 30.0 - low == pytest.approx(1.96 * math.sqrt(0.0061) * 100)


def test_nps_is_not_shown_below_thirty_answers() -> None:
    assert MIN_NPS_ANSWERS == 30
    assert nps(20, 5, 4) == Nps(n=29, score=None, ci95=None, shown=False)
    assert nps(0, 0, 0) == Nps(n=0, score=None, ci95=None, shown=False)
    at_floor = nps(20, 5, 5)
    assert at_floor.shown
    assert at_floor.score == pytest.approx(50.0)


def test_nps_interval_is_clamped_to_the_scale() -> None:
    # 29 promoters and a passive: 96.7 ± 6.4 would reach 103.
    near_top = nps(29, 1, 0)
    assert near_top.ci95 is not None
    assert near_top.ci95[1] == 100.0
    assert near_top.ci95[0] == pytest.approx(
        (29 / 30 - 1.96 * math.sqrt((29 / 30 - (29 / 30) ** 2) / 30)) * 100
    )
    near_bottom = nps(0, 1, 29)
    assert near_bottom.ci95 is not None
    assert near_bottom.ci95[0] == -100.0
    # Unanimous answers have no spread at all.
    assert nps(40, 0, 0).ci95 == (100.0, 100.0)
    assert nps(0, 0, 40).ci95 == (-100.0, -100.0)
    assert nps(0, 40, 0).ci95 == (0.0, 0.0)


def test_nps_refuses_negative_or_fractional_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        nps(40, -1, 0)
    with pytest.raises(ValueError, match="whole number"):
        nps(40.5, 0, 0)


def test_nps_results_are_json_serialisable() -> None:
    assert json.loads(json.dumps(nps(50, 30, 20).to_dict(), allow_nan=False))["n"] == 100
    assert nps(1, 1, 1).to_dict() == {"n": 3, "score": None, "ci95": None, "shown": False}


@PROPERTY
@given(answers_0_to_10)
def test_property_nps_equals_a_direct_computation(answers: list[int]) -> None:
    promoters, passives, detractors = nps_groups(counts_of(answers))
    assert promoters == sum(1 for a in answers if a >= 9)
    assert passives == sum(1 for a in answers if a in (7, 8))
    assert detractors == sum(1 for a in answers if a <= 6)
    result = nps(promoters, passives, detractors)
    assert result.n == len(answers)
    if len(answers) < MIN_NPS_ANSWERS:
        assert (result.score, result.ci95, result.shown) == (None, None, False)
        return
    recommending = [1 if a >= 9 else -1 if a <= 6 else 0 for a in answers]
    direct = 100 * sum(recommending) / len(answers)
    assert result.score == pytest.approx(direct, abs=1e-9)
    # The interval formula is the variance of the per-answer values +1 / 0 / -1 (population
    # variance over n), which is what p + d - (p - d)^2 is.
    mean = sum(recommending) / len(answers)
    variance = sum((v - mean) ** 2 for v in recommending) / len(answers)
    half = 1.96 * math.sqrt(variance / len(answers)) * 100
    assert result.ci95 is not None
    low, high = result.ci95
    assert low == pytest.approx(max(-100.0, direct - half), abs=1e-9)
    assert high == pytest.approx(min(100.0, direct + half), abs=1e-9)
    assert -100.0 <= low <= result.score <= high <= 100.0


def test_ltv_seed_formula() -> None:
    # ARPA 100 a month, 60% gross margin, 5% monthly churn: 100 * 0.6 / 0.05.
    assert ltv(100.0, 0.6, 0.05) == pytest.approx(1200.0)
    assert ltv(100, 1, 1) == pytest.approx(100.0)
    assert ltv(0.0, 0.6, 0.05) == 0.0
    assert ltv(100.0, 0.0, 0.05) == 0.0


@pytest.mark.parametrize(
    "figures",
    [
        (None, 0.6, 0.05),
        (100.0, None, 0.05),
        (100.0, 0.6, None),
        (math.nan, 0.6, 0.05),
        (100.0, 0.6, math.nan),
        (100.0, 0.6, 0.0),
    ],
)
def test_ltv_is_none_when_a_figure_is_missing_or_nobody_churns(figures) -> None:
    assert ltv(*figures) is None


@pytest.mark.parametrize(
    ("figures", "message"),
    [
        ((-1.0, 0.6, 0.05), "ARPA cannot be negative"),
        ((100.0, -0.1, 0.05), "gross margin cannot be negative"),
        ((100.0, 0.6, -0.05), "churn rate cannot be negative"),
        ((100.0, 60.0, 0.05), "gross margin is a fraction"),
        ((100.0, 0.6, 5.0), "churn rate is a fraction"),
        ((math.inf, 0.6, 0.05), "finite"),
    ],
)
def test_ltv_refuses_negative_values_and_percentages(figures, message) -> None:
    with pytest.raises(ValueError, match=message):
        ltv(*figures)


@PROPERTY
@given(
    st.floats(0, 1e6, allow_nan=False),
    st.floats(0, 1, allow_nan=False),
    st.floats(1e-4, 1, allow_nan=False),
)
def test_property_ltv_times_churn_is_the_margin_per_period(
    arpa: float, margin: float, churn: float
) -> None:
    value = ltv(arpa, margin, churn)
    assert value is not None
    assert value >= 0.0
    assert value * churn == pytest.approx(arpa * margin, rel=1e-12, abs=1e-9)
    # A higher churn never lengthens a customer's worth.
    higher = ltv(arpa, margin, min(1.0, churn * 2))
    assert higher is not None
    assert higher <= value + 1e-9
