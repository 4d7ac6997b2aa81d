"""Anonymity rules: which groups of a breakdown may be shown.

This is the single implementation every output goes through (screens, exports, reports), so
the rules cannot drift between them.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

#: Free-text answers are shown only from groups at least this large, whatever the threshold,
#: because wording identifies people more easily than numbers do. A campaign may ask for
#: more (its ``comment_minimum``), never for less.
OPEN_TEXT_MINIMUM = 10
#: Fewest other organisations a benchmark pool must hold before any of its figures is shown,
#: so that no single organisation's score can be read from the pool's median or quartiles.
MINIMUM_POOL = 5


class GroupStatus(StrEnum):
    """What may be shown of a group."""

    OK = "ok"
    SUPPRESSED = "suppressed"
    NO_DATA = "no_data"


def suppression_statuses(
    groups: Mapping[str, int], threshold: int, *, parent_shown: bool = True
) -> dict[str, GroupStatus]:
    """Return the status of every group of one breakdown.

    ``groups`` maps each group key to its number of submitted responses. A group with none is
    ``no_data``; a group with fewer than ``threshold`` is ``suppressed``. When the parent total
    is shown (``parent_shown``) and exactly one group with data is suppressed, its value could
    be recovered by subtracting the others from the total, so the smallest shown group is
    suppressed as well (ties broken by key order); this repeats until that can no longer
    happen. The breakdown must be complete: respondents outside every group (for example
    without a department) must form a group of their own for the subtraction argument to hold.
    """
    _check_threshold(threshold)
    statuses: dict[str, GroupStatus] = {}
    for key, n in groups.items():
        if n < 0:
            raise ValueError(f"group {key!r} has a negative count")
        if n == 0:
            statuses[key] = GroupStatus.NO_DATA
        elif n < threshold:
            statuses[key] = GroupStatus.SUPPRESSED
        else:
            statuses[key] = GroupStatus.OK
    if not parent_shown:
        return statuses
    while sum(status is GroupStatus.SUPPRESSED for status in statuses.values()) == 1:
        shown = [key for key, status in statuses.items() if status is GroupStatus.OK]
        if not shown:
            break
        smallest = min(shown, key=lambda key: (groups[key], str(key)))
        statuses[smallest] = GroupStatus.SUPPRESSED
    return statuses


def suppressed_groups(
    groups: Mapping[str, int], threshold: int, *, parent_shown: bool = True
) -> set[str]:
    """Return the keys of the groups of a breakdown that must not be shown."""
    statuses = suppression_statuses(groups, threshold, parent_shown=parent_shown)
    return {key for key, status in statuses.items() if status is GroupStatus.SUPPRESSED}


def open_text_minimum(threshold: int, minimum: int = OPEN_TEXT_MINIMUM) -> int:
    """Return the fewest responses a group needs for its free-text answers to be shown:
    the larger of the anonymity threshold and the campaign's ``minimum`` for words, which
    itself is never below :data:`OPEN_TEXT_MINIMUM`."""
    _check_threshold(threshold)
    return max(threshold, minimum, OPEN_TEXT_MINIMUM)


def open_text_visible(n: int, threshold: int, minimum: int = OPEN_TEXT_MINIMUM) -> bool:
    """Return whether a group's free-text answers may be shown (see :func:`open_text_minimum`)."""
    return n >= open_text_minimum(threshold, minimum)


def pool_visible(size: int) -> bool:
    """Return whether a benchmark pool of ``size`` organisations is large enough to show."""
    return size >= MINIMUM_POOL


@dataclass(frozen=True)
class AnonymityPolicy:
    """A campaign's anonymity threshold with the rules that follow from it."""

    threshold: int
    #: The campaign's minimum group for free-text answers.
    open_text: int = OPEN_TEXT_MINIMUM

    def __post_init__(self) -> None:
        _check_threshold(self.threshold)

    def statuses(
        self, groups: Mapping[str, int], *, parent_shown: bool = True
    ) -> dict[str, GroupStatus]:
        """Return the status of every group of one breakdown (see :func:`suppression_statuses`)."""
        return suppression_statuses(groups, self.threshold, parent_shown=parent_shown)

    def suppressed(self, groups: Mapping[str, int], *, parent_shown: bool = True) -> set[str]:
        """Return the keys of the groups of a breakdown that must not be shown."""
        return suppressed_groups(groups, self.threshold, parent_shown=parent_shown)

    def open_text_visible(self, n: int) -> bool:
        """Return whether free-text answers of a group of ``n`` responses may be shown."""
        return open_text_visible(n, self.threshold, self.open_text)


