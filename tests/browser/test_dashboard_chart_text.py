"""The dashboard's charts read on a laptop and on a phone, in Japanese and in English.

Legends are HTML under the charts: their text is measured as the browser lays it out. Text
inside a chart's SVG shrinks with the image, so its rendered size is its font size times the
image's displayed width over the SVG's own width.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.models import Campaign, Department
from app.platform.extensions import db
from tests.demo_copy import seeded_demo
from tests.factories import PASSWORD, grant, make_user

pytestmark = pytest.mark.browser

WIDTHS = (1366, 390)
LANGUAGES = ("ja", "en")
#: Smallest legend text as rendered, in CSS px.
LEGEND_PX = 12
#: Smallest text inside a chart (axis labels, ring numbers, round names) as rendered.
CHART_PX = 9

MEASURE = """() => {
  const decode = (uri) => {
    const bytes = Uint8Array.from(atob(uri.split(",")[1]), (c) => c.charCodeAt(0));
    return new DOMParser().parseFromString(new TextDecoder().decode(bytes), "image/svg+xml");
  };
  return Array.from(document.querySelectorAll(".dash-chart")).map((figure) => {
    const img = figure.querySelector("img");
    const svg = decode(img.getAttribute("src"));
    const viewBox = svg.documentElement.getAttribute("viewBox").trim().split(/[\\s,]+/);
    const scale = img.getBoundingClientRect().width / parseFloat(viewBox[2]);
    const texts = Array.from(svg.querySelectorAll("text"));
    const legend = Array.from(
      figure.querySelectorAll(".chart-legend li span, .chart-legend .scale-key span")
    );
    return {
      withLegend: img.classList.contains("with-legend"),
      svgTexts: texts.map((t) => t.textContent),
      svgMin: Math.min(...texts.map((t) => parseFloat(t.getAttribute("font-size")) * scale)),
      legend: legend.map((el) => [el.textContent, parseFloat(getComputedStyle(el).fontSize)]),
      target: Array.from(svg.querySelectorAll("path")).some(
        (p) => p.getAttribute("stroke") === "#111111" && p.hasAttribute("stroke-dasharray")
      ),
      right: figure.getBoundingClientRect().right,
      imgRight: img.getBoundingClientRect().right,
    };
  });
}"""


def _login(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_chart_legends_and_labels_read_at_laptop_and_phone_widths(
    app: Flask, live_server, chromium
) -> None:
    seeded = seeded_demo()
    campaign = db.session.scalar(
        select(Campaign).where(
            Campaign.organization_id == seeded.organization.id,
            Campaign.previous_campaign_id.is_not(None),
        )
    )
    departments = db.session.scalars(
        select(Department.id)
        .where(Department.organization_id == seeded.organization.id)
        .order_by(Department.id)
    ).all()
    viewer = make_user("charts-viewer@minato.example")
    grant(viewer, seeded.organization, "executive")
    db.session.commit()
    base = f"{live_server.url}/dashboard/campaigns/{campaign.id}"
    compare = f"compare={departments[1]}&compare={departments[2]}"
    pages = {
        "overview": base,
        "roles": f"{base}/roles",
        "departments": f"{base}/departments?{compare}",
        "department": f"{base}/departments/{departments[1]}",
        "trend": f"{base}/trend",
    }
    for width in WIDTHS:
        context = chromium.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        _login(page, live_server.url, viewer.email)
        for language in LANGUAGES:
            for name, url in pages.items():
                joiner = "&" if "?" in url else "?"
                page.goto(f"{url}{joiner}lang={language}")
                page.wait_for_selector(".dash-chart img")
                page.wait_for_function(
                    "Array.from(document.images).every((i) => i.complete && i.naturalWidth)"
                )
                where = f"{name} {language} {width}px"
                figures = page.evaluate(MEASURE)
                assert figures, where
                for figure in figures:
                    assert figure["withLegend"], where
                    assert figure["legend"], where
                    for text, size in figure["legend"]:
                        assert size >= LEGEND_PX, (where, text, size)
                    # The legend is the page's: the chart's text is its axes' alone.
                    assert not any("n=" in text for text in figure["svgTexts"]), where
                    assert figure["svgMin"] >= CHART_PX, (where, figure["svgMin"])
                    assert figure["right"] <= width, where
                    assert figure["imgRight"] <= width, where
                _fits(page)
                if name == "overview":
                    radar = figures[0]
                    assert radar["target"], where
                    target = "目標" if language == "ja" else "Target"
                    assert target in [text for text, _size in radar["legend"]], where
        context.close()


def test_statements_read_without_zooming_on_a_phone(app: Flask, live_server, chromium) -> None:
    seeded = seeded_demo()
    campaign = db.session.scalar(
        select(Campaign).where(
            Campaign.organization_id == seeded.organization.id,
            Campaign.previous_campaign_id.is_not(None),
        )
    )
    viewer = make_user("statements-viewer@minato.example")
    grant(viewer, seeded.organization, "executive")
    db.session.commit()
    for width in WIDTHS:
        context = chromium.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        _login(page, live_server.url, viewer.email)
        for language in LANGUAGES:
            page.goto(
                f"{live_server.url}/dashboard/campaigns/{campaign.id}"
                f"/dimensions/org_behavior?lang={language}"
            )
            cards = page.locator(".item-card")
            assert cards.count() > 3
            sizes = page.evaluate(
                """() => Array.from(document.querySelectorAll(
                    ".item-card h3, .item-card .item-shares th, .item-card .item-shares td"
                )).map((el) => parseFloat(getComputedStyle(el).fontSize))"""
            )
            assert min(sizes) >= LEGEND_PX, (language, width, min(sizes))
            # The shares are a table first; the bars wait behind a disclosure.
            first = cards.first
            assert first.locator("table.item-shares tbody tr").count() >= 2
            assert not first.locator("details.item-bars").evaluate("d => d.open")
            clipped = page.evaluate(
                """() => Array.from(document.querySelectorAll(".item-card .table-wrap"))
                    .filter((w) => w.scrollWidth > w.clientWidth + 1).length"""
            )
            assert clipped == 0, (language, width)
            _fits(page)
        context.close()
