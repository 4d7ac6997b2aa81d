"""Companion campaigns in the reports and on the dashboard.

The report world's five-capabilities campaign is paired with an improvement-cycle campaign of
the same organisation. In that campaign the small departments (人事部 and 法務部) answered 5
on every statement, so their withheld means (5.00) would stand out anywhere they leaked, and
開発部 is below the threshold too: its department report has no cycle chapter.
"""

from __future__ import annotations

import random
import re
import subprocess
from html import unescape

import pytest
from flask import current_app

from app.models import Campaign, Department, Organization
from app.models.campaign import DEFAULT_ANONYMITY_THRESHOLD
from app.operations.campaigns import close_campaign, pair_campaigns
from app.platform.extensions import db
from app.queries.campaigns import companion_of
from app.reporting import service
from app.results import campaign_results
from tests.factories import grant, invite, make_campaign, make_org, make_user, submit
from tests.integration.test_report_data import (
    THRESHOLD,
    world,  # noqa: F401 - the module-scoped fixture
)
from tests.integration.workspace_support import login, make_client

#: (department, role, respondents) of the improvement-cycle campaign.
CYCLE_LAYOUT: tuple[tuple[str, str, int], ...] = (
    ("営業部", "executive", 5),
    ("営業部", "middle_manager", 5),
    ("営業部", "frontline", 8),
    ("開発部", "executive", 1),
    ("開発部", "frontline", 3),
    ("人事部", "middle_manager", 1),
    ("人事部", "frontline", 2),
    ("法務部", "frontline", 2),
)
#: Everyone in these departments answers 5: their (withheld) means are 5.00.
PLANTED = ("人事部", "法務部")
#: The planted bottleneck: initiative planning scores lowest.
STAGE_SHIFT = {"strategy": 0.3, "planning": -0.7, "rollout": 0.0, "monitoring": 0.1}
DECIMAL = re.compile(r"\d\.\d\d")
SECTION = re.compile(r'<section class="chapter kind-stage" id="kind-stage">(.*?)\n</section>', re.S)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _rows(html: str) -> list[str]:
    return [_text(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)]


def _cycle_campaign(organization: Organization) -> Campaign:
    campaign = make_campaign(
        organization,
        name="2026年度 CX向上サイクル診断",
        questionnaire="cx-improvement-cycle",
        threshold=THRESHOLD,
    )
    rng = random.Random(21)
    for department, role, count in CYCLE_LAYOUT:
        for index in range(count):
            participant, _token = invite(
                campaign, department=department, role=role, name=f"サイクル {index}"
            )
            answers = {}
            for dimension in campaign.questionnaire.dimensions:
                for item in dimension.items:
                    raw = 3.0 + STAGE_SHIFT[dimension.id] + rng.gauss(0.0, 0.7)
                    answers[item.id] = 5 if department in PLANTED else max(1, min(5, round(raw)))
            submit(participant, answers=answers)
    close_campaign(campaign)
    db.session.commit()
    return campaign


@pytest.fixture(scope="module")
def paired(world):  # noqa: F811 - the fixture imported above
    _app, built = world
    cycle = _cycle_campaign(db.session.get(Organization, built.organization_id))
    capabilities = db.session.get(Campaign, built.campaign_id)
    pair_campaigns(capabilities, cycle)
    db.session.commit()
    return built, capabilities.id, cycle.id


def _campaigns(paired) -> tuple[Campaign, Campaign]:
    _built, capabilities_id, cycle_id = paired
    return db.session.get(Campaign, capabilities_id), db.session.get(Campaign, cycle_id)


def test_the_cycle_world_withholds_what_it_should(paired) -> None:
    built, _capabilities, _cycle = paired
    capabilities, cycle = _campaigns(paired)
    assert companion_of(capabilities).id == cycle.id
    assert companion_of(cycle).id == capabilities.id
    results = campaign_results(cycle)
    statuses = {
        name: results.group("department", department=built.departments[name]).status
        for name in ("営業部", "開発部", "人事部", "法務部")
    }
    assert statuses == {
        "営業部": "ok",
        "開発部": "suppressed",
        "人事部": "suppressed",
        "法務部": "suppressed",
    }
    assert all(group.shown for group in results.by_role)
    assert results.balance["stage"].weakest == "planning"


