"""Refusals people meet, as a browser shows them, in Japanese and English: the open link's
"too many registrations" page, a form over MAX_FORM_PARTS, a guessable new password."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.operations.participants import enable_open_link
from tests.factories import PASSWORD, make_user
from tests.integration.survey_fixtures import make_campaign

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("lang", "heading", "retry"),
    [
        ("ja", "ただいま登録が集中しています", "60分後にもう一度お試しください。"),
        ("en", "Too many registrations right now", "Please try again in 60 min."),
    ],
)
def test_too_many_open_link_registrations(
    app, db, live_server, chromium, artifacts, lang, heading, retry
):
    app.config["CX_OPEN_LINK_ADDRESS_LIMIT"] = "1/hour"
    campaign = make_campaign(db)
    token = enable_open_link(campaign)
    db.session.commit()
    pages = []
    for _person in range(2):  # two people, each in a browser of their own, one address
        context = chromium.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server.url}/o/{token}?lang={lang}")
        page.locator("select").nth(0).select_option(index=1)
        page.locator("select").nth(1).select_option(index=1)
        page.locator("form.stacked-form button[type=submit]").click()
        pages.append(page)
    first, page = pages
    expect(first).to_have_url(f"{live_server.url}/survey/link")
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.get_by_text(retry)).to_be_visible()
    page.screenshot(path=str(artifacts / f"open-link-too-many-{lang}.png"), full_page=True)
    for opened in pages:
        opened.context.close()


@pytest.mark.parametrize(
    ("lang", "text"),
    [("ja", "500 個まで、設定 MAX_FORM_PARTS"), ("en", "at most 500 fields (MAX_FORM_PARTS)")],
)
def test_a_form_with_too_many_fields(live_server, page, artifacts, lang, text):
    page.goto(f"{live_server.url}/login?lang={lang}")
    # A form the browser sends url-encoded, with many more fields than any page of the site.
    page.evaluate(
        """() => {
            const form = document.querySelector("form");
            for (let i = 0; i < 1000; i++) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = "f" + i;
                input.value = "1";
                form.appendChild(input);
            }
        }"""
    )
    page.locator("input[name=email]").fill("someone@example.com")
    page.locator("input[name=password]").fill("x")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("form button[type=submit]").click()
    assert answer.value.status == 413
    expect(page.get_by_text(text)).to_be_visible()
    page.screenshot(path=str(artifacts / f"form-too-many-fields-{lang}.png"), full_page=True)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ja", "連続した文字（「abcd」「1234」「qwerty」など）"),
        ("en", "This password contains a sequence"),
    ],
)
def test_a_guessable_new_password(app, live_server, page, artifacts, lang, text):
    make_user("tanaka@example.com")
    page.goto(f"{live_server.url}/login?lang={lang}")
    page.locator("input[name=email]").fill("tanaka@example.com")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.goto(f"{live_server.url}/account?lang={lang}")
    page.locator("input[name=pw-current_password]").fill(PASSWORD)
    page.locator("input[name=pw-new_password]").fill("abcdefghijkl")
    page.locator("input[name=pw-confirm]").fill("abcdefghijkl")
    page.locator("input[name=pw-confirm]").press("Enter")
    expect(page.get_by_text(text)).to_be_visible()
    page.screenshot(path=str(artifacts / f"account-guessable-password-{lang}.png"), full_page=True)
