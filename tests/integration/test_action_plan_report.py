"""The report's action plan: this round's agreed actions with owner, due date and status,
the progress on the open actions of earlier rounds (overdue flagged), the department
report's own actions, the summary's priorities named as the starting proposal, and no
chapter at all without any action; the same in the PDF's text."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from html import unescape

import pytest

from app.operations.actions import create_action
from app.platform.extensions import db
from app.reporting import service
from app.results import campaign_results
from tests.factories import department_of, make_org, two_rounds


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _chapter(html: str) -> str:
    match = re.search(r'<section class="chapter slot-plan".*?</section>', html, re.S)
    assert match, "the report has no action plan chapter"
    return _text(match.group(0))


@pytest.fixture
def rounds(app):
    org = make_org("plan-report", ("営業部", "開発部"))
    previous, current = two_rounds(org, ("営業部", "開発部"), people=4)
    return org, previous, current


def test_no_action_no_chapter(app, rounds) -> None:
    _org, previous, _current = rounds
    html = service.render_html(previous, locale="en").html
    assert "slot-plan" not in html
    assert "starting proposal" not in html


def test_agreed_actions_and_progress_in_the_next_round(app, rounds) -> None:
    org, previous, current = rounds
    dimension = previous.questionnaire.dimensions[0].id
    sales = department_of(org, "営業部")
    late = create_action(
        previous,
        {
            "title": "営業部で月次の改善会議を開く",
            "dimension": dimension,
            "department": sales.id,
            "owner": "営業部長",
            "due": date.today() - timedelta(days=30),
        },
        origin_text="顧客の声が活かされていない",
    )
    create_action(
        current,
        {
            "title": "経営層と現場の対話会を開く",
            "dimension": dimension,
            "owner": "経営企画部",
            "due": date.today() + timedelta(days=90),
        },
    )
    db.session.commit()

    own = _chapter(service.render_html(previous, locale="en").html)
    assert "Actions agreed in this round" in own
    assert "営業部で月次の改善会議を開く" in own
    assert "営業部長" in own
    assert "Overdue" in own
    assert "Planned" in own
    assert "In answer to: 顧客の声が活かされていない" in own

    html = service.render_html(current, locale="en").html
    chapter = _chapter(html)
    assert "Progress on actions" in chapter
    before = campaign_results(previous).dimension(dimension).by_department[sales.id].mean
    after = campaign_results(current).dimension(dimension).by_department[sales.id].mean
    assert f"{before:.2f} → {after:.2f}" in chapter
    assert f"{after - before:+.2f}" in chapter
    assert "経営層と現場の対話会を開く" in chapter
    assert "1 actions are past their due date" in chapter
    assert "were the starting proposal" in _text(html)

    # The department's report lists the actions aimed at it; the other's has none.
    department_html = service.render_html(current, department=sales, locale="ja").html
    assert "営業部で月次の改善会議を開く" in _chapter(department_html)
    assert "経営層と現場の対話会を開く" not in _chapter(department_html)
    other = service.render_html(current, department=department_of(org, "開発部"), locale="ja")
    assert "slot-plan" not in other.html

    # Done in the next round: no longer carried.
    late.status = "done"
    db.session.commit()
    assert "営業部で月次の改善会議を開く" not in _chapter(
        service.render_html(current, locale="en").html
    )


def test_the_pdf_carries_the_chapter_in_japanese(app, rounds, tmp_path) -> None:
    _org, previous, _current = rounds
    create_action(
        previous,
        {
            "title": "顧客の声を一か所に集める",
            "dimension": previous.questionnaire.dimensions[0].id,
            "owner": "デジタル推進部",
            "due": date(2027, 3, 31),
        },
    )
    db.session.commit()
    path = tmp_path / "report.pdf"
    path.write_bytes(service.render_pdf(previous, locale="ja"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "アクションプラン" in text
    assert "顧客の声を一か所に集める" in text
    assert "2027-03-31" in text
    assert "デジタル推進部" in text
