"""Executives invited from the organisation's settings page (and the CLI): one audited write."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import AuditEvent, Membership, User
from app.platform.extensions import db
from tests.factories import grant, make_org, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@pytest.fixture
def consultant(app):
    org = make_org("acme", name="アクメ商事")
    grant(make_user("c@example.com"), org, "consultant")
    client = make_client(app)
    login(client, "c@example.com")
    client.csrf = csrf_token(client, "/workspace/orgs/acme/settings")
    return client, org


def _invite(client, email: str):
    return client.post(
        "/workspace/orgs/acme/executives",
        data={"executive-csrf_token": client.csrf, "executive-email": email},
    )


def _membership(email: str) -> str | None:
    return db.session.scalar(
        select(Membership.access).join(User).where(User.email == email.lower())
    )


def test_the_settings_page_offers_the_invitation_form(consultant):
    client, _org = consultant
    html = client.get("/workspace/orgs/acme/settings").get_data(as_text=True)
    assert "Invite an executive" in html
    assert 'action="/workspace/orgs/acme/executives"' in html
    assert "No executive has access yet." in html


def test_inviting_a_new_executive_shows_their_login_once_and_it_works(app, consultant):
    client, org = consultant
    response = _invite(client, "  Boss@Example.com ")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "An account has been created for boss@example.com" in html
    password = re.search(r'id="executive-password" type="text" value="([^"]+)"', html).group(1)
    base = app.config["CX_BASE_URL"].rstrip("/")
    assert f'<code id="executive-login-url">{base}/login</code>' in html
    assert _membership("boss@example.com") == "executive"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "executive.invited"))
    assert event.organization_id == org.id
    assert event.user_id is not None
    assert "boss" not in str(event.detail)
    listed = client.get("/workspace/orgs/acme/settings").get_data(as_text=True)
    assert "boss@example.com" in listed.split('id="executive-list"')[1]
    assert password not in listed

    executive = make_client(app)
    assert login(executive, "boss@example.com", password).headers["Location"] == "/dashboard/"


def test_an_existing_account_keeps_its_password(app, consultant):
    client, _org = consultant
    make_user("known@example.com")
    html = _invite(client, "known@example.com").get_data(as_text=True)
    assert "already has an account" in html
    assert 'id="executive-password"' not in html
    assert _membership("known@example.com") == "executive"


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "s email address.</li>"),
        ("not-an-address", "is not a valid email address."),
        ("c@example.com", "c@example.com is already a consultant of アクメ商事."),
    ],
)
def test_invalid_invitations_are_refused_with_a_message(consultant, email, message):
    client, _org = consultant
    response = _invite(client, email)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="acme"' in html  # the settings form still shows the organisation
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "executive.invited"))
        is None
    )


def test_inviting_twice_is_refused(consultant):
    client, _org = consultant
    _invite(client, "boss@example.com")
    again = _invite(client, "boss@example.com")
    assert again.status_code == 422
    assert "boss@example.com can already see the results of アクメ商事." in again.get_data(
        as_text=True
    )


def test_invitation_in_japanese(app, consultant):
    _client, _org = consultant
    client = make_client(app, "ja")
    login(client, "c@example.com")
    client.csrf = csrf_token(client, "/workspace/orgs/acme/settings")
    html = _invite(client, "boss@example.com").get_data(as_text=True)
    assert "パスワード" in html


def test_only_the_organisations_consultants_may_invite(app, consultant):
    _client, _org = consultant
    other = make_org("other")
    grant(make_user("o@example.com"), other, "consultant")
    outsider = make_client(app)
    login(outsider, "o@example.com")
    token = csrf_token(outsider, "/workspace/orgs/other/settings")
    response = outsider.post(
        "/workspace/orgs/acme/executives",
        data={"executive-csrf_token": token, "executive-email": "x@example.com"},
    )
    assert response.status_code == 404
    forged = _client.post(
        "/workspace/orgs/acme/executives", data={"executive-email": "x@example.com"}
    )
    assert forged.status_code in (400, 422)
    assert _membership("x@example.com") is None


def test_the_cli_uses_the_same_operation(runner, consultant):
    result = runner.invoke(args=["user", "invite-executive", "cli@example.com", "acme"])
    assert result.exit_code == 0, result.output
    assert "Executive login for acme: cli@example.com / " in result.output
    assert _membership("cli@example.com") == "executive"
    again = runner.invoke(args=["user", "invite-executive", "cli@example.com", "acme"])
    assert again.exit_code == 1
    assert "can already see the results" in again.output
