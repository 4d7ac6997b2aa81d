"""Model constraints on the real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.models import Answer, Campaign, Participant, ParticipantLink, Response
from app.operations.campaigns import create_campaign
from app.operations.errors import OperationError
from app.operations.organizations import add_department, create_organization
from app.operations.participants import revoke_participant
from app.operations.responses import (
    ResponseLocked,
    save_answers,
    start_response,
    submit_response,
)
from app.platform.security import hash_token
from app.queries.participants import find_by_token
from app.queries.questionnaires import get_questionnaire
from tests.factories import invite, make_campaign, make_org


@pytest.fixture
def campaign(db):
    return make_campaign(make_org("acme", ["営業部"]), name="Round 1", opened=False)


def _invite(db, campaign, email=None):
    return invite(campaign, role="frontline", email=email)


def test_new_organization_has_the_three_default_roles(db):
    org = create_organization("roles", "Roles Inc")
    db.session.commit()
    assert [r.key for r in org.roles] == ["executive", "middle_manager", "frontline"]
    assert [r.labels["ja"] for r in org.roles] == ["経営層", "ミドルマネジメント", "現場"]


def test_department_hierarchy(db):
    org = create_organization("tree", "Tree")
    sales = add_department(org, "営業本部")
    retail = add_department(org, "個人営業部", sales)
    db.session.commit()
    db.session.expire_all()
    assert retail.parent.name == "営業本部"
    assert [c.name for c in sales.children] == ["個人営業部"]


def test_duplicate_slug_is_refused(db):
    create_organization("dup", "One")
    with pytest.raises(OperationError, match="already exists"):
        create_organization("dup", "Two")


def test_token_is_stored_only_as_its_hash(db, campaign):
    participant, token = _invite(db, campaign)
    assert len(token) >= 22  # at least 128 bits in URL-safe base64
    assert len(token) >= 43  # 256 bits in URL-safe base64
    stored = db.session.scalar(
        select(ParticipantLink.token_hash).where(ParticipantLink.participant_id == participant.id)
    )
    assert stored == hash_token(token)
    assert token not in stored
    for table in (Participant.__table__, ParticipantLink.__table__):
        row = db.session.execute(select(table)).mappings().one()
        assert not any(token in str(v) for v in row.values())
    assert find_by_token(token).id == participant.id
    assert find_by_token(token + "x") is None


def test_revoked_token_is_not_found(db, campaign):
    participant, token = _invite(db, campaign)
    revoke_participant(participant)
    db.session.commit()
    assert find_by_token(token) is None


def test_duplicate_answer_is_rejected_by_the_database(db, campaign):
    participant, _ = _invite(db, campaign)
    response = start_response(participant)
    db.session.commit()
    item_id = campaign.questionnaire.items[0].id
    db.session.add(Answer(response_id=response.id, item_id=item_id, value=3))
    db.session.commit()
    db.session.add(Answer(response_id=response.id, item_id=item_id, value=4))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_second_response_for_a_participant_is_rejected(db, campaign):
    participant, _ = _invite(db, campaign)
    start_response(participant)
    db.session.commit()
    db.session.add(
        Response(
            campaign_id=campaign.id,
            participant_id=participant.id,
            department_id=participant.department_id,
            role_id=participant.role_id,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_answer_must_be_exactly_one_kind(db, campaign):
    participant, _ = _invite(db, campaign)
    response = start_response(participant)
    db.session.commit()
    db.session.add(Answer(response_id=response.id, item_id="x", value=3, not_applicable=True))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_duplicate_email_in_a_campaign_is_rejected(db, campaign):
    _invite(db, campaign, email="a@example.com")
    with pytest.raises(IntegrityError):
        _invite(db, campaign, email="a@example.com")
    db.session.rollback()


def test_anonymity_threshold_range_is_enforced(db, campaign):
    with pytest.raises(OperationError, match="between 3 and 10"):
        create_campaign(
            campaign.organization, get_questionnaire("cx-five-capabilities"), "x", threshold=2
        )
    campaign.anonymity_threshold = 11
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_campaign_freezes_the_questionnaire(db, campaign, tmp_path, app):
    original = campaign.questionnaire
    source = get_questionnaire("cx-five-capabilities")
    assert campaign.questionnaire_hash == source.content_hash
    # Editing the library afterwards does not change the campaign.
    app.config["CX_QUESTIONNAIRE_DIR"] = str(tmp_path)
    db.session.expire_all()
    stored = db.session.get(Campaign, campaign.id)
    assert stored.questionnaire == original
    assert stored.questionnaire_version == source.version


def test_answers_are_checked_and_submission_locks(db, campaign):
    participant, _ = _invite(db, campaign)
    response = start_response(participant)
    q = campaign.questionnaire
    first, second = q.items[0].id, q.items[1].id
    save_answers(response, q, {first: 4, second: "na"})
    with pytest.raises(OperationError, match="outside the scale"):
        save_answers(response, q, {first: 9})
    with pytest.raises(OperationError, match="unknown item"):
        save_answers(response, q, {"nope": 3})
    submit_response(response)
    submit_response(response)
    db.session.commit()
    with pytest.raises(ResponseLocked):
        save_answers(response, q, {first: 1})
    answers = {a.item_id: a for a in response.answers}
    assert answers[first].value == 4
    assert answers[second].not_applicable is True
    assert participant.status == "submitted"
