"""The demo's reports as laid out on paper: no page wasted, a two-page executive summary, and
the outline's places for the leaders' voice and the action plan.

Fill is read from WeasyPrint's own layout of each page (:mod:`app.reporting.layout`): a page
under 40% full is allowed only where a chapter ends before the next one starts on a new page,
and on the report's last page.
"""

from __future__ import annotations

import html as html_module
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.models import Campaign, Department, Participant, Response
from app.platform.extensions import db as _db
from app.reporting import service
from app.reporting.individual import render_individual_html
from app.reporting.layout import MINIMUM_FILL, page_fills
from app.reporting.rendering import html_to_pdf, typeset
from app.reporting.sections import slots
from app.reporting.viewmodel import PlanContent, PlannedAction, VoiceContent, VoiceTheme
from tests.demo_copy import seeded_demo
from tests.integration.test_api_v1 import module_app

CURRENT = "2026年度 CX 5つの力 成熟度診断"
PREVIOUS = "2025年度 CX 5つの力 成熟度診断"
DEPARTMENT = "デジタル推進部"
#: Where the page images of the demo's organisation report are saved for people to look at.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report-pages"


#: Typesetting a report takes seconds: each (kind, locale) is laid out, and written as a
#: PDF, once for the module's tests.
_layouts: dict[tuple[str, str], Any] = {}
_pdfs: dict[tuple[str, str], bytes] = {}


@pytest.fixture(scope="module")
def demo(database_url) -> Iterator[Flask]:
    _layouts.clear()
    _pdfs.clear()
    with module_app(database_url) as app:
        seeded_demo()
        yield app


def _campaign(name: str = CURRENT) -> Campaign:
    return _db.session.scalar(select(Campaign).where(Campaign.name == name))


def _respondent() -> Participant:
    """A respondent of the closed round, who can download a personal report."""
    return _db.session.scalar(
        select(Participant)
        .join(Response, Response.participant_id == Participant.id)
        .where(
            Participant.campaign_id == _campaign(PREVIOUS).id, Response.submitted_at.is_not(None)
        )
        .order_by(Participant.id)
    )


def _rendered(kind: str, locale: str):
    if kind == "individual":
        return render_individual_html(_respondent(), locale)
    department = None
    if kind == "department":
        department = _db.session.scalar(select(Department).where(Department.name == DEPARTMENT))
    return service.render_html(_campaign(), department=department, locale=locale)


def _pages(kind: str, locale: str) -> Any:
    if (kind, locale) not in _layouts:
        _layouts[kind, locale] = typeset(_rendered(kind, locale)).pages
    return _layouts[kind, locale]


def _pdf(kind: str, locale: str) -> bytes:
    if (kind, locale) not in _pdfs:
        _pdfs[kind, locale] = html_to_pdf(_rendered(kind, locale))
    return _pdfs[kind, locale]


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("kind", ["organization", "department", "individual"])
def test_no_page_is_wasted(demo, kind, locale) -> None:
    fills = page_fills(_pages(kind, locale))
    assert len(fills) >= 3
    wasted = [(page.number, page.fill) for page in fills if page.wasted]
    assert not wasted, f"pages under {MINIMUM_FILL:.0%} full: {wasted}"
    # A page nearly empty is wasted even where a chapter ends: no page before the last holds
    # only a line.
    assert min(page.fill for page in fills[:-1]) > 0.05, [(p.number, p.fill) for p in fills]
    if kind == "individual":
        # The personal report opens with the respondent's profile on page 2: no blank page.
        assert fills[1].opens_chapter
        assert fills[1].fill > 0.5


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_the_executive_summary_is_two_pages(demo, locale) -> None:
    fills = page_fills(_pages("organization", locale))
    # The cover, then the summary on pages 2 and 3, then the contents opening a new chapter.
    assert fills[1].opens_chapter
    assert not fills[2].opens_chapter
    assert fills[2].fill > 0.4
    assert fills[3].opens_chapter


def _chapters(html: str) -> list[tuple[str, str]]:
    """(number, title) of every chapter heading, in order."""
    heads = re.findall(
        r'<header class="chapter-head">\s*<span class="num">(\d*)</span>\s*<h1>([^<]+)</h1>', html
    )
    return [(number, html_module.unescape(title)) for number, title in heads if number]


def test_the_outline_keeps_places_for_the_leaders_voice_and_the_action_plan(demo) -> None:
    campaign = _campaign()
    # The app's own providers are set aside: first nothing fills the places.
    registered = demo.extensions.pop(slots.EXTENSION, None)
    try:
        _check_the_places(demo, campaign)
    finally:
        demo.extensions.pop(slots.EXTENSION, None)
        if registered is not None:
            demo.extensions[slots.EXTENSION] = registered


