"""Perception gaps put into words, as the dashboard and the reports show them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from flask_babel import gettext as _

if TYPE_CHECKING:
    from app.presentation.views import ResultsView
    from app.results.model import GapResult

#: ``report``: "X is rated 0.52 points higher by A than by B"; ``dashboard``: "A rate X 0.52
#: points higher than B". Each output keeps its own wording (and its own translations).
Wording = Literal["report", "dashboard"]


@dataclass(frozen=True)
class GapRow:
    """One perception gap in the reader's language (the reports and the dashboard)."""

    dimension: str
    dimension_id: str
    pair: str
    label_a: str
    label_b: str
    mean_a: float
    mean_b: float
    difference: float
    hedges_g: float | None
    p_adjusted: float | None
    significant: bool
    notable: bool
    direction: str | None
    direction_label: str
    sentence: str = ""


def gap_row(view: ResultsView, gap: GapResult, sentence: str = "") -> GapRow:
    """``gap`` (a results engine gap) with its labels put into words in ``view``'s language."""
    label_a = view.text(gap.a_label)
    label_b = view.text(gap.b_label)
    return GapRow(
        dimension=view.dimension_title(gap.dimension),
        dimension_id=gap.dimension,
        pair=f"{label_a} − {label_b}",
        label_a=label_a,
        label_b=label_b,
        mean_a=gap.mean_a,
        mean_b=gap.mean_b,
        difference=gap.difference,
        hedges_g=gap.hedges_g,
        p_adjusted=gap.p_adjusted,
        significant=gap.significant,
        notable=gap.notable,
        direction=gap.direction,
        direction_label=view.text(gap.direction_label),
        sentence=sentence,
    )


def gap_sentence(view: ResultsView, gap: GapResult, wording: Wording) -> str:
    """One sentence naming who rates the dimension higher, by how much, and what it means."""
    higher, lower = (gap.a_label, gap.b_label) if gap.difference > 0 else (gap.b_label, gap.a_label)
    values = {
        "higher": view.text(higher),
        "lower": view.text(lower),
        "dimension": view.dimension_title(gap.dimension),
        "difference": f"{abs(gap.difference):.2f}",
        "reading": view.text(gap.direction_label),
    }
    if wording == "report":
        return _(
            "%(dimension)s is rated %(difference)s points higher by %(higher)s than "
            "by %(lower)s (%(reading)s).",
            **values,
        )
    return _(
        "%(higher)s rate %(dimension)s %(difference)s points higher than %(lower)s (%(reading)s).",
        **values,
    )
