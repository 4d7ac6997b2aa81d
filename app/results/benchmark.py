"""A campaign's organisation against an anonymised pool of its consultants' other clients.

The pool is every other organisation served by one of this organisation's consultants that
has a campaign on exactly the same questionnaire (id and version); each contributes the
organisation-level means of its latest such campaign, and only when its own results show
them (its anonymity rules applied). Only the pool's size, median and top quartile leave this
module, and the figures only when the pool is large enough
(:func:`app.analysis.anonymity.pool_visible`): never a name, an id or a single
organisation's figure.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from app.analysis.anonymity import MINIMUM_POOL, pool_visible
from app.models import Campaign, Membership
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


@dataclass(frozen=True)
class Benchmark:
    """The pool's size and, when it is large enough, its figures per dimension."""

    pool_size: int
    #: The fewest organisations a pool needs to be shown.
    minimum: int
    #: By dimension id, in questionnaire order; empty when the pool is too small.
    dimensions: Mapping[str, PoolFigures]

    @property
    def available(self) -> bool:
        return pool_visible(self.pool_size)


def pool_campaigns(campaign: Campaign) -> list[Campaign]:
    """The latest campaign on the same questionnaire version of each peer organisation."""
    consultants = select(Membership.user_id).where(
        Membership.organization_id == campaign.organization_id,
        Membership.access == "consultant",
    )
    peers = select(Membership.organization_id).where(
        Membership.user_id.in_(consultants),
        Membership.access == "consultant",
        Membership.organization_id != campaign.organization_id,
    )
    latest = (
        select(func.max(Campaign.id))
        .where(
            Campaign.organization_id.in_(peers),
            Campaign.questionnaire_id == campaign.questionnaire_id,
            Campaign.questionnaire_version == campaign.questionnaire_version,
            Campaign.status.in_(POOL_STATUSES),
        )
        .group_by(Campaign.organization_id)
    )
    return list(db.session.scalars(select(Campaign).where(Campaign.id.in_(latest))))


def pool_figures(dimension: str, means: Sequence[float], own: float | None = None) -> PoolFigures:
    """The median and top quartile of the pool's means on one dimension, if enough have one,
    and how far ``own`` (the organisation's mean, None when not shown) lies from the median."""
    values = sorted(means)
    if not pool_visible(len(values)):
        return PoolFigures(dimension, len(values), None, None)
    median = statistics.median(values)
    top = statistics.quantiles(values, n=4, method="inclusive")[2]
    difference = None if own is None else own - median
    return PoolFigures(dimension, len(values), median, top, difference)


def _shown_means(pool: Sequence[CampaignResults]) -> dict[str, list[float]]:
    means: dict[str, list[float]] = {}
    for results in pool:
        for dimension_id, cell in results.organization.scores.items():
            if cell.shown and cell.mean is not None:
                means.setdefault(dimension_id, []).append(cell.mean)
    return means


def campaign_benchmark(campaign: Campaign, results: CampaignResults | None = None) -> Benchmark:
    """The benchmark of ``campaign`` on every dimension of its questionnaire.

    ``results`` are the campaign's own (computed when not given). The caller must already
    have checked that the user may see the campaign; the pool's organisations stay anonymous
    whoever asks.
    """
    pool = [campaign_results(peer) for peer in pool_campaigns(campaign)]
    shown = [found for found in pool if found.organization.shown]
    if not pool_visible(len(shown)):
        return Benchmark(len(shown), MINIMUM_POOL, {})
    own = (results or campaign_results(campaign)).organization
    means = _shown_means(shown)
    figures = {}
    for dimension in campaign.questionnaire.dimensions:
        cell = own.scores.get(dimension.id) if own.shown else None
        own_mean = cell.mean if cell is not None and cell.shown else None
        figures[dimension.id] = pool_figures(dimension.id, means.get(dimension.id, []), own_mean)
    return Benchmark(len(shown), MINIMUM_POOL, figures)
