"""The organisation profile: facts recorded per campaign in the workspace, shown again, checked
field by field, reachable only by the organisation's managers."""

from __future__ import annotations

import pytest

from app.models import AuditEvent, ProfileAnswer
from app.platform.extensions import db
from tests.factories import grant, make_campaign, make_org, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@pytest.fixture
def campaign(app):
    org = make_org("acme")
    grant(make_user("c@example.com"), org, "consultant")
    grant(make_user("exec@example.com"), org, "executive")
    other = make_org("other")
    grant(make_user("o@example.com"), other, "consultant")
    campaign = make_campaign(org)
    db.session.commit()
    return campaign


def _url(campaign) -> str:
    return f"/workspace/campaigns/{campaign.id}/profile"


def _signed_in(app, email: str, language: str = "en"):
    client = make_client(app, language)
    assert login(client, email).status_code == 302
    return client


def test_saved_facts_are_shown_again_and_audited(app, campaign):
    client = _signed_in(app, "c@example.com")
    url = _url(campaign)
    campaign_page = client.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    assert url in campaign_page
    page = client.get(url).get_data(as_text=True)
    assert "Who owns CX?" in page
    assert "at most 500 characters" in page
    form = {
        "csrf_token": csrf_token(client, url),
        "fact-cx_owner": "executive",
        "evidence-cx_owner": "組織図 2026年4月版",
        "fact-cx_team_size": "6",
        "fact-metrics_by_segment": "yes",
        "fact-metrics_in_use": "NPS, 解約率",
        "fact-cx_budget": "",
        "evidence-cx_budget": "",
    }
    assert client.post(url, data=form).status_code == 302
    rows = {row.fact_id: row for row in db.session.query(ProfileAnswer).all()}
    assert set(rows) == {"cx_owner", "cx_team_size", "metrics_by_segment", "metrics_in_use"}
    assert rows["cx_owner"].value == "executive"
    assert rows["cx_owner"].evidence == "組織図 2026年4月版"
    assert rows["cx_team_size"].value == "6"
    event = db.session.query(AuditEvent).filter_by(action="profile.saved").one()
    assert sorted(event.detail["facts"]) == sorted(rows)

    again = client.get(url).get_data(as_text=True)
    assert '<option value="executive" selected>' in again
    assert "組織図 2026年4月版</textarea>" in again
    assert 'value="6"' in again
    assert 'value="NPS, 解約率"' in again
    assert "Recorded " in again
    assert "by c@example.com" in again

    # Clearing a fact removes it; the others stay as they were.
    form = {"csrf_token": csrf_token(client, url), "fact-cx_team_size": ""}
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert {row.fact_id for row in db.session.query(ProfileAnswer).all()} == {
        "cx_owner",
        "metrics_by_segment",
        "metrics_in_use",
    }


def test_invalid_facts_are_named_beside_their_field_and_nothing_is_saved(app, campaign):
    client = _signed_in(app, "c@example.com")
    url = _url(campaign)
    form = {
        "csrf_token": csrf_token(client, url),
        "fact-cx_owner": "executive",
        "fact-cx_team_size": "six",
        "fact-cx_body": "sometimes",
        "fact-metrics_in_use": "x" * 201,
        "evidence-cx_budget": "y" * 501,
    }
    response = client.post(url, data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was saved: correct the facts marked below and save again." in page
    assert "Enter a whole number from 0 to 1000000000." in page
    assert "Choose one of the options." in page
    assert "At most 200 characters." in page
    assert "The evidence note is 501 characters long; at most 500." in page
    # What was typed is shown again so nothing has to be typed twice.
    assert 'value="six"' in page
    assert '<option value="executive" selected>' in page
    assert db.session.query(ProfileAnswer).count() == 0


def test_the_form_refuses_a_post_without_csrf_token(app, campaign):
    client = _signed_in(app, "c@example.com")
    response = client.post(_url(campaign), data={"fact-cx_owner": "executive"})
    assert response.status_code == 400
    assert db.session.query(ProfileAnswer).count() == 0


def test_the_page_is_in_japanese(app, campaign):
    client = _signed_in(app, "c@example.com", "ja")
    page = client.get(_url(campaign)).get_data(as_text=True)
    assert "組織プロフィール" in page
    assert "CXの責任者はどなたですか。" in page
    assert "全社に責任を持つ役員（CXOなど）がいる" in page


@pytest.mark.parametrize("email", ["o@example.com", "exec@example.com"])
def test_other_organisations_and_viewers_get_404(app, campaign, email):
    client = _signed_in(app, email)
    url = _url(campaign)
    assert client.get(url).status_code == 404
    token = csrf_token(client, "/workspace/")
    response = client.post(url, data={"csrf_token": token, "fact-cx_owner": "none"})
    assert response.status_code == 404
    assert db.session.query(ProfileAnswer).count() == 0
