"""The benchmark page: the organisation against the anonymised pool of
:mod:`app.results.benchmark`, which computes every figure and applies the pool's minimum
size; this module only lays them out next to the organisation's own scores.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.dashboard.viewmodel import SUPPRESSED, Builder, Cell, Dim, Table
from app.models import Campaign
from app.presentation.formatting import score, signed
from app.results.benchmark import PoolFigures, campaign_benchmark


@dataclass(frozen=True)
class BenchmarkRow:
    dim: Dim
    own: Cell
    pool: PoolFigures | None

    @property
    def median(self) -> float | None:
        return None if self.pool is None else self.pool.median

    @property
    def top_quartile(self) -> float | None:
        return None if self.pool is None else self.pool.top_quartile

    @property
    def difference(self) -> float | None:
        return None if self.pool is None else self.pool.difference


@dataclass(frozen=True)
class BenchmarkPage:
    pool_size: int
    minimum: int
    available: bool
    rows: tuple[BenchmarkRow, ...]
    questionnaire: str

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


def benchmark(builder: Builder, campaign: Campaign) -> BenchmarkPage:
    """The benchmark page: pool size always, figures only for a large enough pool."""
    found = campaign_benchmark(campaign, builder.results)
    questionnaire = builder.text(builder.results.questionnaire.title)
    rows: tuple[BenchmarkRow, ...] = ()
    if found.available:
        org = builder.results.organization
        rows = tuple(
            BenchmarkRow(
                dim,
                builder.cell(org.scores.get(dim.id)) if org.shown else Cell(org.status),
                found.dimensions.get(dim.id),
            )
            for dim in builder.dims
        )
    return BenchmarkPage(found.pool_size, found.minimum, found.available, rows, questionnaire)
