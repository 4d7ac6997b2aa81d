"""The landing page renders in a real browser, in Japanese and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_landing_page_in_both_languages(live_server, page, artifacts):
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("CX成熟度セルフアセスメント")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("CX maturity self-assessment")
    page.screenshot(path=str(artifacts / "landing-en.png"))
