"""Report charts drawn with matplotlib's object API and returned as SVG text.

The same SVG goes into the web pages and the PDF. Chart functions take plain, already
filtered data: only groups that passed the anonymity threshold are ever handed to them, and
the heatmap, the one chart that names small groups, takes their rows without any numbers.
pyplot is never imported: it keeps global state that leaks between requests in a server.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import math
import re
import threading
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ParamSpec

from app.platform.cache import BoundedCache
from app.platform.lazy import lazy_module
from app.presentation.fonts import ReportFonts, locate_fonts, register_with_matplotlib
from app.presentation.phrases import is_japanese, phrases

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Imported when the first chart is drawn, after app.presentation.fonts's set-up of matplotlib.
matplotlib = lazy_module("matplotlib")
mpl_collections = lazy_module("matplotlib.collections")
mpl_figure = lazy_module("matplotlib.figure")
mpl_patches = lazy_module("matplotlib.patches")
mpl_path = lazy_module("matplotlib.path")
mpl_transforms = lazy_module("matplotlib.transforms")

#: Okabe & Ito's colour-blind-safe palette (black moved last: it is kept for targets).
OKABE_ITO: tuple[str, ...] = (
    "#D55E00",  # vermillion
    "#0072B2",  # blue
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",
)
#: The default roles always get the same colour, in every chart of every report.
ROLE_COLORS: dict[str, str] = {
    "executive": OKABE_ITO[0],
    "middle_manager": OKABE_ITO[1],
    "frontline": OKABE_ITO[2],
}
ORGANIZATION_COLOR = "#1B2A49"
PREVIOUS_COLOR = "#8A8F98"
TARGET_COLOR = "#111111"
SELF_COLOR = "#CC79A7"
INK = "#1F2933"
MUTED = "#6B7280"
GRID = "#D5D9E0"
SUPPRESSED_FILL = "#E3E5E8"
#: Colour-blind-safe diverging colours for the answer points, low to high (ColorBrewer RdBu).
POINT_COLORS_5: tuple[str, ...] = ("#CA0020", "#F4A582", "#D9D9D9", "#92C5DE", "#0571B0")

_lock = threading.RLock()

P = ParamSpec("P")
#: Charts kept per process (a few tens of kilobytes each: a report draws about ten).
DRAWN_CHARTS = 64
_drawn: BoundedCache[str, str] = BoundedCache(DRAWN_CHARTS)


def _memoised(draw: Callable[P, str]) -> Callable[P, str]:
    """``draw`` run once per distinct arguments and report fonts; its SVG kept after that.

    A chart is a function of its arguments alone (plain, frozen data), and drawing one costs
    tens of milliseconds in matplotlib: the same report rendered again (downloaded twice, or
    its results computed again for a data version that left its figures as they were) reuses
    the SVG instead.
    """

    @functools.wraps(draw)
    def memoised(*args: P.args, **kwargs: P.kwargs) -> str:
        fonts = kwargs.get("fonts") or locate_fonts()
        key = repr((draw.__name__, args, sorted(kwargs.items()), fonts))
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return _drawn.get_or_create(digest, lambda: draw(*args, **kwargs))

    return memoised


def clear_chart_cache() -> None:
    """Forget every chart drawn so far (tests)."""
    _drawn.clear()


def role_color(key: str, rank: int = 0) -> str:
    """The fixed colour of a role: the default roles by key, any other role by its rank."""
    if key in ROLE_COLORS:
        return ROLE_COLORS[key]
    # Custom roles skip the colours the default roles own, so they never look alike.
    others = [c for c in OKABE_ITO[:-1] if c not in ROLE_COLORS.values()]
    return others[rank % len(others)]


def group_color(index: int) -> str:
    """A colour for the ``index``-th group of a breakdown such as departments."""
    return OKABE_ITO[index % (len(OKABE_ITO) - 1)]


@dataclass(frozen=True)
class ScaleSpec:
    """The answer scale as the charts draw it: points ``min..max`` and one label per point."""

    min: int
    max: int
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.labels) != self.max - self.min + 1:
            raise ValueError("a scale needs one label per point")

    @property
    def points(self) -> tuple[int, ...]:
        return tuple(range(self.min, self.max + 1))


@dataclass(frozen=True)
class Series:
    """One line of a radar or one set of bars: a shown group's value on each axis."""

    label: str
    values: tuple[float | None, ...]
    color: str
    n: int | None = None
    linestyle: str = "solid"
    fill: bool = False
    linewidth: float = 1.8

    @property
    def legend_label(self) -> str:
        return self.label if self.n is None else f"{self.label} (n={self.n})"


@dataclass(frozen=True)
class LegendKey:
    """A legend entry a page writes beside a chart: a series' name and how its line looks."""

    label: str
    color: str
    dashed: bool = False
    marker: bool = True


def legend_keys(series: Sequence[Series]) -> tuple[LegendKey, ...]:
    """The legend of ``series`` as drawn by the radars: markers on solid lines only."""
    return tuple(
        LegendKey(s.legend_label, s.color, s.linestyle != "solid", s.linestyle == "solid")
        for s in series
    )


@dataclass(frozen=True)
class GapBar:
    """One perception gap: ``difference`` is the first group minus the second."""

    label: str
    difference: float
    notable: bool = False
    significant: bool = False


@dataclass(frozen=True)
class HeatmapRow:
    """A row of the heatmap. A suppressed row carries no values at all, by construction.

    ``withheld`` names the columns of a shown row whose cell the results withheld (too few
    people scored that dimension): drawn like a suppressed row's cells, and their value must
    be None. Any other None is a cell without data.
    """

    label: str
    values: tuple[float | None, ...] = ()
    suppressed: bool = False
    withheld: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.suppressed and any(value is not None for value in self.values):
            raise ValueError(f"suppressed row {self.label!r} cannot carry values")
        for column in self.withheld:
            if column < len(self.values) and self.values[column] is not None:
                raise ValueError(f"withheld cell {column} of {self.label!r} cannot carry a value")


