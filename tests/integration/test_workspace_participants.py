"""Participants in the browser: CSV import with preview, one by one, edit, move, revoke, links."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Participant, User
from app.operations.participants import find_by_token
from tests.integration.workspace_support import (
    add_people,
    csrf_token,
    fast_password_hashing,
    grant,
    login,
    make_campaign,
    make_client,
    make_org,
    make_user,
    submit,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

GOOD_CSV = (
    "name,email,department,role\n"
    "山田 太郎,taro@example.jp,営業部,frontline\n"
    "佐藤 花子,hanako@example.jp,開発部,ミドルマネジメント\n"
)


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


def _upload(client, campaign, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        f"/workspace/campaigns/{campaign.id}/participants/import",
        data={"csrf_token": client.csrf, "file": (io.BytesIO(data), "people.csv")},
        content_type="multipart/form-data",
    )


def _count(campaign) -> int:
    return len(
        db.session.scalars(select(Participant).where(Participant.campaign_id == campaign.id)).all()
    )


def test_import_previews_then_imports(setup):
    client, campaign = setup
    preview = _upload(client, campaign, GOOD_CSV)
    html = preview.get_data(as_text=True)
    assert "Preview: 2 participants" in html
    assert "taro@example.jp" in html
    assert _count(campaign) == 0, "nothing is written before confirmation"
    data = html.split('name="confirm-data" type="hidden" value="')[1].split('"')[0]
    import html as html_module

    confirm = client.post(
        f"/workspace/campaigns/{campaign.id}/participants/import",
        data={"confirm-csrf_token": client.csrf, "confirm-data": html_module.unescape(data)},
    )
    assert confirm.status_code == 302
    assert _count(campaign) == 2
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "participants.imported")
    )
    assert event.detail == {"count": 2}
    assert event.user_id is not None


def test_import_reports_every_bad_line_and_imports_nothing(setup):
    client, campaign = setup
    bad = (
        "name,email,department,role\n"
        "山田 太郎,taro@example.jp,営業部,frontline\n"
        "佐藤 花子,not-an-email,営業部,frontline\n"
        "鈴木 一郎,ichiro@example.jp,存在しない部,frontline\n"
        "高橋,taro@example.jp,開発部,boss\n"
    )
    response = _upload(client, campaign, bad)
    html = response.get_data(as_text=True)
    assert "nothing was imported" in html
    assert "Line 3" in html
    assert "not-an-email" in html
    assert "Line 4" in html
    assert "存在しない部" in html
    assert "Line 5" in html
    assert "appears twice" in html
    assert "boss" in html
    assert "Import 1 participants" not in html
    assert _count(campaign) == 0


def test_import_of_a_shift_jis_file(setup):
    client, campaign = setup
    response = _upload(client, campaign, GOOD_CSV.encode("cp932"))
    assert "Preview: 2 participants" in response.get_data(as_text=True)


def test_confirmation_is_validated_again(setup):
    client, campaign = setup
    tampered = GOOD_CSV + "x,bad-email,営業部,frontline\n"
    response = client.post(
        f"/workspace/campaigns/{campaign.id}/participants/import",
        data={"confirm-csrf_token": client.csrf, "confirm-data": tampered},
    )
    assert response.status_code == 200
    assert "Line 4" in response.get_data(as_text=True)
    assert _count(campaign) == 0


def test_add_edit_move_and_revoke(setup):
    client, campaign = setup
    org = campaign.organization
    sales, dev = org.departments
    frontline = next(r for r in org.roles if r.key == "frontline")
    manager = next(r for r in org.roles if r.key == "middle_manager")
    page = client.post(
        f"/workspace/campaigns/{campaign.id}/participants/new",
        data={
            "csrf_token": client.csrf,
            "name": "山田 太郎",
            "email": "Taro@Example.jp",
            "department": sales.id,
            "role": frontline.id,
        },
    )
    html = page.get_data(as_text=True)
    link = html.split('id="personal-link" type="text" value="')[1].split('"')[0]
    participant = find_by_token(link.rsplit("/", 1)[1])
    assert participant.email == "taro@example.jp"
    assert 'src="/static/js/copy-link.js"' in html
    duplicate = client.post(
        f"/workspace/campaigns/{campaign.id}/participants/new",
        data={
            "csrf_token": client.csrf,
            "email": "taro@example.jp",
            "department": sales.id,
            "role": frontline.id,
        },
    )
    assert "already a participant" in duplicate.get_data(as_text=True)
    submit(participant)
    moved = client.post(
        f"/workspace/participants/{participant.id}",
        data={
            "csrf_token": client.csrf,
            "name": "山田 太郎",
            "email": "taro@example.jp",
            "department": dev.id,
            "role": manager.id,
        },
    )
    assert moved.status_code == 302
    db.session.expire_all()
    participant = db.session.get(Participant, participant.id)
    assert (participant.department_id, participant.role_id) == (dev.id, manager.id)
    assert (participant.response.department_id, participant.response.role_id) == (
        dev.id,
        manager.id,
    )
    assert (
        client.post(
            f"/workspace/participants/{participant.id}/revoke", data={"csrf_token": client.csrf}
        ).status_code
        == 302
    )
    assert find_by_token(link.rsplit("/", 1)[1]) is None


def test_new_link_warns_and_replaces_the_old_one(setup):
    client, campaign = setup
    person = add_people(campaign, 1)[0]
    old_hash = person.token_hash
    page = client.get(f"/workspace/participants/{person.id}").get_data(as_text=True)
    assert "previous link of this person stop working" in page
    response = client.post(
        f"/workspace/participants/{person.id}/link", data={"csrf_token": client.csrf}
    )
    html = response.get_data(as_text=True)
    assert "the previous link of this person no longer works" in html
    link = html.split('id="personal-link" type="text" value="')[1].split('"')[0]
    db.session.expire_all()
    assert db.session.get(Participant, person.id).token_hash != old_hash
    assert find_by_token(link.rsplit("/", 1)[1]).id == person.id
    assert 'data-copy-target="personal-link"' in html
    assert "<script>" not in html


def test_links_csv_issues_fresh_links_for_those_who_have_not_submitted(setup):
    client, campaign = setup
    people = add_people(campaign, 3)
    submit(people[0])
    response = client.post(
        f"/workspace/campaigns/{campaign.id}/links.csv", data={"csrf_token": client.csrf}
    )
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert sorted(r["email"] for r in rows) == sorted(p.email for p in people[1:])
    for row in rows:
        assert find_by_token(row["link"].rsplit("/", 1)[1]).email == row["email"]
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "links.exported")
    ).detail == {"links": 2}


def test_participant_list_filters_and_shows_last_activity(setup):
    client, campaign = setup
    people = add_people(campaign, 3)
    submit(people[1])
    html = client.get(f"/workspace/campaigns/{campaign.id}?status=submitted").get_data(as_text=True)
    assert people[1].email in html
    assert people[0].email not in html
    assert db.session.scalar(select(User)) is not None
