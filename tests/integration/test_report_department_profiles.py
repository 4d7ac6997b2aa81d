"""The department profiles of the demo bank's report: four radars a page, text of 7 pt or more.

The demo campaign has eight shown departments. The PDF is read with poppler's pdftotext:
every word comes with its box, and a word of full-width (Japanese) characters is exactly as
wide as its number of characters times its font size.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from app.models import Campaign
from app.platform.extensions import db
from app.reporting import service
from tests.demo_copy import seeded_demo

PROFILES = "部署別プロファイル"
TITLE = re.compile(r"\(n=\d+\)$")


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    y_min: float
    x_max: float


def _pages(pdf: bytes) -> list[list[Word]]:
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout
    # poppler's own XHTML output, not untrusted input.
    root = ET.fromstring(xhtml)  # noqa: S314
    namespace = "{http://www.w3.org/1999/xhtml}"
    return [
        [
            Word(
                word.text or "",
                float(word.get("xMin", "0")),
                float(word.get("yMin", "0")),
                float(word.get("xMax", "0")),
            )
            for word in page.iter(f"{namespace}word")
        ]
        for page in root.iter(f"{namespace}page")
    ]


def _wide(text: str) -> bool:
    return bool(text) and all(unicodedata.east_asian_width(c) in "WF" for c in text)


def test_department_profiles_come_four_a_page_with_text_of_seven_points(app: Flask) -> None:
    seeded = seeded_demo()
    campaign = db.session.scalar(
        select(Campaign).where(
            Campaign.organization_id == seeded.organization.id,
            Campaign.previous_campaign_id.is_not(None),
        )
    )
    pdf = service.render_pdf(campaign, locale="ja")

    found = []
    for words in _pages(pdf):
        captions = [w for w in words if w.text.startswith(PROFILES + "（")]
        if not captions:
            continue
        caption = captions[0]
        titles = [w for w in words if TITLE.search(w.text) and w.y_min < caption.y_min]
        assert 1 <= len(titles) <= 4
        top = min(w.y_min for w in titles)
        chart = [w for w in words if top <= w.y_min < caption.y_min]
        sizes = [(w.x_max - w.x_min) / len(w.text) for w in chart if _wide(w.text)]
        assert len(sizes) > 20, "the charts' labels are set as text"
        # Every label, title and legend entry of the charts, as printed.
        assert min(sizes) >= 7 - 0.05, min(sizes)
        found.append((caption.text, len(titles)))
    # Eight departments: two figures of four, numbered, each on a page of its own.
    assert [count for _caption, count in found] == [4, 4]
    assert found[0][0].startswith(f"{PROFILES}（1/2）")
    assert found[1][0].startswith(f"{PROFILES}（2/2）")

    html = service.render_html(campaign, locale="en").html
    assert html.count('<figure class="multiples">') == 2
    assert "Department profiles (1/2)" in html
    assert "Department profiles (2/2)" in html
