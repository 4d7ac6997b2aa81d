"""Participants in the browser: CSV import with preview, one by one, edit, move, revoke, links."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.models import Answer, AuditEvent, Participant, Response, User
from app.operations import participants as participant_ops
from app.operations.participants import (
    LINK_COLUMNS,
    add_link,
    enable_open_link,
    register_open_participant,
)
from app.platform.extensions import db
from app.queries.participants import find_by_token
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.survey_fixtures import csrf_from, sign_in, start
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    import_id_of,
    login,
    make_client,
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
    assert "taro@example.jp,営業部" not in html, "the file stays on the server"
    confirm = client.post(
        f"/workspace/campaigns/{campaign.id}/participants/import",
        data={"confirm-csrf_token": client.csrf, "confirm-import_id": import_id_of(html)},
    )
    assert confirm.status_code == 302
    assert confirm.headers["Location"].endswith(f"/workspace/campaigns/{campaign.id}")
    assert _count(campaign) == 2
    # A second click on the same confirmation imports nothing more and shows the outcome.
    again = client.post(
        f"/workspace/campaigns/{campaign.id}/participants/import",
        data={"confirm-csrf_token": client.csrf, "confirm-import_id": import_id_of(html)},
    )
    assert "/participants/imports/" in again.headers["Location"]
    outcome = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Import finished: 2 participants created." in outcome
    assert _count(campaign) == 2
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "participants.imported")
    ).all()
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


def test_confirmation_checks_the_kept_file_again(setup):
    client, campaign = setup
    html = _upload(client, campaign, GOOD_CSV).get_data(as_text=True)
    # Someone adds one of the file's people between the preview and the confirmation.
    org = campaign.organization
    participant_ops.add_participant(
        campaign,
        email="hanako@example.jp",
        department=org.departments[0],
        role=org.roles[0],
    )
    db.session.commit()
    response = client.post(
        f"/workspace/campaigns/{campaign.id}/participants/import",
        data={"confirm-csrf_token": client.csrf, "confirm-import_id": import_id_of(html)},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Import failed: nothing was imported." in page
    assert "Line 3" in page
    assert "hanako@example.jp is already a participant of this campaign." in page
    assert _count(campaign) == 1


def test_a_confirmation_without_a_kept_file_is_refused(setup):
    client, campaign = setup
    response = client.post(
        f"/workspace/campaigns/{campaign.id}/participants/import",
        data={"confirm-csrf_token": client.csrf, "confirm-import_id": "not-a-kept-file"},
    )
    assert response.status_code == 404
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
            f"/workspace/participants/{participant.id}/revoke",
            data={"csrf_token": client.csrf, "confirm": "yes"},
        ).status_code
        == 302
    )
    assert find_by_token(link.rsplit("/", 1)[1]) is None


def _link_on(html: str) -> str:
    return html.split('id="personal-link" type="text" value="')[1].split('"')[0]


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _on_page_one(app, token: str):
    """A respondent's client signed in with ``token``, started and on page 1 (not posted)."""
    respondent = make_client(app)
    sign_in(respondent, token)
    start(respondent)
    html = respondent.get("/survey/page?n=1").get_data(as_text=True)
    return respondent, csrf_from(html)


def _post_page_one(respondent, csrf: str, campaign, value: str = "4"):
    first = campaign.questionnaire.items[0].id
    response = respondent.post(
        "/survey/page?n=1", data={"csrf_token": csrf, f"q_{first}": value, "action": "next"}
    )
    return first, response


def _saved(participant_id: int, item_id: str) -> int | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.participant_id == participant_id, Answer.item_id == item_id)
    )


def _participant_page(client, person) -> str:
    return client.get(f"/workspace/participants/{person.id}").get_data(as_text=True)


def test_a_link_handed_out_from_the_page_keeps_earlier_links_working(app, setup):
    client, campaign = setup
    person = add_people(campaign, 1)[0]
    first_token = add_link(person, "invitation")
    db.session.commit()
    respondent, csrf = _on_page_one(app, first_token)
    page = _participant_page(client, person)
    assert "Working links: 2" in page  # the one made with the participant, and the email's
    assert "Invitation email" in page
    assert "Links handed out before keep working" in page
    response = client.post(
        f"/workspace/participants/{person.id}/link", data={"csrf_token": client.csrf}
    )
    html = response.get_data(as_text=True)
    assert "the links handed out before keep working" in html
    link = _link_on(html)
    assert find_by_token(_token(link)).id == person.id
    assert find_by_token(first_token).id == person.id
    item, posted = _post_page_one(respondent, csrf, campaign)
    assert posted.status_code == 302
    assert _saved(person.id, item) == 4
    assert "Working links: 3" in _participant_page(client, person)
    assert 'data-copy-target="personal-link"' in html
    assert "<script>" not in html
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "participant.link_issued")
    )


