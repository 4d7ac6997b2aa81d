"""An executive viewer explores the demo bank's results in a real browser."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Campaign
from app.platform.extensions import db
from tests.demo_copy import seeded_demo
from tests.factories import PASSWORD, grant, make_campaign, make_org, make_user

DOCS_IMAGE = Path(__file__).resolve().parent.parent.parent / "docs" / "images" / "dashboard.png"


def _heatmap_names(page) -> list[str]:
    return page.locator("#heatmap tbody tr:not(.org-row) th").all_inner_texts()


def test_executive_explores_the_dashboard(app: Flask, live_server, page, artifacts) -> None:
    seeded = seeded_demo()
    campaign = db.session.scalar(
        select(Campaign).where(
            Campaign.organization_id == seeded.organization.id,
            Campaign.previous_campaign_id.is_not(None),
        )
    )
    executive = make_user("executive@minato.example")
    grant(executive, seeded.organization, "executive")
    other = make_campaign(make_org("other-co"), name="他社の診断")
    other_id = other.id
    db.session.commit()

    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", executive.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_role("link", name=campaign.name).click()
    page.wait_for_selector(".dash-chart img")
    expect(page.locator("h1")).to_have_text(campaign.name)
    expect(page.locator(".dash-tabs a[aria-current=page]")).to_have_text("概要")
    assert page.locator(".dash-sentences li").count() == 3
    page.screenshot(path=str(artifacts / "dashboard-overview.png"), full_page=True)
    DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_IMAGE))
    assert DOCS_IMAGE.stat().st_size < 300_000

    page.locator(".dash-tabs a", has_text="部署").click()
    page.wait_for_selector("#heatmap")
    before = _heatmap_names(page)
    # Sorting happens in place (no reload) and updates the address for sharing.
    page.locator("#heatmap thead a[data-sort=org_behavior]").click()
    page.wait_for_function("location.search.includes('sort=org_behavior')")
    after = _heatmap_names(page)
    assert sorted(after) == sorted(before)
    assert after != before
    first_row_values = page.locator(
        "#heatmap tbody tr:not(.org-row):not(.suppressed-row) td.heat:nth-child(4)"
    ).evaluate_all("cells => cells.map(c => parseFloat(c.dataset.value))")
    assert first_row_values == sorted(first_row_values, reverse=True)
    page.screenshot(path=str(artifacts / "dashboard-departments-sorted.png"), full_page=True)

    boxes = page.locator("#compare-form input[name=compare]:not([disabled])")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.locator("#compare-form button[type=submit]").click()
    page.wait_for_selector(".dash-chart.overlay img")
    assert "compare=" in page.url
    page.locator(".dash-chart.overlay").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "dashboard-overlay.png"), full_page=True)

    page.get_by_role("link", name="English").click()
    page.wait_for_selector("html[lang=en]")
    expect(page.locator(".dash-tabs a[aria-current=page]")).to_have_text("Departments")
    assert "Departments by dimension" in page.content()
    page.screenshot(path=str(artifacts / "dashboard-departments-en.png"), full_page=True)

    response = page.goto(f"{live_server.url}/dashboard/campaigns/{other_id}")
    assert response is not None
    assert response.status == 404
    assert "他社の診断" not in page.content()
