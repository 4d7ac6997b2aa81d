"""Participants' writes: one place, each change audited, messages translated when shown."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.models import AuditEvent
from app.operations.errors import OperationError
from app.operations.participants import (
    add_participant,
    disable_open_link,
    enable_open_link,
    hand_out_link,
    links_csv,
    new_participant,
    register_open_participant,
    replace_link,
    revoke_participant,
    update_participant,
)
from app.platform.extensions import db
from app.queries.participants import find_by_token
from tests.factories import make_campaign, make_org, make_user


def _actions(campaign) -> list[tuple[str, int | None]]:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.campaign_id == campaign.id).order_by(AuditEvent.id)
    )
    return [(e.action, e.user_id) for e in events if e.action.split(".")[0] != "campaign"]


def test_every_single_change_records_its_event_with_the_actor(app, db):
    user = make_user("writer@example.com")
    org = make_org("writes")
    campaign = make_campaign(org)
    sales, dev = org.departments
    role = org.roles[0]

    person, first = add_participant(
        campaign, email="Taro@Example.jp", department=sales, role=role, actor=user
    )
    update_participant(person, email="taro@example.jp", department=dev, role=role, actor=user)
    handed = hand_out_link(person, actor=user)
    replaced = replace_link(person, actor=user)
    links_csv(campaign, locale="ja", actor=user)
    enable_open_link(campaign, actor=user)
    disable_open_link(campaign, actor=user)
    revoke_participant(person, actor=user)
    revoke_participant(person, actor=user)  # already revoked: nothing more happens
    db.session.commit()

    assert _actions(campaign) == [
        ("participant.added", user.id),
        ("participant.updated", user.id),
        ("participant.link_issued", user.id),
        ("participant.link_replaced", user.id),
        ("links.exported", user.id),
        ("open_link.enabled", user.id),
        ("open_link.disabled", user.id),
        ("participant.revoked", user.id),
    ]
    assert person.email == "taro@example.jp"
    assert person.department_id == dev.id
    assert all(find_by_token(t) is None for t in (first, handed, replaced))


def test_the_cli_open_link_is_audited_like_the_workspace(app, db, runner):
    campaign = make_campaign(make_org("cli-open"))

    enabled = runner.invoke(args=["participants", "open-link", str(campaign.id)])
    disabled = runner.invoke(args=["participants", "open-link", str(campaign.id), "--disable"])

    assert enabled.exit_code == disabled.exit_code == 0
    assert _actions(campaign) == [("open_link.enabled", None), ("open_link.disabled", None)]


def test_messages_are_english_in_the_cli_and_translated_in_a_request(app, db):
    org = make_org("messages")
    other = make_org("elsewhere")
    campaign = make_campaign(org)
    with pytest.raises(OperationError) as refused:
        new_participant(campaign, other.departments[0], org.roles[0])
    assert str(refused.value) == "The department belongs to another organisation."
    with app.test_request_context(), force_locale("ja"):
        assert str(refused.value) == "この部署は別の組織に属しています。"

    with pytest.raises(OperationError) as closed:
        register_open_participant(campaign, org.departments[0].id, org.roles[0].id)
    assert str(closed.value) == "The open link of this campaign is disabled."
    with app.test_request_context(), force_locale("ja"):
        assert str(closed.value) == "このキャンペーンの公開リンクは無効になっています。"

    person, _token = add_participant(
        campaign, email="gone@example.jp", department=org.departments[0], role=org.roles[0]
    )
    revoke_participant(person)
    for write in (hand_out_link, replace_link):
        with pytest.raises(OperationError, match="This participant's link has been revoked"):
            write(person)