@dataclass(frozen=True)
class DistributionRow:
    """One item's answer shares per scale point (they sum to 1), with its number of answers."""

    label: str
    proportions: tuple[float, ...]
    n: int
    mean: float | None = None


@dataclass(frozen=True)
class Panel:
    """One small radar of a small-multiples chart."""

    title: str
    series: tuple[Series, ...] = field(default_factory=tuple)


def text_width(text: str) -> int:
    """Display columns of ``text``: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap_label(text: str, width: int = 16, max_lines: int = 3) -> str:
    """Wrap a label to ``width`` columns: at spaces in Latin text, between Japanese phrases.

    Lines beyond ``max_lines`` are dropped and the last kept line ends with an ellipsis.
    """
    lines: list[str] = []
    current = ""
    for token in _tokens(text):
        candidate = current + token if current else token.lstrip()
        if current and text_width(candidate) > width:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current = candidate
    if current:
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and text_width(last) > width - 1:
            last = last[:-1]
        lines[-1] = last + "…"
    return "\n".join(lines)


def _tokens(text: str) -> Iterator[str]:
    """Where a label may break: Latin words (with their leading space) and Japanese phrases
    (オペレーションの / 力, never オペレ / ーショ / ンの力). A phrase wider than the line keeps
    a line of its own rather than break inside."""
    if is_japanese(text):
        for piece in phrases(text):
            yield from _split_spaces(piece)
        return
    yield from _characters(text)


def _split_spaces(piece: str) -> Iterator[str]:
    # phrases() keeps a space at the end of the word before it; labels want it in front.
    stripped = piece.rstrip(" ")
    if stripped:
        yield stripped
    if len(piece) > len(stripped):
        yield " "


def _characters(text: str) -> Iterator[str]:
    """Latin words (with their leading space) and single wide characters."""
    word = ""
    for char in text:
        if unicodedata.east_asian_width(char) in "WF":
            if word:
                yield word
                word = ""
            yield char
        elif char == " " and word:
            yield word
            word = " "
        else:
            word += char
    if word:
        yield word


@contextmanager
def _style(fonts: ReportFonts | None) -> Iterator[None]:
    """Chart settings, with the report's Japanese font set for every text of the figure.

    rcParams are process-global, so the lock keeps two threads from drawing with each
    other's settings; matplotlib itself is not thread-safe either.
    """
    family = register_with_matplotlib(fonts or locate_fonts())
    settings = {
        "font.family": [family],
        "font.size": 8.5,
        "axes.edgecolor": GRID,
        "axes.labelcolor": INK,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "axes.titlecolor": INK,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "legend.frameon": False,
        "legend.fontsize": 8,
        # Text stays text: WeasyPrint sets it in the report's embedded font, the PDF stays
        # searchable, and drawing glyphs as paths doubles the time of text-heavy charts.
        "svg.fonttype": "none",
        # Fixed ids keep the SVG identical from one run to the next (report snapshots).
        "svg.hashsalt": "cx-report",
        "path.simplify": True,
    }
    with _lock, matplotlib.rc_context(settings):
        yield


_SVG_NAMESPACE = "http://www.w3.org/2000/svg"
_XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
_XLINK_HREF = f"{{{_XLINK_NAMESPACE}}}href"
#: Elements a report chart never needs: clipping is dropped (see ``_to_svg``), the metadata
#: names matplotlib, and the only style sheet sets two properties the root then carries.
_DROPPED_ELEMENTS = frozenset({"metadata", "clipPath", "style"})
_TEXT_ELEMENTS = frozenset({"text", "tspan", "textPath"})
_URL_REFERENCE = re.compile(r"url\(#([^)]+)\)")
_NULL_ROTATION = re.compile(r"\s*rotate\(-?0(?:\.0*)?(?:[ ,][^)]*)?\)")


def _to_svg(fig: Figure) -> str:
    """The figure as SVG, lightened for WeasyPrint, which draws SVG node by node in Python.

    Backgrounds are left out (the page is white) and clipping is dropped: every chart sets
    its limits so nothing is drawn outside its axes, and each clip path costs WeasyPrint as
    much as a shape. No ``bbox_inches="tight"``: it draws the whole figure twice.
    """
    fig.patch.set_visible(False)
    for ax in fig.axes:
        ax.patch.set_visible(False)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return lighten_svg(buffer.getvalue())


def lighten_svg(svg: str) -> str:
    """matplotlib's SVG drawn the same with about half the nodes and no CSS to parse.

    matplotlib wraps every artist in a group that only carries an id and writes every
    colour as a ``style`` attribute; WeasyPrint visits each node and runs its CSS parser on
    each ``style``. Here the id-only groups are unwrapped, unreferenced ids, clipping,
    metadata and null rotations are dropped, and styles become presentation attributes
    (equivalent: the chart has no style sheet left for them to lose against).
    """
    root = ET.fromstring(svg)  # noqa: S314 - matplotlib's own output, never user input
    referenced: set[str] = set()
    uses_xlink = False
    for element in root.iter():
        for name, value in element.items():
            if name == _XLINK_HREF:
                uses_xlink = True
                referenced.add(value.removeprefix("#"))
            elif name != "clip-path":
                referenced.update(_URL_REFERENCE.findall(value))
    root[:] = _lightened_children(root, referenced)
    attributes = {"xmlns": _SVG_NAMESPACE}
    if uses_xlink:
        attributes["xmlns:xlink"] = _XLINK_NAMESPACE
    attributes.update(root.attrib)
    # What matplotlib's style sheet set on every element, inherited from the root instead.
    attributes.update({"stroke-linejoin": "round", "stroke-linecap": "butt"})
    root.tag = "svg"
    root.attrib = attributes
    root.text = None
    return ET.tostring(root, encoding="unicode")


def _lightened_children(element: ET.Element, referenced: set[str]) -> list[ET.Element]:
    in_text = element.tag.rsplit("}", 1)[-1] in _TEXT_ELEMENTS
    children: list[ET.Element] = []
    for child in element:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag in _DROPPED_ELEMENTS and not in_text:
            continue
        child.tag = tag
        child.attrib = _lightened_attributes(child.attrib, referenced)
        child[:] = _lightened_children(child, referenced)
        if in_text:
            children.append(child)
            continue
        child.tail = None
        if tag == "g" and not child.attrib:
            children.extend(child)
        elif tag != "defs" or len(child):
            children.append(child)
    return children


def _lightened_attributes(attrib: dict[str, str], referenced: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in attrib.items():
        if name in ("style", "clip-path") or (name == "id" and value not in referenced):
            continue
        if name == "transform":
            if transform := _NULL_ROTATION.sub("", value).strip():
                found[name] = transform
        elif name == _XLINK_HREF:
            found["xlink:href"] = value
        else:
            # Path data comes with a line break after every command.
            found[name] = " ".join(value.split())
    # The style attribute wins over presentation attributes, so it is applied last.
    for declaration in attrib.get("style", "").split(";"):
        key, _, setting = declaration.partition(":")
        if key.strip() and setting.strip():
            found[key.strip()] = setting.strip()
    return found


def svg_data_uri(svg: str) -> str:
    """The SVG as a ``data:`` URI for ``<img src>``: inline SVG makes WeasyPrint warn a lot."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _label_inches(labels: Sequence[str], fontsize: float) -> float:
    """The width the longest line of ``labels`` takes, from its display columns."""
    columns = max((text_width(line) for label in labels for line in label.split("\n")), default=0)
    return columns * fontsize * 0.55 / 72


