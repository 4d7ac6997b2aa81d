"""Benchmark pools: which organisations an organisation is compared with, and where its score
ranks among theirs.

An organisation filed under an industry and a size band is compared with the narrowest pool
that is large enough: the same industry and size band, else the same industry, else the same
size band, else every organisation. How large is large enough is the anonymity rule
:func:`app.analysis.anonymity.pool_visible`; the caller counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class Scope(StrEnum):
    """Which organisations a benchmark pool holds, narrowest first."""

    INDUSTRY_AND_SIZE = "industry_and_size"
    INDUSTRY = "industry"
    SIZE = "size"
    ALL = "all"

    def admits(
        self,
        industry: str | None,
        size_band: str | None,
        other_industry: str | None,
        other_size_band: str | None,
    ) -> bool:
        """Whether an organisation of ``other_industry`` and ``other_size_band`` belongs to
        this pool of an organisation of ``industry`` and ``size_band``."""
        same_industry = industry is not None and other_industry == industry
        same_size = size_band is not None and other_size_band == size_band
        if self is Scope.INDUSTRY_AND_SIZE:
            return same_industry and same_size
        if self is Scope.INDUSTRY:
            return same_industry
        if self is Scope.SIZE:
            return same_size
        return True


def pool_scopes(industry: str | None, size_band: str | None) -> tuple[Scope, ...]:
    """The pools an organisation may be compared with, narrowest first; the last is always
    :attr:`Scope.ALL`."""
    scopes = []
    if industry is not None and size_band is not None:
        scopes.append(Scope.INDUSTRY_AND_SIZE)
    if industry is not None:
        scopes.append(Scope.INDUSTRY)
    if size_band is not None:
        scopes.append(Scope.SIZE)
    return (*scopes, Scope.ALL)


def percentile_rank(value: float, pool: Sequence[float]) -> float:
    """The share of ``pool`` below ``value``, those equal to it counted half (0 to 1)."""
    if not pool:
        raise ValueError("a percentile rank needs a pool")
    lower = sum(1 for other in pool if other < value)
    equal = sum(1 for other in pool if other == value)
    return (lower + equal / 2) / len(pool)
