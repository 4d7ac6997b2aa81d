"""Group summaries with anonymity applied: the only way group numbers leave this package.

A suppressed group's summary carries its status and nothing else, so no output built on these
summaries can show, or compute a gap from, a group below the threshold.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from app.analysis.anonymity import AnonymityPolicy, GroupStatus
from app.analysis.lazy import LazyMapping
from app.analysis.plain import PlainFields
from app.analysis.stats import (
    CONFIDENCE_LEVEL,
    GroupStats,
    ItemCountTable,
    ItemDistribution,
    Moments,
    describe,
    describe_moments,
    distribution_from_counts,
    rwg_j_from_moments,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


@dataclass(frozen=True)
class GroupInput:
    """What the caller knows about one group, before anonymity is applied.

    ``n_submitted`` is the number of submitted responses, which decides suppression.
    ``scores`` maps each dimension (or pseudo-dimension such as an overall score) to the
    group's respondent scores (NaN for missing), to their :class:`Moments` when only sums
    are available, or to their :class:`GroupStats` when described already (by
    :func:`~app.analysis.stats.describe_groups`, for many groups at once). ``item_counts``
    maps each item to ``{scale point: number of answers}`` as given (not reverse coded, so
    the distribution matches the question's wording); an
    :class:`~app.analysis.stats.ItemCountTable` serves large groups of items faster.
    """

    n_submitted: int
    scores: Mapping[str, ArrayLike | Moments | GroupStats] = field(default_factory=dict)
    item_counts: Mapping[str, Mapping[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupSummary(PlainFields):
    """What may be shown of one group. Only ``ok`` groups carry numbers."""

    key: str
    status: GroupStatus
    n: int | None
    dimensions: Mapping[str, GroupStats] = field(default_factory=dict)
    agreement: Mapping[str, float | None] = field(default_factory=dict)
    distributions: Mapping[str, ItemDistribution] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Read-only views, so a summary handed to a template cannot be altered on the way
        # (what is read-only already is kept as it is).
        for name in ("dimensions", "agreement", "distributions"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType | LazyMapping):
                object.__setattr__(self, name, MappingProxyType(dict(value)))
        if self.status is GroupStatus.OK:
            return
        expected_n = 0 if self.status is GroupStatus.NO_DATA else None
        if self.n != expected_n or self.dimensions or self.agreement or self.distributions:
            raise ValueError(f"a {self.status.value} group cannot carry numbers")

    @property
    def shown(self) -> bool:
        """Whether the group's numbers may be shown."""
        return self.status is GroupStatus.OK

    def stats(self, dimension: str) -> GroupStats | None:
        """Return the group's statistics on a dimension, or None when not shown or absent."""
        return self.dimensions.get(dimension)


def summarise_groups(
    groups: Mapping[str, GroupInput],
    policy: AnonymityPolicy,
    *,
    scale_min: int,
    scale_max: int,
    dimension_items: Mapping[str, Sequence[str]] | None = None,
    parent_shown: bool = True,
    confidence: float = CONFIDENCE_LEVEL,
) -> dict[str, GroupSummary]:
    """Return the summary of every group of one breakdown, with anonymity applied.

    Suppression (including complementary suppression) is decided once for the breakdown from
    the submitted counts; suppressed and empty groups get no numbers at all. For shown groups
    the summary holds per-dimension :class:`GroupStats`, per-item distributions and, when
    ``dimension_items`` (dimension -> its item ids) is given, the agreement index r_wg(j)
    computed from the item counts.
    """
    statuses = policy.statuses(
        {key: group.n_submitted for key, group in groups.items()}, parent_shown=parent_shown
    )
    return summarise_with_statuses(
        groups,
        statuses,
        scale_min=scale_min,
        scale_max=scale_max,
        dimension_items=dimension_items,
        confidence=confidence,
    )


def summarise_with_statuses(
    groups: Mapping[str, GroupInput],
    statuses: Mapping[str, GroupStatus],
    *,
    scale_min: int,
    scale_max: int,
    dimension_items: Mapping[str, Sequence[str]] | None = None,
    hidden_cells: Mapping[str, Collection[str]] | None = None,
    confidence: float = CONFIDENCE_LEVEL,
) -> dict[str, GroupSummary]:
    """Return group summaries for statuses decided by the caller.

    For callers that decide suppression across several breakdowns at once (see
    :func:`~app.analysis.anonymity.partition_statuses`). ``hidden_cells[group]`` lists the
    dimensions and items of a shown group that must not be shown either (for example a
    dimension too few of the group's members have a score on); they are left out of the
    summary, so no gap or trend can be computed from them.
    """
    summaries: dict[str, GroupSummary] = {}
    for key, group in groups.items():
        status = statuses[key]
        if status is GroupStatus.SUPPRESSED:
            summaries[key] = GroupSummary(key, status, None)
        elif status is GroupStatus.NO_DATA:
            summaries[key] = GroupSummary(key, status, 0)
        else:
            hidden = frozenset((hidden_cells or {}).get(key, ()))
            summaries[key] = _shown_summary(
                key, group, scale_min, scale_max, dimension_items, confidence, hidden
            )
    return summaries


def _described(values: ArrayLike | Moments | GroupStats, confidence: float) -> GroupStats:
    if isinstance(values, GroupStats):
        return values
    if isinstance(values, Moments):
        return describe_moments(values, confidence)
    return describe(values, confidence)


def _shown_summary(
    key: str,
    group: GroupInput,
    scale_min: int,
    scale_max: int,
    dimension_items: Mapping[str, Sequence[str]] | None,
    confidence: float,
    hidden: frozenset[str] = frozenset(),
) -> GroupSummary:
    # Hidden items still count towards a shown dimension's agreement index: it reveals no
    # item's distribution, and leaving them out would change the index.
    dimensions = {
        dimension: _described(values, confidence)
        for dimension, values in group.scores.items()
        if dimension not in hidden
    }
    table = group.item_counts
    distributions: Mapping[str, ItemDistribution]
    if isinstance(table, ItemCountTable):
        distributions = table.distributions(hidden)
    else:
        distributions = {
            item: distribution_from_counts(item, counts, scale_min, scale_max)
            for item, counts in table.items()
            if item not in hidden
        }
    agreement: dict[str, float | None] = {}
    for dimension, items in (dimension_items or {}).items():
        if dimension in hidden:
            continue
        dimension_stats = dimensions.get(dimension)
        n = None if dimension_stats is None else dimension_stats.n
        if isinstance(table, ItemCountTable):
            agreement[dimension] = table.agreement(items, scale_max - scale_min + 1, n)
        else:
            moments = [Moments.from_counts(table.get(item, {})) for item in items]
            agreement[dimension] = rwg_j_from_moments(moments, scale_max - scale_min + 1, n)
    return GroupSummary(
        key=key,
        status=GroupStatus.OK,
        n=group.n_submitted,
        dimensions=MappingProxyType(dimensions),
        agreement=MappingProxyType(agreement),
        distributions=distributions,
    )
