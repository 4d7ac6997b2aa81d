"""Japanese text breaks between phrases, never inside a word: オペレーションの / 力, not
オペレ / ーショ / ンの力. Checked on the demo's reports as rendered (the PDF's own lines),
and on every chart label drawn for them (the respondent form: ``test_survey_form.py``)."""

from __future__ import annotations

import html as html_module
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.models import Campaign, Department
from app.platform.extensions import db as _db
from app.presentation import charts
from app.presentation.phrases import is_japanese, keep_phrases_whole, phrases
from app.reporting import service
from app.reporting.rendering import html_to_pdf
from tests.integration.test_api_v1 import module_app

CURRENT = "2026年度 CX 5つの力 成熟度診断"
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


@pytest.fixture(scope="module")
def demo(database_url) -> Iterator[Flask]:
    with module_app(database_url) as app:
        result = app.test_cli_runner().invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
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
    """The HTML's text with its tags (and phrase spans) gone, elements kept apart."""
    text = re.sub(r"<(style|script|title)\b.*?</\1>", "\n", html, flags=re.S)
    # Inline spans (the phrases among them) do not separate text; other elements do.
    text = re.sub(r"<span[^>]*>|</span>", "", text)
    return html_module.unescape(re.sub(r"<[^>]+>", "\n", text))


def _check_report(rendered, tmp_path: Path) -> int:
    html = rendered.html
    # Every Japanese text of the document goes to the PDF renderer in phrases kept whole.
    typeset = keep_phrases_whole(html)
    body = re.sub(r"<(style|title)\b.*?</\1>", "", typeset, flags=re.S)
    for node in re.findall(r">([^<>]+)<", body):
        if is_japanese(node):
            assert f'<span class="ph">{node}</span>' in typeset, node
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(html_to_pdf(rendered))
    checked = 0
    for before, after in _wraps(pdf, _document_text(html)):
        if before and after and is_japanese(before[-1]) and is_japanese(after[0]):
            assert len(before) in _cuts(before + after), (before, after)
            checked += 1
    return checked


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
