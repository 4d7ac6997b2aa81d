"""A consultant's whole cycle in a real browser: log in, set up, invite, watch, close, export."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Campaign, Participant
from app.platform.extensions import db
from tests.factories import PASSWORD, make_user, submit

pytestmark = pytest.mark.browser

PARTICIPANTS_CSV = """name,email,department,role
山田 太郎,taro@example.jp,営業部,frontline
佐藤 花子,hanako@example.jp,営業部,frontline
鈴木 一郎,ichiro@example.jp,営業部,frontline
高橋 美咲,misaki@example.jp,開発部,ミドルマネジメント
田中 健,ken@example.jp,開発部,executive
"""


def test_consultant_runs_a_campaign_end_to_end(live_server, page, artifacts, app, tmp_path):
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    make_user("consultant@example.com")
    base = live_server.url

    page.goto(base + "/login?lang=en")
    page.get_by_label("Email").fill("consultant@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/workspace/")

    page.get_by_role("link", name="New organisation").click()
    page.get_by_label("Organisation name").fill("みなと商事")
    page.get_by_label("Short name (slug)").fill("minato")
    page.get_by_label("Departments").fill("営業部\n開発部")
    page.get_by_role("button", name="Create organisation").click()
    page.wait_for_url("**/workspace/orgs/minato")
    page.get_by_label("Department name").fill("法人営業課")
    page.get_by_label("Part of").select_option(label="営業部")
    page.get_by_role("button", name="Add", exact=True).click()
    assert page.locator("#structure td.depth-1").inner_text().endswith("法人営業課")
    page.screenshot(path=str(artifacts / "workspace-organization.png"), full_page=True)

    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("CX", exact=False).first.check()
    page.get_by_label("Campaign name").fill("2026年度 CX診断")
    page.get_by_label("Closes").fill("2026-12-20T18:00")
    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_url("**/workspace/campaigns/*")
    campaign_url = page.url

    page.get_by_role("link", name="Import CSV").click()
    upload = tmp_path / "participants.csv"
    upload.write_text(PARTICIPANTS_CSV, encoding="utf-8")
    page.set_input_files("input[type=file]", str(upload))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Preview: 5 participants")).to_be_visible()
    page.screenshot(path=str(artifacts / "workspace-import-preview.png"), full_page=True)
    page.get_by_role("button", name="Import 5 participants").click()
    page.wait_for_url(campaign_url)

    # One person's link, handed out from their page and copied with the copy button.
    page.get_by_role("row", name="田中 健").get_by_role("link", name="Manage").click()
    expect(page.get_by_text("Links handed out before keep working")).to_be_visible()
    expect(
        page.get_by_role("link", name="Issue a new link (the previous one stops working)")
    ).to_be_visible()
    page.screenshot(path=str(artifacts / "workspace-participant-links.png"), full_page=True)
    page.get_by_role("button", name="Get a link to hand out").click()
    link = page.locator("#personal-link").input_value()
    assert "/r/" in link
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator(".copy-status")).to_have_text("Copied")
    page.goto(campaign_url)
    expect(page.locator("#links-open-link-note")).to_be_visible()

    page.get_by_role("button", name="Open campaign").click()
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_text("written to the outbox folder")).to_be_visible()
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 5

    # The invitation added a link: the one copied before still opens the questionnaire.
    respondent = page.context.browser.new_context()
    respondent_page = respondent.new_page()
    respondent_page.goto(link)
    respondent_page.wait_for_url("**/survey/welcome**")
    respondent.close()

    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.name == "2026年度 CX診断"))
        people = db.session.scalars(
            select(Participant).where(Participant.campaign_id == campaign.id)
        ).all()
        for participant in people[:3]:
            submit(participant, value=4)
        db.session.remove()
    page.reload()
    expect(page.locator('[data-stat="submitted"]')).to_have_text("3")
    expect(page.locator('[data-stat="rate"]')).to_have_text("60%")
    page.screenshot(path=str(artifacts / "workspace-campaign-progress.png"), full_page=True)

    page.get_by_role("link", name="Close campaign").click()
    page.get_by_role("button", name="Close the campaign").click()
    expect(page.locator(".badge.status-closed").first).to_be_visible()

    page.get_by_role("link", name="Export responses").click()
    page.get_by_label("CSV").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    exported = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0][:3] == ["department", "role", "submitted_at"]
    assert len(rows) == 4
    page.goto(campaign_url)
    activity = page.locator("#audit").inner_text()
    for label in (
        "Responses exported",
        "Campaign closed",
        "Invitations sent",
        "Participants imported",
    ):
        assert label in activity
    page.screenshot(path=str(artifacts / "workspace-campaign-closed.png"), full_page=True)
    page.goto(campaign_url + "?lang=ja")
    expect(page.get_by_role("heading", name="回答状況")).to_be_visible()
    page.set_viewport_size({"width": 820, "height": 1180})
    page.screenshot(path=str(artifacts / "workspace-campaign-ja-tablet.png"), full_page=True)
