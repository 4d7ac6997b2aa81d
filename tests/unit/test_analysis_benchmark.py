"""Benchmark pools in app/analysis: which pools an organisation may get, who belongs to each,
and where a score ranks in one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from app.analysis.benchmark import Scope, percentile_rank, pool_scopes
from app.models import INDUSTRIES, SIZE_BANDS
from app.presentation.organizations import INDUSTRY_LABELS, SIZE_BAND_LABELS


def test_the_pools_go_from_narrowest_to_everyone() -> None:
    assert pool_scopes("banking", "1000-4999") == (
        Scope.INDUSTRY_AND_SIZE,
        Scope.INDUSTRY,
        Scope.SIZE,
        Scope.ALL,
    )
    assert pool_scopes("banking", None) == (Scope.INDUSTRY, Scope.ALL)
    assert pool_scopes(None, "5000+") == (Scope.SIZE, Scope.ALL)
    assert pool_scopes(None, None) == (Scope.ALL,)


def test_who_belongs_to_each_pool() -> None:
    own = ("banking", "1000-4999")
    assert Scope.INDUSTRY_AND_SIZE.admits(*own, "banking", "1000-4999")
    assert not Scope.INDUSTRY_AND_SIZE.admits(*own, "banking", "5000+")
    assert Scope.INDUSTRY.admits(*own, "banking", None)
    assert not Scope.INDUSTRY.admits(*own, "retail", "1000-4999")
    assert Scope.SIZE.admits(*own, "retail", "1000-4999")
    assert not Scope.SIZE.admits(*own, "banking", None)
    assert Scope.ALL.admits(*own, None, None)
    # An organisation without an industry shares none with another without one.
    assert not Scope.INDUSTRY.admits(None, None, None, None)
    assert not Scope.SIZE.admits(None, None, None, None)


def test_a_percentile_rank_counts_those_below_and_half_of_those_level() -> None:
    pool = [1.0, 2.0, 3.0, 3.0, 4.0]
    assert percentile_rank(3.0, pool) == pytest.approx((2 + 1) / 5)
    assert percentile_rank(0.5, pool) == 0.0
    assert percentile_rank(4.5, pool) == 1.0
    assert percentile_rank(2.5, pool) == pytest.approx(2 / 5)
    with pytest.raises(ValueError, match="needs a pool"):
        percentile_rank(3.0, [])


@given(
    st.floats(min_value=1, max_value=5, allow_nan=False),
    st.lists(st.sampled_from([1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]), min_size=1),
)
def test_a_percentile_rank_is_scipys_mean_rank(value: float, pool: list[float]) -> None:
    expected = scipy_stats.percentileofscore(pool, value, kind="mean") / 100
    assert percentile_rank(value, pool) == pytest.approx(expected)
    assert 0.0 <= percentile_rank(value, pool) <= 1.0


def test_every_industry_and_size_band_has_a_name() -> None:
    assert tuple(INDUSTRY_LABELS) == INDUSTRIES
    assert tuple(SIZE_BAND_LABELS) == SIZE_BANDS
