"""MAX_FORM_PARTS and MAX_FORM_MEMORY_SIZE hold for url-encoded forms as for multipart ones.

Werkzeug applies both limits only while parsing multipart bodies; a url-encoded body is read
whole and split without them. Every route answers 413 naming the limit and its value, before
any view sees the form: pages, the respondent's autosave (JSON) and the API (JSON).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode

import pytest
from flask import Flask

from tests.integration.survey_fixtures import page_token, setup_survey, sign_in, start
from tests.integration.test_access_cross_org import _build_world
from tests.integration.workspace_support import fast_password_hashing, login, make_client

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

URLENCODED = "application/x-www-form-urlencoded"
EN = {"Accept-Language": "en"}
ARGUMENT = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def _many_fields(count: int) -> str:
    return urlencode({f"f{i}": "1" for i in range(count)})


def _one_big_field(size: int) -> str:
    return urlencode({"email": "x" * size})


def test_a_three_megabyte_field_is_refused_naming_the_limit(client, caplog):
    caplog.set_level(logging.WARNING, logger="app.platform.hardening")
    response = client.post(
        "/login", data=_one_big_field(3 * 1024 * 1024), content_type=URLENCODED, headers=EN
    )
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "Too much data" in text
    assert "at most 1 MB in one field (MAX_FORM_MEMORY_SIZE)" in text
    record = next(r for r in caplog.records if r.getMessage() == "request refused: too large")
    assert record.limit == "MAX_FORM_MEMORY_SIZE"
    assert record.max_form_memory_size == 1024 * 1024


def test_a_thousand_fields_are_refused_naming_the_limit(client, caplog):
    caplog.set_level(logging.WARNING, logger="app.platform.hardening")
    response = client.post("/login", data=_many_fields(1000), content_type=URLENCODED, headers=EN)
    assert response.status_code == 413
    assert "at most 500 fields (MAX_FORM_PARTS)" in response.get_data(as_text=True)
    record = next(r for r in caplog.records if r.getMessage() == "request refused: too large")
    assert record.limit == "MAX_FORM_PARTS"
    assert record.max_form_parts == 500


def test_the_refusal_is_in_japanese_by_default(client):
    response = client.post("/login", data=_many_fields(1000), content_type=URLENCODED)
    assert response.status_code == 413
    assert "MAX_FORM_PARTS" in response.get_data(as_text=True)
    assert "500 個まで" in response.get_data(as_text=True)


def test_forms_within_the_limits_still_reach_the_view(app, client):
    app.config["MAX_FORM_PARTS"] = 10
    app.config["MAX_FORM_MEMORY_SIZE"] = 100
    app.config["WTF_CSRF_ENABLED"] = False  # the login view answers 200 to a wrong login
    ten = urlencode({**{f"f{i}": "1" for i in range(8)}, "email": "a@b.jp", "password": "x"})
    assert client.post("/login", data=ten, content_type=URLENCODED).status_code == 200
    # 100 bytes of text once decoded (the encoded form is three times longer).
    japanese = urlencode({"email": "あ" * 33})
    assert len(japanese) > 100
    assert client.post("/login", data=japanese, content_type=URLENCODED).status_code == 200
    eleven = urlencode({f"f{i}": "1" for i in range(11)})
    assert client.post("/login", data=eleven, content_type=URLENCODED).status_code == 413
    over = urlencode({"email": "あ" * 34})
    assert client.post("/login", data=over, content_type=URLENCODED).status_code == 413


def test_the_respondents_autosave_answers_json_naming_the_limit(app, db):
    setup = setup_survey(db)
    client = app.test_client()
    sign_in(client, setup.token)
    start(client)
    token = page_token(client, 1)
    body = urlencode({"csrf_token": token, **{f"f{i}": "1" for i in range(1000)}})
    response = client.post(
        "/survey/autosave?n=1",
        data=body,
        content_type=URLENCODED,
        headers={"Accept": "application/json", "X-CSRFToken": token, **EN},
    )
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["limit"] == "MAX_FORM_PARTS"
    assert error["max"] == 500
    assert "MAX_FORM_PARTS" in error["message"]


def test_the_api_answers_json_naming_the_limit(client):
    big = _one_big_field(2 * 1024 * 1024)
    # A method the route does not take: the site's JSON error, with the limit as fields.
    response = client.post("/api/v1/campaigns", data=big, content_type=URLENCODED)
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert (error["limit"], error["max"]) == ("MAX_FORM_MEMORY_SIZE", 1024 * 1024)
    # A route of the API, even one that reads no form: the API's own JSON error.
    response = client.get("/api/v1/campaigns", data=big, content_type=URLENCODED)
    assert response.status_code == 413
    message = response.get_json()["error"]["message"]
    assert "at most 1048576 bytes in one field (MAX_FORM_MEMORY_SIZE)" in message


def test_every_route_refuses_too_many_url_encoded_fields(app: Flask) -> None:
    world = _build_world("org-a")
    client = make_client(app)
    assert login(client, world.consultant.email).status_code == 302
    body = _many_fields(1000)
    failures = []
    checked = 0
    for rule in app.url_map.iter_rules():
        url = ARGUMENT.sub(lambda m: str(world.values.get(m.group(1), "x")), rule.rule)
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            if method not in rule.methods and method != "POST":
                continue
            response = client.open(url, method=method, data=body, content_type=URLENCODED)
            checked += 1
            if response.status_code != 413:
                failures.append(f"{method} {url}: {response.status_code}")
            elif url.startswith("/api/") and not response.is_json:
                failures.append(f"{method} {url}: 413 as {response.mimetype}")
    assert checked >= 60
    assert not failures, "url-encoded forms over MAX_FORM_PARTS reached:\n" + "\n".join(failures)
