"""The demo seed: realistic volume, planted gaps, and idempotent.

The tests of what ``flask demo seed`` prints and of running it twice run the command; the
tests of what it writes read a copy of its rows (``tests/demo_copy.py``), written by the same
seed the first time in the test process."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

from sqlalchemy import func, select

from app.analysis.benchmark import Scope
from app.auth.passwords import hash_password
from app.auth.tokens import create_api_token
from app.models import (
    Answer,
    AuditEvent,
    Campaign,
    Organization,
    Participant,
    Response,
    User,
)
from app.operations.demo import BENCHMARK_PEERS, DEMO_SLUG
from app.reporting import service
from app.results.benchmark import Unavailable, campaign_benchmark
from tests.demo_copy import seeded_demo
from tests.integration.test_api_v1 import validate
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
    # The bank, and the other organisations of its benchmark with a campaign each.
    assert counts["Organization"] == 1 + len(BENCHMARK_PEERS)
    assert counts["Campaign"] == 3 + len(BENCHMARK_PEERS)
    submitted = db.session.scalar(
        select(func.count()).select_from(Response).where(Response.status == "submitted")
    )
    assert submitted >= 450  # 150+ per campaign
    org = db.session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
    assert 6 <= len(org.departments) <= 8
    campaigns = {c.name: c for c in org.campaigns}
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
    seeded_demo()
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
    seeded_demo()
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
    seeded_demo()
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
    # The client asks for English pages: the bank's English name.
    assert "Minato Regional Bank" in client.get("/dashboard/").get_data(as_text=True)


def test_demo_participants_have_japanese_names_and_addresses(runner, db):
    seeded_demo()
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


def _demo_campaigns(db) -> dict[str, Campaign]:
    """The bank's campaigns by name (its benchmark peers' are left out)."""
    seeded_demo()
    bank = select(Organization.id).where(Organization.slug == DEMO_SLUG)
    return {
        c.name: c
        for c in db.session.scalars(select(Campaign).where(Campaign.organization_id.in_(bank)))
    }


def test_the_2025_round_runs_on_questionnaire_1_0_0_and_the_2026_rounds_on_2_1_0(runner, db):
    campaigns = _demo_campaigns(db)
    versions = {name: c.questionnaire_version for name, c in campaigns.items()}
    assert versions == {
        "2025年度 CX 5つの力 成熟度診断": "1.0.0",
        "2026年度 CX 5つの力 成熟度診断": "2.1.0",
        "2026年度 CX向上サイクル 実践度診断": "2.1.0",
    }
    # A year apart, as their names say.
    closed = campaigns["2025年度 CX 5つの力 成熟度診断"]
    current = campaigns["2026年度 CX 5つの力 成熟度診断"]
    assert closed.opened_at < closed.closed_at < current.opened_at - timedelta(days=300)
    answered = db.session.scalar(
        select(func.max(Response.submitted_at)).where(Response.campaign_id == closed.id)
    )
    assert closed.opened_at < answered < closed.closed_at
    # The closed round keeps its frozen copy: 1.0.0's items and its one unanswered option.
    previous = closed.questionnaire
    assert "ob_cx_owner" in {item.id for item in previous.items}
    assert not previous.scale.allows_dont_know
    kinds = dict(
        db.session.execute(
            select(Campaign.questionnaire_version, func.count(Answer.id))
            .join(Response, Response.campaign_id == Campaign.id)
            .join(Answer, Answer.response_id == Response.id)
            .where(Answer.dont_know)
            .group_by(Campaign.questionnaire_version)
        ).all()
    )
    assert "1.0.0" not in kinds
    assert kinds["2.1.0"] > 0


def test_front_line_answers_dont_know_more_than_executives_on_management_items(runner, db, app):
    campaign = _demo_campaigns(db)["2026年度 CX 5つの力 成熟度診断"]
    user = db.session.scalar(select(User).where(User.email == "executive@example.com"))
    token = create_api_token(user, "tests")
    db.session.commit()
    response = make_client(app).get(
        f"/api/v1/campaigns/{campaign.id}/results?group_by=role",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    document = response.get_json()
    validate(document, "Results")
    rates = {group["key"]["role"]: group["dont_know"] for group in document["groups"]}
    # Asked of every role: whether cross-department conflicts are settled by customer impact,
    # and whether the link from CX to revenue is shown.
    for item in ("ob_cross_decision", "op_value_link"):
        assert not campaign.questionnaire.item(item).audience
        frontline, executive = rates["frontline"][item], rates["executive"][item]
        assert 0.15 <= frontline["rate"] <= 0.4, (item, frontline)
        assert executive["rate"] <= 0.1, (item, executive)
        assert frontline["asked"] >= 80
    # Elsewhere "don't know" stays rare.
    assert rates["frontline"]["ul_experiments"]["rate"] < 0.1


def test_the_2026_trend_compares_each_dimension_over_the_linked_items(runner, db):
    from app.results import campaign_results

    campaigns = _demo_campaigns(db)
    current = campaigns["2026年度 CX 5つの力 成熟度診断"]
    results = campaign_results(current)
    comparability = {c.dimension: c for c in results.trend_comparability}
    assert set(comparability) == {d.id for d in current.questionnaire.dimensions}
    links = current.questionnaire.links_to(
        campaigns["2025年度 CX 5つの力 成熟度診断"].questionnaire
    )
    for dimension, entry in comparability.items():
        assert entry.recomputed
        assert entry.comparable
        assert entry.items == tuple((item.id, was.id) for item, was in links[dimension])
    assert ("ob_vision_guides", "ob_vision") in comparability["org_behavior"].items
    trends = {t.dimension: t for t in results.trends if t.breakdown == "organization"}
    assert set(trends) == set(comparability)
    # Planted: digital and operations progressed most, unlearning hardly at all.
    assert trends["digital"].change >= 0.4
    assert trends["operations"].change >= 0.3
    assert abs(trends["unlearning"].change) < 0.2
    assert trends["digital"].significant


def test_the_1_0_0_round_still_opens_and_its_organisation_report_renders(runner, db, app):
    campaign = _demo_campaigns(db)["2025年度 CX 5つの力 成熟度診断"]
    client = make_client(app)
    user = db.session.scalar(select(User).where(User.email == "executive@example.com"))
    user.password_hash = hash_password("demo-password-123")
    db.session.commit()
    assert login(client, "executive@example.com", "demo-password-123").status_code == 302
    page = client.get(f"/dashboard/campaigns/{campaign.id}")
    assert page.status_code == 200
    # An English page: the round's English name.
    assert "FY2025 CX Five Capabilities Maturity Assessment" in page.get_data(as_text=True)

    pdf = service.render_pdf(campaign, locale="ja")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    flat = re.sub(r"\s+", "", text)
    assert "2025年度CX5つの力成熟度診断" in flat
    # A 1.0.0 item, asked as a perception then.
    assert "責任と権限を持つ役員（CXOなど）が置かれている。" in flat
    assert "組織行動の力" in flat


def test_the_demo_records_the_organisation_profile_of_each_round(runner, db, app):
    campaigns = _demo_campaigns(db)
    current = campaigns["2026年度 CX 5つの力 成熟度診断"]
    user = db.session.scalar(select(User).where(User.email == "executive@example.com"))
    token = create_api_token(user, "tests")
    db.session.commit()
    client = make_client(app)
    headers = {"Authorization": f"Bearer {token}"}
    facts = {}
    for name, campaign in campaigns.items():
        response = client.get(f"/api/v1/campaigns/{campaign.id}/profile", headers=headers)
        assert response.status_code == 200, name
        facts[name] = {fact["fact"]: fact for fact in response.get_json()["facts"]}
    now = facts["2026年度 CX 5つの力 成熟度診断"]
    assert all(fact["value"] is not None for fact in now.values())
    assert now["cx_owner"]["answer"] == "専任チームがあるが他部署への権限は限られる"
    assert "CX推進室" in now["cx_owner"]["evidence"]
    assert sum(fact["evidence"] is not None for fact in now.values()) >= 3
    # The companion round records the same facts; a year earlier CX was handled on the side.
    assert facts["2026年度 CX向上サイクル 実践度診断"]["cx_owner"]["value"] == "team_limited"
    before = facts["2025年度 CX 5つの力 成熟度診断"]
    assert before["cx_owner"]["value"] == "side_department"
    assert int(before["cx_team_size"]["value"]) < int(now["cx_team_size"]["value"])

    pdf = service.render_pdf(current, locale="ja")
    flat = re.sub(
        r"\s+",
        "",
        subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode("utf-8"),
    )
    assert "組織プロフィール（事実）" in flat
    # Short answers and notes, which a table cell does not wrap.
    assert "あるが報告が中心" in flat
    assert "頭取表彰「お客さまの声賞」（2025年度新設）" in flat
    # The front line often could not judge management practices: a table of its own.
    assert "「わからない」が多かった設問" in flat
    assert "現場で「わからない」が多いこと自体がひとつの発見です。" in flat
    question = current.questionnaire.item("ob_cross_decision")
    assert re.sub(r"\s+", "", current.questionnaire.text(question.text, "ja")) in flat

    # A second run keeps the recorded facts as they are.
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    again = client.get(f"/api/v1/campaigns/{current.id}/profile", headers=headers).get_json()
    assert {f["fact"]: f for f in again["facts"]} == now


def test_the_demo_bank_is_compared_with_the_other_banks_that_joined_the_benchmark(runner, db, app):
    campaigns = _demo_campaigns(db)
    current = campaigns["2026年度 CX 5つの力 成熟度診断"]
    bank = current.organization
    assert (bank.industry, bank.size_band, bank.benchmark_opt_in) == ("banking", "1000-4999", True)
    found = campaign_benchmark(current)
    assert found.available
    assert (found.scope, found.pool_size, found.widened) == (Scope.INDUSTRY, 5, True)
    ranks = [figures.percentile_rank for figures in found.dimensions.values()]
    assert all(rank is not None for rank in ranks)
    assert len(set(ranks)) > 1  # ahead of the pool on some capabilities, behind on others
    # The other questionnaires have no peers: their pages say so.
    for name in ("2025年度 CX 5つの力 成熟度診断", "2026年度 CX向上サイクル 実践度診断"):
        assert campaign_benchmark(campaigns[name]).reason is Unavailable.NO_PEERS

    user = db.session.scalar(select(User).where(User.email == "executive@example.com"))
    user.password_hash = hash_password("demo-benchmark-password")
    db.session.commit()
    client = make_client(app)
    login(client, user.email, "demo-benchmark-password")
    page = client.get(f"/dashboard/campaigns/{current.id}/benchmark").get_data(as_text=True)
    assert "Pool: same industry (Banking), all sizes, 5 organisations." in page
    for peer in BENCHMARK_PEERS:
        assert peer.name not in page
        assert peer.name_en not in page
    assert client.get(f"/dashboard/campaigns/{current.id}/benchmark.csv").status_code == 200
