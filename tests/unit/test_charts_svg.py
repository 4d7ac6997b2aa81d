"""The SVG handed to WeasyPrint: matplotlib's drawing in fewer, simpler nodes."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from matplotlib.figure import Figure

from app.presentation import charts
from app.presentation.charts import ScaleSpec, Series

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
SCALE = ScaleSpec(1, 5, ("未着手", "部分的・属人的", "仕組み化の途上", "組織的に定着", "先進的"))
AXES = ("組織行動の力", "デザインの力", "オペレーションの力", "デジタルの力", "脱学習の力")


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - charts this app drew


def _drawn(root: ET.Element) -> list[ET.Element]:
    """Shapes and text in drawing order, leaving out definitions, clip paths and metadata."""
    found: list[ET.Element] = []

    def walk(element: ET.Element) -> None:
        for child in element:
            tag = child.tag.removeprefix(SVG)
            if tag in ("defs", "clipPath", "metadata", "style"):
                continue
            if tag in ("path", "use", "text"):
                found.append(child)
            walk(child)

    walk(root)
    return found


def _paint(element: ET.Element) -> tuple[str | None, str | None]:
    """The fill and stroke an element sets itself, from its attributes or its style."""
    declared = dict(element.attrib)
    for declaration in element.get("style", "").split(";"):
        name, _, value = declaration.partition(":")
        if name.strip():
            declared[name.strip()] = value.strip()
    return declared.get("fill"), declared.get("stroke")


def _matplotlib_svg() -> str:
    """A figure with markers (defs and use), clipped lines, patches and text, as matplotlib
    writes it with the report settings."""
    with charts._style(None):
        fig = Figure(figsize=(3, 2))
        ax = fig.add_subplot()
        ax.plot([0, 1, 2], [1, 3, 2], marker="o", color="#0072B2", label="組織全体")
        ax.bar([0, 1], [2, 1], color="#D55E00")
        ax.text(0.5, 2.5, "ラベル", rotation=0)
        ax.legend()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        return buffer.getvalue()


def test_lightened_svg_draws_the_same_shapes_text_and_colours() -> None:
    raw = _matplotlib_svg()
    light = charts.lighten_svg(raw)
    before, after = _drawn(_parse(raw)), _drawn(_parse(light))
    assert [e.tag for e in after] == [e.tag for e in before]
    assert ["".join(e.itertext()) for e in after] == ["".join(e.itertext()) for e in before]
    assert [_paint(e) for e in after] == [_paint(e) for e in before]
    assert [" ".join(e.get("d", "").split()) for e in after] == [
        " ".join(e.get("d", "").split()) for e in before
    ]
    assert "ラベル" in light
    assert "組織全体" in light


def test_lightened_svg_has_no_css_no_bare_groups_and_no_clipping() -> None:
    raw = _matplotlib_svg()
    root = _parse(charts.lighten_svg(raw))
    assert sum(1 for _ in root.iter()) < sum(1 for _ in _parse(raw).iter()) * 0.7
    assert root.get("stroke-linejoin") == "round"
    assert root.get("stroke-linecap") == "butt"
    for element in root.iter():
        tag = element.tag.removeprefix(SVG)
        assert tag not in ("metadata", "style", "clipPath"), tag
        assert "style" not in element.attrib
        assert "clip-path" not in element.attrib
        if tag == "g":
            assert element.attrib, "a group with nothing to apply should be unwrapped"


def test_markers_keep_the_definitions_they_use() -> None:
    root = _parse(charts.radar_chart(AXES, [Series("組織全体", (3, 3, 4, 2, 3), "#1B2A49")], SCALE))
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    uses = [element.get(XLINK_HREF) for element in root.iter(f"{SVG}use")]
    assert uses, "the series' markers are drawn with <use>"
    assert {href.removeprefix("#") for href in uses} == ids


def test_groups_that_carry_something_stay_and_text_keeps_its_tspans() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        '<g id="figure_1"><g id="a" transform="translate(1 2)" style="opacity: 0.5">'
        '<path id="p" d="M 0 0\nL 1 1\n" style="fill: #ff0000; stroke: none"/>'
        '<text transform="rotate(-0 3 4)" style="font-size: 7px">a<tspan>b</tspan> c</text>'
        '<text transform="translate(3 4) rotate(-90)">d</text>'
        "</g></g></svg>"
    )
    root = _parse(charts.lighten_svg(svg))
    (group,) = list(root)
    assert group.tag == f"{SVG}g"
    assert group.attrib == {"transform": "translate(1 2)", "opacity": "0.5"}
    path, text, turned = list(group)
    assert path.attrib == {"d": "M 0 0 L 1 1", "fill": "#ff0000", "stroke": "none"}
    assert text.attrib == {"font-size": "7px"}
    assert "".join(text.itertext()) == "ab c"
    assert turned.get("transform") == "translate(3 4) rotate(-90)"
