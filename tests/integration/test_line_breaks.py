"""Japanese text breaks between phrases, never inside a word: オペレーションの / 力, not
オペレ / ーショ / ンの力. Checked on the demo's reports as rendered (the PDF's own lines),
and on every chart label drawn for them (the respondent form: ``test_survey_form.py``); and
checked to fail for WeasyPrint on its own, which breaks wherever a line is full."""

from __future__ import annotations

import html as html_module
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import weasyprint
from flask import Flask
from sqlalchemy import select

from app.models import Campaign, Department
from app.platform.extensions import db as _db
from app.presentation import charts
from app.presentation.phrases import is_japanese, phrases
from app.reporting import service
from app.reporting.linebreaks import phrase_ranges
from app.reporting.rendering import RenderedReport, html_to_pdf, reports_dir
from tests.demo_copy import seeded_demo
from tests.integration.test_api_v1 import module_app

CURRENT = "2026年度 CX 5つの力 成熟度診断"
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


@pytest.fixture(scope="module")
def demo(database_url) -> Iterator[Flask]:
    with module_app(database_url) as app:
        seeded_demo()
        yield app


def _cuts(text: str) -> set[int]:
    """Where ``text`` may break: after each of its phrases."""
    found, position = set(), 0
    for piece in phrases(text):
        position += len(piece)
        found.add(position)
    return found


def _lines(pdf: Path) -> Iterator[tuple[int, float, float, float, float, str]]:
    """Every run of text on a line of the PDF: (page, x0, y0, x1, y1, text)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    for number, page in enumerate(out.split("<page ")[1:], start=1):
        words = sorted(
            (float(a), float(b), float(c), float(d), html_module.unescape(t))
            for a, b, c, d, t in WORD.findall(page)
        )
        runs: list[list] = []
        for x0, y0, x1, y1, text in sorted(words, key=lambda w: (round(w[1], 1), w[0])):
            last = runs[-1] if runs else None
            if last and abs(last[2] - y0) < 0.6 and 0 <= x0 - last[3] < 4:
                last[3], last[4], last[5] = x1, max(last[4], y1), last[5] + text
            else:
                runs.append([number, x0, y0, x1, y1, text])
        yield from (tuple(run) for run in runs)


def _wraps(pdf: Path, source_text: str) -> Iterator[tuple[str, str]]:
    """Pairs of lines where one text goes on below the other: aligned, one line apart, and
    one run of the document's text (so two separate labels, cells or chart texts never
    pair up)."""
    lines = list(_lines(pdf))
    for page, x0, y0, x1, y1, text in lines:
        height = y1 - y0
        for other in lines:
            if other[0] != page or not 0.5 * height < other[2] - y0 < 1.7 * height:
                continue
            aligned = min(abs(other[1] - x0), abs(other[3] - x1))
            if aligned < 1.5 and text + other[5] in source_text:
                yield text, other[5]


def _document_text(html: str) -> str:
    """The HTML's text with its tags gone, elements kept apart."""
    text = re.sub(r"<(style|script|title)\b.*?</\1>", "\n", html, flags=re.S)
    # Inline spans do not separate text; other elements do.
    text = re.sub(r"<span[^>]*>|</span>", "", text)
    return html_module.unescape(re.sub(r"<[^>]+>", "\n", text))


def _japanese_wraps(pdf: Path, html: str) -> list[tuple[str, str]]:
    """Each line break of the PDF between two Japanese characters of one text."""
    return [
        (before, after)
        for before, after in _wraps(pdf, _document_text(html))
        if before and after and is_japanese(before[-1]) and is_japanese(after[0])
    ]


def _check_report(rendered, tmp_path: Path) -> int:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(html_to_pdf(rendered))
    checked = 0
    for before, after in _japanese_wraps(pdf, rendered.html):
        assert len(before) in _cuts(before + after), (before, after)
        checked += 1
    return checked


NARROW = (
    '<html lang="ja"><head><meta charset="utf-8"></head><body>'
    + "".join(
        f'<p style="width: {width}em; font-size: 12pt">{text}</p>'
        for width in (4.2, 5.2, 6.2)
        for text in (
            "オペレーションの力を高める",
            "お客さまサポートセンターの声",
            "CX向上サイクルを回す仕組み化の途上",
        )
    )
    + "</body></html>"
)


def test_narrow_columns_break_between_phrases_where_weasyprint_alone_would_not(
    demo, tmp_path
) -> None:
    rendered = RenderedReport("narrow", NARROW, (reports_dir() / "organization").as_uri() + "/")
    ours = tmp_path / "ours.pdf"
    ours.write_bytes(html_to_pdf(rendered))
    wraps = _japanese_wraps(ours, NARROW)
    assert len(wraps) >= 9
    for before, after in wraps:
        assert len(before) in _cuts(before + after), (before, after)
    # The same document laid out by WeasyPrint alone breaks inside words.
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(weasyprint.HTML(string=NARROW).write_pdf())
    inside = [
        (before, after)
        for before, after in _japanese_wraps(plain, NARROW)
        if len(before) not in _cuts(before + after)
    ]
    assert len(inside) >= 3, inside


def test_phrase_ranges_cover_each_phrase_in_utf8_bytes() -> None:
    text = "CX向上サイクルを回す"
    ranges = phrase_ranges(text)
    encoded = text.encode("utf-8")
    pieces = [encoded[start:end].decode("utf-8") for start, end in ranges]
    assert "".join(pieces) == "".join(p.rstrip() for p in phrases(text) if len(p.rstrip()) > 1)
    assert all(len(piece) > 1 for piece in pieces)
    assert phrase_ranges("Customer experience") == []


def test_the_demo_reports_break_lines_between_phrases(demo, tmp_path, monkeypatch) -> None:
    campaign = _db.session.scalar(select(Campaign).where(Campaign.name == CURRENT))
    department = _db.session.scalar(select(Department).where(Department.name == "デジタル推進部"))
    labels: list[tuple[str, str]] = []
    wrap = charts.wrap_label

    def recording(text: str, width: int = 16, max_lines: int = 3) -> str:
        wrapped = wrap(text, width, max_lines)
        labels.append((text, wrapped))
        return wrapped

    monkeypatch.setattr(charts, "wrap_label", recording)
    # Drawn afresh: charts another test of this process drew are kept, and skip the labels.
    charts.clear_chart_cache()
    checked = 0
    for scope in (None, department):
        rendered = service.render_html(campaign, department=scope, locale="ja")
        checked += _check_report(rendered, tmp_path)
    # The reports wrap many lines, in cards, cells and key messages: each one was checked.
    assert checked > 20
    # Every chart label drawn for them breaks between phrases too.
    japanese = [(text, wrapped) for text, wrapped in labels if is_japanese(text)]
    assert len(japanese) > 20
    for text, wrapped in japanese:
        if "…" in wrapped:
            continue
        position = 0
        for line in wrapped.split("\n")[:-1]:
            position = text.index(line, position) + len(line)
            assert position in _cuts(text) or text[position : position + 1] == " ", wrapped
