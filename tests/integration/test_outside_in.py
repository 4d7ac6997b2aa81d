"""Maturity beside customer outcomes: departments placed by their maturity score and an
outcome, the correlation only from 8 departments, changes against the previous round, and the
dashboard tab and the report chapter that show them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.models import OutcomeRecord
from app.operations.campaigns import close_campaign
from app.operations.outcomes import OutcomeInput, save_outcomes
from app.platform.extensions import db
from app.reporting.service import render_html
from app.results import campaign_results
from app.results.outside_in import campaign_period, outside_in, pearson
from tests.factories import add_people, department_of, grant, make_campaign, make_org, make_user
from tests.factories import submit as submit_response
from tests.integration.workspace_support import fast_password_hashing, login, make_client

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

DEPARTMENTS = tuple(f"部{index}" for index in range(1, 11))
#: Each department's answer to every item (部10 has too few people to be shown, and one
#: more department is withheld with it so that its figures cannot be worked out).
VALUES = {name: 1 + index % 5 for index, name in enumerate(DEPARTMENTS)}


def _nps_record(department_id, period, nps):
    """A record of 100 customer answers whose NPS is ``nps`` (a multiple of 2, -60..60)."""
    promoters = 30 + nps // 2
    detractors = 30 - nps // 2
    values = {"promoters": promoters, "passives": 100 - promoters - detractors}
    values["detractors"] = detractors
    values["churn_rate"] = 0.1 - nps / 1000
    return OutcomeInput(0, department_id, period, values)


@pytest.fixture
def world(app):
    org = make_org("outside", DEPARTMENTS)
    campaign = make_campaign(org, threshold=3)
    for name in DEPARTMENTS:
        count = 1 if name == "部10" else 3
        for person in add_people(campaign, count, department=name):
            submit_response(person, value=VALUES[name])
    close_campaign(campaign)
    campaign.closed_at = datetime(2026, 3, 31, tzinfo=UTC)
    db.session.commit()
    records = [
        _nps_record(department_of(org, name).id, "2026", 10 * VALUES[name]) for name in DEPARTMENTS
    ]
    save_outcomes(org, records)
    db.session.commit()
    return org, campaign


def test_departments_are_placed_and_a_correlation_is_given_from_eight(world) -> None:
    org, campaign = world
    results = campaign_results(campaign)
    shown = {int(g.key["department"]) for g in results.by_department if g.shown and g.overall}
    view = outside_in(results, campaign, "nps")
    assert view.period == "2026"
    placed = {point.department_id for point in view.points}
    assert department_of(org, "部10").id not in placed, "a withheld department is no point"
    assert placed == shown
    assert len(view.points) >= 8
    assert not view.descriptive
    expected = pearson([p.maturity for p in view.points], [p.outcome for p in view.points])
    assert view.correlation == pytest.approx(expected)
    assert view.correlation > 0.95, "NPS was set to follow each department's answers"
    churn = outside_in(results, campaign, "churn_rate")
    assert churn.correlation < -0.95


def test_below_eight_departments_the_view_only_describes(world) -> None:
    org, campaign = world
    kept = {department_of(org, name).id for name in DEPARTMENTS[2:7]}
    for record in db.session.scalars(db.select(OutcomeRecord)):
        if record.department_id not in kept:
            db.session.delete(record)
    db.session.commit()
    view = outside_in(campaign_results(campaign), campaign, "nps")
    assert len(view.points) == 5
    assert view.descriptive
    assert view.correlation is None


def test_the_period_goes_with_the_campaign_year(world) -> None:
    _org, campaign = world
    assert campaign_period(campaign, ("2027", "2026", "2025")) == "2026"
    assert campaign_period(campaign, ("2026-Q4", "2026-Q1", "2025")) == "2026-Q4"
    assert campaign_period(campaign, ("2025",)) is None
    view = outside_in(campaign_results(campaign), campaign, "nps", period="2031")
    assert view.period == "2026", "an unknown period falls back to the campaign's"


def test_changes_against_the_previous_round(world) -> None:
    org, previous = world
    current = make_campaign(org, name="2027", threshold=3)
    current.previous_campaign_id = previous.id
    for name in DEPARTMENTS[:9]:
        for person in add_people(current, 3, department=name):
            submit_response(person, value=min(5, VALUES[name] + 1))
    close_campaign(current)
    current.closed_at = datetime(2027, 3, 31, tzinfo=UTC)
    db.session.commit()
    save_outcomes(
        org,
        [
            _nps_record(department_of(org, name).id, "2027", 10 * VALUES[name] + 4)
            for name in DEPARTMENTS[:9]
        ],
    )
    db.session.commit()
    view = outside_in(campaign_results(current), current, "nps")
    assert (view.period, view.previous_period) == ("2027", "2026")
    before = {p.department_id: p for p in outside_in(campaign_results(previous), previous).points}
    now = {p.department_id: p for p in view.points}
    assert {change.department_id for change in view.changes} == set(before)
    for change in view.changes:
        assert change.outcome == pytest.approx(4.0)
        expected = now[change.department_id].maturity - before[change.department_id].maturity
        assert change.maturity == pytest.approx(expected)
    assert any(change.maturity > 0.3 for change in view.changes)


def test_the_dashboard_tab_and_its_csv(app, world) -> None:
    org, campaign = world
    user = make_user("outcomes-viewer@example.com")
    grant(user, org, "executive")
    client = make_client(app)
    assert login(client, user.email).status_code == 302
    page = client.get(f"/dashboard/campaigns/{campaign.id}/outcomes")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "the correlation between maturity and NPS is r = " in html
    assert "data:image/svg+xml" in html
    assert "<td>部2</td>" in html
    churn = client.get(f"/dashboard/campaigns/{campaign.id}/outcomes?metric=churn_rate")
    assert "Churn rate (%)" in churn.get_data(as_text=True)
    csv = client.get(f"/dashboard/campaigns/{campaign.id}/outcomes.csv?metric=nps")
    text = csv.get_data(as_text=True)
    assert text.splitlines()[0].lstrip("\ufeff") == "Department,Maturity score,NPS,Respondents"
    assert "部10" not in text
    assert client.get(f"/dashboard/campaigns/{campaign.id}/outcomes?metric=x").status_code == 404


def test_the_organisation_report_has_the_chapter(world) -> None:
    _org, campaign = world
    html = render_html(campaign, locale="ja").html
    assert "成熟度と顧客成果" in html
    assert "相関係数は r = " in html
    english = render_html(campaign, locale="en").html
    assert "Maturity and customer outcomes" in english
    department = department_of(campaign.organization, "部3")
    assert "成熟度と顧客成果" not in render_html(campaign, department=department, locale="ja").html


def test_without_outcomes_the_chapter_and_the_points_are_absent(app) -> None:
    org = make_org("no-outcomes", ("A部",))
    campaign = make_campaign(org, threshold=3)
    for person in add_people(campaign, 3, department="A部"):
        submit_response(person, value=3)
    view = outside_in(campaign_results(campaign), campaign)
    assert view.periods == ()
    assert view.points == ()
    assert "成熟度と顧客成果" not in render_html(campaign, locale="ja").html
