"""A campaign's organisation against an anonymised pool of other organisations.

Only organisations that have joined the benchmark (``benchmark_opt_in``) contribute, and an
organisation sees the benchmark only when it has joined too. The candidates are the other
organisations that have joined with a campaign on exactly the same questionnaire (id and
version); each contributes the organisation-level means of its latest such campaign, and
only when its own results show them (its anonymity rules applied). The pool is the narrowest
of :func:`app.analysis.benchmark.pool_scopes` (same industry and size band, same industry,
same size band, all) with enough contributors (:func:`app.analysis.anonymity.pool_visible`);
when even the widest has too few, nothing is shown. Only the pool's size and scope, median,
top quartile and the organisation's percentile rank leave this module: never a name, an id
or a single organisation's figure.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.analysis.anonymity import MINIMUM_POOL, pool_visible
from app.analysis.benchmark import Scope, percentile_rank, pool_scopes
from app.models import Campaign, Organization
from app.platform.extensions import db
from app.results import campaign_results
from app.results.model import CampaignResults

#: Campaigns whose results may join a pool (drafts have none worth comparing).
POOL_STATUSES = ("open", "closed")


@dataclass(frozen=True)
class PoolFigures:
    """The pool's figures on one dimension; None where too few organisations have a score."""

    dimension: str
    #: Organisations of the pool with a shown score on this dimension.
    contributors: int
    median: float | None
    top_quartile: float | None
    #: The campaign's own organisation-level mean minus the median, when both are shown.
    difference: float | None = None
    #: The share of the pool's organisations with a lower mean than the campaign's own (ties
    #: counted half), 0 to 1, when both are shown.
    percentile_rank: float | None = None


class Unavailable(StrEnum):
    """Why a campaign's benchmark shows no figures."""

    #: The campaign's organisation has not joined the benchmark.
    NOT_OPTED_IN = "not_opted_in"
    #: No other organisation that has joined has results on the questionnaire version.
    NO_PEERS = "no_peers"
    #: Some do, but fewer than the minimum.
    TOO_FEW = "too_few"


@dataclass(frozen=True)
class Benchmark:
    """The pool's size and scope and, when it is large enough, its figures per dimension."""

    #: Organisations contributing to the pool used (to the widest one when none is large
    #: enough; 0 when the organisation has not joined).
    pool_size: int
    #: The fewest organisations a pool needs to be shown.
    minimum: int
    #: By dimension id, in questionnaire order; empty when nothing is shown.
    dimensions: Mapping[str, PoolFigures]
    #: Which organisations the pool holds.
    scope: Scope = Scope.ALL
    #: The campaign's organisation's industry and size band, which ``scope`` refers to.
    industry: str | None = None
    size_band: str | None = None
    #: Why nothing is shown; None when the figures are.
    reason: Unavailable | None = None

    @property
    def available(self) -> bool:
        return self.reason is None and pool_visible(self.pool_size)

    @property
    def widened(self) -> bool:
        """Whether a narrower pool (by industry or size band) had too few organisations."""
        return self.scope is not pool_scopes(self.industry, self.size_band)[0]


def pool_candidates(campaign: Campaign) -> list[Campaign]:
    """The latest campaign on the same questionnaire version of every other organisation
    that has joined the benchmark (whether its results are shown or not)."""
    latest = (
        select(func.max(Campaign.id))
        .join(Organization, Organization.id == Campaign.organization_id)
        .where(
            Organization.benchmark_opt_in.is_(True),
            Campaign.organization_id != campaign.organization_id,
            Campaign.questionnaire_id == campaign.questionnaire_id,
            Campaign.questionnaire_version == campaign.questionnaire_version,
            Campaign.status.in_(POOL_STATUSES),
        )
        .group_by(Campaign.organization_id)
    )
    query = (
        select(Campaign)
        .where(Campaign.id.in_(latest))
        .options(joinedload(Campaign.organization))
        .order_by(Campaign.id)
    )
    return list(db.session.scalars(query))


def pool_figures(dimension: str, means: Sequence[float], own: float | None = None) -> PoolFigures:
    """The median and top quartile of the pool's means on one dimension, if enough have one,
    and how far ``own`` (the organisation's mean, None when not shown) lies from the median
    and where it ranks among them."""
    values = sorted(means)
    if not pool_visible(len(values)):
        return PoolFigures(dimension, len(values), None, None)
    median = statistics.median(values)
    top = statistics.quantiles(values, n=4, method="inclusive")[2]
    if own is None:
        return PoolFigures(dimension, len(values), median, top)
    return PoolFigures(
        dimension, len(values), median, top, own - median, percentile_rank(own, values)
    )


def _shown_means(pool: Sequence[CampaignResults]) -> dict[str, list[float]]:
    means: dict[str, list[float]] = {}
    for results in pool:
        for dimension_id, cell in results.organization.scores.items():
            if cell.shown and cell.mean is not None:
                means.setdefault(dimension_id, []).append(cell.mean)
    return means


def _pool(campaign: Campaign) -> tuple[Scope, list[CampaignResults]]:
    """The narrowest pool with enough contributors, else the widest, with their results.

    A peer's results are computed only when a pool it belongs to is counted: a band with too
    few candidates is passed over without computing anything.
    """
    org = campaign.organization
    candidates = pool_candidates(campaign)
    contributing: dict[int, CampaignResults | None] = {}

    def contribution(peer: Campaign) -> CampaignResults | None:
        if peer.id not in contributing:
            found = campaign_results(peer)
            contributing[peer.id] = found if found.organization.shown else None
        return contributing[peer.id]

    scopes = pool_scopes(org.industry, org.size_band)
    pool: list[CampaignResults] = []
    for scope in scopes:
        members = [
            peer
            for peer in candidates
            if scope.admits(
                org.industry, org.size_band, peer.organization.industry, peer.organization.size_band
            )
        ]
        if scope is not Scope.ALL and not pool_visible(len(members)):
            continue
        pool = [found for peer in members if (found := contribution(peer)) is not None]
        if pool_visible(len(pool)):
            return scope, pool
    return Scope.ALL, pool


def campaign_benchmark(campaign: Campaign, results: CampaignResults | None = None) -> Benchmark:
    """The benchmark of ``campaign`` on every dimension of its questionnaire.

    ``results`` are the campaign's own (computed when not given). The caller must already
    have checked that the user may see the campaign; the pool's organisations stay anonymous
    whoever asks.
    """
    org = campaign.organization
    if not org.benchmark_opt_in:
        return Benchmark(
            0, MINIMUM_POOL, {}, Scope.ALL, org.industry, org.size_band, Unavailable.NOT_OPTED_IN
        )
    scope, pool = _pool(campaign)
    if not pool_visible(len(pool)):
        reason = Unavailable.TOO_FEW if pool else Unavailable.NO_PEERS
        return Benchmark(len(pool), MINIMUM_POOL, {}, scope, org.industry, org.size_band, reason)
    own = (results or campaign_results(campaign)).organization
    means = _shown_means(pool)
    figures = {}
    for dimension in campaign.questionnaire.dimensions:
        cell = own.scores.get(dimension.id) if own.shown else None
        own_mean = cell.mean if cell is not None and cell.shown else None
        figures[dimension.id] = pool_figures(dimension.id, means.get(dimension.id, []), own_mean)
    return Benchmark(len(pool), MINIMUM_POOL, figures, scope, org.industry, org.size_band)
