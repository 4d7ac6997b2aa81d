"""The verdict on the cycle's stages: a bottleneck only when the lowest stage stands out."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from app.analysis.bottleneck import BOTTLENECK_MARGIN, Bottleneck, stage_bottleneck

STAGES = ("strategy", "planning", "rollout", "monitoring")


def planted(means: dict[str, float], n: int = 40, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    person = rng.normal(0, 0.5, n)
    return {s: mean + person + rng.normal(0, 0.2, n) for s, mean in means.items()}


def test_a_clearly_lower_stage_is_the_bottleneck() -> None:
    scores = planted({"strategy": 3.2, "planning": 3.1, "rollout": 2.5, "monitoring": 3.3})
    found = stage_bottleneck(scores, 5)
    assert found.verdict == "bottleneck"
    assert found.stage == "rollout"
    expected = float(np.mean(scores["planning"]) - np.mean(scores["rollout"]))
    assert math.isclose(found.margin, expected)
    paired = scipy_stats.ttest_rel(scores["planning"], scores["rollout"])
    assert math.isclose(found.p, float(paired.pvalue), rel_tol=1e-9)
    assert found.p < 0.05
    assert found.to_dict() == {
        "verdict": "bottleneck",
        "stage": "rollout",
        "margin": found.margin,
        "p": found.p,
    }


def test_stages_within_a_tenth_are_a_flat_profile() -> None:
    scores = planted({"strategy": 2.74, "planning": 2.79, "rollout": 2.67, "monitoring": 2.77})
    found = stage_bottleneck(scores, 5)
    assert found.verdict == "flat"
    assert found.stage is None
    assert found.margin is not None
    assert found.margin < BOTTLENECK_MARGIN


def test_a_large_margin_that_is_not_significant_is_flat() -> None:
    # Two respondents each way: a 0.5-point mean difference, with the pairs disagreeing.
    scores = {
        "strategy": np.array([3.0, 3.0, 3.0, 3.0, 3.0, 3.0]),
        "rollout": np.array([1.5, 4.0, 1.5, 4.0, 1.5, 3.5]),
    }
    found = stage_bottleneck(scores, 5)
    assert found.verdict == "flat"
    assert found.margin >= BOTTLENECK_MARGIN
    assert found.p >= 0.05


def test_a_significant_difference_below_the_margin_is_flat() -> None:
    base = np.linspace(2.0, 4.0, 200)
    scores = {"strategy": base + 0.1, "rollout": base + np.tile([0.0, 0.01], 100)}
    found = stage_bottleneck(scores, 5)
    assert found.verdict == "flat"
    assert found.p < 0.05


def test_no_verdict_without_stages_or_with_too_few_respondents() -> None:
    assert stage_bottleneck({}, 5) == Bottleneck("none")
    assert stage_bottleneck({"strategy": np.array([3.0] * 20)}, 5).verdict == "none"
    few = planted({"strategy": 3.5, "rollout": 1.5}, n=4)
    assert stage_bottleneck(few, 5) == Bottleneck("none")
    # Enough for each stage, but too few answered both.
    nan = np.nan
    apart = {
        "strategy": np.array([3.5] * 6 + [nan] * 6),
        "rollout": np.array([nan] * 4 + [1.5] * 8),
    }
    assert stage_bottleneck(apart, 5).verdict == "none"


def test_only_respondents_who_scored_both_stages_are_paired() -> None:
    scores = planted({"strategy": 3.4, "rollout": 2.4}, n=30)
    scores["strategy"][:5] = np.nan
    found = stage_bottleneck(scores, 5)
    both = ~np.isnan(scores["strategy"])
    expected = scipy_stats.ttest_rel(scores["strategy"][both], scores["rollout"][both])
    assert found.verdict == "bottleneck"
    assert math.isclose(found.p, float(expected.pvalue), rel_tol=1e-9)


stage_scores = st.lists(st.floats(1, 5, allow_nan=False), min_size=2, max_size=30)


@settings(max_examples=80, deadline=None, database=None)
@given(
    st.integers(2, 30).flatmap(
        lambda n: st.lists(
            st.lists(st.floats(1, 5, allow_nan=False), min_size=n, max_size=n),
            min_size=0,
            max_size=4,
        )
    ),
    st.integers(1, 10),
)
def test_the_verdict_is_consistent(columns, threshold):
    scores = {stage: np.array(values) for stage, values in zip(STAGES, columns, strict=False)}
    found = stage_bottleneck(scores, threshold)
    assert found.verdict in ("bottleneck", "flat", "none")
    if found.verdict == "none":
        assert (found.stage, found.margin, found.p) == (None, None, None)
        return
    assert len(scores) >= 2
    assert found.margin is not None
    assert found.margin >= 0
    assert found.p is not None
    assert 0 <= found.p <= 1
    means = sorted(float(np.mean(v)) for v in scores.values())
    assert math.isclose(found.margin, means[1] - means[0], abs_tol=1e-9)
    if found.verdict == "bottleneck":
        assert found.stage in scores
        assert math.isclose(float(np.mean(scores[found.stage])), means[0], abs_tol=1e-9)
        assert found.margin >= BOTTLENECK_MARGIN - 1e-9
        assert found.p < 0.05
    else:
        assert found.stage is None
        assert found.margin < BOTTLENECK_MARGIN or found.p >= 0.05