def test_capability_report_has_the_companions_cycle_chapter(paired) -> None:
    capabilities, cycle = _campaigns(paired)
    companion = campaign_results(cycle, locale="ja")
    html = service.render_html(capabilities, locale="ja").html
    match = SECTION.search(html)
    assert match, "no improvement-cycle chapter"
    section = match.group(1)
    text = _text(section)
    assert "CX向上サイクル" in text
    # The line naming the companion campaign and its n.
    assert cycle.name in text
    assert f"回答 {companion.organization.n} 件" in text
    rows = _rows(section)
    for dimension in companion.dimensions:
        title = companion.text(dimension.title, "ja")
        row = next(r for r in rows if title in r)
        # The organisation's mean, then each role's, all from the companion's results.
        assert f"{dimension.organization.mean:.2f}" in row, (title, row)
        for group in companion.by_role:
            assert f"{group.scores[dimension.id].mean:.2f}" in row, (title, group.key)
    overall = companion.organization.overall["stage"]
    assert f"{overall.mean:.2f}" in text
    # The bottleneck stage and what to do about it.
    weakest = companion.dimension(companion.balance["stage"].weakest)
    assert f"ボトルネック：{companion.text(weakest.title, 'ja')}" in text
    first = weakest.recommendation.actions[0]
    assert companion.text(first.text, "ja") in text
    # Each action with its owner and horizon, never a description of the next level.
    assert "0〜6か月" in text or "6〜18か月" in text
    # Nothing of a withheld group: the planted 5.00 of the small departments never shows.
    assert "5.00" not in text
    for name in ("開発部", *PLANTED):
        for row in rows:
            if name in row:
                assert not DECIMAL.search(row), row
    # A summary, not the companion's dimension pages: no statements, no distributions.
    assert 'class="dimension' not in section


def test_toc_summary_and_findings_name_the_companion(paired) -> None:
    capabilities, cycle = _campaigns(paired)
    companion = campaign_results(cycle, locale="ja")
    html = service.render_html(capabilities, locale="ja").html
    toc = re.search(r'<nav class="toc">(.*?)</nav>', html, re.S).group(1)
    assert 'href="#kind-stage"' in toc
    assert "CX向上サイクル" in _text(toc)
    # Chapters stay in order: capabilities, the companion's cycle, then gaps.
    anchors = re.findall(r'href="#([\w-]+)"><span class="num">(\d+)', toc)
    numbers = dict(anchors)
    assert int(numbers["kind-capability"]) < int(numbers["kind-stage"]) < int(numbers["gaps"])
    summary = _text(re.search(r'id="summary">(.*?)</section>', html, re.S).group(1))
    overall = companion.organization.overall["stage"]
    assert f"{overall.mean:.2f}" in summary
    assert "対になるキャンペーン" in summary
    # The companion's own findings open its chapter, which names the campaign.
    chapter = _text(re.search(r'id="kind-stage">(.*?)</section>', html, re.S).group(1))
    assert cycle.name in chapter
    bottleneck = next(f for f in companion.findings if f.rule.startswith("bottleneck_"))
    assert companion.text(bottleneck.text, "ja") in chapter
    assert companion.text(bottleneck.text, "ja") not in summary
    # The technical note says which campaign the companion chapters come from.
    note = service.render_html(capabilities, locale="ja", technical_note=True).html
    methods = _text(re.search(r'id="methods">(.*)', note, re.S).group(1))
    assert cycle.name in methods


def test_cycle_report_has_the_companions_capability_summary(paired) -> None:
    capabilities, cycle = _campaigns(paired)
    companion = campaign_results(capabilities, locale="ja")
    html = service.render_html(cycle, locale="ja").html
    assert 'id="kind-stage"' in html
    match = re.search(
        r'<section class="chapter kind-capability" id="kind-capability">(.*?)\n</section>',
        html,
        re.S,
    )
    assert match, "no capability chapter from the companion"
    text = _text(match.group(1))
    assert capabilities.name in text
    for dimension in companion.dimensions:
        assert f"{dimension.organization.mean:.2f}" in text
    assert 'href="#kind-capability"' in html
    overall = companion.organization.overall["capability"]
    summary = _text(re.search(r'id="summary">(.*?)</section>', html, re.S).group(1))
    assert f"{overall.mean:.2f}" in summary


