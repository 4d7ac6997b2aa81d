"""Where staff land: an executive on their dashboard, everyone else in the workspace."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, grant, make_org, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@pytest.fixture
def org(app):
    return make_org("acme")


def test_an_executive_lands_on_the_dashboard_after_login_and_on_the_front_page(app, org):
    grant(make_user("exec@example.com"), org, "executive")
    client = make_client(app)
    response = login(client, "exec@example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"
    front = client.get("/")
    assert (front.status_code, front.headers["Location"]) == (302, "/dashboard/")
    again = client.get("/login")
    assert again.headers["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_an_executive_still_follows_the_page_they_asked_for(app, org):
    grant(make_user("exec@example.com"), org, "executive")
    client = make_client(app)
    token = csrf_token(client, "/login?next=/account")
    response = client.post(
        "/login?next=/account",
        data={"email": "exec@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize(
    ("levels", "home"),
    [
        (("consultant",), "/workspace/"),
        (("consultant", "executive"), "/workspace/"),
        ((), "/workspace/"),
    ],
)
def test_consultants_and_new_staff_land_in_the_workspace(app, org, levels, home):
    user = make_user("staff@example.com")
    for index, level in enumerate(levels):
        grant(user, org if index == 0 else make_org("other"), level)
    client = make_client(app)
    assert login(client, "staff@example.com").headers["Location"] == home
    assert client.get("/").status_code == 200


def test_an_admin_lands_in_the_workspace(app):
    make_user("admin@example.com", role="admin")
    client = make_client(app)
    assert login(client, "admin@example.com").headers["Location"] == "/workspace/"
