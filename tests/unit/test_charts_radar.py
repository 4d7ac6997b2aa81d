"""Radar charts: Japanese labels in the real font, fixed role colours, the scale's levels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.presentation import charts
from app.presentation.charts import Panel, ScaleSpec, Series

SCALE = ScaleSpec(1, 5, ("未着手", "部分的・属人的", "仕組み化の途上", "組織的に定着", "先進的"))
AXES = ("組織行動の力", "デザインの力", "オペレーションの力", "デジタルの力", "脱学習の力")


def _texts(svg: str) -> list[str]:
    # Our own chart output, not untrusted input.
    root = ET.fromstring(svg)  # noqa: S314
    return ["".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")]


def _roles() -> list[Series]:
    return [
        Series("組織全体", (3.1, 2.8, 3.3, 2.9, 2.6), charts.ORGANIZATION_COLOR, n=150, fill=True),
        Series("経営層", (3.9, 3.1, 3.5, 3.2, 3.0), charts.role_color("executive"), n=16),
        Series("現場", (2.6, 2.7, 3.2, 2.8, None), charts.role_color("frontline"), n=95),
        Series("目標", (4, 3.5, 4, 3.5, 3.5), charts.TARGET_COLOR, linestyle="dashed"),
    ]


def test_radar_is_svg_with_japanese_labels_levels_and_n() -> None:
    svg = charts.radar_chart(AXES, _roles(), SCALE)
    texts = _texts(svg)
    for axis in ("組織行動の力", "脱学習の力"):
        assert axis in texts
    assert "経営層 (n=16)" in texts
    assert "現場 (n=95)" in texts
    assert any("3 仕組み化の途上" in text for text in texts)
    assert "Noto Sans CJK JP" in svg  # the located font, not a fallback family
    assert charts.role_color("executive").lower() in svg.lower()


def test_only_the_series_given_are_drawn() -> None:
    svg = charts.radar_chart(AXES, _roles()[:2], SCALE)
    texts = _texts(svg)
    assert "経営層 (n=16)" in texts
    assert not any("現場" in text for text in texts)


def test_role_colours_are_fixed_and_colour_blind_safe() -> None:
    assert charts.role_color("executive") == "#D55E00"
    assert charts.role_color("middle_manager") == "#0072B2"
    assert charts.role_color("frontline") == "#009E73"
    assert charts.role_color("frontline", rank=7) == charts.role_color("frontline", rank=0)
    custom = {charts.role_color(f"custom{rank}", rank) for rank in range(4)}
    assert not custom & set(charts.ROLE_COLORS.values())
    assert custom <= set(charts.OKABE_ITO)


def _panels(count: int) -> list[Panel]:
    reference = Series("組織全体", (3, 3, 3, 3, 3), charts.PREVIOUS_COLOR, linestyle="dashed")
    return [
        Panel(
            f"部署{i} (n={10 + i})",
            (Series("部署", (2, 3, 4, 3, 2), charts.OKABE_ITO[1]), reference),
        )
        for i in range(count)
    ]


def _font_sizes(svg: str) -> list[float]:
    root = ET.fromstring(svg)  # noqa: S314
    return [
        float(node.get("font-size", "0").removesuffix("px"))
        for node in root.iter("{http://www.w3.org/2000/svg}text")
    ]


def test_small_multiples_draw_one_panel_per_group() -> None:
    texts = _texts(charts.radar_small_multiples(AXES, _panels(4), SCALE))
    assert [t for t in texts if t.startswith("部署")] == [f"部署{i} (n={10 + i})" for i in range(4)]
    assert texts.count("組織全体") == 1  # the shared reference is named once


def test_small_multiples_hold_at_most_four_panels_printed_at_seven_points() -> None:
    with pytest.raises(ValueError, match="at most 4"):
        charts.radar_small_multiples(AXES, _panels(5), SCALE)
    svg = charts.radar_small_multiples(AXES, _panels(3), SCALE)
    root = ET.fromstring(svg)  # noqa: S314
    # Drawn as wide as the report's text (174 mm), so it prints at its own size.
    assert float(root.get("width", "0").removesuffix("pt")) == pytest.approx(174 / 25.4 * 72)
    # matplotlib writes font sizes in px of its 72-per-inch canvas: points as printed.
    assert min(_font_sizes(svg)) >= 7


def test_screen_radar_leaves_the_legend_to_the_page_and_keeps_its_text_large() -> None:
    svg = charts.screen_radar_chart(AXES, _roles(), SCALE)
    texts = _texts(svg)
    assert "組織行動の力" in texts
    assert not any("n=" in text for text in texts)  # no legend in the SVG
    assert not any("仕組み化" in text for text in texts)  # nor the scale key
    assert {"1", "5"} <= set(texts)  # ring numbers
    root = ET.fromstring(svg)  # noqa: S314
    width_pt = float(root.get("width", "0").removesuffix("pt"))
    # At a phone's 320 px the smallest text still renders at 9 px or more.
    scale = 320 / (width_pt * 96 / 72)
    assert min(_font_sizes(svg)) * 96 / 72 * scale >= 9
    assert charts.TARGET_COLOR.lower() in svg.lower()


def test_legend_keys_follow_the_series_lines() -> None:
    keys = charts.legend_keys(_roles())
    assert keys[1] == charts.LegendKey("経営層 (n=16)", charts.role_color("executive"))
    assert keys[-1].dashed
    assert not keys[-1].marker


def test_radar_needs_three_axes_and_a_value_per_axis() -> None:
    with pytest.raises(ValueError, match="three axes"):
        charts.radar_chart(AXES[:2], [], SCALE)
    with pytest.raises(ValueError, match="needs 5 values"):
        charts.radar_chart(AXES, [Series("x", (1, 2), "#000000")], SCALE)


def test_svg_is_deterministic() -> None:
    assert charts.radar_chart(AXES, _roles(), SCALE) == charts.radar_chart(AXES, _roles(), SCALE)


@pytest.mark.parametrize(
    ("labels", "columns"),
    [
        (("Whole organisation", "Executive", "Middle management", "Front line"), None),
        (("全体", "経営層", "ミドルマネジメント", "現場"), None),
        (("全体", "経営", "中間", "現場"), 4),
    ],
)
def test_radar_legend_fits_inside_the_figure(monkeypatch, labels, columns) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    legends = []
    to_svg = charts._to_svg

    def measured(fig):
        renderer = FigureCanvasAgg(fig).get_renderer()
        for legend in fig.legends:
            legends.append((legend.get_window_extent(renderer), fig.bbox, legend._ncols))
        return to_svg(fig)

    monkeypatch.setattr(charts, "_to_svg", measured)
    keys = ("executive", "middle_manager", "frontline")
    colours = [charts.ORGANIZATION_COLOR, *(charts.role_color(k) for k in keys)]
    series = [
        Series(label, (3.1, 2.8, 3.3, 2.9, 2.6), colour, n=n)
        for label, colour, n in zip(labels, colours, (500, 50, 150, 300), strict=True)
    ]
    # As wide as a report page's chart: four short labels fit on one row.
    charts.radar_chart(AXES, series, SCALE, size=(5.8, 4.9))
    ((extent, figure, ncols),) = legends
    assert extent.x0 >= figure.x0
    assert extent.x1 <= figure.x1
    if columns is not None:
        assert ncols == columns  # short labels stay on one row