def test_department_reports_take_the_same_department_of_the_companion(paired) -> None:
    built, _capabilities, _cycle = paired
    capabilities, cycle = _campaigns(paired)
    companion = campaign_results(cycle)
    sales = db.session.get(Department, built.departments["営業部"])
    html = service.render_html(capabilities, department=sales, locale="ja").html
    section = SECTION.search(html).group(1)
    group = companion.group("department", department=sales.id)
    text = _text(section)
    assert f"{group.overall['stage'].mean:.2f}" in text
    for dimension in companion.dimensions:
        assert f"{group.scores[dimension.id].mean:.2f}" in text
    assert f"回答 {group.n} 件" in text
    # Roles of the department the companion withholds are named, never scored.
    for cell in companion.by_role_department:
        if cell.key["department"] == sales.id and not cell.shown:
            label = companion.text(cell.label, "ja")
            for row in _rows(section):
                assert label not in row or not DECIMAL.search(row), row
    # 開発部 is below the threshold in the companion: its report has no cycle chapter.
    development = db.session.get(Department, built.departments["開発部"])
    html = service.render_html(capabilities, department=development, locale="ja").html
    assert 'id="kind-stage"' not in html
    assert cycle.name not in _text(html)


def test_pdf_has_the_cycle_chapter(paired, tmp_path) -> None:
    capabilities, cycle = _campaigns(paired)
    companion = campaign_results(cycle)
    path = tmp_path / "paired.pdf"
    path.write_bytes(service.render_pdf(capabilities, locale="ja"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "CX向上サイクル" in text
    assert "ボトルネックの段階" in text
    assert cycle.name in text
    assert f"{companion.organization.overall['stage'].mean:.2f}" in text
    contents = subprocess.run(
        ["pdftotext", "-layout", "-f", "2", "-l", "2", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CX向上サイクル" in contents


def test_dashboard_overview_shows_the_companions_levels(paired) -> None:
    built, _capabilities, _cycle = paired
    capabilities, cycle = _campaigns(paired)
    organization = db.session.get(Organization, built.organization_id)
    viewer = make_user("viewer@companion.test")
    grant(viewer, organization, "executive")
    client = make_client(current_app, "ja")
    assert login(client, viewer.email).status_code == 302
    html = client.get(f"/dashboard/campaigns/{capabilities.id}").get_data(as_text=True)
    companion = campaign_results(cycle, locale="ja")
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", c).split())
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, re.S)
    ]
    for dimension in companion.dimensions:
        assert companion.text(dimension.title, "ja") in html
        assert f"{dimension.organization.mean:.2f}" in cells
        assert companion.text(dimension.organization.level_label, "ja") in html
        assert f"/dashboard/campaigns/{cycle.id}/dimensions/{dimension.id}" in html
    assert f'href="/dashboard/campaigns/{cycle.id}"' in html
    assert cycle.name in html
    assert "5.00" not in cells
    rows = client.get(f"/dashboard/campaigns/{capabilities.id}/overview.csv").get_data(as_text=True)
    overall = companion.organization.overall["stage"]
    assert f"{overall.mean:.2f}" in rows
    assert cycle.name in rows
    # And the other way round: the cycle campaign's overview shows the capabilities.
    html = client.get(f"/dashboard/campaigns/{cycle.id}").get_data(as_text=True)
    own = campaign_results(capabilities, locale="ja")
    for dimension in own.dimensions:
        assert f"{dimension.organization.mean:.2f}" in html
    assert f'href="/dashboard/campaigns/{capabilities.id}"' in html


def test_dashboard_never_follows_a_link_to_another_organization(paired) -> None:
    built, _capabilities, _cycle = paired
    capabilities, cycle = _campaigns(paired)
    foreign = make_campaign(
        make_org("stranger-bank", [], name="よその銀行"),
        name="よその向上サイクル診断",
        questionnaire="cx-improvement-cycle",
        threshold=DEFAULT_ANONYMITY_THRESHOLD,
        opened=False,
    )
    # A link written by hand to another organisation's campaign is not followed; the
    # same-organisation campaign that names this one stays its companion.
    capabilities.companion_campaign_id = foreign.id
    db.session.commit()
    try:
        organization = db.session.get(Organization, built.organization_id)
        viewer = make_user("scoped@companion.test")
        grant(viewer, organization, "executive")
        client = make_client(current_app, "ja")
        assert login(client, viewer.email).status_code == 302
        html = client.get(f"/dashboard/campaigns/{capabilities.id}").get_data(as_text=True)
        assert foreign.name not in html
        assert f"/dashboard/campaigns/{foreign.id}" not in html
        assert f'href="/dashboard/campaigns/{cycle.id}"' in html
        report = service.render_html(capabilities, locale="ja").html
        assert foreign.name not in report
        assert cycle.name in report
        assert client.get(f"/dashboard/campaigns/{foreign.id}").status_code == 404
    finally:
        capabilities.companion_campaign_id = cycle.id
        db.session.commit()
