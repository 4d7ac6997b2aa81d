"""The API's writes: token scopes, and the participant upsert with the CSV import's checks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.tokens import READ_WRITE, create_api_token
from app.models import ApiToken, AuditEvent, Participant, Response
from app.operations.participant_upsert import MAX_ENTRIES
from app.platform.extensions import db
from tests.factories import grant, invite, make_campaign, make_org, make_user, submit
from tests.integration.test_access_cross_org import _build_world
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

WRITES = (
    ("POST", "/campaigns/{campaign_id}/actions"),
    ("PATCH", "/actions/{action_id}"),
    ("PUT", "/organizations/{slug}/outcomes"),
    ("PUT", "/campaigns/{campaign_id}/participants"),
)


def _call(client, method: str, path: str, token: str, body=None):
    return client.open(
        f"/api/v1{path}", method=method, json=body, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.fixture
def world(app):
    org = make_org("sync", ("営業部", "開発部"))
    other = make_org("sync-other", ("経理部",))
    campaign = make_campaign(org)
    other_campaign = make_campaign(other)
    consultant = make_user("sync-consultant@example.com")
    executive = make_user("sync-exec@example.com")
    outsider = make_user("sync-outsider@example.com")
    grant(consultant, org, "consultant")
    grant(executive, org, "executive", update_actions=True)
    grant(outsider, other, "consultant")
    tokens = {
        "writer": create_api_token(consultant, "sync", READ_WRITE),
        "reader": create_api_token(consultant, "read"),
        "executive": create_api_token(executive, "sync", READ_WRITE),
        "outsider": create_api_token(outsider, "sync", READ_WRITE),
    }
    db.session.commit()
    return campaign, other_campaign, tokens


def _put(client, campaign_id, token, entries):
    return _call(client, "PUT", f"/campaigns/{campaign_id}/participants", token,
                 {"participants": entries})  # fmt: skip


def _people(campaign) -> dict[str, tuple[str | None, str, str]]:
    rows = db.session.scalars(select(Participant).where(Participant.campaign_id == campaign.id))
    return {p.email: (p.name, p.department.name, p.role.key) for p in rows}


def test_tokens_are_read_only_unless_made_to_write(app) -> None:
    user = make_user("scopes@example.com")
    create_api_token(user, "old")
    create_api_token(user, "new", READ_WRITE)
    with pytest.raises(ValueError, match="unknown token scope"):
        create_api_token(user, "bad", ("admin",))
    db.session.commit()
    scopes = dict(db.session.execute(select(ApiToken.name, ApiToken.scopes)).all())
    assert scopes == {"old": "read", "new": "read write"}


def test_a_read_only_token_gets_403_insufficient_scope_on_every_write(client, app) -> None:
    world = _build_world("scope-org")
    reader = create_api_token(world.consultant, "read only")
    db.session.commit()
    values = world.values
    documented = {
        (method.upper(), path)
        for path, operations in client.get("/api/v1/openapi.json").json["paths"].items()
        for method in operations
        if method != "get"
    }
    assert documented == {(m, p) for m, p in WRITES}, "a write of the API is not checked here"
    for method, path in WRITES:
        url = path.format(**values)
        refused = _call(client, method, url, reader, {})
        assert refused.status_code == 403, (method, url, refused.json)
        error = refused.json["error"]
        assert error["code"] == "insufficient_scope"
        assert error["scope"] == "write"
        assert "write scope" in error["message"]
        assert 'error="insufficient_scope", scope="write"' in refused.headers["WWW-Authenticate"]
        # The same token still reads.
        if method == "PUT" and path.endswith("outcomes"):
            assert _call(client, "GET", url, reader).status_code == 200
    # A token of the same user with the write scope gets past the check (a 400 for the body).
    writer = world.api_tokens[world.consultant.id]
    url = WRITES[3][1].format(**values)
    assert _call(client, "PUT", url, writer, {}).status_code == 400


def test_the_upsert_adds_updates_and_is_idempotent(client, world) -> None:
    campaign, _other, tokens = world
    known, _token = invite(campaign, department="営業部", role="frontline", name="既存 太郎",
                           email="Known@Example.jp")  # fmt: skip
    submit(known)
    entries = [
        {"email": "KNOWN@example.jp", "name": "既存 太郎", "department": "開発部", "role": "現場"},
        {"email": "new1@example.jp", "name": "新規 一郎", "department": "営業部",
         "role": "executive"},
        {"email": "new2@example.jp", "department": "開発部", "role": "middle_manager"},
    ]  # fmt: skip
    first = _put(client, campaign.id, tokens["writer"], entries)
    assert first.status_code == 200, first.json
    assert first.json == {"campaign_id": campaign.id, "added": 2, "updated": 1, "unchanged": 0}
    assert _people(campaign) == {
        "known@example.jp": ("既存 太郎", "開発部", "frontline"),
        "new1@example.jp": ("新規 一郎", "営業部", "executive"),
        "new2@example.jp": (None, "開発部", "middle_manager"),
    }
    # The submitted response moved with its participant.
    response = db.session.scalar(select(Response).where(Response.participant_id == known.id))
    development = next(d for d in campaign.organization.departments if d.name == "開発部")
    assert response.department_id == development.id

    # Read back as the upsert takes them (a read-only token reads).
    listed = _call(client, "GET", f"/campaigns/{campaign.id}/participants", tokens["reader"])
    assert listed.status_code == 200
    assert listed.json["participants"][0] == {
        "email": "known@example.jp",
        "name": "既存 太郎",
        "department": "開発部",
        "role": "frontline",
        "status": "submitted",
        "revoked": False,
    }
    assert [p["email"] for p in listed.json["participants"]] == [
        "known@example.jp",
        "new1@example.jp",
        "new2@example.jp",
    ]

    again = _put(client, campaign.id, tokens["writer"], entries)
    assert again.status_code == 200
    assert again.json == {"campaign_id": campaign.id, "added": 0, "updated": 0, "unchanged": 3}
    assert len(_people(campaign)) == 3

    # Left out of the list: kept. Listed with a new name: updated.
    renamed = _put(client, campaign.id, tokens["writer"],
                   [{**entries[1], "name": "新規 一朗"}])  # fmt: skip
    assert renamed.json == {"campaign_id": campaign.id, "added": 0, "updated": 1, "unchanged": 0}
    assert _people(campaign)["new1@example.jp"][0] == "新規 一朗"
    assert len(_people(campaign)) == 3

    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "participants.upserted")
        .order_by(AuditEvent.id)
    ).all()
    assert [e.detail for e in events] == [
        {"added": 2, "updated": 1, "unchanged": 0},
        {"added": 0, "updated": 0, "unchanged": 3},
        {"added": 0, "updated": 1, "unchanged": 0},
    ]
    assert all("example.jp" not in str(e.detail) for e in events)


def test_any_problem_refuses_the_whole_list_naming_line_and_field(client, world) -> None:
    campaign, _other, tokens = world
    entries = [
        {"email": "fine@example.jp", "department": "営業部", "role": "frontline"},
        {"email": "not-an-email", "department": "営業部", "role": "frontline"},
        {"email": "b@example.jp", "department": "人事部", "role": "frontline"},
        {"email": "c@example.jp", "department": "営業部", "role": "社長"},
        {"email": "FINE@example.jp", "department": "営業部", "role": "frontline"},
        {"email": "d@example.jp", "department": "営業部", "role": "frontline", "age": 3},
        {"email": 7, "department": "営業部", "role": "frontline"},
        {"email": "e@example.jp", "name": "x" * 201, "department": "営業部", "role": "frontline"},
        {"email": "f@example.jp", "department": "", "role": "frontline"},
        "g@example.jp",
        {
            "email": "h@example.jp",
            "name": "改行\u0007",
            "department": "営業部",
            "role": "frontline",
        },
    ]
    refused = _put(client, campaign.id, tokens["writer"], entries)
    assert refused.status_code == 400
    error = refused.json["error"]
    assert error["code"] == "invalid_participants"
    assert (error["line"], error["field"]) == (2, "email")
    assert error["message"].startswith("line 2, email: not-an-email is not a valid email address.")
    found = [(p["line"], p["field"], p["code"]) for p in error["problems"]]
    assert found == [
        (2, "email", "bad_email"),
        (3, "department", "unknown_department"),
        (4, "role", "unknown_role"),
        (5, "email", "duplicate_in_file"),
        (6, "age", "unknown_field"),
        (7, "email", "not_a_string"),
        (8, "name", "too_long"),
        (9, "department", "missing_value"),
        (10, None, "not_an_object"),
        (11, "name", "control_character"),
    ]
    # The CSV import's own words.
    messages = {p["line"]: p["message"] for p in error["problems"]}
    assert messages[5] == "fine@example.jp appears twice in the file (first on line 1)."
    assert messages[3].startswith("There is no department named 人事部 (known: 営業部, 開発部)")
    assert _people(campaign) == {}
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "participants.upserted"
        )
    ) == 0  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [[], {"participants": {}}, {"participants": None}, {"people": []},
     {"participants": [], "extra": 1}],
)  # fmt: skip
def test_a_body_of_another_shape_is_a_400(client, world, body) -> None:
    campaign, _other, tokens = world
    response = _call(client, "PUT", f"/campaigns/{campaign.id}/participants", tokens["writer"],
                     body)  # fmt: skip
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_body"


def test_the_entry_limit_names_itself(client, world) -> None:
    campaign, _other, tokens = world
    entry = {"email": "a@example.jp", "department": "営業部", "role": "frontline"}
    response = _put(client, campaign.id, tokens["writer"], [entry] * (MAX_ENTRIES + 1))
    assert response.status_code == 413
    error = response.json["error"]
    assert error["code"] == "too_many_participants"
    assert "at most 5,000 per request" in error["message"]
    assert error["limit"] == MAX_ENTRIES
    assert _people(campaign) == {}


def test_only_the_organisations_consultants_upsert(client, world) -> None:
    campaign, other_campaign, tokens = world
    entry = [{"email": "a@example.jp", "department": "営業部", "role": "frontline"}]
    executive = _put(client, campaign.id, tokens["executive"], entry)
    assert executive.status_code == 403
    assert executive.json["error"]["code"] == "forbidden"
    outsider = _put(client, campaign.id, tokens["outsider"], entry)
    assert outsider.status_code == 404
    path = f"/campaigns/{campaign.id}/participants"
    assert _call(client, "GET", path, tokens["executive"]).status_code == 403
    assert _call(client, "GET", path, tokens["outsider"]).status_code == 404
    assert _people(campaign) == {}
    # Another organisation's campaign, a number beyond any id, or no number: not found.
    for campaign_id in (other_campaign.id, 2**31, "abc"):
        assert _put(client, campaign_id, tokens["writer"], entry).status_code == 404
    assert _people(other_campaign) == {}


def test_the_account_page_and_the_cli_make_writing_tokens(app, runner) -> None:
    user = make_user("token-maker@example.com")
    client = make_client(app)
    assert login(client, user.email).status_code == 302
    token = csrf_token(client, "/account")
    form = {"token-name": "hr-sync", "token-csrf_token": token}
    assert client.post("/account", data={**form, "token-write": "y"}).status_code == 200
    assert client.post("/account", data={**form, "token-name": "reader"}).status_code == 200
    page = client.get("/account").get_data(as_text=True)
    assert "Read and write" in page
    assert "Read only" in page
    made = runner.invoke(args=["user", "token", user.email, "--name", "cli", "--write"])
    assert made.exit_code == 0, made.output
    assert "read and write" in made.output
    assert runner.invoke(args=["user", "token", user.email, "--name", "cli-read"]).exit_code == 0
    scopes = dict(db.session.execute(select(ApiToken.name, ApiToken.scopes)).all())
    assert scopes == {
        "hr-sync": "read write",
        "reader": "read",
        "cli": "read write",
        "cli-read": "read",
    }
