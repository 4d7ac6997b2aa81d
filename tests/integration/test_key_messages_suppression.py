"""Key messages respect the anonymity threshold: no message rests on a suppressed group."""

from __future__ import annotations

from flask import Flask

from app.auth.tokens import create_api_token
from app.platform.extensions import db
from app.results import campaign_results
from tests.factories import grant, invite, make_campaign, make_org, make_user, submit
from tests.integration.test_api_v1 import auth, validate
from tests.integration.test_dashboard_fixtures import LEGAL, build_world, executive_client


def test_a_department_under_the_threshold_has_no_message(app: Flask) -> None:
    world = build_world()
    results = campaign_results(world.campaign)
    legal = world.departments[LEGAL]
    assert legal.id not in results.department_diagnoses
    token = create_api_token(world.executive, "legal")
    db.session.commit()
    client = executive_client(app, world)
    document = client.get(
        f"/api/v1/campaigns/{world.campaign.id}/findings?department={legal.id}",
        headers=auth(token),
    ).json
    validate(document, "Findings")
    assert document["status"] == "suppressed"
    assert document["key_messages"] == []
    assert document["gaps"] == []
    # Every message of a shown department rests on shown groups only.
    for department, diagnosis in results.department_diagnoses.items():
        group = results.group("department", department=department)
        assert group.shown
        for message in diagnosis.key_messages:
            assert all(e.n >= results.anonymity_threshold for e in message.evidence)


def test_an_organisation_under_the_threshold_has_no_message(app: Flask) -> None:
    org = make_org("tiny")
    campaign = make_campaign(org, questionnaire="cx-five-capabilities", threshold=3)
    for index in range(2):
        participant, _token = invite(campaign, name=f"回答者{index}")
        submit(participant, value=2)
    executive = make_user("executive@tiny.example")
    grant(executive, org, "executive")
    token = create_api_token(executive, "tiny")
    db.session.commit()
    document = (
        app.test_client().get(f"/api/v1/campaigns/{campaign.id}/findings", headers=auth(token)).json
    )
    validate(document, "Findings")
    assert document["status"] == "suppressed"
    assert document["key_messages"] == []
    assert document["gaps"] == []
