"""Every route, walked from the URL map, refuses what it must: anonymous visitors, another
organisation's consultant, POSTs without a CSRF token, oversized bodies and malformed tokens.
No request may end in a 500 (the test client re-raises unhandled errors)."""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.auth.tokens import create_api_token
from app.models import ApiToken, Participant
from app.models.campaign import DEFAULT_ANONYMITY_THRESHOLD
from app.platform.extensions import db
from tests.conftest import make_config
from tests.factories import grant, invite, make_campaign, make_org, make_user
from tests.integration.survey_fixtures import csrf_from

PASSWORD = "Orchid-Compass-5120-Tide"
#: Endpoints anyone may open without an account or a respondent session.
PUBLIC = {
    "main.index",
    "main.healthz",
    "main.readyz",
    "static",
    "auth.login",
    "survey.personal_link",
    "survey.open_link",
    "api.openapi",
    "api.not_found",
}
REFUSED = {302, 303, 400, 401, 403, 404, 405, 409, 410, 413, 422, 429}
MALFORMED_TOKENS = [
    "x",
    "A" * 43,
    "A" * 5000,
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "'%20OR%201=1--",
    "%E6%97%A5%E6%9C%AC",
    "%F0%9F%98%80",
    "<script>",
]


@dataclass
class Tenant:
    slug: str
    campaign_id: int
    participant_id: int
    department_id: int
    role_id: int
    token_id: int
    api_token: str
    email: str
    link_token: str


def _tenant(db, slug: str) -> Tenant:
    org = make_org(slug, ["営業部"])
    campaign = make_campaign(org, name="診断", threshold=DEFAULT_ANONYMITY_THRESHOLD)
    participant, link_token = invite(campaign, role="executive")
    user = make_user(f"consultant@{slug}.example", password=PASSWORD)
    grant(user, org, "consultant")
    api_token = create_api_token(user, "smoke")
    db.session.flush()
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    return Tenant(
        slug,
        campaign.id,
        participant.id,
        participant.department_id,
        participant.role_id,
        token_id,
        api_token,
        user.email,
        link_token,
    )


@pytest.fixture
def tenants(db) -> tuple[Tenant, Tenant]:
    pair = (_tenant(db, "alpha"), _tenant(db, "beta"))
    db.session.commit()
    return pair


@pytest.fixture
def web(database_url) -> Iterator[Flask]:
    """An app whose requests each get their own context, as in production."""
    app = create_app(make_config(*database_url))
    yield app
    with app.app_context():
        db.engine.dispose()


def _values_for(tenant: Tenant) -> dict[str, object]:
    return {
        "slug": tenant.slug,
        "campaign_id": tenant.campaign_id,
        "participant_id": tenant.participant_id,
        "department_id": tenant.department_id,
        "role_id": tenant.role_id,
        "token_id": tenant.token_id,
        "token": "A" * 43,
        "filename": "css/app.css",
        "unknown": "nothing-here",
    }


def _routes(app: Flask, tenant: Tenant) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) for every rule, filled with ``tenant``'s objects."""
    values = _values_for(tenant)
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            args = {}
            for name in rule.arguments:
                converter = type(rule._converters[name]).__name__
                args[name] = values.get(name, 987654 if "Integer" in converter else "x")
            url = url_for(rule.endpoint, **args)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, url))
    return found


def _login(client: FlaskClient, email: str) -> str:
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return csrf


def _csrf_of_session(client: FlaskClient) -> str:
    """The CSRF token of the logged-in session, from any hidden field of the account page."""
    html = client.get("/account").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html)
    assert field, "no CSRF field on the account page"
    return re.search(r'value="([^"]+)"', field.group(0)).group(1)


def test_the_url_map_is_walked(web, tenants):
    routes = _routes(web, tenants[1])
    endpoints = {endpoint for endpoint, _, _ in routes}
    # The walk covers every blueprint, so a new route is checked as soon as it exists.
    assert {"main.index", "auth.login", "survey.page"} <= endpoints
    assert len(routes) >= 20


def test_anonymous_requests_are_refused_everywhere(web, tenants):
    client = web.test_client()
    failures = []
    for endpoint, method, url in _routes(web, tenants[1]):
        response = client.open(url, method=method)
        response.close()
        status = response.status_code
        if endpoint in PUBLIC:
            # /readyz answers 503 on this test database (built without migrations).
            ok = status < 500 or (endpoint == "main.readyz" and status == 503)
        elif endpoint.startswith("api."):
            ok = status == 401
        else:
            ok = status in REFUSED
            if status in (302, 303):
                ok = "/login" in response.headers["Location"] or endpoint.startswith("survey.")
        if not ok:
            failures.append((method, url, status))
    assert failures == []


