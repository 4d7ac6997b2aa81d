"""Personal and open links: sessions, resume, and the 404/410 pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.models import Answer, Participant, Response, utcnow
from app.operations.campaigns import close_campaign
from app.operations.participants import (
    add_link,
    disable_open_link,
    enable_open_link,
    issue_links,
    links_csv,
    replace_link,
    revoke_participant,
)
from app.platform.extensions import db as _db
from app.queries.participants import find_by_token
from app.questionnaire import estimate
from tests.integration.survey_fixtures import (
    ORG_NAME,
    csrf_from,
    in_language,
    invite,
    make_campaign,
    setup_survey,
    sign_in,
    start,
)


def _count_queries(client, url):
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(_db.engine, "before_cursor_execute", listener)
    return response, statements


def test_link_is_exchanged_for_a_session_and_the_token_leaves_the_url(db, client):
    s = setup_survey(db)
    response = client.get(f"/r/{s.token}")
    assert response.status_code == 302
    assert s.token not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    welcome = client.get("/survey/", follow_redirects=True)
    assert welcome.status_code == 200
    assert s.token not in welcome.get_data(as_text=True)
    assert welcome.request.path == "/survey/welcome"


def test_welcome_confirms_department_and_role_in_japanese_and_english(db, client):
    s = setup_survey(db)
    sign_in(client, s.token)
    html = client.get("/survey/welcome").get_data(as_text=True)
    assert "回答者情報" in html
    assert "営業本部 / ミドルマネジメント" in html
    # The time is computed from the text the role reads, in the language shown.
    ja_minutes = estimate(s.campaign.questionnaire, "ja", "middle_manager").minutes
    en_minutes = estimate(s.campaign.questionnaire, "en", "middle_manager").minutes
    assert f"約{ja_minutes}分" in html
    assert "結果は回答者が5名以上のグループについてのみ表示されます" in html
    english = in_language(client, "/survey/welcome", "en").get_data(as_text=True)
    assert "You are answering as" in english
    assert "営業本部 / Middle management" in english
    assert f"About {en_minutes} minutes" in english
    assert "groups of at least 5 respondents" in english
    assert "your individual answers are never shown to your organisation" in english


def test_respondents_start_in_japanese_whatever_the_browser_says(db, app):
    import flask_babel

    s = setup_survey(db)
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    sign_in(browser, s.token)
    flask_babel.refresh()
    assert "回答者情報" in browser.get("/survey/welcome").get_data(as_text=True)
    # The switch is remembered for the following pages, even across the link's redirect.
    english = app.test_client()
    assert english.get(f"/r/{s.token}?lang=en").status_code == 302
    flask_babel.refresh()
    page = english.get("/survey/welcome").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "You are answering as" in page


def test_the_same_link_resumes_on_another_device(db, app, client):
    s = setup_survey(db)
    sign_in(client, s.token)
    start(client)
    html = client.get("/survey/page?n=1").get_data(as_text=True)
    first = s.campaign.questionnaire.items[0].id
    client.post(
        "/survey/page?n=1",
        data={"csrf_token": csrf_from(html), f"q_{first}": "4", "action": "next"},
    )
    other = app.test_client()
    sign_in(other, s.token)
    landed = other.get("/survey/", follow_redirects=True)
    assert landed.request.full_path == "/survey/page?n=2"
    page_one = other.get("/survey/page?n=1").get_data(as_text=True)
    assert f'id="q_{first}-4" name="q_{first}" value="4" checked' in page_one


def test_survey_pages_need_a_session(db, client):
    setup_survey(db)
    response = client.get("/survey/page?n=1")
    assert response.status_code == 403
    assert "個人用リンクを開いてください" in response.get_data(as_text=True)
    saved = client.post("/survey/autosave?n=1", data={})
    assert saved.status_code == 400  # no CSRF token: refused before anything else


def test_unknown_and_revoked_links_look_the_same(db, client):
    s = setup_survey(db)
    other, revoked_token = s.participant, s.token
    revoke_participant(other)
    db.session.commit()
    unknown_token = "x" * len(revoked_token)
    unknown_response, unknown_queries = _count_queries(client, f"/r/{unknown_token}")
    revoked_response, revoked_queries = _count_queries(client, f"/r/{revoked_token}")
    assert unknown_response.status_code == revoked_response.status_code == 404
    # Same page apart from the URL itself (echoed only in the language switch).
    unknown_body = unknown_response.get_data(as_text=True).replace(unknown_token, "TOKEN")
    revoked_body = revoked_response.get_data(as_text=True).replace(revoked_token, "TOKEN")
    assert unknown_body == revoked_body
    assert len(unknown_queries) == len(revoked_queries) == 1
    body = unknown_response.get_data(as_text=True)
    assert "このリンクは無効です" in body
    assert ORG_NAME not in body
    assert "2026 診断" not in body
    english = in_language(client, "/r/nope", "en")
    assert english.status_code == 404
    assert "This link is not valid" in english.get_data(as_text=True)


def _unknown_body(client, token: str) -> str:
    response = client.get(f"/r/{token}")
    assert response.status_code == 404
    return response.get_data(as_text=True).replace(token, "TOKEN")


def _first_item(campaign) -> str:
    return campaign.questionnaire.items[0].id


def _saved_value(participant_id: int, item_id: str) -> int | None:
    _db.session.expire_all()
    return _db.session.scalar(
        select(Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.participant_id == participant_id, Answer.item_id == item_id)
    )


def test_links_handed_out_later_keep_earlier_links_and_the_session_in_progress(db, app, client):
    campaign = make_campaign(db)
    participant, invitation = invite(db, campaign, email="hanako@example.jp")
    sign_in(client, invitation)
    start(client)
    html = client.get("/survey/page?n=1").get_data(as_text=True)
    # While the respondent is on page 1, the consultant downloads the links CSV and a
    # reminder is sent: each adds a link.
    (csv_participant, from_csv), *_others = issue_links(campaign)
    from_reminder = add_link(participant, "reminder")
    db.session.commit()
    assert csv_participant.id == participant.id
    first = _first_item(campaign)
    posted = client.post(
        "/survey/page?n=1",
        data={"csrf_token": csrf_from(html), f"q_{first}": "3", "action": "next"},
    )
    assert posted.status_code == 302
    assert posted.headers["Location"].endswith("/survey/page?n=2")
    assert _saved_value(participant.id, first) == 3
    for token in (invitation, from_csv, from_reminder):
        assert find_by_token(token).id == participant.id
        other = app.test_client()
        sign_in(other, token)
        assert other.get("/survey/", follow_redirects=True).request.full_path == "/survey/page?n=2"
    assert client.get("/survey/page?n=2").status_code == 200


@pytest.mark.parametrize("action", ["replace", "revoke"])
def test_replacing_or_revoking_ends_every_session_and_every_earlier_link(db, app, client, action):
    campaign = make_campaign(db)
    participant, invitation = invite(db, campaign, email="hanako@example.jp")
    reminder = add_link(participant, "reminder")
    from_csv = add_link(participant, "csv")
    db.session.commit()
    sign_in(client, invitation)
    start(client)
    html = client.get("/survey/page?n=1").get_data(as_text=True)
    other = app.test_client()
    sign_in(other, from_csv)
    assert other.get("/survey/welcome").status_code == 200
    if action == "replace":
        new = replace_link(participant)
    else:
        revoke_participant(participant)
    db.session.commit()
    first = _first_item(campaign)
    posted = client.post(
        "/survey/page?n=1",
        data={"csrf_token": csrf_from(html), f"q_{first}": "3", "action": "next"},
    )
    assert posted.status_code == 403
    assert _saved_value(participant.id, first) is None
    assert other.get("/survey/welcome").status_code == 403
    unknown = _unknown_body(app.test_client(), "u" * len(invitation))
    for token in (invitation, reminder, from_csv):
        assert find_by_token(token) is None
        assert _unknown_body(app.test_client(), token) == unknown
        _response, queries = _count_queries(app.test_client(), f"/r/{token}")
        assert len(queries) == 1
    if action == "replace":
        sign_in(client, new)
        assert client.get("/survey/", follow_redirects=True).request.full_path == (
            "/survey/page?n=1"
        )


def test_open_link_registrants_keep_their_link_and_are_left_out_of_the_links_csv(db, app, client):
    campaign = make_campaign(db)
    invite(db, campaign, email="invited@example.jp")
    open_token = enable_open_link(campaign)
    db.session.commit()
    html = client.get(f"/o/{open_token}").get_data(as_text=True)
    dept = next(d for d in campaign.organization.departments if d.name == "個人営業部")
    role = next(r for r in campaign.organization.roles if r.key == "frontline")
    client.post(
        f"/o/{open_token}",
        data={"csrf_token": csrf_from(html), "department": dept.id, "role": role.id},
    )
    link_page = client.get("/survey/link").get_data(as_text=True)
    personal = link_page.split("http://localhost/r/")[1].split("<")[0]
    registrant = find_by_token(personal)
    assert registrant.email is None
    start(client)
    page = client.get("/survey/page?n=1").get_data(as_text=True)

    text, count = links_csv(campaign, locale="ja")
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == 1
    assert [row["email"] for row in rows] == ["invited@example.jp"]

    first = _first_item(campaign)
    posted = client.post(
        "/survey/page?n=1",
        data={"csrf_token": csrf_from(page), f"q_{first}": "5", "action": "next"},
    )
    assert posted.status_code == 302
    assert _saved_value(registrant.id, first) == 5
    assert find_by_token(personal).id == registrant.id
    other = app.test_client()
    sign_in(other, personal)
    assert other.get("/survey/", follow_redirects=True).request.full_path == "/survey/page?n=2"


def test_campaign_not_yet_open_gives_410(db, client):
    s = setup_survey(db, open_it=False)
    response = client.get(f"/r/{s.token}")
    assert response.status_code == 410
    assert "まだ受付を開始していません" in response.get_data(as_text=True)
    s.campaign.status = "open"
    s.campaign.opens_at = utcnow() + timedelta(days=2)
    db.session.commit()
    response = in_language(client, f"/r/{s.token}", "en")
    assert response.status_code == 410
    body = response.get_data(as_text=True)
    assert "This assessment is not open yet" in body
    assert "It opens on" in body
    assert ORG_NAME not in body


def test_closed_campaign_gives_410_and_past_closing_date_counts(db, client):
    s = setup_survey(db)
    s.campaign.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.get(f"/r/{s.token}")
    assert response.status_code == 410
    assert "この診断の受付は終了しました" in response.get_data(as_text=True)
    s.campaign.closes_at = None
    close_campaign(s.campaign)
    db.session.commit()
    assert client.get(f"/r/{s.token}").status_code == 410


def test_open_link_registers_a_participant_with_a_personal_link(db, client):
    s = setup_survey(db)
    token = enable_open_link(s.campaign)
    archived = next(d for d in s.campaign.organization.departments if d.name == "事務統括部")
    archived.archived = True
    db.session.commit()
    page = client.get(f"/o/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "所属部署" in html
    assert "事務統括部" not in html  # archived departments are not offered
    dept = next(d for d in s.campaign.organization.departments if d.name == "個人営業部")
    role = next(r for r in s.campaign.organization.roles if r.key == "frontline")
    no_csrf = client.post(f"/o/{token}", data={"department": archived.id, "role": 1})
    assert no_csrf.status_code == 400
    bad = client.post(
        f"/o/{token}",
        data={"csrf_token": csrf_from(html), "department": archived.id, "role": role.id},
    )
    assert bad.status_code == 422
    before = db.session.scalar(select(func.count(Participant.id)))
    created = client.post(
        f"/o/{token}", data={"csrf_token": csrf_from(html), "department": dept.id, "role": role.id}
    )
    assert created.status_code == 302
    assert created.headers["Location"].endswith("/survey/link")
    assert db.session.scalar(select(func.count(Participant.id))) == before + 1
    link_page = client.get("/survey/link").get_data(as_text=True)
    assert "http://localhost/r/" in link_page
    personal = link_page.split("http://localhost/r/")[1].split("<")[0]
    welcome = client.get("/survey/welcome").get_data(as_text=True)
    assert "個人営業部 / 現場" in welcome
    assert personal in welcome  # the welcome page repeats the resume link
    # Opening the open link again in the same browser resumes instead of registering again.
    again = client.get(f"/o/{token}")
    assert again.status_code == 302
    assert db.session.scalar(select(func.count(Participant.id))) == before + 1
    # The personal link works on another device.
    from flask import current_app

    other = current_app.test_client()
    sign_in(other, personal)
    assert "個人営業部 / 現場" in other.get("/survey/welcome").get_data(as_text=True)


def test_disabled_or_replaced_open_link_is_not_found(db, client):
    s = setup_survey(db)
    old = enable_open_link(s.campaign)
    new = enable_open_link(s.campaign)
    db.session.commit()
    assert client.get(f"/o/{old}").status_code == 404
    assert client.get(f"/o/{new}").status_code == 200
    disable_open_link(s.campaign)
    db.session.commit()
    response = client.get(f"/o/{new}")
    assert response.status_code == 404
    assert ORG_NAME not in response.get_data(as_text=True)


def test_open_link_of_a_closed_campaign_gives_410(db, client):
    s = setup_survey(db)
    token = enable_open_link(s.campaign)
    close_campaign(s.campaign)
    db.session.commit()
    assert client.get(f"/o/{token}").status_code == 410


def test_submitted_participant_following_the_link_sees_the_confirmation(db, client):
    s = setup_survey(db)
    sign_in(client, s.token)
    start(client)
    html = client.get("/survey/review").get_data(as_text=True)
    client.post("/survey/submit", data={"csrf_token": csrf_from(html)})
    other = client.application.test_client()
    sign_in(other, s.token)
    landed = other.get("/survey/", follow_redirects=True)
    assert landed.request.path == "/survey/thanks"
    assert "送信済みの回答は、個人用リンクから変更することはできません" in landed.get_data(
        as_text=True
    )
