"""Perception gaps put into words, as the dashboard and the reports show them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from flask_babel import gettext as _

if TYPE_CHECKING:
    from app.presentation.views import ResultsView
    from app.results.model import GapResult

#: ``report``: "X is rated 0.52 points higher by A than by B"; ``dashboard``: "A rate X 0.52
#: points higher than B". Each output keeps its own wording (and its own translations).
Wording = Literal["report", "dashboard"]

#: The direction key of a gap under half a point (``app.analysis.gaps.ALIGNED``).
ALIGNED = "aligned"


@dataclass(frozen=True)
class GapRow:
    """One perception gap in the reader's language (the reports and the dashboard).

    Wraps the results' gap itself: its figures (``difference``, ``mean_a``, ``hedges_g``,
    ``p_adjusted``, ``significant``, ``direction``... and any added later) are read from it,
    and only the texts are made here. ``dimension`` is the dimension's title;
    ``dimension_id`` its id.
    """

    gap: GapResult
    dimension: str
    label_a: str
    label_b: str
    direction_label: str
    sentence: str = ""
    #: The verdict in plain words: clear, possible (too few answers) or small.
    verdict_label: str = ""

    @property
    def dimension_id(self) -> str:
        return self.gap.dimension

    @property
    def pair(self) -> str:
        return f"{self.label_a} − {self.label_b}"

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the row does not define itself: the gap's figures.
        if name == "gap":  # not set yet (unpickling, copying): no gap to read from
            raise AttributeError(name)
        return getattr(self.gap, name)


def reading(view: ResultsView, gap: GapResult) -> str:
    """What the gap means: its direction when it has one, else its verdict.

    A gap under half a point has no direction, but it is called aligned only when its interval
    shows it small: an unconfirmed larger one reads as a possible difference.
    """
    if gap.direction in (None, ALIGNED):
        return view.text(gap.verdict_label)
    return view.text(gap.direction_label)


def gap_row(view: ResultsView, gap: GapResult, sentence: str = "") -> GapRow:
    """``gap`` (a results engine gap) with its labels put into words in ``view``'s language."""
    return GapRow(
        gap,
        view.dimension_title(gap.dimension),
        view.text(gap.a_label),
        view.text(gap.b_label),
        reading(view, gap),
        sentence,
        view.text(gap.verdict_label),
    )


def gap_sentence(view: ResultsView, gap: GapResult, wording: Wording) -> str:
    """One sentence naming who rates the dimension higher, by how much, and what it means."""
    higher, lower = (gap.a_label, gap.b_label) if gap.difference > 0 else (gap.b_label, gap.a_label)
    values = {
        "higher": view.text(higher),
        "lower": view.text(lower),
        "dimension": view.dimension_title(gap.dimension),
        "difference": f"{abs(gap.difference):.2f}",
        "reading": reading(view, gap),
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
