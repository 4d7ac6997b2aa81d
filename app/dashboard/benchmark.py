"""The organisation against an anonymised pool of its consultants' other clients.

The pool is every other organisation served by one of this organisation's consultants that
has a campaign on exactly the same questionnaire (id and version); each contributes the
organisation-level means of its latest such campaign, and only when its own results show
them (its anonymity rules applied). Only the pool's median and top quartile leave this
module, and only when the pool has at least :data:`MINIMUM_POOL` organisations: never a name,
an id or a single organisation's figure.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.dashboard.viewmodel import SUPPRESSED, Builder, Cell, Dim, Table
from app.models import Campaign, Membership
from app.platform.extensions import db
from app.presentation.formatting import score, signed
from app.results import campaign_results

if TYPE_CHECKING:
    from app.results.model import CampaignResults

#: Fewest other organisations for a benchmark to be shown.
MINIMUM_POOL = 5
SHOWN_STATUSES = ("open", "closed")


@dataclass(frozen=True)
class BenchmarkRow:
    dim: Dim
    own: Cell
    median: float | None
    top_quartile: float | None
    contributors: int

    @property
    def difference(self) -> float | None:
        if not self.own.shown or self.median is None or self.own.mean is None:
            return None
        return self.own.mean - self.median


@dataclass(frozen=True)
class BenchmarkPage:
    pool_size: int
    minimum: int
    rows: tuple[BenchmarkRow, ...]
    questionnaire: str

    @property
    def available(self) -> bool:
        return self.pool_size >= self.minimum

    def table(self) -> Table:
        header = [
            _("Dimension"),
            _("Your organisation"),
            _("Pool median"),
            _("Pool top quartile"),
            _("Difference from median"),
        ]
        if not self.available:
            return Table(header, [])
        rows = []
        for row in self.rows:
            own = score(row.own.mean) if row.own.shown else SUPPRESSED
            rows.append(
                [
                    row.dim.title,
                    own,
                    score(row.median),
                    score(row.top_quartile),
                    signed(row.difference) if row.difference is not None else "",
                ]
            )
        return Table(header, rows)


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
            Campaign.status.in_(SHOWN_STATUSES),
        )
        .group_by(Campaign.organization_id)
    )
    return list(db.session.scalars(select(Campaign).where(Campaign.id.in_(latest))))


def _pool_means(pool: list[CampaignResults]) -> dict[str, list[float]]:
    means: dict[str, list[float]] = {}
    for results in pool:
        org = results.organization
        if not org.shown:
            continue
        for dimension_id, cell in org.scores.items():
            if cell.shown and cell.mean is not None:
                means.setdefault(dimension_id, []).append(cell.mean)
    return means


def benchmark(builder: Builder, campaign: Campaign) -> BenchmarkPage:
    """The benchmark page: pool size always, figures only for a large enough pool."""
    pool = [campaign_results(c) for c in pool_campaigns(campaign)]
    size = sum(1 for results in pool if results.organization.shown)
    questionnaire = builder.text(builder.results.questionnaire.title)
    if size < MINIMUM_POOL:
        return BenchmarkPage(size, MINIMUM_POOL, (), questionnaire)
    means = _pool_means(pool)
    org = builder.results.organization
    rows = []
    for dim in builder.dims:
        values = sorted(means.get(dim.id, []))
        enough = len(values) >= MINIMUM_POOL
        median = statistics.median(values) if enough else None
        top = statistics.quantiles(values, n=4, method="inclusive")[2] if enough else None
        rows.append(
            BenchmarkRow(
                dim,
                builder.cell(org.scores.get(dim.id)) if org.shown else Cell(org.status),
                median,
                top,
                len(values),
            )
        )
    return BenchmarkPage(size, MINIMUM_POOL, tuple(rows), questionnaire)