def test_issuing_a_new_link_explicitly_revokes_every_earlier_one(app, setup):
    client, campaign = setup
    person = add_people(campaign, 1)[0]
    emailed = add_link(person, "invitation")
    from_csv = add_link(person, "csv")
    db.session.commit()
    respondent, csrf = _on_page_one(app, emailed)
    page = _participant_page(client, person)
    assert "Issue a new link (the previous one stops working)" in page
    assert "every earlier link of this person stops working at once" in page
    response = client.post(
        f"/workspace/participants/{person.id}/replace-link",
        data={"csrf_token": client.csrf, "confirm": "yes"},
    )
    html = response.get_data(as_text=True)
    assert "every earlier link of this person no longer works" in html
    link = _link_on(html)
    assert find_by_token(_token(link)).id == person.id
    assert find_by_token(emailed) is None
    assert find_by_token(from_csv) is None
    item, posted = _post_page_one(respondent, csrf, campaign)
    assert posted.status_code == 403
    assert _saved(person.id, item) is None
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "participant.link_replaced")
    )
    assert "Working links: 1" in _participant_page(client, person)


def _download(client, campaign) -> list[dict[str, str]]:
    response = client.post(
        f"/workspace/campaigns/{campaign.id}/links.csv", data={"csrf_token": client.csrf}
    )
    assert response.mimetype == "text/csv"
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_links_csv_adds_links_for_those_who_have_not_submitted(app, setup):
    client, campaign = setup
    people = add_people(campaign, 3)
    submit(people[0])
    emailed = add_link(people[1], "invitation")
    db.session.commit()
    respondent, csrf = _on_page_one(app, emailed)
    rows = _download(client, campaign)
    assert list(rows[0]) == list(LINK_COLUMNS)
    assert list(LINK_COLUMNS) == [
        "name",
        "email",
        "department",
        "role",
        "role_label",
        "status",
        "url",
    ]
    assert sorted(r["email"] for r in rows) == sorted(p.email for p in people[1:])
    assert {(r["role"], r["role_label"]) for r in rows} == {("frontline", "Front line")}
    assert {r["status"] for r in rows} == {"invited", "started"}
    for row in rows:
        assert find_by_token(_token(row["url"])).email == row["email"]
    # The link emailed before the download still works, and so does the session opened with it.
    assert find_by_token(emailed).id == people[1].id
    item, posted = _post_page_one(respondent, csrf, campaign)
    assert posted.status_code == 302
    assert _saved(people[1].id, item) == 4
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "links.exported")
    ).detail == {"links": 2}
    # A second download adds links again; the first download's links keep working.
    again = _download(client, campaign)
    for row in rows + again:
        assert find_by_token(_token(row["url"])) is not None


def test_links_csv_leaves_out_open_link_registrants_and_says_so(app, setup):
    client, campaign = setup
    add_people(campaign, 1)
    org = campaign.organization
    enable_open_link(campaign)
    registrant, own_link = register_open_participant(
        campaign, org.departments[0].id, org.roles[0].id
    )
    db.session.commit()
    page = client.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    note = page.split('id="links-open-link-note">')[1].split("</p>")[0]
    assert "registered through the open link without an email address are not in the file" in (note)
    assert page.index("links-open-link-note") < page.index("Download links (CSV)")
    rows = _download(client, campaign)
    assert len(rows) == 1
    assert all(row["email"] for row in rows)
    assert find_by_token(own_link).id == registrant.id


def test_web_and_cli_links_csv_come_from_the_same_function(app, setup, monkeypatch):
    client, campaign = setup
    add_people(campaign, 2)
    calls: list[str] = []
    original = participant_ops.links_csv

    def spy(*args, **kwargs):
        calls.append(kwargs["locale"])
        return original(*args, **kwargs)

    monkeypatch.setattr(participant_ops, "links_csv", spy)
    web = _download(client, campaign)
    result = app.test_cli_runner().invoke(
        args=["participants", "links", str(campaign.id), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    cli = list(csv.DictReader(io.StringIO(result.stdout)))
    assert calls == ["en", "en"]
    assert list(web[0]) == list(cli[0]) == list(LINK_COLUMNS)

    def without_url(rows):
        return [{k: v for k, v in row.items() if k != "url"} for row in rows]

    assert without_url(web) == without_url(cli)
    assert len(web) == 2
    assert {_token(r["url"]) for r in web}.isdisjoint({_token(r["url"]) for r in cli})
    for row in web + cli:
        assert find_by_token(_token(row["url"])).email == row["email"]


def test_participant_list_filters_and_shows_last_activity(setup):
    client, campaign = setup
    people = add_people(campaign, 3)
    submit(people[1])
    html = client.get(f"/workspace/campaigns/{campaign.id}?status=submitted").get_data(as_text=True)
    assert people[1].email in html
    assert people[0].email not in html
    assert db.session.scalar(select(User)) is not None
