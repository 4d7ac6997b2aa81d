"""The statements on which two roles differ most, read the same way by the dashboard's roles
page and the organisation report.

A dimension's mean can hide a large gap on one statement: executives who think the vision is
shared while the front line does not. Each row compares two shown roles on a statement both
were asked, with the same three verdicts as the dimension gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.presentation.views import ResultsView

if TYPE_CHECKING:
    from app.questionnaire import Questionnaire

#: How many statements the table lists: the largest gaps by absolute difference.
ITEM_GAP_ROWS = 10


@dataclass(frozen=True)
class ItemGapRow:
    number: str
    text: str
    dimension: str
    label_a: str
    label_b: str
    mean_a: float
    mean_b: float
    n_a: int
    n_b: int
    difference: float
    verdict: str
    verdict_label: str
    ci95: tuple[float, float] | None


def item_gap_rows(
    view: ResultsView, questionnaire: Questionnaire, limit: int = ITEM_GAP_ROWS
) -> tuple[ItemGapRow, ...]:
    """The ``limit`` largest role gaps on single statements, in ``view``'s language.

    Statements are numbered as everywhere else: dimension number, then the item's place in it.
    """
    numbers = {
        item_id: f"{number}.{index}"
        for number, dimension in enumerate(view.results.dimensions, start=1)
        for index, item_id in enumerate(dimension.items, start=1)
    }
    rows = []
    for found in view.results.item_gaps[:limit]:
        gap = found.gap
        rows.append(
            ItemGapRow(
                numbers.get(found.item, ""),
                questionnaire.text(questionnaire.item(found.item).text, view.locale),
                view.dimension_title(gap.dimension),
                view.text(gap.a_label),
                view.text(gap.b_label),
                gap.mean_a,
                gap.mean_b,
                gap.n_a,
                gap.n_b,
                gap.difference,
                gap.verdict,
                view.text(gap.verdict_label),
                gap.ci95,
            )
        )
    return tuple(rows)
