"""The benchmark pool in app/results: its statistics, its minimum size and who joins it
(the bands and the opt-in are in test_benchmark_pool.py)."""

from __future__ import annotations

import statistics

import pytest
from flask import Flask

from app.analysis.anonymity import MINIMUM_POOL, pool_visible
from app.operations.organizations import set_benchmark
from app.platform.extensions import db
from app.results import campaign_results
from app.results.benchmark import campaign_benchmark, pool_candidates, pool_figures
from tests.integration.test_dashboard_fixtures import build_campaign, build_world, make_org


def test_pool_figures_are_the_median_and_top_quartile() -> None:
    figures = pool_figures("vision", [3.0, 1.0, 4.0, 2.0, 5.0, 3.5], own=3.4)
    assert figures.contributors == 6
    assert figures.median == pytest.approx(3.25)
    # Inclusive quartiles: the 75th percentile of 1, 2, 3, 3.5, 4, 5 lies a quarter of the
    # way from 3.5 to 4.
    assert figures.top_quartile == pytest.approx(3.875)
    assert figures.difference == pytest.approx(3.4 - 3.25)
    # 3.4 is above three of the six (1, 2 and 3).
    assert figures.percentile_rank == pytest.approx(3 / 6)
    assert pool_figures("vision", [3.0] * 5).difference is None
    assert pool_figures("vision", [3.0] * 5).percentile_rank is None
    assert pool_figures("vision", [3.0] * 5, own=3.0).percentile_rank == pytest.approx(0.5)


def test_a_dimension_with_too_few_scores_in_the_pool_shows_nothing() -> None:
    assert MINIMUM_POOL == 5
    assert not pool_visible(4)
    assert pool_visible(5)
    few = pool_figures("vision", [1.0, 2.0, 3.0, 4.0], own=3.0)
    assert (few.contributors, few.median, few.top_quartile, few.difference) == (4, None, None, None)
    assert few.percentile_rank is None


def test_the_pool_is_the_latest_campaign_of_each_peer_and_must_be_large_enough(
    app: Flask,
) -> None:
    world = build_world("org-main")
    set_benchmark(world.org, industry=None, size_band=None, opt_in=True)
    peers = []
    for index in range(MINIMUM_POOL):
        org, departments = make_org(f"peer-{index}", f"ピア{index}株式会社")
        set_benchmark(org, industry=None, size_band=None, opt_in=True)
        if index == 0:  # an older round of the same peer does not count twice
            build_campaign(org, departments, name="旧診断", seed=90, small_groups=False)
        peers.append(
            build_campaign(org, departments, name="診断", seed=100 + index, small_groups=False)
        )
    # An organisation that has not joined the benchmark is never pooled.
    stranger, departments = make_org("stranger", "他社")
    build_campaign(stranger, departments, name="診断", seed=200, small_groups=False)

    assert {c.id for c in pool_candidates(world.campaign)} == {c.id for c in peers}
    found = campaign_benchmark(world.campaign)
    assert found.available
    assert (found.pool_size, found.minimum) == (MINIMUM_POOL, MINIMUM_POOL)
    own = campaign_results(world.campaign).organization
    assert list(found.dimensions) == [d.id for d in world.campaign.questionnaire.dimensions]
    for dimension, figures in found.dimensions.items():
        means = sorted(campaign_results(c).organization.scores[dimension].mean for c in peers)
        assert figures.contributors == MINIMUM_POOL
        assert figures.median == pytest.approx(statistics.median(means))
        assert figures.top_quartile == pytest.approx(
            statistics.quantiles(means, n=4, method="inclusive")[2]
        )
        assert figures.difference == pytest.approx(own.scores[dimension].mean - figures.median)
        assert figures.percentile_rank is not None

    peers[-1].status = "draft"
    db.session.commit()
    small = campaign_benchmark(world.campaign)
    assert (small.available, small.pool_size, small.dimensions) == (False, 4, {})
    assert small.reason == "too_few"