def _legend_columns(
    labels: Sequence[str], fontsize: float, width_in: float, most: int, handle_em: float
) -> int:
    """The most legend columns (up to ``most``) whose rows fit in ``width_in`` inches.

    Entries fill the legend row by row (see :func:`_row_major`); each column is as wide as
    its longest label plus the handle, the gap to the label and the spacing between columns.
    """
    extra_in = (handle_em + 0.8 + 1.4) * fontsize / 72
    for columns in range(min(most, len(labels)), 1, -1):
        widths = [
            max(_label_inches([label], fontsize) for label in labels[column::columns])
            for column in range(columns)
        ]
        if sum(widths) + columns * extra_in <= width_in:
            return columns
    return 1


def _radius_beside(
    labels: Sequence[str], n_axes: int, fontsize: float, half_width: float, distance: float
) -> float:
    """The largest radar radius (inches) whose axis labels all fit within ``half_width``
    inches of the centre: each label starts ``distance`` radii out along its spoke."""
    found = math.inf
    for i, label in enumerate(labels):
        reach = abs(math.cos(math.pi / 2 - 2 * math.pi * i / n_axes))
        if reach < 0.15:
            # Top and bottom labels are centred on their spoke: they never limit the radius.
            continue
        room = half_width - _label_inches([label], fontsize) - 0.06
        found = min(found, room / (distance * reach))
    return found


class _Radar:
    """A radar drawn on plain axes: polygon rings, spokes and labels placed by hand.

    Polar axes cost several times more to draw (tick machinery, transforms) and give round
    rings; a report needs a dozen radars in well under a second.
    """

    def __init__(
        self,
        ax: object,
        n_axes: int,
        scale: ScaleSpec,
        *,
        center: tuple[float, float] = (0.0, 0.0),
        size: float = 1.0,
    ) -> None:
        self.ax = ax
        self.n_axes = n_axes
        self.scale = scale
        #: Where the radar sits in the axes' data coordinates, and its outer ring's radius.
        self.cx, self.cy = center
        self.size = size
        self.low = scale.min - (scale.max - scale.min) / 4
        self.angles = [math.pi / 2 - 2 * math.pi * i / n_axes for i in range(n_axes)]

    def radius(self, value: float) -> float:
        return (value - self.low) / (self.scale.max - self.low)

    def at(self, x: float, y: float) -> tuple[float, float]:
        """Data coordinates of a point given relative to the radar (outer ring at 1)."""
        return self.cx + self.size * x, self.cy + self.size * y

    def xy(self, values: Sequence[float]) -> tuple[list[float], list[float]]:
        polar = list(zip((self.radius(v) for v in values), self.angles, strict=True))
        xs = [self.cx + self.size * r * math.cos(a) for r, a in polar]
        ys = [self.cy + self.size * r * math.sin(a) for r, a in polar]
        return [*xs, xs[0]], [*ys, ys[0]]

    def grid(self, ring_numbers: bool = True, every_ring: bool = True) -> None:
        """Rings at the scale's points (the outer one darker) and a spoke per axis.

        Lines of the same style are drawn as one line broken by NaNs: one SVG path each
        instead of one per ring and spoke, for matplotlib and WeasyPrint alike.
        """
        middle = (self.scale.min + self.scale.max) // 2
        inner_xs: list[float] = []
        inner_ys: list[float] = []
        for point in self.scale.points:
            if not every_ring and point not in (middle, self.scale.max):
                continue
            if point != self.scale.max:
                xs, ys = self.xy([point] * self.n_axes)
                inner_xs += [*xs, math.nan]
                inner_ys += [*ys, math.nan]
            if ring_numbers:
                x, y = self.at(0.025, self.radius(point))
                self.ax.text(x, y, str(point), fontsize=5.8, color=MUTED, va="center")
        if inner_xs:
            self.ax.plot(inner_xs[:-1], inner_ys[:-1], color=GRID, lw=0.6)
        xs, ys = self.xy([self.scale.max] * self.n_axes)
        self.ax.plot(xs, ys, color="#B8BFCA", lw=0.8)
        spoke_xs: list[float] = []
        spoke_ys: list[float] = []
        for angle in self.angles:
            x, y = self.at(math.cos(angle), math.sin(angle))
            spoke_xs += [self.cx, x, math.nan]
            spoke_ys += [self.cy, y, math.nan]
        self.ax.plot(spoke_xs[:-1], spoke_ys[:-1], color=GRID, lw=0.6)

    def axis_labels(self, labels: Sequence[str], fontsize: float, distance: float = 1.1) -> None:
        for label, angle in zip(labels, self.angles, strict=True):
            x, y = math.cos(angle), math.sin(angle)
            ha = "center" if abs(x) < 0.15 else "left" if x > 0 else "right"
            va = "center" if abs(y) < 0.15 else "bottom" if y > 0 else "top"
            self.ax.text(
                *self.at(distance * x, distance * y),
                label,
                ha=ha,
                va=va,
                fontsize=fontsize,
                color=INK,
                linespacing=1.15,
                multialignment="center",
            )

    def series(self, series: Sequence[Series], markersize: float = 3.0) -> list[object]:
        handles = []
        for item in series:
            if len(item.values) != self.n_axes:
                raise ValueError(f"series {item.label!r} needs {self.n_axes} values")
            xs, ys = self.xy([_nan(v) for v in item.values])
            (line,) = self.ax.plot(
                xs,
                ys,
                color=item.color,
                lw=item.linewidth,
                linestyle=item.linestyle,
                marker="o" if item.linestyle == "solid" else None,
                markersize=markersize,
                label=item.legend_label,
                zorder=3,
            )
            if item.fill:
                self.ax.fill(xs, ys, color=item.color, alpha=0.1, zorder=2, lw=0)
            handles.append(line)
        return handles


