"""JSON API v1 on a real database: authentication, scoping, shapes and anonymity."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.api.openapi import openapi_document
from app.auth.tokens import READ_ONLY, READ_WRITE, create_api_token, revoke_api_token
from app.models import ApiToken, AuditEvent, Campaign, Membership, User
from app.operations.campaigns import create_campaign
from app.operations.organizations import create_organization
from app.platform.extensions import db as _db
from app.platform.security import hash_token
from app.queries.questionnaires import get_questionnaire
from app.results import campaign_results, clear_cache
from tests.conftest import empty_tables, make_config
from tests.integration.test_results_engine import build

LAYOUT = [
    ("HQ", "executive", 6),
    ("HQ", "frontline", 8),
    ("Sales", "executive", 5),
    ("Retail", "executive", 2),
    ("Retail", "frontline", 9),
    ("Support", "frontline", 7),
]


@dataclass
class World:
    campaign: Campaign
    other_campaign: Campaign
    consultant: str
    executive: str
    outsider: str
    admin: str


def _user(
    db,
    email: str,
    organization=None,
    access: str = "consultant",
    admin: bool = False,
    scopes=READ_ONLY,
):
    user = User(email=email, active=True, is_admin=admin)
    db.session.add(user)
    if organization is not None:
        user.memberships.append(Membership(organization=organization, access=access))
    db.session.flush()
    return create_api_token(user, "tests", scopes)


def make_world(db) -> World:
    """Two organisations, a campaign with answers, and a token for each kind of user."""
    clear_cache()
    built = build(db, layout=LAYOUT, na_beta_in=None)
    organization = built.campaign.organization
    other = create_organization("other", "Other Inc", ["Ops"])
    other_campaign = create_campaign(other, get_questionnaire("cx-five-capabilities"), "Other")
    world = World(
        campaign=built.campaign,
        other_campaign=other_campaign,
        # The consultant's token also writes (the schema test sends every write as them).
        consultant=_user(db, "consultant@example.com", organization, scopes=READ_WRITE),
        executive=_user(db, "exec@example.com", organization, access="executive"),
        outsider=_user(db, "outsider@example.com", other),
        admin=_user(db, "admin@example.com", admin=True),
    )
    db.session.commit()
    return world


@contextlib.contextmanager
def module_app(database_url) -> Iterator[Flask]:
    """An app on the session's database whose rows live until the module is done.

    The API tests only read, so one world serves them all; the usual per-test app empties
    every table after each test, which is why these tests use this app instead.
    """
    url, options = database_url
    app = create_app(make_config(url, options))
    with app.app_context():
        try:
            yield app
        finally:
            _db.session.rollback()
            _db.session.remove()
            empty_tables(_db.engine)
            _db.engine.dispose()


@pytest.fixture(scope="module")
def api(database_url) -> Iterator[tuple[Flask, World]]:
    with module_app(database_url) as app:
        yield app, make_world(_db)


@pytest.fixture
def app(api) -> Flask:
    return api[0]


@pytest.fixture
def world(api) -> World:
    return api[1]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def validate(document: dict, schema_name: str) -> None:
    spec = openapi_document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    # OpenAPI 3.0 "nullable" is not JSON Schema: turn it into a type union for the check.
    jsonschema_rs.validate(_nullable_to_union(schema), document)


def _nullable_to_union(node):
    if isinstance(node, dict):
        converted = {key: _nullable_to_union(value) for key, value in node.items()}
        if converted.pop("nullable", False):
            return {"anyOf": [converted, {"type": "null"}]}
        return converted
    if isinstance(node, list):
        return [_nullable_to_union(item) for item in node]
    return node


@pytest.mark.parametrize(
    "path", ["/api/v1/campaigns", "/api/v1/campaigns/1", "/api/v1/campaigns/1/results"]
)
def test_requests_without_a_valid_token_get_a_json_401(client, world: World, path: str) -> None:
    for headers, error in (
        ({}, "unauthorized"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthorized"),
        ({"Authorization": "Bearer "}, "unauthorized"),
        ({"Authorization": "Bearer not-a-token"}, "invalid_token"),
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == error
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="cx-maturity"')
        validate(response.json, "Error")


def test_a_revoked_token_stops_working(client, world: World) -> None:
    clear = _user(_db, "leaver@example.com", world.campaign.organization)
    _db.session.commit()
    assert client.get("/api/v1/campaigns", headers=auth(clear)).status_code == 200
    token = _db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(clear)))
    assert token.last_used_at is not None
    revoke_api_token(token)
    _db.session.commit()
    response = client.get("/api/v1/campaigns", headers=auth(clear))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert client.get("/api/v1/campaigns", headers=auth(world.consultant)).status_code == 200


def test_campaigns_are_scoped_to_the_tokens_user(client, world: World) -> None:
    listed = client.get("/api/v1/campaigns", headers=auth(world.consultant)).json
    validate(listed, "CampaignList")
    assert [c["id"] for c in listed["campaigns"]] == [world.campaign.id]
    assert listed["campaigns"][0]["links"]["results"].endswith(
        f"/campaigns/{world.campaign.id}/results"
    )
    outsider = client.get("/api/v1/campaigns", headers=auth(world.outsider)).json
    assert [c["id"] for c in outsider["campaigns"]] == [world.other_campaign.id]
    admin = client.get("/api/v1/campaigns", headers=auth(world.admin)).json
    assert {c["id"] for c in admin["campaigns"]} == {world.campaign.id, world.other_campaign.id}


@pytest.mark.parametrize("suffix", ["", "/results", "/results?group_by=role", "/responses.csv"])
def test_another_organizations_campaign_is_not_found(client, world: World, suffix: str) -> None:
    response = client.get(
        f"/api/v1/campaigns/{world.other_campaign.id}{suffix}", headers=auth(world.consultant)
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    validate(response.json, "Error")
    for unknown in (999999, 2**63):
        missing = client.get(f"/api/v1/campaigns/{unknown}{suffix}", headers=auth(world.consultant))
        assert missing.status_code == 404
        assert missing.json == response.json


def test_campaign_detail(client, world: World) -> None:
    detail = client.get(
        f"/api/v1/campaigns/{world.campaign.id}", headers=auth(world.executive)
    ).json
    validate(detail, "CampaignDetail")
    assert detail["questionnaire"]["id"] == "results-test"
    assert [d["id"] for d in detail["dimensions"]] == ["alpha", "beta", "gamma"]
    assert detail["counts"] == {"invited": 38, "started": 0, "submitted": 37, "departments": 5}


def test_results_for_the_whole_organization(client, world: World) -> None:
    response = client.get(
        f"/api/v1/campaigns/{world.campaign.id}/results", headers=auth(world.executive)
    )
    assert response.status_code == 200
    document = response.json
    validate(document, "Results")
    assert document["campaign_id"] == world.campaign.id
    assert document["questionnaire"] == {"id": "results-test", "version": "1.0.0"}
    assert document["anonymity_threshold"] == 5
    assert document["group_by"] == []
    assert document["dimensions"][0] == {
        "id": "alpha",
        "kind": "capability",
        "title": {"ja": "アルファ", "en": "Alpha"},
    }
    (group,) = document["groups"]
    assert group["key"] == {}
    assert group["n"] == 37
    assert group["suppressed"] is False
    results = campaign_results(world.campaign)
    cell = results.organization.scores["alpha"]
    assert group["scores"]["alpha"] == {
        "mean": cell.mean,
        "sd": cell.sd,
        "median": cell.median,
        "n": cell.n,
        "ci95": [cell.ci_low, cell.ci_high],
        "rwg": cell.agreement,
        "level": cell.level,
        "suppressed": False,
    }
    assert group["overall"]["capability"] == results.organization.overall["capability"].mean
    assert document["gaps"] == []
    # One stage only: no verdict on the cycle.
    assert document["bottleneck"] == {"verdict": "none", "stage": None, "margin": None, "p": None}


def test_the_bottleneck_verdict_follows_its_schema() -> None:
    validate(
        {"verdict": "bottleneck", "stage": "rollout", "margin": 0.31, "p": 0.002}, "Bottleneck"
    )
    validate({"verdict": "flat", "stage": None, "margin": 0.05, "p": 0.4}, "Bottleneck")
    for wrong in (
        {"verdict": "weakest", "stage": None, "margin": None, "p": None},
        {"verdict": "flat", "stage": None, "margin": 0.05},
        {"verdict": "flat", "stage": None, "margin": 0.05, "p": 1.5},
    ):
        with pytest.raises(jsonschema_rs.ValidationError):
            validate(wrong, "Bottleneck")


def test_results_by_role_with_gaps(client, world: World) -> None:
    document = client.get(
        f"/api/v1/campaigns/{world.campaign.id}/results?group_by=role",
        headers=auth(world.consultant),
    ).json
    validate(document, "Results")
    assert document["group_by"] == ["role"]
    keys = [group["key"] for group in document["groups"]]
    assert keys == [{"role": "executive"}, {"role": "middle_manager"}, {"role": "frontline"}]
    empty = document["groups"][1]
    assert (empty["n"], empty["suppressed"], empty["status"]) == (0, False, "no_data")
    assert document["gaps"]
    for gap in document["gaps"]:
        assert gap["a"] == {"role": "executive"}
        assert gap["b"] == {"role": "frontline"}
        assert gap["direction"] in ("blind_spot_at_the_top", "hidden_strength_below", "aligned")
    assert all(set(f["text"]) == {"ja", "en"} for f in document["findings"])


def test_results_by_department_and_role_within_department(client, world: World) -> None:
    base = f"/api/v1/campaigns/{world.campaign.id}/results"
    by_department = client.get(f"{base}?group_by=department", headers=auth(world.consultant)).json
    validate(by_department, "Results")
    names = [group["key"]["department"] for group in by_department["groups"]]
    assert names == ["HQ", "Sales", "Retail", "Corporate", "Support"]
    sales = by_department["groups"][1]
    assert sales["n"] == 5 + 2 + 9
    assert all(gap["b"] == {"rest": True} for gap in by_department["gaps"])
    both = client.get(f"{base}?group_by=department,role", headers=auth(world.consultant)).json
    validate(both, "Results")
    assert both["group_by"] == ["role", "department"]
    retail_executive = next(
        g for g in both["groups"] if g["key"] == {"department": "Retail", "role": "executive"}
    )
    assert retail_executive == {
        "key": {"department": "Retail", "role": "executive"},
        "n": None,
        "suppressed": True,
        "status": "suppressed",
    }
    for gap in both["gaps"]:
        assert gap["a"]["department"] == gap["b"]["department"]


GROUP_BY = ("role", "department", "role,department", "department,role")


@pytest.mark.parametrize("value", ["", "team", "role,role", "role,", " role", "ROLE"])
def test_invalid_group_by_is_a_clear_400(client, world: World, value: str) -> None:
    response = client.get(
        f"/api/v1/campaigns/{world.campaign.id}/results",
        query_string={"group_by": value},
        headers=auth(world.consultant),
    )
    assert response.status_code == 400
    error = response.json["error"]
    assert error["message"] == (
        f"group_by: {value!r} is not allowed; use one of: {', '.join(GROUP_BY)} "
        "(or leave group_by out)"
    )
    assert error["parameter"] == "group_by"
    assert error["allowed"] == list(GROUP_BY)
    validate(response.json, "Error")


def test_responses_csv_is_for_consultants_only(client, world: World) -> None:
    path = f"/api/v1/campaigns/{world.campaign.id}/responses.csv"
    consultant = client.get(path, headers=auth(world.consultant))
    assert consultant.status_code == 200
    assert consultant.mimetype == "text/csv"
    assert "attachment" in consultant.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(consultant.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["department", "role", "submitted_at"]
    assert len(rows) == 1 + 37
    assert "Retail" in {row[0] for row in rows[1:]}
    exported = _db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "responses.exported", AuditEvent.campaign_id == world.campaign.id
        )
    ).all()
    consultant = _db.session.scalar(select(User).where(User.email == "consultant@example.com"))
    assert [e.user_id for e in exported] == [consultant.id]
    executive = client.get(path, headers=auth(world.executive))
    assert executive.status_code == 403
    assert executive.mimetype == "application/json"
    assert "consultants only" in executive.json["error"]["message"]
    validate(executive.json, "Error")
    bad = client.get(f"{path}?lang=fr", headers=auth(world.consultant))
    assert bad.status_code == 400


def test_openapi_document_describes_every_route(app, client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.")
    described = {
        "/api/v1"
        + path.replace("{campaign_id}", "<int:campaign_id>")
        .replace("{slug}", "<path:slug>")
        .replace("{action_id}", "<path:action_id>")
        # Routes that also write take any segment and answer 404 for one that is no id.
        .replace("<int:campaign_id>/actions", "<path:campaign_id>/actions")
        .replace("<int:campaign_id>/participants", "<path:campaign_id>/participants")
        for path in document["paths"]
    }
    routes = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.not_found"
    }
    assert routes == described
    unknown = client.get("/api/v1/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json["error"]["code"] == "not_found"


def test_a_key_message_recommendation_is_an_action_object() -> None:
    schemas = openapi_document()["components"]["schemas"]
    assert schemas["Action"]["required"] == [
        "text",
        "owner",
        "owner_label",
        "horizon",
        "measure",
        "scope",
    ]
    assert schemas["Action"]["properties"]["horizon"]["enum"] == ["0-6", "6-18", "18-36"]
    action = {
        "text": {"ja": "対話会を開く", "en": "Hold dialogue sessions"},
        "owner": "executive_team",
        "owner_label": {"ja": "経営層", "en": "Executive team"},
        "horizon": "0-6",
        "measure": {"ja": "3か月以内の開催", "en": "Held within 3 months"},
        "scope": "organisation",
    }
    message = {
        "id": "r.design",
        "rule": "r",
        "severity": "high",
        "headline": {"ja": "h", "en": "h"},
        "detail": {"ja": "d", "en": "d"},
        "evidence": [],
        "recommendation": action,
    }
    validate(message, "KeyMessage")
    validate({**message, "recommendation": None}, "KeyMessage")
    # The former shape, a scope and a text, no longer passes.
    old = {"scope": "organisation", "text": {"ja": "x", "en": "y"}}
    with pytest.raises(jsonschema_rs.ValidationError):
        validate({**message, "recommendation": old}, "KeyMessage")
    with pytest.raises(jsonschema_rs.ValidationError):
        validate({**action, "horizon": "0-12"}, "Action")


# Last in the module: the downloads below add audit events to the shared world.
def _enum_parameters() -> list[tuple[str, str, tuple[str, ...]]]:
    """Every query parameter of the document that takes one of a list of values."""
    found = []
    for path, operations in openapi_document()["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                enum = parameter.get("schema", {}).get("enum")
                if parameter["in"] == "query" and enum:
                    found.append((path, parameter["name"], tuple(enum)))
    return found


def test_the_document_has_enum_query_parameters() -> None:
    assert {(path, name) for path, name, _values in _enum_parameters()} == {
        ("/campaigns/{campaign_id}/results", "group_by"),
        ("/campaigns/{campaign_id}/responses.csv", "lang"),
        ("/campaigns/{campaign_id}/profile", "lang"),
    }


@pytest.mark.parametrize(("path", "name", "allowed"), _enum_parameters())
def test_every_enum_query_parameter_takes_only_its_values(
    client, world: World, path: str, name: str, allowed: tuple[str, ...]
) -> None:
    url = "/api/v1" + path.format(campaign_id=world.campaign.id)
    headers = auth(world.consultant)
    for value in allowed:
        response = client.get(url, query_string={name: value}, headers=headers)
        assert response.status_code == 200, (name, value)
        response.close()  # a streamed CSV ends its request here
    default = client.get(url, headers=headers)
    assert default.status_code == 200
    default.close()
    for value in ("", "x", allowed[0].upper(), allowed[0] + " "):
        response = client.get(url, query_string={name: value}, headers=headers)
        assert response.status_code == 400, (name, value)
        error = response.json["error"]
        assert error["code"] == "invalid_parameter"
        assert error["parameter"] == name
        assert error["allowed"] == list(allowed)
        assert error["message"].startswith(f"{name}: {value!r} is not allowed; use one of: ")
        validate(response.json, "Error")
    twice = client.get(f"{url}?{name}={allowed[0]}&{name}={allowed[0]}", headers=headers)
    assert twice.status_code == 400
    assert twice.json["error"]["message"].startswith(f"{name}: give it once, not 2 times")
