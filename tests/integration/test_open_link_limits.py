"""Registrations through a campaign's open link are limited per client address and per
campaign (CX_OPEN_LINK_ADDRESS_LIMIT, CX_OPEN_LINK_CAMPAIGN_LIMIT), with a clear 429 page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Participant
from app.operations.participants import enable_open_link
from app.platform.config import ConfigError
from tests.integration.survey_fixtures import csrf_from, make_campaign
from tests.integration.workspace_support import make_client

#: Documentation addresses (RFC 5737): they only label requests.
OFFICE = "192.0.2.10"


def _open_campaign(db, slug: str = "hikari"):
    campaign = make_campaign(db, slug=slug)
    token = enable_open_link(campaign)
    db.session.commit()
    dept = next(d for d in campaign.organization.departments if d.name == "個人営業部")
    role = next(r for r in campaign.organization.roles if r.key == "frontline")
    return campaign, token, {"department": dept.id, "role": role.id}


def _register(app, token: str, choice: dict, address: str, language: str = "en"):
    """One person: a browser of their own (new session) opens the link and registers."""
    client = make_client(app)
    client.environ_base["REMOTE_ADDR"] = address
    # Respondents' pages start in Japanese whatever the browser says; ?lang= switches.
    html = client.get(f"/o/{token}?lang={language}").get_data(as_text=True)
    return client.post(f"/o/{token}", data={"csrf_token": csrf_from(html), **choice})


def _registered(db, campaign) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(Participant.id)).where(Participant.campaign_id == campaign.id)
    )


def test_a_burst_from_one_address_is_stopped_by_the_default_limit(db, app):
    campaign, token, choice = _open_campaign(db)
    statuses = [_register(app, token, choice, OFFICE).status_code for _ in range(60)]
    assert statuses == [302] * 20 + [429] * 40
    assert _registered(db, campaign) == 20


def test_the_address_limit_says_when_to_come_back(db, app):
    app.config["CX_OPEN_LINK_ADDRESS_LIMIT"] = "3/minute"
    campaign, token, choice = _open_campaign(db)
    for _ in range(3):
        assert _register(app, token, choice, OFFICE).status_code == 302
    refused = _register(app, token, choice, OFFICE)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    text = refused.get_data(as_text=True)
    assert "Too many registrations have come from your network" in text
    assert "Please try again in 1 min." in text
    assert _registered(db, campaign) == 3
    # Another address is not affected, and opening the page is never limited.
    assert _register(app, token, choice, "192.0.2.11").status_code == 302
    client = make_client(app)
    client.environ_base["REMOTE_ADDR"] = OFFICE
    assert client.get(f"/o/{token}").status_code == 200


def test_the_refusal_page_is_in_japanese_by_default(db, app):
    app.config["CX_OPEN_LINK_ADDRESS_LIMIT"] = "1/hour"
    _campaign, token, choice = _open_campaign(db)
    assert _register(app, token, choice, OFFICE, "ja").status_code == 302
    refused = _register(app, token, choice, OFFICE, "ja")
    assert refused.status_code == 429
    text = refused.get_data(as_text=True)
    assert "お使いのネットワークからの登録が短時間に集中しています" in text
    assert "60分後" in text


def test_the_address_limit_counts_every_campaign(db, app):
    app.config["CX_OPEN_LINK_ADDRESS_LIMIT"] = "2/minute"
    _first, first_token, first_choice = _open_campaign(db, "hikari")
    _second, second_token, second_choice = _open_campaign(db, "minato")
    assert _register(app, first_token, first_choice, OFFICE).status_code == 302
    assert _register(app, second_token, second_choice, OFFICE).status_code == 302
    assert _register(app, second_token, second_choice, OFFICE).status_code == 429


def test_the_campaign_limit_holds_across_addresses(db, app):
    app.config["CX_OPEN_LINK_CAMPAIGN_LIMIT"] = "5/minute"
    campaign, token, choice = _open_campaign(db)
    _other, other_token, other_choice = _open_campaign(db, "minato")
    addresses = [f"198.51.100.{n}" for n in range(1, 8)]
    statuses = [_register(app, token, choice, a).status_code for a in addresses]
    assert statuses == [302] * 5 + [429] * 2
    refused = _register(app, token, choice, "198.51.100.50")
    assert "Many people are registering for this assessment right now" in refused.get_data(
        as_text=True
    )
    assert _registered(db, campaign) == 5
    # Another campaign's open link is not affected.
    assert _register(app, other_token, other_choice, "198.51.100.1").status_code == 302


def test_an_invalid_choice_is_not_counted(db, app):
    app.config["CX_OPEN_LINK_ADDRESS_LIMIT"] = "1/minute"
    _campaign, token, choice = _open_campaign(db)
    assert _register(app, token, {**choice, "role": 999999}, OFFICE).status_code == 422
    assert _register(app, token, choice, OFFICE).status_code == 302


@pytest.mark.parametrize("name", ["CX_OPEN_LINK_ADDRESS_LIMIT", "CX_OPEN_LINK_CAMPAIGN_LIMIT"])
def test_limits_that_cannot_be_read_stop_the_app_at_start(monkeypatch, tmp_path, name):
    from app import create_app

    monkeypatch.setenv(name, "twenty a minute")
    with pytest.raises(ConfigError, match=name):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
