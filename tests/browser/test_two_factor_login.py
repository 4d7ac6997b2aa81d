"""A consultant sets up two-factor login from the account page and logs in with a code."""

from __future__ import annotations

import time

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import expect

from app.auth import mfa
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def _code(secret: str, offset: int) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset * mfa.STEP_SECONDS)


def test_enrol_then_log_in_with_a_code(app: Flask, live_server, page, artifacts) -> None:
    user = make_user("consultant@example.com")
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/account")
    page.click("#two-factor form[action$='/account/two-factor/start'] button")

    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.screenshot(path=str(artifacts / "two-factor-enrol.png"), full_page=True)
    page.fill("input[name=confirm-code]", _code(secret, -1))
    page.click("form[action$='/account/two-factor/confirm'] button[type=submit]")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.screenshot(path=str(artifacts / "two-factor-recovery-codes.png"), full_page=True)

    page.click("form[action$='/logout'] button")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/login/verify")
    page.fill("input[name=code]", _code(secret, 0))
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/workspace/")