def _plain_axes(ax: object, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """Axes for radars: equal scales on both axes and no axis drawn."""
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)


def _row_major(handles: list[object], columns: int) -> list[object]:
    """Reorder legend entries so that matplotlib's column-wise filling reads row by row."""
    rows = math.ceil(len(handles) / columns)
    grid = [handles[r * columns : (r + 1) * columns] for r in range(rows)]
    return [grid[r][c] for c in range(columns) for r in range(rows) if c < len(grid[r])]


def _scale_key(scale: ScaleSpec) -> str:
    return "   ".join(f"{p} {label}" for p, label in zip(scale.points, scale.labels, strict=True))


@_memoised
def radar_chart(
    axis_labels: Sequence[str],
    series: Sequence[Series],
    scale: ScaleSpec,
    *,
    size: tuple[float, float] = (4.8, 4.1),
    label_width: int = 14,
    fonts: ReportFonts | None = None,
) -> str:
    """A radar of several shown groups (or rounds, or a target) on the same axes, as SVG.

    Rings mark the scale's points; the level names are spelled out under the legend, which
    gives each group's n.
    """
    n_axes = len(axis_labels)
    if n_axes < 3:
        raise ValueError("a radar needs at least three axes")
    labels = [item.legend_label for item in series]
    columns = _legend_columns(labels, 7.5, size[0] - 0.2, 4 if len(labels) <= 4 else 3, 2.4)
    legend_rows = math.ceil(len(labels) / max(1, columns))
    with _style(fonts):
        fig = mpl_figure.Figure(figsize=size)
        bottom_in = 0.3 + 0.2 * legend_rows
        plot_h = size[1] - bottom_in - 0.1
        ax = fig.add_axes(
            (0.5 - plot_h / size[0] / 2, bottom_in / size[1], plot_h / size[0], plot_h / size[1])
        )
        _plain_axes(ax, (-1.45, 1.45), (-1.12, 1.22))
        radar = _Radar(ax, n_axes, scale)
        radar.grid()
        radar.axis_labels([wrap_label(label, label_width) for label in axis_labels], 8.5)
        handles = radar.series(series)
        if handles:
            fig.legend(
                handles=_row_major(handles, columns),
                loc="lower center",
                bbox_to_anchor=(0.5, 0.22 / size[1]),
                ncol=columns,
                handlelength=2.4,
                columnspacing=1.4,
                fontsize=7.5,
            )
        fig.text(0.5, 0.05 / size[1], _scale_key(scale), ha="center", fontsize=6.3, color=MUTED)
        return _to_svg(fig)


#: Text sizes (pt) of the screen radar: drawn at :data:`SCREEN_RADAR_WIDTH` inches, the chart
#: keeps its axis labels near 11 px and its ring numbers near 10 px at a phone's ~330 px.
SCREEN_RADAR_WIDTH = 4.2
SCREEN_LABEL_SIZE = 10.0
SCREEN_TICK_SIZE = 9.0
#: Ring numbers on screen: dark enough to read at a glance (contrast above 7:1 on white).
TICK_INK = "#374151"


