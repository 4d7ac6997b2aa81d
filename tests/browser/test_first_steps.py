"""Closing a campaign asks first, and the review page shows the answers, in a real browser.

Screenshots of the pages at desktop and phone widths, in Japanese and English, are saved in
test-artifacts/ for people to look at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.models import Campaign
from app.platform.extensions import db
from tests.factories import PASSWORD, add_people, grant, make_campaign, make_org, make_user, submit
from tests.factories import invite as invite_participant
from tests.integration.survey_fixtures import invite as invite_respondent
from tests.integration.survey_fixtures import make_campaign as make_survey_campaign

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)


def _shoot(page, artifacts, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} is wider than {width}px ({scroll}px)"
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_closing_a_campaign_asks_first(live_server, page, artifacts, app):
    user = make_user("c@example.com")
    org = make_org("acme")
    grant(user, org, "consultant")
    campaign = make_campaign(org)
    people = add_people(campaign, 4)
    submit(people[0])
    campaign_id = campaign.id
    base = live_server.url

    page.goto(base + "/login?lang=en")
    page.get_by_label("Email").fill("c@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/workspace/")

    for lang, close_label, confirm_label in (
        ("ja", "キャンペーンを終了", "キャンペーンを終了する"),
        ("en", "Close campaign", "Close the campaign"),
    ):
        page.goto(f"{base}/workspace/campaigns/{campaign_id}?lang={lang}")
        close = page.get_by_role("link", name=close_label)
        expect(close).to_have_class("button danger")
        _shoot(page, artifacts, f"campaign-open-{lang}")
        close.click()
        page.wait_for_url(f"**/workspace/campaigns/{campaign_id}/close")
        expect(page.locator(".confirm-details")).to_contain_text("1")
        _shoot(page, artifacts, f"close-confirm-{lang}")
        if lang == "ja":
            page.get_by_role("link", name="キャンセル").click()
            page.wait_for_url(f"**/workspace/campaigns/{campaign_id}")
            with app.app_context():
                assert db.session.get(Campaign, campaign_id).status == "open"
                db.session.remove()
            continue
        page.get_by_role("button", name=confirm_label).click()
        page.wait_for_url(f"**/workspace/campaigns/{campaign_id}")
        expect(page.locator(".badge.status-closed").first).to_be_visible()
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status == "closed"
        db.session.remove()


def test_the_review_page_shows_the_answers_and_links_back(live_server, page, artifacts, db):
    campaign = make_survey_campaign(db)
    _participant, token = invite_respondent(db, campaign)
    questionnaire = campaign.questionnaire
    first = questionnaire.dimensions[0].items[0]
    db.session.commit()

    page.goto(f"{live_server.url}/r/{token}")
    page.get_by_role("button", name="回答を始める").click()
    page.wait_for_url("**/survey/page?n=1")
    page.locator(f"label[for='q_{first.id}-4']").click()
    second = questionnaire.dimensions[0].items[1]
    page.locator(f"label[for='q_{second.id}-na']").click()
    # The outcome item's page follows the rated items; the open questions come last.
    (outcome,) = questionnaire.outcomes
    page.goto(f"{live_server.url}/survey/page?n={len(questionnaire.dimensions) + 1}")
    page.locator(f"label[for='q_{outcome.id}-9']").click()
    page.get_by_role("button", name="次へ").click()
    page.wait_for_url(f"**/survey/page?n={len(questionnaire.dimensions) + 2}")
    opened = questionnaire.open_questions[0]
    page.locator(f"#q_{opened.id}").fill("部門をまたいだ顧客情報の共有を進めたい。")
    page.get_by_role("button", name="回答内容の確認へ").click()
    page.wait_for_url("**/survey/review")

    for lang in ("ja", "en"):
        page.goto(f"{live_server.url}/survey/review?lang={lang}")
        row = page.locator(f"#review-item-{first.id}")
        expect(row.locator(".review-point")).to_have_text("4")
        anchor = dict(first.levels).get(4, dict(questionnaire.scale.labels)[4])
        label = questionnaire.text(anchor, lang)
        expect(row).to_contain_text(label)
        expect(page.locator(f"#review-item-{second.id}")).to_contain_text(
            questionnaire.text(questionnaire.scale.not_applicable, lang)
        )
        expect(page.locator(f"#review-item-{outcome.id} .review-point")).to_have_text("9")
        expect(page.locator(f"#review-item-{opened.id}")).to_contain_text("顧客情報の共有")
        _shoot(page, artifacts, f"survey-review-{lang}")

    # "Change answer" goes back to the question, which shows the saved answer.
    page.locator(f"#review-item-{first.id} .review-change").click()
    page.wait_for_url(f"**/survey/page?n=1#item-{first.id}")
    expect(page.locator(f"#q_{first.id}-4")).to_be_checked()


def test_inviting_an_executive_and_searching_participants(live_server, page, artifacts, chromium):
    user = make_user("c@example.com")
    org = make_org("acme", name="アクメ商事")
    grant(user, org, "consultant")
    campaign = make_campaign(org)
    for name, email in (("山田 太郎", "taro@example.jp"), ("佐藤 花子", "hanako@example.jp")):
        invite_participant(campaign, name=name, email=email)
    campaign_id = campaign.id
    base = live_server.url

    page.goto(base + "/login?lang=ja")
    page.locator("input[name=email]").fill("c@example.com")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/workspace/")

    for lang in ("ja", "en"):
        page.goto(f"{base}/workspace/campaigns/{campaign_id}?lang={lang}")
        page.locator("#participant-q").fill("HANAKO")
        page.locator("#participant-search button").click()
        expect(page.locator("#participant-table tbody tr")).to_have_count(1)
        expect(page.locator("#participant-table")).to_contain_text("佐藤 花子")
        page.locator("#participants").scroll_into_view_if_needed()
        _shoot(page, artifacts, f"participants-search-{lang}")
        page.locator("#participant-q").fill("鈴木")
        page.locator("#participant-search button").click()
        expect(page.locator("#no-match")).to_be_visible()
        _shoot(page, artifacts, f"participants-search-none-{lang}")

    page.goto(f"{base}/workspace/orgs/acme/settings?lang=en")
    page.get_by_label("Executive's email address").fill("not-an-address")
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.locator("#executives .errors")).to_contain_text("not a valid email address")
    _shoot(page, artifacts, "executive-invite-error-en")
    page.goto(f"{base}/workspace/orgs/acme/settings?lang=ja")
    _shoot(page, artifacts, "organisation-settings-ja")
    page.get_by_label("経営層の方のメールアドレス").fill("boss@example.com")
    page.get_by_role("button", name="招待する", exact=True).click()
    password = page.locator("#executive-password").input_value()
    assert len(password) >= 12
    _shoot(page, artifacts, "executive-invited-ja")

    executive = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    other = executive.new_page()
    other.goto(base + "/login?lang=en")
    other.get_by_label("Email").fill("boss@example.com")
    other.get_by_label("Password").fill(password)
    other.get_by_role("button", name="Log in").click()
    other.wait_for_url("**/dashboard/")
    expect(other.locator("main")).to_contain_text(campaign.name)
    other.goto(base + "/")
    other.wait_for_url("**/dashboard/")
    _shoot(other, artifacts, "executive-home-en")
    executive.close()
