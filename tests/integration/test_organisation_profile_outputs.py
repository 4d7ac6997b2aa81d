"""The organisation profile in the outputs: the dashboard overview, the API and the
organisation PDF show the recorded facts; scores and gaps never change because of them."""

from __future__ import annotations

import subprocess

import jsonschema_rs
import pytest

from app.api.openapi import openapi_document
from app.auth.tokens import create_api_token
from app.models import Campaign, User
from app.operations.profile import save_profile
from app.platform.extensions import db
from app.queries.profile import profile_definition
from app.reporting import service
from app.results import campaign_results, clear_cache
from app.results.serialize import results_document
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import fast_password_hashing, login, make_client

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

FACTS = {
    "cx_owner": ("executive", "組織図 2026年4月版"),
    "cx_team_size": ("6", None),
    "metrics_by_segment": ("yes", None),
    "cx_budget": ("multi_year", "中期経営計画 p.12"),
}


@pytest.fixture
def campaign(app) -> Campaign:
    org = make_org("acme")
    consultant = make_user("c@example.com")
    grant(consultant, org, "consultant")
    grant(make_user("exec@example.com"), org, "executive")
    grant(make_user("o@example.com"), make_org("other"), "consultant")
    campaign = make_campaign(org)
    for person in add_people(campaign, 3, role="executive"):
        submit(person, value=4)
    for person in add_people(campaign, 3, role="frontline"):
        submit(person, value=2)
    db.session.commit()
    return campaign


def _record(campaign: Campaign) -> None:
    actor = db.session.query(User).filter_by(email="c@example.com").one()
    save_profile(campaign, profile_definition(), FACTS, actor=actor)
    db.session.commit()


def test_facts_never_change_scores_or_gaps(app, campaign):
    clear_cache()
    before = results_document(campaign_results(campaign), ("role",))
    _record(campaign)
    clear_cache()
    after = results_document(campaign_results(campaign), ("role",))
    assert after == before
    assert "cx_owner" not in str(after)


def test_dashboard_overview_shows_the_facts(app, campaign):
    _record(campaign)
    client = make_client(app, "ja")
    assert login(client, "exec@example.com").status_code == 302
    page = client.get(f"/dashboard/campaigns/{campaign.id}").get_data(as_text=True)
    assert "プロフィール" in page
    assert "CXの責任者はどなたですか。" in page
    assert "全社に責任を持つ役員（CXOなど）がいる" in page
    assert "組織図 2026年4月版" in page
    assert "6 人" in page
    # Executives read the facts but do not edit them.
    assert f"/workspace/campaigns/{campaign.id}/profile" not in page


def test_dashboard_overview_says_when_no_fact_is_recorded(app, campaign):
    client = make_client(app)
    assert login(client, "c@example.com").status_code == 302
    page = client.get(f"/dashboard/campaigns/{campaign.id}").get_data(as_text=True)
    assert "No profile fact has been recorded for this campaign." in page
    assert f"/workspace/campaigns/{campaign.id}/profile" in page


def _validate(document: dict) -> None:
    spec = openapi_document()
    schema = {"$ref": "#/components/schemas/Profile", "components": spec["components"]}

    def union(node):
        if isinstance(node, dict):
            converted = {key: union(value) for key, value in node.items()}
            if converted.pop("nullable", False):
                return {"anyOf": [converted, {"type": "null"}]}
            return converted
        if isinstance(node, list):
            return [union(item) for item in node]
        return node

    jsonschema_rs.validate(union(schema), document)


def test_api_lists_every_fact_with_its_answer(app, campaign):
    _record(campaign)
    executive = db.session.query(User).filter_by(email="exec@example.com").one()
    token = create_api_token(executive, "tests")
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get(f"/api/v1/campaigns/{campaign.id}/profile?lang=en", headers=headers)
    assert response.status_code == 200
    document = response.json
    _validate(document)
    assert document["profile"]["id"] == "cx-profile"
    facts = {fact["fact"]: fact for fact in document["facts"]}
    assert len(facts) == len(profile_definition().facts)
    assert facts["cx_owner"]["value"] == "executive"
    assert facts["cx_owner"]["answer"] == "An executive (CXO or similar) accountable company-wide"
    assert facts["cx_owner"]["evidence"] == "組織図 2026年4月版"
    assert facts["metrics_by_segment"]["answer"] == "Yes"
    assert facts["cx_team_size"]["answer"] == "6 people"
    assert facts["cx_body"]["value"] is None
    ja = client.get(f"/api/v1/campaigns/{campaign.id}/profile", headers=headers).json
    assert {f["fact"]: f for f in ja["facts"]}["metrics_by_segment"]["answer"] == "はい"
    bad = client.get(f"/api/v1/campaigns/{campaign.id}/profile?lang=fr", headers=headers)
    assert bad.status_code == 400
    assert "/campaigns/{campaign_id}/profile" in openapi_document()["paths"]


def test_api_hides_another_organisations_profile(app, campaign):
    _record(campaign)
    outsider = db.session.query(User).filter_by(email="o@example.com").one()
    token = create_api_token(outsider, "tests")
    db.session.commit()
    response = app.test_client().get(
        f"/api/v1/campaigns/{campaign.id}/profile", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "ja",
            ("組織プロフィール（事実）", "複数年の計画で確保している", "中期経営計画 p.12", "6人"),
        ),
        ("en", ("Organisation profile (facts)", "組織図 2026年4月版", "6 people")),
    ],
)
def test_organisation_pdf_holds_the_facts(app, campaign, tmp_path, locale, expected):
    _record(campaign)
    path = tmp_path / "organization.pdf"
    path.write_bytes(service.render_pdf(campaign, locale=locale))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    compact = "".join(text.split())
    for phrase in expected:
        assert "".join(phrase.split()) in compact, phrase
