"""Key drivers of the outcome item and the priority matrix, from submitted responses, through
the results, the API, the dashboard and the report."""

from __future__ import annotations

import random

import pytest

from app.analysis.drivers import relative_weights
from app.auth.tokens import create_api_token
from app.operations.campaigns import close_campaign
from app.platform.extensions import db
from app.reporting.service import render_html
from app.results import campaign_results
from app.results.drivers import MIN_ROLE_RESPONDENTS, campaign_drivers
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import fast_password_hashing, login, make_client

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

#: Respondents per role: two roles reach the 30 a role's own drivers need, one does not.
PEOPLE = {"frontline": 40, "middle_manager": 32, "executive": 6}


def _answers(questionnaire, scores, outcome):
    """Answers giving each dimension exactly ``scores[dimension]`` (reverse items mirrored)."""
    found = {}
    scale = questionnaire.scale
    for dimension in questionnaire.dimensions:
        for item in dimension.items:
            value = scores[dimension.id]
            found[item.id] = scale.reflect(value) if item.reverse else value
    found[questionnaire.outcomes[0].id] = outcome
    return found


@pytest.fixture
def world(app):
    org = make_org("drivers", ("営業部",))
    campaign = make_campaign(org, threshold=3)
    questionnaire = campaign.questionnaire
    rng = random.Random(7)
    expected_rows = []
    for role, count in PEOPLE.items():
        for person in add_people(campaign, count, department="営業部", role=role):
            scores = {d.id: rng.randint(1, 5) for d in questionnaire.dimensions}
            # Customers follow design and operations; the others barely move them.
            outcome = 2 * scores["design"] + scores["operations"] - 5 + rng.choice((-1, 0, 1))
            outcome = max(0, min(10, outcome))
            answers = _answers(questionnaire, scores, outcome)
            asked = {item.id for item in questionnaire.items_for(role)}
            answers = {k: v for k, v in answers.items() if k in asked or k.startswith("co_")}
            submit(person, answers=answers)
            expected_rows.append((scores, outcome, role))
    close_campaign(campaign)
    db.session.commit()
    return org, campaign, expected_rows


def test_the_drivers_follow_the_answers(world) -> None:
    _org, campaign, rows = world
    results = campaign_results(campaign)
    found = campaign_drivers(campaign, results)
    assert found.outcome == campaign.questionnaire.outcomes[0].id
    assert found.n == len(rows)
    dimensions = [d.id for d in campaign.questionnaire.dimensions]
    direct = relative_weights(
        [[scores[d] for d in dimensions] for scores, _outcome, _role in rows],
        [outcome for _scores, outcome, _role in rows],
    )
    weights = {driver.dimension: driver.weight for driver in found.pooled.drivers}
    assert [weights[d] for d in dimensions] == pytest.approx(list(direct.weights))
    assert found.pooled.r2 == pytest.approx(direct.r2)
    assert sum(weights.values()) == pytest.approx(found.pooled.r2)
    top = min(found.pooled.drivers, key=lambda driver: driver.rank)
    assert top.dimension == "design"
    for driver in found.pooled.drivers:
        assert driver.ci95 is not None
        assert driver.ci95[0] <= driver.weight <= driver.ci95[1]
    assert set(found.by_role) == {
        role for role, count in PEOPLE.items() if count >= MIN_ROLE_RESPONDENTS
    }
    quadrants = {cell.dimension: cell.quadrant for cell in found.matrix}
    assert set(quadrants) == set(dimensions)
    assert quadrants["design"] in ("act_first", "keep")
    assert campaign_drivers(campaign, results) is found, "kept while the data version holds"


def test_the_api_gives_the_document(client, world) -> None:
    org, campaign, rows = world
    user = make_user("drivers-reader@example.com")
    grant(user, org, "executive")
    token = create_api_token(user, "tests")
    db.session.commit()
    response = client.get(
        f"/api/v1/campaigns/{campaign.id}/drivers", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    document = response.get_json()
    assert document["outcome"] == "co_recommend"
    assert document["n"] == len(rows)
    assert [d["rank"] for d in document["drivers"]] == list(range(1, 6))
    assert {cell["quadrant"] for cell in document["matrix"]} <= {
        "act_first",
        "keep",
        "watch",
        "later",
    }
    assert "reason" not in document


def test_below_thirty_respondents_no_driver_is_claimed(app) -> None:
    org = make_org("few-drivers", ("営業部",))
    campaign = make_campaign(org, threshold=3)
    questionnaire = campaign.questionnaire
    for index, person in enumerate(add_people(campaign, 12, department="営業部")):
        scores = {d.id: 1 + index % 5 for d in questionnaire.dimensions}
        submit(person, answers=_answers(questionnaire, scores, index % 11))
    found = campaign_drivers(campaign, campaign_results(campaign))
    document = found.document()
    assert document["drivers"] == []
    assert document["reason"] == "too_few_respondents"
    assert document["n"] == 12
    assert document["matrix"] == []


def test_the_dashboard_and_the_report_show_where_to_act_first(app, world) -> None:
    org, campaign, _rows = world
    user = make_user("drivers-viewer@example.com")
    grant(user, org, "executive")
    client = make_client(app)
    assert login(client, user.email).status_code == 302
    html = client.get(f"/dashboard/campaigns/{campaign.id}/outcomes").get_data(as_text=True)
    assert "What moves the outcome item, and where to act first" in html
    assert html.count('id="drivers"') == 1
    assert "<title>Customer outcomes ·" in html
    assert "Our customers would recommend us to people close to them." in html
    assert 'class="badge quadrant' in html
    report = render_html(campaign, locale="en").html
    assert "What moves the outcome item, and where to act first" in report
    assert "Our customers would recommend us to people close to them." in report
    # The summary's priorities name the dimensions to act on first, by the matrix.
    found = campaign_drivers(campaign, campaign_results(campaign))
    titles = {d.id: d.title.get("en") for d in campaign.questionnaire.dimensions}
    quadrants = {cell.dimension: cell.quadrant for cell in found.matrix}
    ranked = sorted(found.pooled.drivers, key=lambda driver: driver.rank)
    act_first = [titles[d.dimension] for d in ranked if quadrants[d.dimension] == "act_first"]
    assert act_first, "design leads and its roles differ, so something is to act on first"
    line = "Weighed by what moves customers' recommendation, act first on: "
    if act_first:
        assert line + ", ".join(act_first) in report.replace("&#39;", "'")
    else:
        assert line not in report
    japanese = render_html(campaign, locale="ja").html
    assert "顧客成果の設問を動かす領域と、まず取り組む領域" in japanese