def screen_radar_chart(
    axis_labels: Sequence[str],
    series: Sequence[Series],
    scale: ScaleSpec,
    *,
    width: float = SCREEN_RADAR_WIDTH,
    label_width: int = 12,
    fonts: ReportFonts | None = None,
) -> str:
    """A radar for a web page, as SVG: no legend or scale key (the page writes them in HTML,
    where their text keeps its size when the chart is scaled down to a phone's width).

    The radar is as large as the figure allows once the widest side label fits beside it,
    so long labels shrink the radar, never their text.
    """
    n_axes = len(axis_labels)
    if n_axes < 3:
        raise ValueError("a radar needs at least three axes")
    labels = [wrap_label(label, label_width) for label in axis_labels]
    angles = [math.pi / 2 - 2 * math.pi * i / n_axes for i in range(n_axes)]
    line_in = SCREEN_LABEL_SIZE * 1.2 / 72

    def lines_at(pick: Callable[[float], bool]) -> int:
        found = [label.count("\n") + 1 for label, a in zip(labels, angles, strict=True) if pick(a)]
        return max(found, default=0)

    top_in = lines_at(lambda a: math.sin(a) >= 0.15) * line_in + 0.08
    bottom_in = lines_at(lambda a: math.sin(a) <= -0.15) * line_in + 0.08
    distance = 1.1
    beside = _radius_beside(labels, n_axes, SCREEN_LABEL_SIZE, width / 2 - 0.04, distance)
    radius_in = max(0.6, min(1.45, beside))
    height = 2 * distance * radius_in + top_in + bottom_in
    with _style(fonts):
        fig = mpl_figure.Figure(figsize=(width, height))
        # One axes in inches over the whole figure: the radar's unit is ``radius_in``.
        ax = fig.add_axes((0, 0, 1, 1))
        _plain_axes(ax, (0, width), (0, height))
        center = (width / 2, bottom_in + distance * radius_in)
        radar = _Radar(ax, n_axes, scale, center=center, size=radius_in)
        radar.grid(ring_numbers=False)
        for point in scale.points:
            x, y = radar.at(0.03, radar.radius(point))
            # Above the lines, on a light backing: the numbers stay readable where a
            # group's line crosses them.
            ax.text(
                x,
                y,
                str(point),
                fontsize=SCREEN_TICK_SIZE,
                color=TICK_INK,
                va="center",
                fontweight="bold",
                zorder=4,
                bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.7},
            )
        radar.axis_labels(labels, SCREEN_LABEL_SIZE, distance=distance)
        radar.series(series, markersize=4.0)
        return _to_svg(fig)


#: The most panels one small-multiples figure holds: a 2 x 2 grid as wide as a report page.
MULTIPLES_PER_FIGURE = 4
#: The report's text width (A4 less 18 mm margins each side), in inches: a small-multiples
#: figure is drawn this wide so that it prints at its own size, its text at the sizes below.
PAGE_WIDTH_IN = 174 / 25.4
#: The smallest text of a small-multiples figure as printed, in points.
MULTIPLES_LABEL_SIZE = 7.5


@_memoised
def radar_small_multiples(
    axis_labels: Sequence[str],
    panels: Sequence[Panel],
    scale: ScaleSpec,
    *,
    columns: int = 2,
    fonts: ReportFonts | None = None,
) -> str:
    """Up to :data:`MULTIPLES_PER_FIGURE` small radars, each group against the same
    reference, in a grid as wide as the report's text (so it prints at its own size), as SVG.
    """
    if not panels:
        raise ValueError("no panels to draw")
    if len(panels) > MULTIPLES_PER_FIGURE:
        raise ValueError(f"at most {MULTIPLES_PER_FIGURE} panels fit one figure")
    n_axes = len(axis_labels)
    rows = math.ceil(len(panels) / columns)
    width = PAGE_WIDTH_IN
    cell_w = width / columns
    label_size = MULTIPLES_LABEL_SIZE
    short = [wrap_label(label, 12, 3) for label in axis_labels]
    line_in = label_size * 1.2 / 72
    lines = [label.count("\n") + 1 for label in short]
    angles = [math.pi / 2 - 2 * math.pi * i / n_axes for i in range(n_axes)]
    top_in = max((n for n, a in zip(lines, angles, strict=True) if math.sin(a) >= 0.15), default=0)
    bottom_in = max(
        (n for n, a in zip(lines, angles, strict=True) if math.sin(a) <= -0.15), default=0
    )
    top_in, bottom_in = top_in * line_in + 0.05, bottom_in * line_in + 0.05
    title_in = 0.45
    radius = min(_radius_beside(short, n_axes, label_size, cell_w / 2 - 0.1, 1.08), 1.3)
    # Each cell as tall as its radar and labels need, with a gap before the next row.
    cell_h = title_in + top_in + 2.16 * radius + bottom_in + 0.3
    legend_in = 0.35
    height = cell_h * rows + legend_in
    with _style(fonts):
        fig = mpl_figure.Figure(figsize=(width, height))
        handles: list[object] = []
        # One axes in inches for every panel: axes are costly to build and draw, even bare.
        ax = fig.add_axes((0, 0, 1, 1))
        _plain_axes(ax, (0, width), (0, height))
        for index, panel in enumerate(panels):
            row, column = divmod(index, columns)
            cell_top = height - row * cell_h
            center = (
                (column + 0.5) * cell_w,
                cell_top - title_in - top_in - 1.08 * radius,
            )
            radar = _Radar(ax, n_axes, scale, center=center, size=radius)
            # Only the middle and outer rings: small panels stay legible and light to draw.
            radar.grid(ring_numbers=False, every_ring=False)
            radar.axis_labels(short, label_size, distance=1.08)
            handles = radar.series(panel.series, markersize=2.6)
            fig.text(
                (column + 0.5) * cell_w / width,
                (cell_top - 0.08) / height,
                wrap_label(panel.title, 36, 2),
                ha="center",
                va="top",
                fontsize=9,
                fontweight="bold",
                color=INK,
            )
        if handles:
            # The reference line is the same in every panel; the legend names it once.
            fig.legend(handles[-1:], [handles[-1].get_label()], loc="lower center", fontsize=8)
        return _to_svg(fig)