def _check_the_places(demo, campaign) -> None:
    plain = service.render_html(campaign, locale="en").html
    titles = [title for _, title in _chapters(plain)]
    # Nothing fills the places: no heading, no contents entry.
    assert "leaders-voice" not in plain
    assert "Action plan" not in plain
    numbers = [int(number) for number, _ in _chapters(plain)]
    assert numbers == list(range(1, len(numbers) + 1))

    seen: list[str] = []

    def voice(report):
        seen.append(report.locale)
        return VoiceContent(
            themes=(VoiceTheme("Cross-department work", 12, ("Handovers lose the customer.",)),),
            comments=31,
        )

    def nothing(report):
        return None

    slots.register_slot(demo, slots.LEADERS_VOICE, voice)
    slots.register_slot(demo, slots.ACTION_PLAN, nothing)
    try:
        html = service.render_html(campaign, locale="en").html
        chapters = _chapters(html)
        names = [title for _, title in chapters]
        # The voice follows the perception gaps; a provider with nothing to say leaves no trace.
        assert names.index("The leaders' voice") > names.index("Perception gaps")
        assert "Action plan" not in html
        assert "Handovers lose the customer." in html
        assert "31 comments" in html
        assert [int(n) for n, _ in chapters] == list(range(1, len(chapters) + 1))
        assert '<a href="#leaders-voice">' in html

        planned = PlannedAction(
            "Appoint a CX owner", "Executive team", "0–6 months", "2027-03-31", "Agreed"
        )
        plan = PlanContent(actions=(planned,))
        slots.register_slot(demo, slots.ACTION_PLAN, lambda report: plan)
        html = service.render_html(campaign, locale="en").html
        names = [title for _, title in _chapters(html)]
        # The plan comes last before the appendix.
        assert names[-2:] == ["Action plan", names[-1]]
        assert names[-1] == titles[-1]
        assert "Appoint a CX owner" in html
        assert "2027-03-31" in html
        assert seen == ["en", "en"]
    finally:
        demo.extensions.pop(slots.EXTENSION, None)
    with pytest.raises(ValueError, match="unknown report slot"):
        slots.register_slot(demo, "appendix", voice)


def test_the_leaders_voice_holds_the_themes_of_the_free_text_answers(demo) -> None:
    campaign = _campaign()
    html = service.render_html(campaign, locale="ja").html
    names = [title for _, title in _chapters(html)]
    assert "現場の声" in names
    assert names.index("現場の声") > names.index("認識ギャップ")
    voice = html.split('id="leaders-voice"', 1)[1].split("</section>", 1)[0]
    for question in campaign.questionnaire.open_questions:
        if question.text.to_dict()["ja"] in voice:
            break
    else:
        raise AssertionError("no open question heads the chapter")
    assert voice.count('class="voice-theme"') >= 2
    assert "「" in voice
    assert "@" not in voice


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_page_images_of_the_organisation_report(demo, locale, tmp_path) -> None:
    """Every page of the demo's organisation report as an image, in the test artefacts."""
    pdf = tmp_path / f"organisation-{locale}.pdf"
    pdf.write_bytes(_pdf("organization", locale))
    folder = ARTIFACTS / locale
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(folder / "page")], check=True)
    pages = sorted(folder.glob("page-*.png"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True)
    count = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    assert len(pages) == count > 10
    assert all(page.stat().st_size > 5_000 for page in pages)


#: What only the technical note may show: statistics by name, hashes, file paths, rule keys and
#: references to the source documents.
INTERNAL = re.compile(
    r"ウェルチ|ホルム|ヘッジス|クロンバック|Welch|Holm|Hedges|Cronbach|r_wg|SHA-256|sha256"
    r"|\.yaml|\.py\b|資料0\d\d|seed 0\d\d|統計的に有意|statistically significant"
    r"|\b[a-z]+_[a-z_]+\b"
)


@pytest.mark.parametrize(
    ("kind", "locale"), [("organization", "ja"), ("organization", "en"), ("department", "ja")]
)
def test_client_pdfs_carry_no_internal_keys_paths_hashes_or_seed_references(
    demo, kind, locale
) -> None:
    pdf = _pdf(kind, locale)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "エグゼクティブサマリー" in text or "Executive summary" in text
    assert INTERNAL.findall(text) == []
    if locale == "en":
        # English names throughout: the bank, the round and its departments.
        assert "Minato Regional Bank" in text
        assert "FY2026 CX Five Capabilities Maturity Assessment" in text
        assert "みなと地域銀行" not in text
