"""Reverse-worded statements are marked where they are shown, and the note about them appears
only beside dimensions that have some: dashboard and PDF report."""

from __future__ import annotations

import re
import subprocess

import pytest

from app.reporting import service
from tests import factories, versions_support
from tests.integration.svg_support import embedded_svgs
from tests.integration.workspace_support import login, make_client

NOTE_JA = "逆転項目（当てはまるほど成熟度が低いことを示す設問）は回答どおりに表示"
NOTE_EN = "Reverse-worded statements are shown as answered"
CAPTION_JA = "尺度点ごとの回答割合（逆転項目は回答どおりに表示）"
PLAIN_CAPTION_JA = "尺度点ごとの回答割合。数値は下の表のとおりです。"


@pytest.fixture
def campaign(db):
    org = factories.make_org("reverse", ("営業部",))
    campaign = factories.make_campaign(org, questionnaire=versions_support.new(), threshold=3)
    for role, value in (("executive", 4), ("frontline", 2)):
        for person in factories.add_people(campaign, 4, role=role):
            factories.submit(person, value)
    factories.grant(factories.make_user("reader@reverse.example"), org, "executive")
    return campaign


def _client(app, language):
    client = make_client(app, language)
    assert login(client, "reader@reverse.example").status_code == 302
    return client


def _page(client, campaign, dimension: str) -> str:
    response = client.get(f"/dashboard/campaigns/{campaign.id}/dimensions/{dimension}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_dashboard_marks_reverse_items_and_notes_them_only_where_they_are(app, campaign) -> None:
    client = _client(app, "ja")
    with_reverse = _page(client, campaign, "org")
    assert NOTE_JA in with_reverse
    # The reverse-worded statement carries the mark in its card (its shares' table is in it).
    marked = re.findall(
        r"失敗は責任追及の対象になる。\s*<span class=\"tag reverse\">逆転項目</span>", with_reverse
    )
    assert len(marked) == 1
    assert '部署の会議でビジョンが話題になる。 <span class="tag reverse">' not in with_reverse

    without = _page(client, campaign, "ops")
    assert NOTE_JA not in without
    assert "tag reverse" not in without

    english = _page(_client(app, "en"), campaign, "org")
    assert NOTE_EN in english
    assert 'Failures lead to blame. <span class="tag reverse">reverse-worded</span>' in english


def test_report_captions_and_charts_mark_reverse_items_only_where_they_are(app, campaign) -> None:
    html = service.render_html(campaign, locale="ja").html
    # The "org" dimension has a reverse-worded statement, "ops" none: one caption of each.
    assert html.count(CAPTION_JA) == 1
    assert html.count(PLAIN_CAPTION_JA) == 1
    svgs = " ".join(embedded_svgs(html))
    assert "1.3（逆転）" in svgs
    assert "2.1（逆転）" not in svgs
    assert "2.2（逆転）" not in svgs

    pdf = service.render_pdf(campaign, locale="ja")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", CAPTION_JA) in flat
    assert PLAIN_CAPTION_JA in flat


def test_a_questionnaire_without_reverse_items_has_no_note(app, db) -> None:
    org = factories.make_org("plain", ("営業部",))
    campaign = factories.make_campaign(org, questionnaire=versions_support.old(), threshold=3)
    for person in factories.add_people(campaign, 4, role="frontline"):
        factories.submit(person, 3)
    html = service.render_html(campaign, locale="ja").html
    assert CAPTION_JA not in html
    assert html.count(PLAIN_CAPTION_JA) == 2
    assert "（逆転）" not in " ".join(embedded_svgs(html))