@_memoised
def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    scale: ScaleSpec,
    *,
    highlight: int | None = None,
    highlight_label: str | None = None,
    fonts: ReportFonts | None = None,
) -> str:
    """Horizontal grouped bars of dimension scores on the answer scale, as SVG.

    Used for the improvement-cycle stages and for one dimension by group; ``highlight`` marks
    one row (the bottleneck). A dashed series is drawn as target ticks rather than bars.
    """
    bars = [s for s in series if s.linestyle == "solid"]
    marks = [s for s in series if s.linestyle != "solid"]
    n_rows = len(labels)
    ticklabels = [wrap_label(label, 24, 2) for label in labels]
    if highlight is not None and highlight_label:
        ticklabels[highlight] = f"{ticklabels[highlight]}\n▲ {highlight_label}"
    row_h = 0.16 + 0.15 * len(bars)
    width = 6.4
    columns = _legend_columns([item.legend_label for item in series], 7.5, width - 0.2, 4, 1.6)
    legend_rows = math.ceil(len(series) / columns)
    height = 0.95 + 0.2 * legend_rows + n_rows * row_h
    left = _label_inches(ticklabels, 8.5) + 0.15
    with _style(fonts):
        fig = mpl_figure.Figure(figsize=(width, height))
        bottom = 0.75 + 0.2 * legend_rows
        ax = fig.add_axes(
            (left / width, bottom / height, 1 - (left + 0.1) / width, 1 - (bottom + 0.08) / height)
        )
        thickness = 0.8 / max(1, len(bars))
        if highlight is not None:
            ax.axhspan(highlight - 0.48, highlight + 0.48, color="#FFF1DC", zorder=0, lw=0)
        for index, item in enumerate(bars):
            offsets = [row - 0.4 + thickness * (index + 0.5) for row in range(n_rows)]
            values = [_nan(v) for v in item.values]
            widths = [0 if math.isnan(v) else v - scale.min for v in values]
            ax.barh(
                offsets,
                widths,
                left=scale.min,
                height=thickness * 0.86,
                color=item.color,
                label=item.legend_label,
                zorder=2,
            )
            for y, value in zip(offsets, values, strict=True):
                if not math.isnan(value):
                    ax.text(value + 0.04, y, f"{value:.2f}", va="center", fontsize=6.6, color=INK)
        for item in marks:
            for row, value in enumerate(item.values):
                if value is not None:
                    ax.plot(
                        [value, value],
                        [row - 0.46, row + 0.46],
                        color=item.color,
                        linestyle="--",
                        lw=1.2,
                        zorder=3,
                        label=item.legend_label if row == 0 else None,
                    )
        ax.set_ylim(n_rows - 0.5, -0.5)
        _row_labels(ax, range(n_rows), ticklabels, fontsize=8.5, colors=[INK] * n_rows)
        _scale_x_axis(ax, scale)
        handles, legend_labels = ax.get_legend_handles_labels()
        fig.legend(
            handles,
            legend_labels,
            loc="lower center",
            ncol=columns,
            fontsize=7.5,
            bbox_to_anchor=(0.5, 0.0),
            handlelength=1.6,
        )
        return _to_svg(fig)


def _row_labels(
    ax: object,
    positions: Sequence[float],
    labels: Sequence[str],
    *,
    fontsize: float,
    colors: Sequence[str],
    pad: float = 3.5,
) -> None:
    """Row labels left of the axes, placed as y tick labels are, without the ticks.

    Each tick is five artists that matplotlib builds, lays out and draws even when only its
    label shows: with a label per row, ticks were much of a chart's drawing time.
    """
    ax.set_yticks([])
    place = mpl_transforms.offset_copy(
        ax.get_yaxis_transform(), fig=ax.figure, x=-pad, units="points"
    )
    for y, label, color in zip(positions, labels, colors, strict=True):
        ax.text(
            0,
            y,
            label,
            transform=place,
            ha="right",
            va="center_baseline",
            fontsize=fontsize,
            color=color,
        )


