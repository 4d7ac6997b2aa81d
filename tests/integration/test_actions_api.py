"""Actions through the API: created by consultants, changed with their history kept, carried
into the next round while open, with the change of their dimension since they were set."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.tokens import READ_WRITE, create_api_token
from app.models import ActionChange, AuditEvent
from app.platform.extensions import db
from app.results import campaign_results
from tests.factories import (
    department_of,
    grant,
    make_org,
    make_user,
    two_rounds,
)


@pytest.fixture
def world(app):
    org = make_org("actions", ("営業部", "開発部"))
    other = make_org("other-actions", ("経理部",))
    previous, current = two_rounds(org)
    consultant = make_user("actions-consultant@example.com")
    executive = make_user("actions-exec@example.com")
    viewer = make_user("actions-viewer@example.com")
    grant(consultant, org, "consultant")
    grant(executive, org, "executive", update_actions=True)
    grant(viewer, org, "executive")
    tokens = {
        "consultant": create_api_token(consultant, "tests", READ_WRITE),
        "executive": create_api_token(executive, "tests", READ_WRITE),
        "viewer": create_api_token(viewer, "tests", READ_WRITE),
    }
    db.session.commit()
    return org, other, previous, current, tokens


def _call(client, method, path, token, body=None):
    return client.open(
        f"/api/v1{path}", method=method, json=body, headers={"Authorization": f"Bearer {token}"}
    )


def test_an_action_set_in_one_round_is_measured_in_the_next(client, world) -> None:
    _org, _other, previous, current, tokens = world
    dimension = previous.questionnaire.dimensions[0].id
    created = _call(
        client,
        "POST",
        f"/campaigns/{previous.id}/actions",
        tokens["consultant"],
        {
            "title": "対話会を開く",
            "dimension": dimension,
            "owner": "経営企画部",
            "due": "2026-03-31",
        },
    )
    assert created.status_code == 201, created.get_json()
    action = created.get_json()
    assert action["status"] == "planned"
    assert action["origin_campaign"] == previous.id
    assert action["progress"]["current"] is None, "no later round in its own campaign"
    before = campaign_results(previous).dimension(dimension).organization.mean
    assert action["progress"]["baseline"] == pytest.approx(before)
    listed = _call(client, "GET", f"/campaigns/{current.id}/actions", tokens["executive"])
    (carried,) = listed.get_json()["actions"]
    after = campaign_results(current).dimension(dimension).organization.mean
    assert carried["id"] == action["id"]
    assert carried["progress"]["current"] == pytest.approx(after)
    assert carried["progress"]["change"] == pytest.approx(after - before)
    assert carried["progress"]["verdict"] in ("clear", "possible", "small")
    assert carried["overdue"] is True, "due in the past and still planned"


def test_changes_are_kept_and_closed_actions_stay_behind(client, world) -> None:
    org, _other, previous, current, tokens = world
    sales = department_of(org, "営業部").id
    dimension = previous.questionnaire.dimensions[1].id
    action = _call(
        client,
        "POST",
        f"/campaigns/{previous.id}/actions",
        tokens["consultant"],
        {"title": "窓口の改善", "dimension": dimension, "owner": "営業部長", "department": sales},
    ).get_json()
    path = f"/actions/{action['id']}"
    not_granted = _call(client, "PATCH", path, tokens["viewer"], {"status": "in_progress"})
    assert not_granted.status_code == 403
    assert _call(client, "GET", path, tokens["viewer"]).get_json()["status"] == "planned"
    by_executive = _call(client, "PATCH", path, tokens["executive"], {"status": "in_progress"})
    assert by_executive.status_code == 200
    assert by_executive.get_json()["status"] == "in_progress"
    refused = _call(client, "PATCH", path, tokens["executive"], {"owner": "誰か"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["field"] == "owner"
    done = _call(client, "PATCH", path, tokens["consultant"], {"status": "done", "notes": "完了"})
    assert done.get_json()["notes"] == "完了"
    history = db.session.scalars(
        select(ActionChange.fields).where(ActionChange.action_id == action["id"])
    ).all()
    assert history[1] == {"status": ["planned", "in_progress"]}
    assert history[2] == {"status": ["in_progress", "done"], "notes": [None, "完了"]}
    listed = _call(client, "GET", f"/campaigns/{current.id}/actions", tokens["consultant"])
    assert listed.get_json()["actions"] == [], "a done action is not carried into the next round"
    events = db.session.scalar(
        select(func.count()).where(AuditEvent.action.in_(("action.created", "action.updated")))
    )
    assert events == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "dimension": "nope", "owner": "o"}, "dimension"),
        ({"title": "x", "dimension": "DIM", "owner": "o", "due": "31/03/2026"}, "due"),
        ({"title": "x", "dimension": "DIM", "owner": "o", "status": "later"}, "status"),
        ({"title": "x", "dimension": "DIM", "owner": "o", "department": "OTHER"}, "department"),
        ({"title": "", "dimension": "DIM", "owner": "o"}, "title"),
        ({"title": "x", "dimension": "DIM", "owner": "o", "colour": "red"}, "colour"),
        ({"title": "x", "dimension": "DIM", "owner": "o", "owner_email": "a@b"}, "owner_email"),
    ],
)
def test_bad_values_are_refused_naming_the_field(client, world, body, field) -> None:
    _org, other, previous, _current, tokens = world
    body = dict(body)
    if body.get("dimension") == "DIM":
        body["dimension"] = previous.questionnaire.dimensions[0].id
    if body.get("department") == "OTHER":
        body["department"] = department_of(other, "経理部").id
    refused = _call(client, "POST", f"/campaigns/{previous.id}/actions", tokens["consultant"], body)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["field"] == field
    executive = _call(
        client,
        "POST",
        f"/campaigns/{previous.id}/actions",
        tokens["executive"],
        {"title": "x", "dimension": previous.questionnaire.dimensions[0].id, "owner": "o"},
    )
    assert executive.status_code == 403


def test_a_department_id_beyond_any_id_is_refused(client, world) -> None:
    _org, _other, previous, _current, tokens = world
    refused = _call(
        client,
        "POST",
        f"/campaigns/{previous.id}/actions",
        tokens["consultant"],
        {
            "title": "x",
            "dimension": previous.questionnaire.dimensions[0].id,
            "owner": "o",
            "department": 2**31,
        },
    )
    assert refused.status_code == 400
    assert refused.get_json()["error"]["field"] == "department"


def test_another_organisations_actions_are_not_found(client, world) -> None:
    _org, other, previous, _current, tokens = world
    outsider = make_user("actions-outsider@example.com")
    grant(outsider, other, "consultant")
    token = create_api_token(outsider, "tests", READ_WRITE)
    db.session.commit()
    action = _call(
        client,
        "POST",
        f"/campaigns/{previous.id}/actions",
        tokens["consultant"],
        {"title": "対話会", "dimension": previous.questionnaire.dimensions[0].id, "owner": "o"},
    ).get_json()
    body = {"title": "x", "dimension": previous.questionnaire.dimensions[0].id, "owner": "o"}
    assert _call(client, "GET", f"/campaigns/{previous.id}/actions", token).status_code == 404
    assert (
        _call(client, "POST", f"/campaigns/{previous.id}/actions", token, body).status_code == 404
    )
    assert _call(client, "GET", f"/actions/{action['id']}", token).status_code == 404
    patched = _call(client, "PATCH", f"/actions/{action['id']}", token, {"status": "done"})
    assert patched.status_code == 404
    for path in (f"/actions/{2**31}", "/actions/99999999999999999999", "/actions/abc"):
        assert (
            _call(client, "PATCH", path, tokens["consultant"], {"status": "done"}).status_code
            == 404
        )
    assert _call(client, "GET", f"/actions/{action['id']}", tokens["consultant"]).status_code == 200


def test_the_next_round_made_by_campaign_copy_carries_the_open_actions(app, client, world) -> None:
    _org, _other, _previous, current, tokens = world
    dimension = current.questionnaire.dimensions[0].id
    for title, status in (("続ける施策", "in_progress"), ("終えた施策", "done")):
        made = _call(
            client,
            "POST",
            f"/campaigns/{current.id}/actions",
            tokens["consultant"],
            {"title": title, "dimension": dimension, "owner": "o", "status": status},
        )
        assert made.status_code == 201
    result = app.test_cli_runner().invoke(
        args=["campaign", "copy", str(current.id), "--name", "2027"]
    )
    assert result.exit_code == 0, result.output
    new_id = int(result.output.strip().split()[2])
    listed = _call(client, "GET", f"/campaigns/{new_id}/actions", tokens["consultant"]).get_json()
    titles = [a["title"] for a in listed["actions"]]
    assert "続ける施策" in titles
    assert "終えた施策" not in titles
    carried = next(a for a in listed["actions"] if a["title"] == "続ける施策")
    assert carried["origin_campaign"] == current.id
