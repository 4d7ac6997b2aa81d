"""The demo seed: realistic volume, planted gaps, and idempotent."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.models import (
    Answer,
    AuditEvent,
    Campaign,
    Organization,
    Participant,
    Response,
    User,
)
from tests.integration.workspace_support import login, make_client


def _counts(db):
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Organization, Campaign, Participant, Response, Answer, User)
    }


def test_demo_seed_creates_data_and_is_idempotent(runner, db):
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "Consultant login: consultant@example.com / " in first.output
    assert "/r/" in first.output
    counts = _counts(db)
    assert counts["Organization"] == 1
    assert counts["Campaign"] == 3
    submitted = db.session.scalar(
        select(func.count()).select_from(Response).where(Response.status == "submitted")
    )
    assert submitted >= 450  # 150+ per campaign
    org = db.session.scalar(select(Organization))
    assert 6 <= len(org.departments) <= 8
    campaigns = {c.name: c for c in db.session.scalars(select(Campaign))}
    statuses = sorted((c.questionnaire_id, c.status) for c in campaigns.values())
    assert statuses == [
        ("cx-five-capabilities", "closed"),
        ("cx-five-capabilities", "open"),
        ("cx-improvement-cycle", "open"),
    ]
    current = campaigns["2026年度 CX 5つの力 成熟度診断"]
    assert current.previous_campaign is campaigns["2025年度 CX 5つの力 成熟度診断"]
    # The two 2026 campaigns are companions, on both sides.
    cycle = campaigns["2026年度 CX向上サイクル 実践度診断"]
    assert current.companion_campaign is cycle
    assert cycle.companion_campaign is current
    assert campaigns["2025年度 CX 5つの力 成熟度診断"].companion_campaign is None
    paired = (
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "campaign.paired")
    )
    assert db.session.scalar(paired) == 2

    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert "Already present" in second.output
    assert _counts(db) == counts
    db.session.expire_all()
    assert current.companion_campaign is cycle
    assert db.session.scalar(paired) == 2


def test_demo_seed_plants_a_vision_gap_between_executives_and_front_line(runner, db):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    from app.models import Role

    rows = db.session.execute(
        select(Role.key, func.avg(Answer.value))
        .join(Response, Response.role_id == Role.id)
        .join(Answer, Answer.response_id == Response.id)
        .where(Answer.item_id.like("ob_vision%"), Answer.value.is_not(None))
        .group_by(Role.key)
    ).all()
    means = {key: float(mean) for key, mean in rows}
    assert means["executive"] - means["frontline"] >= 0.8


def test_demo_prints_a_closed_round_link_that_offers_the_individual_report(runner, db, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    match = re.search(r"Individual report \(closed round\): \S+(/r/[\w-]+)", result.output)
    assert match, result.output
    landed = client.get(match.group(1), follow_redirects=True)
    assert landed.request.path == "/survey/thanks"
    assert 'href="/survey/report.pdf"' in landed.get_data(as_text=True)
    pdf = client.get("/survey/report.pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")


def test_demo_seed_plants_high_digital_low_organizational_behaviour_in_one_department(runner, db):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    from app.results import campaign_results

    campaign = db.session.scalar(
        select(Campaign).where(Campaign.name == "2026年度 CX 5つの力 成熟度診断")
    )
    results = campaign_results(campaign)
    department = next(d for d in campaign.organization.departments if d.name == "デジタル推進部")
    group = results.group("department", department=department.id)
    assert group.shown
    org = results.organization
    digital = group.scores["digital"].mean
    behaviour = group.scores["org_behavior"].mean
    assert digital - behaviour >= 1.0
    assert digital > org.scores["digital"].mean + 0.4
    assert behaviour < org.scores["org_behavior"].mean - 0.4


def test_demo_seed_has_150_submitted_responses_per_open_campaign(runner, db):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    counts = dict(
        db.session.execute(
            select(Campaign.name, func.count(Response.id))
            .join(Response, Response.campaign_id == Campaign.id)
            .where(Response.status == "submitted", Campaign.status == "open")
            .group_by(Campaign.name)
        ).all()
    )
    assert len(counts) == 2
    assert all(n >= 150 for n in counts.values()), counts


def test_demo_prints_an_executive_login_that_lands_on_the_dashboard(runner, db, app):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    match = re.search(r"Executive login: (executive@example\.com) / (\S+)", result.output)
    assert match, result.output
    # Each run prints a fresh password that works.
    again = runner.invoke(args=["demo", "seed"])
    second = re.search(r"Executive login: executive@example\.com / (\S+)", again.output).group(1)
    assert second != match.group(2)
    client = make_client(app)
    response = login(client, match.group(1), second)
    assert response.headers["Location"] == "/dashboard/"
    assert "みなと地域銀行" in client.get("/dashboard/").get_data(as_text=True)


def test_demo_participants_have_japanese_names_and_addresses(runner, db):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    people = db.session.execute(
        select(Participant.campaign_id, Participant.name, Participant.email)
    ).all()
    assert people
    assert all(name for _c, name, _e in people)
    assert all(re.fullmatch(r"\S{1,4} \S{1,4}", name) for _c, name, _e in people)
    by_campaign: dict[int, list[str]] = {}
    for campaign_id, _name, email in people:
        by_campaign.setdefault(campaign_id, []).append(email)
    for emails in by_campaign.values():
        assert len(set(emails)) == len(emails)
    assert any(name == "デモ 回答者" for _c, name, _e in people)
