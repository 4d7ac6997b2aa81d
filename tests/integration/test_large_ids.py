"""Ids beyond what the database holds name nothing: every route answers 404, never 500.

The id columns are 32-bit integers: PostgreSQL refuses 2147483648 in a comparison with them
(NumericValueOutOfRange) and SQLite's driver refuses numbers past 2**63. The test walks
``app.url_map``: every rule with an ``int`` argument is requested, as an admin, with each
method it accepts, once with 2147483648 and once with a 30-digit number in each ``int``
position (the other arguments name real objects, so that the view would reach the database).
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.exceptions import NotFound

from app.auth.tokens import create_api_token
from app.platform.extensions import db
from app.platform.routing import digits_at_most
from tests.factories import make_user
from tests.integration.test_access_cross_org import _build_world
from tests.integration.workspace_support import fast_password_hashing, login, make_client

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

TOO_LARGE = (2**31, 10**29)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
INT_ARGUMENT = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
ARGUMENT = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def _url(rule: str, values: dict, override: dict) -> str:
    return ARGUMENT.sub(lambda m: str(override.get(m.group(1), values[m.group(1)])), rule)


def test_ids_too_large_for_the_database_answer_404_on_every_route(app: Flask) -> None:
    world = _build_world("org-a")
    admin = make_user("admin@example.com", role="admin")
    api_token = create_api_token(admin, "test")
    db.session.commit()
    client = make_client(app)
    assert login(client, admin.email).status_code == 302
    # POSTs must reach the view, not stop at the CSRF check.
    app.config["WTF_CSRF_ENABLED"] = False

    checked = 0
    failures: list[str] = []
    for rule in app.url_map.iter_rules():
        positions = INT_ARGUMENT.findall(rule.rule)
        for name in positions:
            for number in TOO_LARGE:
                url = _url(rule.rule, world.values, {name: number})
                for method in METHODS:
                    if method not in rule.methods:
                        continue
                    checked += 1
                    try:
                        response = client.open(
                            url,
                            method=method,
                            headers={"Authorization": f"Bearer {api_token}"},
                            data={} if method != "GET" else None,
                        )
                    except Exception as exc:  # the test app propagates what would be a 500
                        failures.append(f"{method} {url} ({rule.endpoint}): {exc!r}"[:200])
                        continue
                    problem = None
                    if response.status_code != 404:
                        problem = str(response.status_code)
                    elif url.startswith("/api/") and not response.is_json:
                        problem = f"404 as {response.mimetype}, not JSON"
                    if problem:
                        failures.append(f"{method} {url} ({rule.endpoint}): {problem}")
    # 51 int positions today, each with two numbers and one or two methods.
    assert checked >= 100
    assert not failures, "ids too large for the database:\n" + "\n".join(failures)


def test_the_converter_accepts_the_largest_id_the_database_holds(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    for path, campaign_id in ((f"/{2**31 - 1}", 2**31 - 1), ("/0", 0), ("/0002", 2)):
        endpoint, arguments = adapter.match(f"/workspace/campaigns{path}")
        assert (endpoint, arguments) == ("workspace.campaign", {"campaign_id": campaign_id})
    for number in (2**31, 2**31 + 10**9, 10**10, 10**29, "0" * 40 + str(2**31)):
        with pytest.raises(NotFound):
            adapter.match(f"/workspace/campaigns/{number}")
        # In the API the path is unknown, like any other: the API answers its own 404.
        endpoint, _arguments = adapter.match(f"/api/v1/campaigns/{number}/results")
        assert endpoint == "api.not_found"


@pytest.mark.parametrize("limit", [0, 7, 9, 10, 99, 100, 2024, 2**31 - 1, 10**9])
def test_digits_at_most_matches_exactly_up_to_the_limit(limit: int) -> None:
    pattern = re.compile(digits_at_most(limit))
    samples = set(range(min(limit, 3000) + 1)) | {limit - 1, limit} - {-1}
    for number in samples:
        assert pattern.fullmatch(str(number)), number
    for number in (limit + 1, limit + 9, limit * 10 + 1, 10 ** len(str(limit))):
        assert not pattern.fullmatch(str(number)), number
