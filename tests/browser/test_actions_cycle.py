"""From diagnosis to action in a real browser: a consultant makes a key message's action an
agreed action in one click and sets its owner; a granted executive reports it under way;
the next round lists it with its progress."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Action
from app.platform.extensions import db
from tests.factories import (
    PASSWORD,
    grant,
    make_org,
    make_user,
    two_rounds,
)


def _login(page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_a_proposal_becomes_an_action_followed_into_the_next_round(
    app: Flask, live_server, page, chromium, artifacts
) -> None:
    org = make_org("browser-actions", ("営業部", "開発部"))
    previous, current = two_rounds(org)
    grant(make_user("browser-consultant@example.com"), org, "consultant")
    grant(make_user("browser-exec@example.com"), org, "executive", update_actions=True)
    db.session.commit()
    previous_id, current_id = previous.id, current.id

    _login(page, live_server.url, "browser-consultant@example.com")
    page.goto(f"{live_server.url}/dashboard/campaigns/{previous_id}/actions")
    expect(page.locator(".dash-tabs a[aria-current=page]")).to_have_text("アクション")
    first = page.locator(".proposal-list li").first
    title = first.locator("strong").inner_text()
    first.get_by_role("button", name="アクションにする").click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".flash")).to_contain_text("担当者と期限を確認してください")
    page.fill("input[name=owner]", "営業部長")
    page.fill("input[name=owner_email]", "sales-head@example.com")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".facts")).to_contain_text("営業部長")
    page.screenshot(path=str(artifacts / "action-made.png"), full_page=True)
    db.session.commit()  # ends the read transaction: see what the server wrote
    action = db.session.scalar(select(Action))
    assert action is not None
    assert (action.title, action.owner) == (title, "営業部長")

    context = chromium.new_context(locale="ja-JP", viewport={"width": 390, "height": 844})
    executive = context.new_page()
    try:
        _login(executive, live_server.url, "browser-exec@example.com")
        executive.goto(f"{live_server.url}/dashboard/campaigns/{current_id}/actions")
        expect(executive.locator("#progress")).to_contain_text(title)
        expect(executive.locator("#proposals")).to_have_count(0)
        executive.locator("#progress a", has_text=title).click()
        expect(executive.locator("input[name=owner]")).to_have_count(0)
        executive.select_option("select[name=status]", "in_progress")
        executive.fill("textarea[name=notes]", "第1回の会議を開催")
        executive.get_by_role("button", name="保存").click()
        expect(executive.locator(".history")).to_contain_text("未着手 → 対応中")
        executive.screenshot(path=str(artifacts / "action-reported.png"), full_page=True)
    finally:
        context.close()
    db.session.commit()  # ends the read transaction: see what the server wrote
    assert db.session.get(Action, action.id).status == "in_progress"
