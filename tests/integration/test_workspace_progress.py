"""The consultant's progress view: counts and rates by department and role, coloured against
the target, the participant list's status and last activity, and drafts left when it closed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import Campaign
from app.operations.campaigns import close_campaign
from app.operations.responses import begin, save_page
from app.platform.extensions import db
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import fast_password_hashing, login, make_client

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


def _rows(html: str, table_id: str) -> dict[str, list[str]]:
    table = re.search(rf'<table class="data" id="{table_id}">(.*?)</table>', html, re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        if cells and cells[0] not in ("Department", "Role"):
            rows[cells[0]] = cells[1:]
    return rows


def _rate_class(html: str, table_id: str, label: str) -> str:
    table = re.search(rf'<table class="data" id="{table_id}">(.*?)</table>', html, re.S).group(1)
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", table, re.S) if label in r)
    return re.search(r'class="rate-text (rate-\w+)"', row).group(1)


@pytest.fixture
def world(app):
    org = make_org("acme", ("営業部", "開発部", "人事部"))
    consultant = make_user("c@example.com")
    grant(consultant, org, "consultant")
    campaign = make_campaign(org)
    sales = add_people(campaign, 4, department="営業部", role="frontline")
    dev = add_people(campaign, 5, department="開発部", role="middle_manager")
    for person in sales[:3]:  # 75%: above the 70% target
        submit(person)
    for person in dev[:2]:  # 40%: below
        submit(person)
    db.session.commit()
    client = make_client(app)
    assert login(client, "c@example.com").status_code == 302
    return campaign, sales, dev, client


def test_counts_and_rates_by_department_and_role(world):
    campaign, _sales, _dev, client = world
    html = client.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    departments = _rows(html, "progress-departments")
    assert departments["営業部"][:3] == ["4", "0", "3"]  # invited, in progress, submitted
    assert departments["営業部"][3].startswith("75%")
    assert departments["開発部"][3].startswith("40%")
    assert departments["人事部"][3] == "–"
    assert _rate_class(html, "progress-departments", "営業部") == "rate-ok"
    assert _rate_class(html, "progress-departments", "開発部") == "rate-low"
    roles = _rows(html, "progress-roles")
    assert roles["Front line"][0] == "4"
    assert roles["Middle management"][3].startswith("40%")
    assert re.search(r'data-stat="rate">(\d+)%', html).group(1) == str(round(5 / 9 * 100))


def test_participant_list_shows_last_activity_and_partial_drafts(world):
    campaign, _sales, dev, client = world
    started = dev[2]
    begin(started)
    questionnaire = campaign.questionnaire
    first = questionnaire.items[0].id
    response = save_page(started, questionnaire, {first: 4})
    db.session.commit()
    html = client.get(f"/workspace/campaigns/{campaign.id}?status=started").get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if started.email in r)
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row), "last activity is shown"
    assert "Partial" not in row

    close_campaign(db.session.scalar(select(Campaign).where(Campaign.id == campaign.id)))
    db.session.commit()
    html = client.get(f"/workspace/campaigns/{campaign.id}?status=started").get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if started.email in r)
    assert "Partial (not submitted)" in row
    db.session.refresh(response)
    assert response.status == "draft"
    assert {a.item_id for a in response.answers} == {first}
