"""The statements some role often answered "don't know" to, read the same way by the
dashboard's roles page and the organisation report.

A role that often cannot judge a practice does not see it from where it works: a high rate,
above all among front-line leaders, is a finding of its own (a visibility gap). Rates the
anonymity rules withhold, and roles not asked a statement, carry no number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.analysis.unanswered import is_notable_dont_know
from app.presentation.views import ResultsView

if TYPE_CHECKING:
    from app.questionnaire import Questionnaire
    from app.results.model import GroupResult

OK = "ok"


@dataclass(frozen=True)
class DontKnowRow:
    number: str
    text: str
    #: Per role column: the share of the respondents asked who answered "don't know"; None
    #: where the role was not asked the item or the rate is withheld.
    rates: tuple[float | None, ...]
    notable: tuple[bool, ...]


def dont_know_rows(
    view: ResultsView, questionnaire: Questionnaire, groups: Sequence[GroupResult]
) -> tuple[DontKnowRow, ...]:
    """The items some of ``groups`` (shown roles) often could not judge, with every group's rate.

    Items are numbered as everywhere else: dimension number, then the item's place in it.
    """
    rows = []
    for number, dimension in enumerate(view.results.dimensions, start=1):
        for index, item_id in enumerate(dimension.items, start=1):
            rates = []
            for group in groups:
                cell = group.dont_know.get(item_id)
                shown = cell is not None and cell.status == OK and bool(cell.asked)
                rates.append(cell.rate if shown and cell is not None else None)
            notable = tuple(is_notable_dont_know(rate) for rate in rates)
            if any(notable):
                item = questionnaire.item(item_id)
                rows.append(
                    DontKnowRow(
                        f"{number}.{index}",
                        questionnaire.text(item.text, view.locale),
                        tuple(rates),
                        notable,
                    )
                )
    return tuple(rows)