def _scale_x_axis(ax: object, scale: ScaleSpec) -> None:
    ax.set_xlim(scale.min, scale.max + 0.4)
    ax.set_xticks(scale.points)
    ax.set_xticklabels(
        [
            f"{p}\n{wrap_label(label, 12, 2)}"
            for p, label in zip(scale.points, scale.labels, strict=True)
        ],
        fontsize=6.3,
    )
    ax.grid(axis="x", color=GRID, lw=0.7, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", length=0, pad=3)


@_memoised
def gap_chart(
    bars: Sequence[GapBar],
    *,
    left_caption: str,
    right_caption: str,
    fonts: ReportFonts | None = None,
) -> str:
    """A diverging bar chart of the largest perception gaps, as SVG.

    Bars to the right mean the first group of the pair rates the dimension higher. Gaps below
    the notable size are drawn pale; significant ones carry an asterisk.
    """
    if not bars:
        raise ValueError("no gaps to draw")
    limit = max(1.0, max(abs(bar.difference) for bar in bars) * 1.3)
    labels = [wrap_label(bar.label, 30, 2) for bar in bars]
    width = 6.4
    height = 0.75 + 0.36 * len(bars)
    left = _label_inches(labels, 8) + 0.15
    with _style(fonts):
        fig = mpl_figure.Figure(figsize=(width, height))
        ax = fig.add_axes(
            (left / width, 0.5 / height, 1 - (left + 0.15) / width, 1 - 0.62 / height)
        )
        for row, bar in enumerate(bars):
            color = OKABE_ITO[0] if bar.difference >= 0 else OKABE_ITO[1]
            alpha = 1.0 if bar.notable else 0.4
            ax.barh(row, bar.difference, height=0.62, color=color, alpha=alpha, zorder=2)
            mark = "*" if bar.significant else ""
            offset = 0.03 * limit if bar.difference >= 0 else -0.03 * limit
            ax.text(
                bar.difference + offset,
                row,
                f"{bar.difference:+.2f}{mark}",
                va="center",
                ha="left" if bar.difference >= 0 else "right",
                fontsize=7,
                color=INK,
            )
        ax.axvline(0, color=INK, lw=0.8)
        ax.set_xlim(-limit, limit)
        ax.set_ylim(len(bars) - 0.5, -0.5)
        _row_labels(ax, range(len(bars)), labels, fontsize=8, colors=[INK] * len(bars))
        ax.grid(axis="x", color=GRID, lw=0.7, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.tick_params(axis="x", labelsize=6.5, length=0)
        ax.set_xlabel(f"← {left_caption}        {right_caption} →", fontsize=7.2, color=MUTED)
        return _to_svg(fig)


@_memoised
def heatmap(
    rows: Sequence[HeatmapRow],
    column_labels: Sequence[str],
    *,
    suppressed_label: str,
    no_data_label: str = "–",
    limit: float = 1.0,
    fonts: ReportFonts | None = None,
) -> str:
    """Groups x dimensions, coloured by difference from the organisation, as SVG.

    Suppressed rows are greyed and say so in every cell, and so are the withheld cells of a
    shown row; they never carry a number. A cell without data shows ``no_data_label``.
    """
    if not rows:
        raise ValueError("no rows to draw")
    n_cols = len(column_labels)
    cmap = matplotlib.colormaps["RdBu"]
    norm = matplotlib.colors.Normalize(vmin=-limit, vmax=limit)
    # English names (Operations Administration Department) break only between words: a
    # wider line keeps them to two lines where a Japanese name wraps between phrases.
    row_labels = [wrap_label(row.label, 20 if is_japanese(row.label) else 26, 2) for row in rows]
    left = _label_inches(row_labels, 7.5) + 0.12
    cell_w, cell_h = 0.98, 0.34
    width = left + cell_w * n_cols + 0.7
    height = 0.5 + cell_h * len(rows) + 0.08
    with _style(fonts):
        fig = mpl_figure.Figure(figsize=(width, height))
        ax = fig.add_axes(
            (left / width, 0.08 / height, cell_w * n_cols / width, cell_h * len(rows) / height)
        )
        cells: list[list[tuple[float, float]]] = []
        faces: list[object] = []
        for r, row in enumerate(rows):
            if not row.suppressed and len(row.values) != n_cols:
                raise ValueError(f"row {row.label!r} needs {n_cols} values")
            for c in range(n_cols):
                value = None if row.suppressed else row.values[c]
                if row.suppressed or c in row.withheld:
                    face, text, color = SUPPRESSED_FILL, suppressed_label, MUTED
                elif value is None:
                    face, text, color = "#F5F6F8", no_data_label, MUTED
                else:
                    face = cmap(norm(max(-limit, min(limit, value))))
                    text = f"{value:+.2f}"
                    color = "white" if abs(value) > 0.6 * limit else INK
                cells.append([(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)])
                faces.append(face)
                ax.text(c + 0.5, r + 0.5, text, ha="center", va="center", fontsize=7, color=color)
        # One collection of cells: a patch per cell costs matplotlib far more to build and draw.
        ax.add_collection(
            mpl_collections.PolyCollection(
                cells, facecolors=faces, edgecolors="white", linewidths=1.5, joinstyle="miter"
            )
        )
        ax.set_xlim(0, n_cols)
        ax.set_ylim(len(rows), 0)
        ax.set_xticks([c + 0.5 for c in range(n_cols)])
        ax.set_xticklabels([wrap_label(label, 11, 2) for label in column_labels], fontsize=7)
        ax.xaxis.tick_top()
        _row_labels(
            ax,
            [r + 0.5 for r in range(len(rows))],
            row_labels,
            fontsize=7.5,
            colors=[MUTED if row.suppressed else INK for row in rows],
            pad=3,
        )
        ax.tick_params(length=0, pad=3)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar_ax = fig.add_axes(
            (
                (left + cell_w * n_cols + 0.15) / width,
                0.08 / height,
                0.1 / width,
                cell_h * len(rows) / height,
            )
        )
        colorbar = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), cax=bar_ax)
        colorbar.ax.tick_params(labelsize=6, length=2)
        colorbar.outline.set_visible(False)
        return _to_svg(fig)


