"""Two versions of one questionnaire in the library: creating campaigns on either, the
survey of each role (audience), "don't know" apart from "not applicable", and the same
question counts and time on every page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Answer, Campaign
from app.queries.questionnaires import get_questionnaire
from app.questionnaire import estimate
from tests import factories, versions_support
from tests.integration.survey_fixtures import csrf_from, sign_in
from tests.integration.workspace_support import login, make_client


@pytest.fixture
def library(app, tmp_path):
    versions_support.write_library(tmp_path)
    before = app.config["CX_QUESTIONNAIRE_DIR"]
    app.config["CX_QUESTIONNAIRE_DIR"] = str(tmp_path)
    yield tmp_path
    app.config["CX_QUESTIONNAIRE_DIR"] = before


def test_campaign_create_takes_the_newest_version_unless_one_is_named(db, runner, library):
    factories.make_org("versions")
    newest = runner.invoke(args=["campaign", "create", "versions", "mini", "--name", "2026"])
    assert newest.exit_code == 0, newest.output
    assert "(mini 2.0.0, 5 items)" in newest.output
    older = runner.invoke(
        args=["campaign", "create", "versions", "mini", "--name", "2025", "--version", "1.0.0"]
    )
    assert older.exit_code == 0, older.output
    assert "(mini 1.0.0, 5 items)" in older.output
    versions = {c.name: c.questionnaire_version for c in db.session.scalars(select(Campaign))}
    assert versions == {"2026": "2.0.0", "2025": "1.0.0"}


def test_a_running_campaign_keeps_its_frozen_copy(db, library):
    org = factories.make_org("frozen")
    campaign = factories.make_campaign(org, questionnaire=get_questionnaire("mini", "1.0.0"))
    (library / "mini-1.0.0.yaml").unlink()
    db.session.expire_all()
    assert campaign.questionnaire == versions_support.old()


def test_the_new_campaign_form_offers_each_version_newest_first(app, db, library):
    factories.grant(factories.make_user("v@example.com"), factories.make_org("form"), "consultant")
    client = make_client(app, "ja")
    login(client, "v@example.com")
    page = client.get("/workspace/orgs/form/campaigns/new").get_data(as_text=True)
    newest, older = page.index('value="mini@2.0.0"'), page.index('value="mini@1.0.0"')
    assert newest < older
    assert (
        '<input checked id="questionnaire-0" name="questionnaire" required type="radio" '
        'value="mini@2.0.0">' in page
    )
    minutes = estimate(versions_support.new(), "ja").minutes
    assert f"バージョン 2.0.0・全6問 · 所要時間 約{minutes}分" in page
    assert "約30分" not in page


def _respondent(app, db, role: str, library):
    org = factories.make_org(f"survey-{role}".replace("_", "-"))
    campaign = factories.make_campaign(org, questionnaire=get_questionnaire("mini"))
    _participant, token = factories.invite(campaign, role=role)
    client = make_client(app, "ja")
    sign_in(client, token)
    return campaign, client


def test_each_role_is_asked_its_items_and_every_page_counts_them_alike(app, db, library):
    for role, items in (("frontline", 4), ("executive", 5)):
        _campaign, client = _respondent(app, db, role, library)
        welcome = client.get("/survey/welcome").get_data(as_text=True)
        minutes = estimate(versions_support.new(), "ja", role).minutes
        assert f"{items + 1}問" in welcome
        assert f"約{minutes}分" in welcome
        client.post("/survey/start", data={"csrf_token": csrf_from(welcome)})
        first = client.get("/survey/page?n=1").get_data(as_text=True)
        assert f"/ {items + 1} 問" in first
        assert ('name="q_org_owner_seen"' in first) == (role == "executive")


def test_dont_know_and_not_applicable_are_two_answers(app, db, library):
    _campaign, client = _respondent(app, db, "frontline", library)
    welcome = client.get("/survey/welcome").get_data(as_text=True)
    client.post("/survey/start", data={"csrf_token": csrf_from(welcome)})
    page = client.get("/survey/page?n=1").get_data(as_text=True)
    assert 'id="q_org_vision_daily-dk" name="q_org_vision_daily" value="dk"' in page
    assert 'id="q_org_vision_daily-na" name="q_org_vision_daily" value="na"' in page
    assert "わからない" in page
    assert "該当しない" in page
    # The item's anchors replace the generic labels of points 1 and 5, not of the others.
    assert "話題にならない" in page.replace("<wbr>", "")
    assert page.count('<span class="scale-label">未着手</span>') == 1  # org_blame only
    posted = client.post(
        "/survey/page?n=1",
        data={
            "csrf_token": csrf_from(page),
            "q_org_vision_daily": "dk",
            "q_org_blame": "na",
            "action": "next",
        },
    )
    assert posted.status_code == 302
    stored = {
        a.item_id: (a.value, a.dont_know, a.not_applicable)
        for a in db.session.scalars(select(Answer))
    }
    assert stored == {"org_vision_daily": (None, True, False), "org_blame": (None, False, True)}
    again = client.get("/survey/page?n=1").get_data(as_text=True)
    assert 'value="dk" checked' in again
    assert 'value="na" checked' in again


def test_an_older_questionnaire_offers_one_combined_option(app, db, library):
    org = factories.make_org("older")
    campaign = factories.make_campaign(org, questionnaire=get_questionnaire("mini", "1.0.0"))
    _participant, token = factories.invite(campaign, role="frontline")
    client = make_client(app, "ja")
    sign_in(client, token)
    welcome = client.get("/survey/welcome").get_data(as_text=True)
    client.post("/survey/start", data={"csrf_token": csrf_from(welcome)})
    page = client.get("/survey/page?n=1").get_data(as_text=True)
    assert "わからない・該当しない" in page
    assert 'value="dk"' not in page
    refused = client.post(
        "/survey/page?n=1",
        data={"csrf_token": csrf_from(page), "q_org_vision": "dk", "action": "next"},
    )
    assert refused.status_code == 422
