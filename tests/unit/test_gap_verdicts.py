"""Three verdicts on every gap: clear, possible (too few answers to confirm) or small."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from app.analysis import (
    VERDICT_LABELS,
    VERDICTS,
    AnonymityPolicy,
    GroupInput,
    compare,
    describe,
    gap_verdict,
    role_gaps,
    summarise_groups,
)
from app.analysis.gaps import welch_interval

PROPERTY = settings(max_examples=80, deadline=None, database=None)
ROLES = ["executive", "middle_manager", "frontline"]

bounds = st.floats(min_value=-4.0, max_value=4.0, allow_nan=False)
answers = st.lists(st.integers(min_value=1, max_value=5), min_size=3, max_size=25)


@PROPERTY
@given(bounds, bounds)
def test_every_interval_gets_exactly_one_verdict(x: float, y: float) -> None:
    low, high = sorted((x, y))
    verdict = gap_verdict((low, high), (low + high) / 2)
    assert verdict in VERDICTS
    excludes_zero = low > 0 or high < 0
    assert (verdict == "clear") == excludes_zero
    within = low >= -0.3 and high <= 0.3
    assert (verdict == "small") == (within and not excludes_zero)
    assert (verdict == "possible") == (not excludes_zero and not within)


@PROPERTY
@given(answers, answers, answers)
def test_clear_exactly_when_holm_says_significant(a: list[int], b: list[int], c: list[int]) -> None:
    groups = summarise_groups(
        {
            role: GroupInput(n_submitted=len(v), scores={"d": np.array(v, dtype=float)})
            for role, v in zip(ROLES, (a, b, c), strict=True)
        },
        AnonymityPolicy(3),
        scale_min=1,
        scale_max=5,
    )
    for gap in role_gaps(groups, ROLES):
        if gap.ci95 is None:
            continue
        low, high = gap.ci95
        assert low <= gap.difference <= high
        # Borderline p-values equal to alpha are not drawn from integer answers in practice.
        assert (gap.verdict == "clear") == gap.significant


def test_a_large_gap_with_few_answers_is_possible_not_aligned() -> None:
    executives = describe(np.array([4.0, 3.0, 4.0, 5.0, 3.0]))
    managers = describe(np.array([3.0, 4.0, 3.0, 4.0, 3.0, 3.0]))
    gap = compare("org_behavior", "executive", "middle_manager", executives, managers)
    assert gap is not None
    assert gap.hedges_g is not None
    assert gap.hedges_g >= 0.5
    assert not gap.significant
    assert gap.verdict == "possible"
    assert gap.verdict_label["ja"] == "差の可能性（回答数が少なく確認できない）"
    assert gap.verdict_label["en"] == "Possible difference (too few answers to confirm)"


def test_a_tight_interval_around_zero_is_small() -> None:
    rng = np.random.default_rng(3)
    a = describe(rng.choice([3.0, 4.0], size=400))
    b = describe(rng.choice([3.0, 4.0], size=400))
    gap = compare("design", "a", "b", a, b)
    assert gap is not None
    assert gap.verdict == "small"
    assert VERDICT_LABELS["small"] == {"en": "Small or no difference", "ja": "差は小さい"}


def test_a_clear_gap_and_its_interval_match_scipy() -> None:
    a = np.array([4.0, 5.0, 4.0, 5.0, 4.0, 5.0, 4.0, 4.0])
    b = np.array([2.0, 3.0, 2.0, 2.0, 3.0, 2.0, 3.0])
    gap = compare("digital", "a", "b", describe(a), describe(b))
    assert gap is not None
    assert gap.verdict == "clear"
    assert gap.verdict_label["ja"] == "明確な差"
    reference = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert gap.ci95 == pytest.approx((reference.low, reference.high))


def test_the_interval_widens_with_the_holm_level() -> None:
    narrow = welch_interval(0.5, 0.2, 20.0, 0.05)
    wide = welch_interval(0.5, 0.2, 20.0, 0.05 / 3)
    assert narrow is not None
    assert wide is not None
    assert wide[0] < narrow[0]
    assert wide[1] > narrow[1]


def test_an_untestable_gap() -> None:
    assert gap_verdict(None, 0.0) == "small"
    assert gap_verdict(None, 0.8) == "possible"
