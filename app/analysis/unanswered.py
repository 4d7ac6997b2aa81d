"""How often respondents answered "don't know" or "not applicable" to an item.

A rate is taken over the respondents who were asked the item (an item limited to some roles
is not counted against the others), and shown only when that many respondents reach the
anonymity threshold: a rate over fewer would tell what one person answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.analysis.plain import PlainFields

STATUS_OK = "ok"
STATUS_SUPPRESSED = "suppressed"
#: A "don't know" rate worth pointing out: a fifth of the respondents asked or more. A group
#: that often cannot judge a practice does not see it from where it works (a visibility gap).
NOTABLE_DONT_KNOW_RATE = 0.2


def is_notable_dont_know(rate: float | None) -> bool:
    """Whether a "don't know" rate is high enough to be a finding of its own."""
    return rate is not None and rate >= NOTABLE_DONT_KNOW_RATE


@dataclass(frozen=True)
class UnansweredRate(PlainFields):
    """One item's "don't know" and "not applicable" answers in one group."""

    plain_keys = ("item", "status", "asked", "dont_know", "not_applicable", "rate", "na_rate")

    item: str
    status: str
    #: Submitted respondents of the group who were asked the item; None when suppressed.
    asked: int | None = None
    dont_know: int | None = None
    not_applicable: int | None = None

    @property
    def rate(self) -> float | None:
        """Share of the respondents asked who answered "don't know"."""
        if self.asked is None or self.dont_know is None or self.asked == 0:
            return None
        return self.dont_know / self.asked

    @property
    def na_rate(self) -> float | None:
        """Share of the respondents asked who answered "not applicable"."""
        if self.asked is None or self.not_applicable is None or self.asked == 0:
            return None
        return self.not_applicable / self.asked


def unanswered_rates(
    items: Iterable[tuple[str, frozenset[int] | None]],
    respondents: Mapping[tuple[int, int], int],
    counts: Mapping[tuple[int, int, str], tuple[int, int]],
    cells: Iterable[tuple[int, int]],
    threshold: int,
) -> dict[str, UnansweredRate]:
    """Per item, the rates within the group made of ``cells`` ((department, role) pairs).

    ``items`` gives each item with the role ids asked it (None: every role);
    ``respondents`` the submitted respondents per cell; ``counts`` the ("don't know", "not
    applicable") answers per (department, role, item).
    """
    inside = list(cells)
    rates: dict[str, UnansweredRate] = {}
    for item_id, roles in items:
        asked_cells = [cell for cell in inside if roles is None or cell[1] in roles]
        asked = sum(respondents.get(cell, 0) for cell in asked_cells)
        if asked < threshold:
            rates[item_id] = UnansweredRate(item_id, STATUS_SUPPRESSED)
            continue
        dont_know = sum(counts.get((*cell, item_id), (0, 0))[0] for cell in asked_cells)
        not_applicable = sum(counts.get((*cell, item_id), (0, 0))[1] for cell in asked_cells)
        rates[item_id] = UnansweredRate(item_id, STATUS_OK, asked, dont_know, not_applicable)
    return rates
