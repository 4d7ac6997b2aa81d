"""Destructive workspace actions ask first, on a page that needs no script, with CSRF kept."""

from __future__ import annotations

import re

import pytest

from app.models import Campaign, Department, Participant
from app.operations.participants import enable_open_link
from app.platform.extensions import db
from app.queries.participants import find_by_token
from tests.factories import add_people, grant, invite, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@pytest.fixture
def setup(app):
    user = make_user("c@example.com")
    org = make_org("acme", ("営業部", "開発部"))
    grant(user, org, "consultant")
    campaign = make_campaign(org)
    client = make_client(app)
    login(client, "c@example.com")
    client.csrf = csrf_token(client, "/account")
    return client, campaign


def _form_of(html: str) -> tuple[str, dict[str, str]]:
    """The confirmation form's action and its fields (hidden inputs), as a browser posts it."""
    form = (
        html.split('id="confirm-form"')[0].rsplit("<form", 1)[1]
        + html.split('id="confirm-form"')[1].split("</form>")[0]
    )
    action = re.search(r'action="([^"]+)"', form).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return action, fields


def _status(campaign_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Campaign, campaign_id).status


def test_close_is_not_the_primary_button_and_asks_first(setup):
    client, campaign = setup
    people = add_people(campaign, 3)
    submit(people[0])
    page = client.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    close = re.search(r"<[^>]+>Close campaign<", page).group(0)
    assert 'class="button danger"' in close
    assert f'href="/workspace/campaigns/{campaign.id}/close"' in close

    asked = client.get(f"/workspace/campaigns/{campaign.id}/close")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Closing ends the survey for every participant at once." in html
    assert "1 of 3 participants have submitted." in html
    assert _status(campaign.id) == "open"

    action, fields = _form_of(html)
    assert fields["confirm"] == "yes"
    assert fields["csrf_token"]
    done = client.post(action, data=fields)
    assert done.status_code == 302
    assert _status(campaign.id) == "closed"


def test_an_unconfirmed_or_forged_close_changes_nothing(setup):
    client, campaign = setup
    url = f"/workspace/campaigns/{campaign.id}/close"
    unconfirmed = client.post(url, data={"csrf_token": client.csrf})
    assert unconfirmed.status_code == 200
    assert "Close the campaign" in unconfirmed.get_data(as_text=True)
    assert _status(campaign.id) == "open"
    forged = client.post(url, data={"confirm": "yes"})
    assert forged.status_code == 400
    assert _status(campaign.id) == "open"


def test_close_confirmation_in_japanese(app, setup):
    _client, campaign = setup
    client = make_client(app, "ja")
    login(client, "c@example.com")
    html = client.get(f"/workspace/campaigns/{campaign.id}/close").get_data(as_text=True)
    assert "を終了しますか" in html


def test_revoke_asks_first(setup):
    client, campaign = setup
    participant, token = invite(campaign, name="山田 太郎", email="taro@example.jp")
    url = f"/workspace/participants/{participant.id}/revoke"
    asked = client.post(url, data={"csrf_token": client.csrf})
    assert "Revoke 山田 太郎?" in asked.get_data(as_text=True)
    assert find_by_token(token) is not None
    shown = client.get(url).get_data(as_text=True)
    action, fields = _form_of(shown)
    assert client.post(action, data=fields).status_code == 302
    assert find_by_token(token) is None
    db.session.expire_all()
    assert db.session.get(Participant, participant.id).revoked_at is not None


def test_replacing_a_link_asks_first(setup):
    client, campaign = setup
    participant, token = invite(campaign, name="佐藤 花子")
    url = f"/workspace/participants/{participant.id}/replace-link"
    asked = client.post(url, data={"csrf_token": client.csrf})
    assert "Issue a new link for 佐藤 花子?" in asked.get_data(as_text=True)
    assert find_by_token(token) is not None
    action, fields = _form_of(client.get(url).get_data(as_text=True))
    done = client.post(action, data=fields)
    assert 'id="personal-link"' in done.get_data(as_text=True)
    assert find_by_token(token) is None


def test_disabling_and_reissuing_the_open_link_ask_first(setup):
    client, campaign = setup
    enable_open_link(campaign)
    db.session.commit()
    url = f"/workspace/campaigns/{campaign.id}/open-link"
    before = campaign.open_link_token_hash

    asked = client.post(url, data={"csrf_token": client.csrf, "action": "enable"})
    assert "Issue a new open link?" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).open_link_token_hash == before

    asked = client.post(url, data={"csrf_token": client.csrf, "action": "disable"})
    html = asked.get_data(as_text=True)
    assert "Disable the open link?" in html
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).open_link_enabled
    action, fields = _form_of(html)
    assert fields["action"] == "disable"
    assert client.post(action, data=fields).status_code == 302
    db.session.expire_all()
    assert not db.session.get(Campaign, campaign.id).open_link_enabled


def test_archiving_a_department_asks_first_and_keeps_the_form(setup):
    client, campaign = setup
    dept = campaign.organization.departments[1]
    url = f"/workspace/departments/{dept.id}"
    asked = client.post(
        url, data={"csrf_token": client.csrf, "name": "開発本部", "parent": "0", "archived": "y"}
    )
    html = asked.get_data(as_text=True)
    assert "Archive “開発部”?" in html
    db.session.expire_all()
    assert (db.session.get(Department, dept.id).name, dept.archived) == ("開発部", False)
    action, fields = _form_of(html)
    assert (fields["name"], fields["archived"]) == ("開発本部", "y")
    assert client.post(action, data=fields).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Department, dept.id)
    assert (saved.name, saved.archived) == ("開発本部", True)
    # Restoring or renaming an archived department needs no confirmation.
    restored = client.post(url, data={"csrf_token": client.csrf, "name": "開発本部", "parent": "0"})
    assert restored.status_code == 302
    db.session.expire_all()
    assert not db.session.get(Department, dept.id).archived
