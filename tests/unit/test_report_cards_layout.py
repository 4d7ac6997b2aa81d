"""Summary cards as WeasyPrint lays them out with the report stylesheet and the Japanese font:
their text stays inside them, and more than four cards wrap onto another row."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.presentation.fonts import locate_fonts
from app.reporting.rendering import ReportURLFetcher, _engine, _with_head_link

REPORTS = Path(__file__).resolve().parents[2] / "reports"

CARD = (
    '<div class="card"><div class="label">{label}</div>'
    '<div class="value">2.77 <small>/ 5</small></div>'
    '<div class="note"><span class="level">レベル3 · 仕組み化の途上</span>&#160;· n=151</div></div>'
)


def _layout(count: int):
    from weasyprint.formatting_structure import boxes

    engine = _engine(locate_fonts())
    cards = "".join(CARD.format(label=f"最も低い領域{i}") for i in range(count))
    html = (
        '<html lang="ja"><head><link rel="stylesheet" href="../shared/report.css"></head>'
        f'<body><div class="cards">{cards}</div></body></html>'
    )
    root = REPORTS
    document = engine._html_class(
        string=_with_head_link(html, engine.font_link),
        base_url=(root / "organization" / "template.html").as_uri(),
        url_fetcher=ReportURLFetcher([root], engine.fetcher_files),
    ).render(font_config=engine.font_config)
    page = document.pages[0]._page_box
    found = []
    for box in page.descendants():
        classes = (box.element.get("class") or "").split() if box.element is not None else []
        if isinstance(box, boxes.BlockBox) and box.element_tag == "div" and "card" in classes:
            texts = [d for d in box.descendants() if isinstance(d, boxes.TextBox)]
            found.append((box, texts))
    return page, found


@pytest.mark.parametrize(("count", "rows"), [(4, 1), (6, 2)])
def test_card_text_stays_inside_its_card(count: int, rows: int) -> None:
    page, cards = _layout(count)
    assert len(cards) == count
    content_right = page.content_box_x() + page.width
    for card, texts in cards:
        left = card.border_box_x()
        right = left + card.border_width()
        assert right <= content_right + 0.5
        assert texts
        for text in texts:
            assert text.position_x >= left - 0.5
            assert text.position_x + text.width <= right + 0.5, text.text
    assert len({round(card.position_y) for card, _ in cards}) == rows
