"""Factories and helpers shared by the workspace, access, auth, export and CLI tests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.accounts import create_user, grant_access
from app.models import Campaign, Organization, Participant, User
from app.operations.campaigns import create_campaign, open_campaign
from app.operations.organizations import create_organization
from app.operations.participants import invite_participant
from app.operations.responses import save_answers, start_response, submit_response
from app.platform.extensions import db
from app.queries.questionnaires import get_questionnaire

PASSWORD = "quiet-harbour-lantern-47"


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with minimal cost: the same code paths, a fraction of the time per login."""
    from argon2 import PasswordHasher

    from app.auth import passwords

    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def make_user(email: str, *, role: str = "consultant", password: str = PASSWORD) -> User:
    user = create_user(email, password, role=role)
    db.session.commit()
    return user


def make_org(slug: str, departments: tuple[str, ...] = ("営業部", "開発部")) -> Organization:
    org = create_organization(slug, f"{slug} 株式会社", departments)
    db.session.commit()
    return org


def grant(user: User, org: Organization, access: str) -> None:
    grant_access(user, org, access)
    db.session.commit()


def make_campaign(
    org: Organization,
    *,
    name: str = "2026 CX診断",
    questionnaire_id: str = "cx-five-capabilities",
    threshold: int = 3,
    opened: bool = True,
) -> Campaign:
    campaign = create_campaign(org, get_questionnaire(questionnaire_id), name, threshold=threshold)
    if opened:
        open_campaign(campaign)
    db.session.commit()
    return campaign


def add_people(
    campaign: Campaign, count: int, *, department: str | None = None, role: str = "frontline"
) -> list[Participant]:
    org = campaign.organization
    dept = next(d for d in org.departments if department in (None, d.name))
    role_obj = next(r for r in org.roles if r.key == role)
    people = []
    for _ in range(count):
        n = len(campaign.participants) + 1
        participant, _token = invite_participant(
            campaign, dept, role_obj, name=f"参加者 {n}", email=f"p{n}-{campaign.id}@example.jp"
        )
        people.append(participant)
    db.session.commit()
    return people


def submit(participant: Participant, value: int = 4, text: str | None = None) -> None:
    questionnaire = participant.campaign.questionnaire
    response = start_response(participant)
    answers: dict[str, Any] = {item.id: value for item in questionnaire.items}
    if text is not None and questionnaire.open_questions:
        answers[questionnaire.open_questions[0].id] = text
    save_answers(response, questionnaire, answers)
    submit_response(response)
    db.session.commit()


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
