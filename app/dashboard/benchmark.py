"""The benchmark page: the organisation against the anonymised pool of
:mod:`app.results.benchmark`, which chooses the pool, computes every figure and applies the
pool's minimum size; this module only lays them out next to the organisation's own scores,
says which pool they come from, or says why there are none.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.analysis.benchmark import Scope
from app.dashboard.viewmodel import SUPPRESSED, Builder, Cell, Dim, Table
from app.models import Campaign
from app.presentation.formatting import percent, score, signed
from app.presentation.organizations import industry_label, size_band_label
from app.results.benchmark import Benchmark, PoolFigures, Unavailable, campaign_benchmark


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

    @property
    def percentile_rank(self) -> float | None:
        return None if self.pool is None else self.pool.percentile_rank

    @property
    def rank_text(self) -> str:
        """The percentile rank as shown: ``70%``, or a dash when there is none."""
        return percent(self.percentile_rank)


@dataclass(frozen=True)
class BenchmarkPage:
    pool_size: int
    minimum: int
    available: bool
    rows: tuple[BenchmarkRow, ...]
    questionnaire: str
    #: Which organisations the pool holds and how many, as the page names it ("" when no
    #: figure is shown).
    pool: str = ""
    #: Why a narrower pool was not used, or how to get one ("" when there is nothing to say).
    pool_note: str = ""
    #: Why no figure is shown (an :class:`Unavailable` value; "" when they are).
    reason: str = ""
    #: That reason, and what would change it, as the page says them.
    why: str = ""
    remedy: str = ""

    def columns(self) -> list[str]:
        """The headings of the page's table, one per figure."""
        return [
            _("Dimension"),
            _("Your organisation"),
            _("Pool median"),
            _("Pool top quartile"),
            _("Difference from median"),
            _("Percentile rank"),
        ]

    def table(self) -> Table:
        """The figures as the CSV writes them (the route answers 404 when none is shown)."""
        header = [*self.columns(), _("Pool")]
        if not self.available:
            return Table(header, [])
        rows = []
        for row in self.rows:
            own = score(row.own.mean) if row.own.shown else SUPPRESSED
            rank = row.percentile_rank
            rows.append(
                [
                    row.dim.title,
                    own,
                    score(row.median),
                    score(row.top_quartile),
                    signed(row.difference) if row.difference is not None else "",
                    percent(rank) if rank is not None else "",
                    self.pool,
                ]
            )
        return Table(header, rows)


def pool_text(found: Benchmark) -> str:
    """Which organisations the pool holds, and how many."""
    industry, size = industry_label(found.industry), size_band_label(found.size_band)
    count = found.pool_size
    if found.scope is Scope.INDUSTRY_AND_SIZE:
        return _(
            "same industry (%(industry)s) and size (%(size)s), %(count)s organisations",
            industry=industry,
            size=size,
            count=count,
        )
    if found.scope is Scope.INDUSTRY:
        return _(
            "same industry (%(industry)s), all sizes, %(count)s organisations",
            industry=industry,
            count=count,
        )
    if found.scope is Scope.SIZE:
        return _(
            "same size (%(size)s), all industries, %(count)s organisations", size=size, count=count
        )
    return _("all industries and sizes, %(count)s organisations", count=count)


def _pool_note(found: Benchmark) -> str:
    if found.widened:
        return _(
            "Narrower pools (the same industry or size) have fewer than %(minimum)s "
            "organisations, so this wider one is used.",
            minimum=found.minimum,
        )
    if found.industry is None and found.size_band is None:
        return _(
            "This organisation's industry and size are not set, so the pool holds every "
            "organisation that has joined: a consultant can set them in the organisation "
            "settings."
        )
    return ""


def _unavailable(found: Benchmark) -> tuple[str, str]:
    """Why no figure is shown, and what would change that."""
    later = _(
        "The figures appear once at least %(minimum)s other organisations with results on "
        "this questionnaire version have joined the benchmark.",
        minimum=found.minimum,
    )
    if found.reason is Unavailable.NOT_OPTED_IN:
        return (
            _("This organisation has not joined the benchmark."),
            _(
                "A consultant can opt in in the organisation settings: its organisation-level "
                "scores then join the anonymised pool, and this page compares it with the "
                "other organisations that have joined."
            ),
        )
    if found.reason is Unavailable.NO_PEERS:
        return (
            _(
                "No other organisation that has joined the benchmark has results on this "
                "questionnaire version yet."
            ),
            later,
        )
    return (
        _(
            "Other organisations in the pool: %(num)d; at least %(minimum)s are needed.",
            num=found.pool_size,
            minimum=found.minimum,
        ),
        later,
    )


def benchmark(builder: Builder, campaign: Campaign) -> BenchmarkPage:
    """The benchmark page: the figures and their pool, or why there are none."""
    found = campaign_benchmark(campaign, builder.results)
    questionnaire = builder.text(builder.results.questionnaire.title)
    if not found.available:
        why, remedy = _unavailable(found)
        reason = (found.reason or Unavailable.TOO_FEW).value
        return BenchmarkPage(
            found.pool_size,
            found.minimum,
            False,
            (),
            questionnaire,
            reason=reason,
            why=why,
            remedy=remedy,
        )
    org = builder.results.organization
    rows = tuple(
        BenchmarkRow(
            dim,
            builder.cell(org.scores.get(dim.id)) if org.shown else Cell(org.status),
            found.dimensions.get(dim.id),
        )
        for dim in builder.dims
    )
    return BenchmarkPage(
        found.pool_size,
        found.minimum,
        True,
        rows,
        questionnaire,
        pool=pool_text(found),
        pool_note=_pool_note(found),
    )