@_memoised
def distribution_chart(
    rows: Sequence[DistributionRow],
    scale: ScaleSpec,
    *,
    label_width: int = 34,
    show_values: bool = True,
    fonts: ReportFonts | None = None,
) -> str:
    """Per-item stacked bars of how answers spread over the scale points, as SVG.

    ``show_values=False`` leaves out the percentages and counts, for a page whose table
    next to the chart already gives them (and to keep the PDF's text layout light).
    """
    if not rows:
        raise ValueError("no items to draw")
    n_points = len(scale.points)
    colors = POINT_COLORS_5 if n_points == 5 else _sampled_colors(n_points)
    labels = [wrap_label(row.label, label_width, 2) for row in rows]
    width = 6.6
    row_height = 0.36 if show_values else 0.24
    height = 0.55 + row_height * len(rows)
    left = _label_inches(labels, 7) + 0.12
    with _style(fonts):
        fig = mpl_figure.Figure(figsize=(width, height))
        ax = fig.add_axes(
            (left / width, 0.08 / height, 1 - (left + 0.45) / width, 1 - 0.5 / height)
        )
        # One shape per answer point holding that point's segment of every row: a bar patch
        # per segment costs matplotlib several times as much to build and draw, and
        # WeasyPrint visits every SVG node.
        segments: list[list[tuple[float, float]]] = [[] for _ in range(n_points)]
        for r, row in enumerate(rows):
            if len(row.proportions) != n_points:
                raise ValueError(f"item {row.label!r} needs {n_points} shares")
            lefts = [sum(row.proportions[:i]) for i in range(n_points)]
            for index, share in enumerate(row.proportions):
                if share > 0:
                    x0, x1, y0, y1 = lefts[index], lefts[index] + share, r - 0.33, r + 0.33
                    segments[index] += [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
            for index, share in enumerate(row.proportions):
                if show_values and share >= 0.08:
                    dark = index in (0, n_points - 1)
                    ax.text(
                        lefts[index] + share / 2,
                        r,
                        f"{share * 100:.0f}",
                        ha="center",
                        va="center",
                        fontsize=6.2,
                        color="white" if dark else INK,
                    )
            if show_values:
                ax.text(1.015, r, f"n={row.n}", va="center", fontsize=6.2, color=MUTED)
        for color, vertices in zip(colors, segments, strict=True):
            if vertices:
                codes = [mpl_path.Path.MOVETO, *[mpl_path.Path.LINETO] * 3, mpl_path.Path.CLOSEPOLY]
                shape = mpl_path.Path(vertices, codes * (len(vertices) // 5))
                ax.add_patch(mpl_patches.PathPatch(shape, facecolor=color, lw=0))
        ax.set_xlim(0, 1)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        _row_labels(ax, range(len(rows)), labels, fontsize=7, colors=[INK] * len(rows))
        ax.set_xticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.tick_params(length=0)
        handles = [mpl_patches.Rectangle((0, 0), 1, 1, color=c) for c in colors]
        labels_key = [f"{p} {label}" for p, label in zip(scale.points, scale.labels, strict=True)]
        ax.legend(
            handles,
            labels_key,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=n_points,
            fontsize=6.3,
            handlelength=1.0,
            handletextpad=0.4,
            columnspacing=0.9,
        )
        return _to_svg(fig)


def _sampled_colors(n: int) -> tuple[str, ...]:
    cmap = matplotlib.colormaps["RdBu"]
    return tuple(matplotlib.colors.to_hex(cmap(0.08 + 0.84 * i / (n - 1))) for i in range(n))


@dataclass(frozen=True)
class ScatterPoint:
    """One labelled point of a scatter chart."""

    label: str
    x: float
    y: float


@_memoised
def scatter_chart(
    points: Sequence[ScatterPoint],
    *,
    x_label: str,
    y_label: str,
    zero_lines: bool = False,
    fonts: ReportFonts | None = None,
) -> str:
    """Labelled points (departments by maturity and a customer outcome), as SVG.

    ``zero_lines`` draws the axes through zero, for changes (more mature and better outcome
    to the upper right). No fitted line: the views say whether a relation can be claimed.
    """
    if not points:
        raise ValueError("no points to draw")
    xs = [point.x for point in points]
    ys = [point.y for point in points]

    def padded(values: list[float], floor: float) -> tuple[float, float]:
        low, high = min(values), max(values)
        if zero_lines:
            low, high = min(low, 0.0), max(high, 0.0)
        margin = max((high - low) * 0.12, floor)
        return low - margin, high + margin

    width, height = 6.0, 3.0
    with _style(fonts):
        fig = mpl_figure.Figure(figsize=(width, height))
        ax = fig.add_axes((0.11, 0.16, 0.86, 0.8))
        x_limits = padded(xs, 0.05)
        y_limits = padded(ys, max(abs(y) for y in ys) * 0.05 or 0.05)
        if zero_lines:
            ax.axvline(0, color=MUTED, lw=0.8, zorder=1)
            ax.axhline(0, color=MUTED, lw=0.8, zorder=1)
        ax.scatter(xs, ys, s=28, color=OKABE_ITO[0], zorder=3)
        span = x_limits[1] - x_limits[0]
        for point, label_y in zip(points, _label_rows(points, x_limits, y_limits), strict=True):
            if label_y != point.y:
                ax.plot(
                    [point.x, point.x + span * 0.012],
                    [point.y, label_y],
                    color=MUTED,
                    lw=0.5,
                    zorder=2,
                )
            ax.text(
                point.x + span * 0.015,
                label_y,
                wrap_label(point.label, 18, 2),
                fontsize=7,
                color=INK,
                va="center",
                ha="left",
                zorder=4,
            )
        # Labels of the rightmost points need room inside the axes.
        ax.set_xlim(x_limits[0], x_limits[1] + span * 0.25)
        ax.set_ylim(*y_limits)
        ax.grid(color=GRID, lw=0.6, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(labelsize=7, length=0)
        ax.set_xlabel(x_label, fontsize=8, color=INK)
        ax.set_ylabel(y_label, fontsize=8, color=INK)
        return _to_svg(fig)


def _label_rows(
    points: Sequence[ScatterPoint],
    x_limits: tuple[float, float],
    y_limits: tuple[float, float],
) -> list[float]:
    """Where each point's label sits vertically: beside its point, or moved down just far
    enough not to cover a label already placed near it (points taken from the top)."""
    # Room for a label of two lines.
    row = (y_limits[1] - y_limits[0]) * 0.11
    reach = (x_limits[1] - x_limits[0]) * 0.2
    placed: list[tuple[float, float]] = []
    found: dict[int, float] = {}
    for index in sorted(range(len(points)), key=lambda i: (-points[i].y, points[i].x)):
        point = points[index]
        y = point.y
        while any(abs(x - point.x) < reach and abs(other - y) < row for x, other in placed):
            y -= row
        placed.append((point.x, y))
        found[index] = y
    return [found[index] for index in range(len(points))]
