"""Dashboard charts: the report's SVG charts, memoised per results version, plus a trend chart.

Drawing with matplotlib costs tens of milliseconds per chart, and a closed campaign's figures
never change while its results' data version stays the same, so each chart is kept in a small
in-process cache keyed by that version, the language and everything the chart is drawn from.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.platform.cache import BoundedCache
from app.platform.lazy import lazy_module
from app.presentation import charts
from app.presentation.charts import GRID, INK, OKABE_ITO, ScaleSpec, svg_data_uri

#: Imported when the first trend chart is drawn.
mpl_figure = lazy_module("matplotlib.figure")

#: Charts kept per process (each is a few tens of kilobytes).
CACHE_SIZE = 256

_cache: BoundedCache[str, str] = BoundedCache(CACHE_SIZE)


def cached_chart(key: Sequence[object], draw: Callable[[], str]) -> str:
    """The ``data:`` URI of the SVG that ``draw`` returns, drawn once per distinct ``key``.

    ``key`` must name everything the chart depends on: the results' data version, the
    locale and the chart's inputs.
    """
    digest = hashlib.sha256(repr(tuple(key)).encode("utf-8")).hexdigest()
    return _cache.get_or_create(digest, lambda: svg_data_uri(draw()))


def clear_chart_cache() -> None:
    """Forget every memoised chart (tests)."""
    _cache.clear()


@dataclass(frozen=True)
class TrendLine:
    """One dimension's organisation score in each round, oldest first (None: not shown)."""

    label: str
    values: tuple[float | None, ...]
    #: Whether the change into each round was significant (the first entry is always False).
    significant: tuple[bool, ...] = ()
    #: When given, per round, where the step into it starts (the first entry unused; None: no
    #: step drawn). A step across questionnaire versions starts from the previous round's
    #: score recomputed on the items both versions share, not from the value plotted there.
    starts: tuple[float | None, ...] = ()


def trend_color(index: int) -> str:
    """The colour of the ``index``-th line of the trend chart (and of its legend entry)."""
    return OKABE_ITO[index % (len(OKABE_ITO) - 1)]


def trend_chart(round_labels: Sequence[str], lines: Sequence[TrendLine], scale: ScaleSpec) -> str:
    """A slope chart of scores over rounds (one line per dimension), as SVG.

    A filled marker flags a change from the previous round that is statistically
    significant; hollow markers are changes within the noise. The lines are named by the
    page's HTML legend (:func:`trend_color` gives their colours): drawn about 24rem wide,
    the chart keeps its text near 11 px on a phone.
    """
    if len(round_labels) < 2 or not lines:
        raise ValueError("a trend needs at least two rounds and one line")
    width, height = 4.2, 3.0
    # Zoom to the scores' range: over a few rounds changes are tenths of a point.
    known = [v for line in lines for v in (*line.values, *line.starts) if v is not None]
    low = max(scale.min, math.floor((min(known, default=scale.min) - 0.25) * 2) / 2)
    high = min(scale.max, math.ceil((max(known, default=scale.max) + 0.25) * 2) / 2)
    with charts._style(None):
        fig = mpl_figure.Figure(figsize=(width, height))
        ax = fig.add_axes((0.12, 0.2, 0.84, 0.76))
        xs = list(range(len(round_labels)))
        for index, line in enumerate(lines):
            color = trend_color(index)
            values = [math.nan if v is None else v for v in line.values]
            if line.starts:
                for x, start, end in zip(xs[1:], line.starts[1:], values[1:], strict=True):
                    if start is None or math.isnan(end):
                        continue
                    ax.plot([x - 1, x], [start, end], color=color, lw=1.8, zorder=2)
                    if start != values[x - 1]:
                        # A diamond: the previous round recomputed on the shared items.
                        ax.plot(
                            [x - 1],
                            [start],
                            marker="o" if math.isnan(values[x - 1]) else "D",
                            markersize=5.5 if math.isnan(values[x - 1]) else 4.5,
                            color=color,
                            markerfacecolor="white",
                            markeredgewidth=1.2,
                            zorder=3,
                        )
            else:
                ax.plot(xs, values, color=color, lw=1.8, zorder=2)
            flags = line.significant or tuple(False for _ in values)
            for x, value, significant in zip(xs, values, flags, strict=True):
                if math.isnan(value):
                    continue
                ax.plot(
                    [x],
                    [value],
                    marker="o",
                    markersize=5.5,
                    color=color,
                    markerfacecolor=color if significant else "white",
                    markeredgewidth=1.4,
                    zorder=3,
                )
        ax.set_xlim(-0.25, len(round_labels) - 0.75)
        ax.set_ylim(low, high)
        ax.set_xticks(xs)
        # Round names wrap to the room between two ticks (about 14 columns to the inch at 9 pt).
        columns = max(8, min(16, int(3.4 / len(round_labels) * 14)))
        ax.set_xticklabels([charts.wrap_label(label, columns, 3) for label in round_labels])
        ax.set_yticks([t / 2 for t in range(int(low * 2), int(high * 2) + 1)])
        ax.grid(axis="y", color=GRID, lw=0.7, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(length=0, colors=charts.TICK_INK, labelsize=charts.SCREEN_TICK_SIZE)
        for tick in ax.get_xticklabels():
            tick.set_color(INK)
        return charts._to_svg(fig)
