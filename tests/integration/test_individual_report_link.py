"""A respondent's own report, downloaded from their personal link once the campaign closed."""

from __future__ import annotations

import subprocess

import pytest

from app.models import Campaign, Organization, Participant
from app.operations.participants import add_link
from app.platform.extensions import db
from app.results import campaign_results
from tests.factories import grant, make_user
from tests.integration.test_report_data import world  # noqa: F401 - module-scoped fixture
from tests.integration.workspace_support import csrf_token, login, make_client

REPORT_URL = "/survey/report.pdf"


def _open_link(app, participant: Participant, language: str = "ja"):
    """A fresh browser that followed a personal link handed out to the participant now."""
    token = add_link(participant, "manual")
    db.session.commit()
    client = make_client(app, language=language)
    landed = client.get(f"/r/{token}?lang={language}", follow_redirects=True)
    return client, landed


@pytest.fixture
def respondent(world):  # noqa: F811 - the fixture imported above
    app, built = world
    participant = db.session.get(Participant, built.respondent_id)
    campaign = participant.campaign
    assert campaign.status == "closed"
    assert campaign.individual_reports
    yield app, participant
    campaign.individual_reports = True
    db.session.commit()


def test_the_link_of_a_closed_round_offers_the_report_and_it_downloads(respondent, tmp_path):
    app, participant = respondent
    client, landed = _open_link(app, participant)
    assert landed.request.path == "/survey/thanks"
    page = landed.get_data(as_text=True)
    assert "あなたの個人別レポート" in page
    assert f'href="{REPORT_URL}"' in page

    response = client.get(REPORT_URL)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "individual-ja.pdf" in disposition
    assert "no-store" in response.headers["Cache-Control"]
    path = tmp_path / "mine.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "あなたのプロフィール" in text
    assert participant.department.name in text
    results = campaign_results(participant.campaign)
    org_behavior = next(d for d in results.dimensions if d.id == "org_behavior")
    assert f"{org_behavior.organization.mean:.2f}" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "CJK" in fonts
    assert "Type 3" not in fonts


def test_the_report_follows_the_respondents_language(respondent, tmp_path):
    app, participant = respondent
    client, landed = _open_link(app, participant, language="en")
    assert "Download your report (PDF)" in landed.get_data(as_text=True)
    response = client.get(REPORT_URL)
    assert response.status_code == 200
    assert "individual-en.pdf" in response.headers["Content-Disposition"]
    path = tmp_path / "mine-en.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Organisation & leadership" in text


def test_no_report_when_the_consultant_does_not_offer_it(respondent):
    app, participant = respondent
    participant.campaign.individual_reports = False
    db.session.commit()
    client, landed = _open_link(app, participant)
    page = landed.get_data(as_text=True)
    assert landed.request.path == "/survey/thanks"
    assert REPORT_URL not in page
    refused = client.get(REPORT_URL)
    assert refused.status_code == 409
    assert "個人別レポートを提供していません" in refused.get_data(as_text=True)


def test_no_report_while_the_campaign_is_open(world):  # noqa: F811
    app, built = world
    campaign = db.session.get(Campaign, built.campaign_id)
    assert campaign.status == "open"
    participant = next(p for p in campaign.participants if p.status == "submitted")
    campaign.individual_reports = True
    db.session.commit()
    try:
        client, landed = _open_link(app, participant)
        page = landed.get_data(as_text=True)
        assert "回答期間の終了後" in page
        assert REPORT_URL not in page
        assert client.get(REPORT_URL).status_code == 409
    finally:
        campaign.individual_reports = False
        db.session.commit()


def test_no_report_without_the_link(world):  # noqa: F811
    app, _built = world
    response = make_client(app).get(REPORT_URL)
    assert response.status_code == 403
    assert response.mimetype == "text/html"


def test_consultant_turns_individual_reports_on_and_off(world):  # noqa: F811
    app, built = world
    organization = db.session.get(Organization, built.organization_id)
    consultant = make_user("consultant@individual.test")
    grant(consultant, organization, "consultant")
    client = make_client(app)
    assert login(client, "consultant@individual.test").status_code in (302, 303)
    campaign = db.session.get(Campaign, built.campaign_id)
    url = f"/workspace/campaigns/{campaign.id}/settings"
    page = client.get(url).get_data(as_text=True)
    assert "individual report" in page
    form = {
        "csrf_token": csrf_token(client, url),
        "name": campaign.name,
        "timezone": "Asia/Tokyo",
        "threshold": str(campaign.anonymity_threshold),
        "individual_reports": "y",
    }
    assert client.post(url, data=form).status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Campaign, built.campaign_id).individual_reports is True
    del form["individual_reports"]
    assert client.post(url, data=form).status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Campaign, built.campaign_id).individual_reports is False


def test_individual_reports_are_carried_to_the_next_round(world):  # noqa: F811
    from app.operations.campaigns import copy_campaign

    _app, built = world
    previous = db.session.get(Campaign, built.previous_id)
    assert previous.individual_reports
    following = copy_campaign(previous, "次の回")
    try:
        assert following.individual_reports is True
    finally:
        db.session.rollback()
