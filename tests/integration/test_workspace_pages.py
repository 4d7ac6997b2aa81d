"""Every workspace page renders for a consultant, in Japanese and in English."""

from __future__ import annotations

import pytest

from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import fast_password_hashing, login, make_client

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_page_renders(app, language):
    user = make_user("c@example.com")
    org = make_org("acme")
    grant(user, org, "consultant")
    campaign = make_campaign(org)
    people = add_people(campaign, 4)
    submit(people[0], text="顧客視点が足りない")
    client = make_client(app, language)
    assert login(client, "c@example.com").status_code == 302
    pages = [
        "/workspace/",
        "/workspace/orgs/new",
        "/workspace/orgs/acme",
        "/workspace/orgs/acme/settings",
        f"/workspace/departments/{org.departments[0].id}",
        f"/workspace/roles/{org.roles[0].id}",
        "/workspace/orgs/acme/campaigns/new",
        f"/workspace/campaigns/{campaign.id}",
        f"/workspace/campaigns/{campaign.id}/settings",
        f"/workspace/campaigns/{campaign.id}/next-round",
        f"/workspace/campaigns/{campaign.id}/participants/import",
        f"/workspace/campaigns/{campaign.id}/participants/new",
        f"/workspace/participants/{people[0].id}",
        f"/workspace/campaigns/{campaign.id}/export",
        f"/workspace/campaigns/{campaign.id}/responses/import",
        "/account",
        "/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}">' in html
    campaign_page = client.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    expected = "回答状況" if language == "ja" else "Progress"
    assert expected in campaign_page
    assert people[0].email in campaign_page


def test_pages_need_a_login(app):
    client = make_client(app)
    response = client.get("/workspace/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
