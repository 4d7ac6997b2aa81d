"""Changes since the previous round put into words, as the dashboard and the reports show them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

if TYPE_CHECKING:
    from app.presentation.views import ResultsView
    from app.results.model import TrendResult


@dataclass(frozen=True)
class TrendRow:
    """One group's change on one dimension in the reader's language (reports and dashboard).

    Wraps the results' trend itself: its figures (``change``, ``hedges_g``, ``p_adjusted``,
    ``significant``, ``notable``... and any added later) are read from it, and only the texts
    are made here. ``dimension`` is the dimension's title, ``group`` the group's name.
    """

    trend: TrendResult
    dimension: str
    group: str
    #: The group's score in every round shown, oldest first (None where hidden or missing).
    history: tuple[float | None, ...] = ()
    #: Per round: whether the change from the round before was significant (False first).
    steps_significant: tuple[bool, ...] = ()
    #: The change's verdict in words (clear, possible, small), as for a gap.
    verdict_label: str = ""

    @property
    def previous(self) -> float:
        return self.trend.previous_mean

    @property
    def current(self) -> float:
        return self.trend.current_mean

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the row does not define itself: the trend's figures.
        if name == "trend":  # not set yet (unpickling, copying): no trend to read from
            raise AttributeError(name)
        return getattr(self.trend, name)


def trend_row(
    view: ResultsView,
    trend: TrendResult,
    history: tuple[float | None, ...] = (),
    steps_significant: tuple[bool, ...] = (),
) -> TrendRow:
    """``trend`` (a results engine trend) with its names in ``view``'s language."""
    return TrendRow(
        trend,
        view.dimension_title(trend.dimension),
        _("Whole organisation") if trend.breakdown == "organization" else view.text(trend.label),
        history,
        steps_significant,
        view.text(trend.verdict_label),
    )
