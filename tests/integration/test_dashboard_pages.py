"""Each dashboard page renders the figures of the results object, in Japanese and English."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask

from app.operations.organizations import set_benchmark
from app.results import campaign_results
from tests.factories import grant, make_user
from tests.integration.test_dashboard_fixtures import (
    LEGAL,
    World,
    build_campaign,
    build_world,
    executive_client,
    make_org,
)


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _cells(html: str) -> list[str]:
    """The visible text of every table cell, whitespace collapsed."""
    found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in found]


@pytest.fixture
def world(app: Flask):
    return build_world(with_previous=True)


def test_campaign_list_and_overview_show_the_results_figures(app: Flask, world) -> None:
    client = executive_client(app, world)
    listing = _text(client.get("/dashboard/"))
    assert world.campaign.name in listing
    assert f"/dashboard/campaigns/{world.campaign.id}" in listing

    results = campaign_results(world.campaign)
    html = _text(client.get(f"/dashboard/campaigns/{world.campaign.id}"))
    overall = results.organization.overall["capability"]
    assert f"{overall.mean:.2f}" in html
    assert results.text(overall.level_label, "ja") in html
    for dimension in results.dimensions:
        assert f"{dimension.organization.mean:.2f}" in _cells(html)
        assert results.text(dimension.title, "ja") in html
    rate = results.response_counts.total.response_rate
    assert f"{rate * 100:.0f}%" in html
    # The three largest role gaps are put into words, and every finding is shown.
    largest = max(results.gaps_of("role"), key=lambda g: abs(g.difference))
    assert f"{abs(largest.difference):.2f}ポイント" in html
    for finding in results.findings:
        assert results.text(finding.text, "ja") in html
    assert 'src="data:image/svg+xml;base64,' in html
    assert "/reports/campaigns/" in html
    assert "organization.pdf" in html
    assert "<script>" not in html
    assert "onclick" not in html
    assert 'style="' not in html

    rows = _csv(client.get(f"/dashboard/campaigns/{world.campaign.id}/overview.csv"))
    assert ["5つの力", "総合", f"{overall.mean:.2f}"] == rows[1][:3]


def test_overview_follows_the_language(app: Flask, world) -> None:
    client = executive_client(app, world)
    html = _text(client.get(f"/dashboard/campaigns/{world.campaign.id}?lang=en"))
    assert 'lang="en"' in html
    assert "Vision" in html
    assert "Overview" in html
    assert "ビジョン力" not in html


def test_departments_heatmap_sorts_and_links_to_details(app: Flask, world) -> None:
    client = executive_client(app, world)
    results = campaign_results(world.campaign)
    base = f"/dashboard/campaigns/{world.campaign.id}/departments"
    shown = [g for g in results.by_department if g.shown]
    html = _text(client.get(f"{base}?sort=vision&dir=asc"))
    order = sorted(shown, key=lambda g: g.scores["vision"].mean)
    positions = [html.index(f">{results.text(g.label, 'ja')}</a>") for g in order]
    assert positions == sorted(positions)
    for group in shown:
        cell = group.scores["vision"]
        assert f"{cell.mean:.2f}" in html
        assert f"/departments/{group.key['department']}" in html
    assert "heat-suppressed" in html
    assert "非表示" in html
    assert "heat-legend" in html

    descending = _text(client.get(f"{base}?sort=vision&dir=desc"))
    positions = [descending.index(f">{results.text(g.label, 'ja')}</a>") for g in order]
    assert positions == sorted(positions, reverse=True)

    rows = _csv(client.get(f"{base}.csv?sort=vision&dir=asc"))
    names = [row[0] for row in rows[2:]]
    assert names[: len(order)] == [results.text(g.label, "ja") for g in order]
    legal = next(row for row in rows if row[0] == LEGAL)
    assert set(legal[1:]) == {"suppressed"}


def test_overlay_needs_two_to_five_shown_departments(app: Flask, world) -> None:
    client = executive_client(app, world)
    base = f"/dashboard/campaigns/{world.campaign.id}/departments"
    sales, dev = world.departments["営業部"].id, world.departments["開発部"].id
    html = _text(client.get(f"{base}?compare={sales}&compare={dev}"))
    assert html.count('class="dash-chart overlay"') == 1
    # The legend is the page's, under the chart: each department with its n.
    legend = html[html.index('class="chart-legend"') :]
    assert "<span>営業部 (n=" in legend
    assert "<span>開発部 (n=" in legend
    one = _text(client.get(f"{base}?compare={sales}&lang=en"))
    assert "Choose between 2 and 5 departments" in one
    assert 'class="dash-chart overlay"' not in one
    legal = _text(client.get(f"{base}?compare={sales}&compare={world.departments[LEGAL].id}"))
    assert 'class="dash-chart overlay"' not in legal


def test_language_switch_keeps_sort_and_overlay(app: Flask, world) -> None:
    client = executive_client(app, world)
    base = f"/dashboard/campaigns/{world.campaign.id}/departments"
    sales, dev = world.departments["営業部"].id, world.departments["開発部"].id
    html = _text(client.get(f"{base}?sort=digital&compare={sales}&compare={dev}"))
    switch = re.search(r'<a href="([^"]+)" lang="en" hreflang="en">English</a>', html)
    assert switch, "no link to the English page"
    link = switch.group(1).replace("&amp;", "&")
    assert link.startswith(f"{base}?")
    assert "sort=digital" in link
    assert f"compare={sales}" in link
    assert f"compare={dev}" in link
    assert "lang=en" in link
    english = _text(client.get(link))
    assert english.count('class="dash-chart overlay"') == 1
    assert 'lang="ja" hreflang="ja">日本語</a>' in english


def test_department_detail_shows_roles_and_items(app: Flask, world) -> None:
    client = executive_client(app, world)
    results = campaign_results(world.campaign)
    sales = world.departments["営業部"].id
    html = _text(client.get(f"/dashboard/campaigns/{world.campaign.id}/departments/{sales}"))
    group = results.group("department", department=sales)
    cells = _cells(html)
    assert f"{group.scores['design'].mean:.2f}" in cells
    frontline = results.group("role_department", department=sales, role="frontline")
    assert f"{frontline.scores['vision'].mean:.2f}" in cells
    assert "CXビジョンが共有されている" in html
    assert f"departments/{sales}.pdf" in html
    missing = client.get(f"/dashboard/campaigns/{world.campaign.id}/departments/999999")
    assert missing.status_code == 404


def test_roles_page_gaps_blind_spots_and_department_filter(app: Flask, world) -> None:
    client = executive_client(app, world)
    results = campaign_results(world.campaign)
    base = f"/dashboard/campaigns/{world.campaign.id}/roles"
    html = _text(client.get(base))
    for group in results.by_role:
        assert f"{group.scores['operations'].mean:.2f}" in _cells(html)
    for gap in results.gaps_of("role"):
        assert f"{abs(gap.difference):.2f}" in html
        if gap.significant:
            assert "*" in html
    blind = [g for g in results.gaps_of("role") if g.direction == "blind_spot_at_the_top"]
    assert blind, "the fixture plants a blind spot at the top"
    assert "経営層の盲点" in html

    sales = world.departments["営業部"].id
    filtered = _text(client.get(f"{base}?department={sales}"))
    inner = results.group("role_department", department=sales, role="frontline")
    assert f"{inner.scores['vision'].mean:.2f}" in _cells(filtered)
    assert client.get(f"{base}?department=999999").status_code == 404
    rows = _csv(client.get(f"{base}.csv?department={sales}"))
    assert rows[0][0] == "領域"


def test_dimension_detail_distribution_agreement_and_next_level(app: Flask, world) -> None:
    client = executive_client(app, world)
    results = campaign_results(world.campaign)
    html = _text(client.get(f"/dashboard/campaigns/{world.campaign.id}/dimensions/vision"))
    dimension = results.dimension("vision")
    assert f"{dimension.organization.agreement:.2f}" in html
    for group in results.by_role:
        assert f"{group.scores['vision'].agreement:.2f}" in html
    assert "Stacked bars" not in html  # alt text is translated
    level = dimension.level
    assert level is not None
    assert level < 5
    if level + 1 in (4, 5):
        descriptor = {4: "ビジョンが日々の判断に使われている", 5: "ビジョンが共通言語になっている"}
        assert descriptor[level + 1] in html
    distribution = results.organization.distributions["v1"]
    share = distribution.counts[-1] / distribution.n
    rows = _csv(client.get(f"/dashboard/campaigns/{world.campaign.id}/dimensions/vision.csv"))
    org_row = next(r for r in rows if r[0] == "1.1" and r[2] == "組織全体")
    assert org_row[3] == str(distribution.n)
    assert org_row[-1] == f"{share * 100:.0f}%"
    assert (
        client.get(f"/dashboard/campaigns/{world.campaign.id}/dimensions/nope").status_code == 404
    )


def test_trend_page_shows_changes_with_significance(app: Flask, world) -> None:
    client = executive_client(app, world)
    results = campaign_results(world.campaign)
    html = _text(client.get(f"/dashboard/campaigns/{world.campaign.id}/trend"))
    assert world.previous.name in html
    organization = [t for t in results.trends if t.breakdown == "organization"]
    assert organization
    for trend in organization:
        assert f"{trend.change:+.2f}" in html or f"−{abs(trend.change):.2f}" in html
    if any(t.significant for t in organization):
        assert '<span class="sig"' in html
    rows = _csv(client.get(f"/dashboard/campaigns/{world.campaign.id}/trend.csv"))
    assert len(rows) == 1 + sum(
        1 for t in results.trends if t.breakdown in ("organization", "role", "department")
    )


def test_trend_over_three_rounds_shows_every_round_per_group(app: Flask) -> None:
    org, departments = make_org("org-rounds")
    first = build_campaign(org, departments, name="2024年度診断", seed=5, shift=-1.0)
    second = build_campaign(
        org, departments, name="2025年度診断", seed=7, shift=-0.2, previous=first
    )
    third = build_campaign(org, departments, name="2026年度診断", seed=11, previous=second)
    executive = make_user("executive@org-rounds.example")
    grant(executive, org, "executive")
    client = executive_client(app, World(org, third, executive, departments, second))
    rounds = [campaign_results(c) for c in (first, second, third)]
    sales = departments["営業部"].id

    html = _text(client.get(f"/dashboard/campaigns/{third.id}/trend"))
    assert "2024年度診断 → 2025年度診断 → 2026年度診断" in html
    cells = _cells(html)
    history = " → ".join(
        f"{r.group('department', department=sales).scores['design'].mean:.2f}" for r in rounds
    )
    unmarked = [" ".join(cell.replace("*", " ").split()) for cell in cells]
    assert any(history in cell for cell in unmarked), history
    # The first step (2024 → 2025) is large and marked where the engine found it significant.
    step = next(
        t for t in rounds[1].trends if t.breakdown == "organization" and t.dimension == "design"
    )
    assert step.significant
    # The mark follows the score of the round whose step from the one before was significant.
    values = [f"{r.organization.scores['design'].mean:.2f}" for r in rounds]
    marked = f"{values[0]} → {values[1]} * → {values[2]}"
    assert any(marked in cell for cell in cells), (marked, cells[:12])

    rows = _csv(client.get(f"/dashboard/campaigns/{third.id}/trend.csv"))
    header = rows[0]
    assert header[2] == "比較可能"
    assert header[3].endswith("2024年度診断")
    assert len(header) == 10
    assert all(re.fullmatch(r"\d\.\d\d", row[3]) for row in rows[1:] if row[0] != LEGAL)
    assert {row[2] for row in rows[1:] if row[0] != LEGAL} == {"はい"}


def test_trend_without_previous_round_says_so(app: Flask) -> None:
    world = build_world("org-solo")
    client = executive_client(app, world, "en")
    html = _text(client.get(f"/dashboard/campaigns/{world.campaign.id}/trend"))
    assert "no previous round" in html


def test_benchmark_needs_five_other_organizations(app: Flask) -> None:
    world = build_world("org-main")
    set_benchmark(world.org, industry=None, size_band=None, opt_in=True)
    peers = []
    for index in range(5):
        org, departments = make_org(f"peer-{index}", f"ピア{index}株式会社")
        set_benchmark(org, industry=None, size_band=None, opt_in=True)
        peers.append(
            build_campaign(org, departments, name="診断", seed=100 + index, small_groups=False)
        )
    client = executive_client(app, world, "en")
    url = f"/dashboard/campaigns/{world.campaign.id}/benchmark"
    html = _text(client.get(url))
    assert "Pool: all industries and sizes, 5 organisations." in html
    for index in range(5):
        assert f"ピア{index}" not in html
        assert f"peer-{index}" not in html
    pool = sorted(campaign_results(c).organization.scores["vision"].mean for c in peers)
    assert f"{pool[2]:.2f}" in _cells(html)
    rows = _csv(client.get(url + ".csv"))
    assert rows[1][0] == "Vision"
    assert rows[1][2] == f"{pool[2]:.2f}"

    # One organisation fewer: the pool is too small, and the page says how small.
    peers[-1].status = "draft"
    from app.platform.extensions import db

    db.session.commit()
    small = _text(client.get(url))
    assert "Other organisations in the pool: 4; at least 5 are needed." in small
    assert f"{pool[2]:.2f}" not in _cells(small)
    assert client.get(url + ".csv").status_code == 404
