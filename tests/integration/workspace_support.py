"""Client helpers shared by the workspace, access, auth, export and CLI tests: a client per
user, logging in, CSRF tokens, fast password hashing. The data they need: ``tests.factories``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.platform.extensions import db
from tests.factories import PASSWORD


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with minimal cost: the same code paths, a fraction of the time per login."""
    from argon2 import PasswordHasher

    from app.auth import passwords

    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in its own application context.

    The ``app`` fixture keeps one application context open for the whole test, and Flask
    reuses it for requests, so ``g`` (Flask-Login's current user, Flask-WTF's CSRF token)
    would leak from one request, or one client, to the next. A real server never does that.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        # End the test's own transaction first: on SQLite an open read transaction in the
        # test's session would block the request's writes (no server ever shares one).
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_client(app: Flask, language: str = "en") -> FreshContextClient:
    """A client with its own cookies whose requests do not share ``g`` with the test.

    It asks for English pages so assertions can read the messages; Japanese is the default.
    """
    client = FreshContextClient(app, app.response_class, use_cookies=True)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="(?:[\w-]+-)?csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="(?:[\w-]+-)?csrf_token"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def import_id_of(html: str) -> str:
    """The kept file's id in a participant import preview's confirmation form."""
    match = re.search(r'name="confirm-import_id" type="hidden" value="([^"]+)"', html)
    assert match, "no confirmation form on the page"
    return match.group(1)
