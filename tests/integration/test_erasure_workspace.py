"""The workspace's erasure buttons: a participant's personal data and a campaign's data, each
after a page with the dry run; consultants of the organisation only, CSRF kept."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.models import Campaign, Participant, Response
from app.operations.campaigns import close_campaign
from app.platform.extensions import db
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
    executive = make_user("exec@example.com")
    grant(executive, org, "executive")
    campaign = make_campaign(org)
    participant, _token = invite(campaign, name="山田 太郎", email="taro@example.jp")
    submit(participant, 4)
    client = make_client(app)
    login(client, "c@example.com")
    client.csrf = csrf_token(client, "/account")
    return client, campaign, participant


def _form_of(html: str) -> tuple[str, dict[str, str]]:
    form = html.split('id="confirm-form"')[1].split("</form>")[0]
    before = html.split('id="confirm-form"')[0].rsplit("<form", 1)[1]
    action = re.search(r'action="([^"]+)"', before).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return action, fields


def _participant(participant_id: int) -> Participant:
    db.session.expire_all()
    return db.session.get(Participant, participant_id)


def test_the_participant_page_erases_after_showing_the_dry_run(setup):
    client, campaign, participant = setup
    page = client.get(f"/workspace/participants/{participant.id}").get_data(as_text=True)
    button = re.search(r'<a [^>]*id="erase-participant"[^>]*>', page).group(0)
    assert f'href="/workspace/participants/{participant.id}/erase"' in button

    asked = client.get(f"/workspace/participants/{participant.id}/erase")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Erase the personal data of 山田 太郎?" in html
    assert "Personal links deleted: 1" in html
    assert "Answers kept as anonymous answers:" in html
    assert _participant(participant.id).email == "taro@example.jp"

    action, fields = _form_of(html)
    assert fields["confirm"] == "yes"
    done = client.post(action, data=fields)
    assert done.status_code == 302
    erased = _participant(participant.id)
    assert (erased.name, erased.email, erased.links) == (None, None, [])
    assert erased.erased_at is not None
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1

    page = client.get(f"/workspace/participants/{participant.id}").get_data(as_text=True)
    assert 'id="erased-notice"' in page
    assert 'id="erase-participant"' not in page
    assert "taro@example.jp" not in page
    listing = client.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Personal data erased" in listing
    again = client.post(action, data=fields)
    assert again.status_code == 302


def test_erasing_needs_the_confirmation_and_csrf(setup):
    client, _campaign, participant = setup
    url = f"/workspace/participants/{participant.id}/erase"
    unconfirmed = client.post(url, data={"csrf_token": client.csrf})
    assert unconfirmed.status_code == 200
    assert "Erase personal data" in unconfirmed.get_data(as_text=True)
    forged = client.post(url, data={"confirm": "yes"})
    assert forged.status_code == 400
    assert _participant(participant.id).email == "taro@example.jp"


def test_only_the_organisations_consultants_may_erase(app, setup):
    _client, _campaign, participant = setup
    outsider = make_user("other@example.com")
    grant(outsider, make_org("other", ("総務部",)), "consultant")
    for email in ("other@example.com", "exec@example.com"):
        client = make_client(app)
        login(client, email)
        token = csrf_token(client, "/account")
        url = f"/workspace/participants/{participant.id}/erase"
        assert client.get(url).status_code == 404, email
        posted = client.post(url, data={"csrf_token": token, "confirm": "yes"})
        assert posted.status_code == 404, email
    assert _participant(participant.id).email == "taro@example.jp"
    anonymous = make_client(app)
    assert anonymous.get(f"/workspace/participants/{participant.id}/erase").status_code in (
        302,
        401,
    )


def test_the_campaign_settings_erase_the_campaign_once_closed(setup):
    client, campaign, participant = setup
    add_people(campaign, 2)
    settings = client.get(f"/workspace/campaigns/{campaign.id}/settings").get_data(as_text=True)
    assert 'id="erase"' in settings
    assert 'id="erase-campaign"' not in settings
    refused = client.post(
        f"/workspace/campaigns/{campaign.id}/erase",
        data={"csrf_token": client.csrf, "confirm": "yes"},
    )
    assert refused.status_code == 302
    assert _participant(participant.id) is not None

    close_campaign(db.session.get(Campaign, campaign.id))
    db.session.commit()
    settings = client.get(f"/workspace/campaigns/{campaign.id}/settings").get_data(as_text=True)
    assert 'id="erase-campaign"' in settings
    asked = client.get(f"/workspace/campaigns/{campaign.id}/erase").get_data(as_text=True)
    assert "Responses deleted: 1" in asked
    assert "People whose name and email address are removed: 3" in asked
    action, fields = _form_of(asked)
    assert client.post(action, data=fields).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 0
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    assert db.session.get(Campaign, campaign.id).erased_at is not None
