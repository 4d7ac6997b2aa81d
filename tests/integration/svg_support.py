"""The SVG charts a rendered page carries, decoded, and the text they show.

Charts reach pages as ``<img src="data:image/svg+xml;base64,...">`` (dashboard, reports) or,
possibly, as inline ``<svg>`` elements; a test searching a page for a figure must search
them too, since their text is invisible to a search of the HTML itself.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from html import unescape

DATA_URI = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")
INLINE_SVG = re.compile(r"<svg\b.*?</svg>", re.S | re.I)
TEXT_ELEMENTS = {"text", "tspan", "title", "desc"}


def embedded_svgs(html: str) -> list[str]:
    """Every SVG document of ``html``: decoded ``data:`` URIs first, then inline ``<svg>``.

    The swatches of a chart's HTML legend (``class="legend-key"``: a line and a marker in a
    series' colour, hidden from screen readers) draw no figure and are left out."""
    decoded = [base64.b64decode(data).decode("utf-8") for data in DATA_URI.findall(html)]
    inline = [
        svg for svg in INLINE_SVG.findall(html) if not svg.startswith('<svg class="legend-key"')
    ]
    return decoded + inline


def svg_text(svg: str) -> str:
    """The text an SVG shows or describes (``<text>``, ``<title>``, ``<desc>``), one line per
    text node; drawing coordinates are left out, so a search for a figure cannot match one."""
    try:
        root = ET.fromstring(svg)  # noqa: S314 - charts this app drew
    except ET.ParseError:
        # Inline SVG in HTML need not be well-formed XML: fall back to stripping the tags.
        return unescape(re.sub(r"<[^>]+>", "\n", svg))
    parts = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] in TEXT_ELEMENTS:
            parts.extend(part.strip() for part in element.itertext() if part.strip())
    return "\n".join(parts)


def figure_pattern(figure: str) -> re.Pattern[str]:
    """``figure`` (e.g. ``1.50``) as a whole number, not as a part of ``21.503``."""
    return re.compile(r"(?<![\d.])" + re.escape(figure) + r"(?![\d])")
