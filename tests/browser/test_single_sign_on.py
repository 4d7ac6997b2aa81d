"""Single sign-on through a real OpenID provider on loopback: an executive logs in with the
provider and lands on the dashboard; a user the provider knows but this app does not is
refused with a clear message; the provider never grants access to an organisation."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import UserIdentity
from app.operations.identity_providers import save_provider
from app.platform.extensions import db
from tests.browser.oidc_support import CLIENT_ID, CLIENT_SECRET, openid_provider
from tests.factories import grant, make_org, make_user

ACCOUNTS = {
    "exec-sub-1": {"email": "Exec@Minato.example", "email_verified": True, "name": "役員 一郎"},
    "stranger-sub": {"email": "stranger@example.com", "email_verified": True},
}


def _sign_in_at_provider(page, login: str) -> None:
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.locator("button[type=submit]").click()
    # The provider's consent page, the first time.
    consent = page.locator("button[type=submit]", has_text="Continue")
    if consent.count():
        consent.click()


def test_an_executive_logs_in_through_the_provider(
    app: Flask, live_server, page, chromium, artifacts
) -> None:
    org = make_org("sso-bank", ("営業部",))
    executive = make_user("exec@minato.example", password="Not-used-here-4821")
    grant(executive, org, "executive")
    callback = f"{live_server.url}/login/sso/corp-idp/callback"
    with openid_provider([callback], ACCOUNTS) as issuer:
        save_provider(
            {
                "key": "corp-idp",
                "name": "Minato ID",
                "issuer": issuer,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "organization_id": None,
            }
        )
        db.session.commit()

        page.goto(f"{live_server.url}/login")
        page.locator("#sso-login a", has_text="Minato ID").click()
        _sign_in_at_provider(page, "exec-sub-1")
        page.wait_for_url(f"{live_server.url}/dashboard/")
        expect(page.locator("h1")).to_be_visible()
        page.screenshot(path=str(artifacts / "sso-dashboard.png"), full_page=True)
        db.session.commit()
        link = db.session.scalar(select(UserIdentity))
        assert link is not None
        assert (link.user_id, link.subject) == (executive.id, "exec-sub-1")

        context = chromium.new_context(locale="ja-JP")
        stranger = context.new_page()
        try:
            stranger.goto(f"{live_server.url}/login")
            stranger.locator("#sso-login a").click()
            _sign_in_at_provider(stranger, "stranger-sub")
            stranger.wait_for_url(f"{live_server.url}/login")
            expect(stranger.locator(".flash")).to_contain_text("stranger@example.com")
            stranger.screenshot(path=str(artifacts / "sso-refused.png"), full_page=True)
            stranger.goto(f"{live_server.url}/dashboard/")
            assert "/login" in stranger.url
        finally:
            context.close()