def test_another_organizations_objects_are_invisible(web, tenants):
    mine, theirs = tenants
    client = web.test_client()
    _login(client, mine.email)
    csrf = _csrf_of_session(client)
    failures = []
    checked = 0
    for endpoint, method, url in _routes(web, theirs):
        rule_args = [k for k in _values_for(theirs) if f"/{_values_for(theirs)[k]}" in url]
        if endpoint in PUBLIC or endpoint.startswith(("survey.", "api.")) or not rule_args:
            continue
        data = {"csrf_token": csrf} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        checked += 1
        if response.status_code not in (403, 404):
            failures.append((method, url, response.status_code))
    assert failures == []
    assert checked >= 10
    # The API, with a valid token of the other tenant's neighbour.
    for path in (
        f"/api/v1/campaigns/{theirs.campaign_id}",
        f"/api/v1/campaigns/{theirs.campaign_id}/results",
        f"/api/v1/campaigns/{theirs.campaign_id}/responses.csv",
    ):
        response = client.get(path, headers={"Authorization": f"Bearer {mine.api_token}"})
        assert response.status_code == 404, (path, response.status_code)


def test_posts_without_a_csrf_token_are_refused(web, tenants):
    mine = tenants[0]
    client = web.test_client()
    _login(client, mine.email)
    failures = []
    for endpoint, method, url in _routes(web, mine):
        if method != "POST" or endpoint.startswith("api."):
            continue
        response = client.post(url, data={"name": "changed"})
        if response.status_code != 400:
            failures.append((url, response.status_code))
    assert failures == []
    # Still logged in: the refused logout changed nothing.
    assert client.get("/account").status_code == 200


def test_respondent_posts_without_csrf_are_refused_and_save_nothing(web, db, tenants):
    mine = tenants[0]
    client = web.test_client()
    assert client.get(f"/r/{mine.link_token}").status_code == 302
    for url in ("/survey/start", "/survey/page?n=1", "/survey/autosave?n=1", "/survey/submit"):
        response = client.post(url, data={"action": "next"})
        assert response.status_code == 400, (url, response.status_code)
    db.session.expire_all()
    participant = db.session.get(Participant, mine.participant_id)
    assert participant.status == "invited"
    assert participant.response is None


def test_oversized_bodies_are_refused_on_every_post_route(web, tenants):
    web.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    client = web.test_client()
    body = {"csrf_token": "x", "blob": "x" * (128 * 1024)}
    failures = []
    for _endpoint, method, url in _routes(web, tenants[0]):
        if method not in ("POST", "PUT", "PATCH"):
            continue
        response = client.open(url, method=method, data=body)
        if response.status_code != 413:
            failures.append((url, response.status_code))
    assert failures == []


@pytest.mark.parametrize("token", MALFORMED_TOKENS)
def test_malformed_link_tokens_are_plain_not_found(web, token):
    client = web.test_client()
    for prefix in ("/r/", "/o/"):
        response = client.get(prefix + token)
        assert response.status_code in (404, 400), (prefix + token, response.status_code)


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer " + "x" * 5000, "Basic dXNlcjpwYXNz", "bearer  two words"],
)
def test_malformed_api_credentials_are_401(web, header):
    response = web.test_client().get("/api/v1/campaigns", headers={"Authorization": header})
    assert response.status_code == 401


def _session_payload(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    if cookie is None:
        return ""
    data = cookie.value.split(".")[0 if not cookie.value.startswith(".") else 1]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return json.dumps(json.loads(zlib.decompress(raw) if cookie.value.startswith(".") else raw))


def test_personal_link_is_exchanged_for_a_session_and_never_seen_again(web, tenants):
    token = tenants[0].link_token
    client = web.test_client()
    first = client.get(f"/r/{token}")
    assert first.status_code == 302
    assert token not in first.headers["Location"]
    assert token not in first.get_data(as_text=True)
    assert first.headers["Referrer-Policy"] == "no-referrer"

    seen_urls = [first.headers["Location"]]
    url = first.headers["Location"]
    bodies = []
    for _ in range(5):  # follow the redirects to the welcome page
        response = client.get(url)
        bodies.append(response.get_data(as_text=True))
        if response.status_code not in (301, 302, 303):
            break
        url = response.headers["Location"]
        seen_urls.append(url)
    welcome = bodies[-1]
    start = client.post("/survey/start", data={"csrf_token": csrf_from(welcome)})
    seen_urls.append(start.headers["Location"])
    page = client.get("/survey/page?n=1", follow_redirects=True)
    bodies.append(page.get_data(as_text=True))
    bodies.append(client.get("/survey/review").get_data(as_text=True))
    assert all(token not in u for u in seen_urls)
    assert all(token not in body for body in bodies)
    assert token not in _session_payload(client)
    # The same link keeps working for the same person (another device, a bookmark).
    again = web.test_client().get(f"/r/{token}")
    assert again.status_code == 302
    assert token not in again.headers["Location"]