def _check_threshold(threshold: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError("the anonymity threshold must be a positive whole number")


@dataclass(frozen=True)
class Family:
    """A total and the disjoint cells that add up to it, for :func:`partition_statuses`.

    ``parent`` is the cell holding the total (``None`` when the total is never shown, which
    makes the family impose nothing); ``members`` are the cells that partition it.
    """

    parent: Hashable | None
    members: tuple[Hashable, ...]


def partition_statuses(
    counts: Mapping[Hashable, int],
    families: Iterable[Family],
    threshold: int,
    *,
    hidden: Collection[Hashable] = (),
    never_shown: Collection[Hashable] = (),
) -> dict[Hashable, GroupStatus]:
    """Return the status of every cell of overlapping breakdowns that share their totals.

    ``counts`` holds each cell's number of respondents (for a score: respondents with a
    score). A cell with none is ``no_data``; one below ``threshold``, or listed in ``hidden``
    (already suppressed for another reason) or ``never_shown`` (cells no output shows, such as
    the people directly in a parent department, listed so that their figures cannot be worked
    out either), is ``suppressed``.

    Then, for every family whose parent is shown, the suppressed members must be none, or
    number at least ``threshold`` people together and, unless the only one is a never-shown
    cell, be at least two cells: otherwise subtracting the shown members from the shown total
    would reveal fewer people than the threshold, or reveal a suppressed cell that another
    total would then give away. While a family breaks this, its smallest shown member
    (earliest in ``counts`` on a tie) is suppressed as well. This is the usual complementary
    suppression of statistical tables, extended to department hierarchies and to roles within
    departments, where one cell belongs to several families; it generalises
    :func:`suppression_statuses`, which looks at one breakdown only.
    """
    return partition_statuses_many(
        {None: counts}, families, threshold, hidden={None: hidden}, never_shown=never_shown
    )[None]


def partition_statuses_many(
    counts: Mapping[Hashable, Mapping[Hashable, int]],
    families: Iterable[Family],
    threshold: int,
    *,
    hidden: Mapping[Hashable, Collection[Hashable]] | None = None,
    never_shown: Collection[Hashable] = (),
) -> dict[Hashable, dict[Hashable, GroupStatus]]:
    """:func:`partition_statuses` for several counts of the same cells at once.

    ``counts[name]`` are the cells' counts for one figure (a dimension's scores, an item's
    answers...), ``hidden[name]`` the cells already suppressed for it; the families are
    checked once.
    """
    _check_threshold(threshold)
    pseudo = set(never_shown)
    checked = [family for family in families if family.parent is not None]
    known: set[Hashable] | None = None
    found: dict[Hashable, dict[Hashable, GroupStatus]] = {}
    for name, cell_counts in counts.items():
        if known is None or cell_counts.keys() != known:
            for family in checked:
                unknown = [
                    key for key in (family.parent, *family.members) if key not in cell_counts
                ]
                if unknown:
                    raise ValueError(f"family refers to cells without a count: {unknown!r}")
            known = set(cell_counts)
        forced = set((hidden or {}).get(name, ()))
        found[name] = _partition(cell_counts, checked, threshold, forced, pseudo)
    return found


def _partition(
    counts: Mapping[Hashable, int],
    checked: list[Family],
    threshold: int,
    forced: set[Hashable],
    pseudo: set[Hashable],
) -> dict[Hashable, GroupStatus]:
    order = {key: index for index, key in enumerate(counts)}
    statuses: dict[Hashable, GroupStatus] = {}
    suppressed: set[Hashable] = set()
    for key, n in counts.items():
        if n < 0:
            raise ValueError(f"cell {key!r} has a negative count")
        if n == 0:
            statuses[key] = GroupStatus.NO_DATA
        elif n < threshold or key in forced or key in pseudo:
            statuses[key] = GroupStatus.SUPPRESSED
            suppressed.add(key)
        else:
            statuses[key] = GroupStatus.OK

    def exposed(family: Family) -> bool:
        hidden = [key for key in family.members if key in suppressed]
        if not hidden:
            return False
        total = sum(counts[key] for key in hidden)
        if total < threshold:
            return True
        # A single hidden cell equals the total minus the shown cells; a never-shown cell
        # belongs to this family only, so that reveals nothing further when it is large.
        return len(hidden) == 1 and hidden[0] not in pseudo

    changed = True
    while changed:
        changed = False
        for family in checked:
            if statuses[family.parent] is not GroupStatus.OK:
                continue
            if suppressed.isdisjoint(family.members) or not exposed(family):
                continue
            shown = [key for key in family.members if statuses[key] is GroupStatus.OK]
            if not shown:
                continue
            smallest = min(shown, key=lambda key: (counts[key], order[key]))
            statuses[smallest] = GroupStatus.SUPPRESSED
            suppressed.add(smallest)
            changed = True
    return statuses
