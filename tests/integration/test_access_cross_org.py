"""Organisation isolation over every route of the application, driven by ``app.url_map``.

Two organisations, A and B, each with a campaign, participants, responses, departments and
roles. For every rule that takes an argument, the URL is built with B's objects and requested
as A's consultant and as A's executive, with every method the rule accepts (POST and friends
carry a valid CSRF token, API requests a valid API token of the same user). The only
acceptable answers are 404 (B's objects do not exist for them) and 405.

The test fails on a rule whose argument name it does not know, so a new route cannot slip
through unclassified: add the argument to ``ARGUMENTS`` (how to find B's object) or the rule to
``PUBLIC_RULES`` (reachable without an account by design), never loosen the assertion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.auth.tokens import READ_WRITE, create_api_token
from app.models import (
    ApiToken,
    AuditEvent,
    Campaign,
    Organization,
    ParticipantImport,
    ReportJob,
    Response,
    User,
)
from app.operations.actions import create_action
from app.operations.identity_providers import save_provider
from app.operations.outcomes import OutcomeInput, save_outcomes
from app.operations.webhooks import campaign_changed, create_endpoint
from app.platform.extensions import db
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

#: Rules reachable without an account by design: respondents' links and static files.
PUBLIC_RULES = {
    "/r/<token>": "personal respondent link (unguessable token)",
    "/o/<token>": "campaign open link (unguessable token)",
    "/static/<path:filename>": "static files",
    "/reports/assets/<path:filename>": "report stylesheets and fonts (no organisation data)",
    "/login/sso/<key>": "single sign-on: off to an identity provider (no organisation data)",
    "/login/sso/<key>/callback": "single sign-on: back from the identity provider",
}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass
class World:
    """The ids of one organisation's objects, to build URLs with."""

    org: Organization
    campaign: Campaign
    consultant: User
    executive: User
    values: dict[str, Any]
    api_tokens: dict[int, str]


def _build_world(slug: str) -> World:
    org = make_org(slug, ("営業部", "開発部"))
    consultant = make_user(f"consultant@{slug}.example")
    executive = make_user(f"executive@{slug}.example")
    grant(consultant, org, "consultant")
    grant(executive, org, "executive")
    previous = make_campaign(org, name="前回", opened=True)
    campaign = make_campaign(org, name="今回", opened=True)
    campaign.previous_campaign_id = previous.id
    people = add_people(campaign, 4)
    for person in people[:3]:
        submit(person, text="自由記述")
    # Tokens that may write: a write to another organisation's object must be "not found".
    tokens = {
        user.id: create_api_token(user, "test", READ_WRITE) for user in (consultant, executive)
    }
    db.session.commit()
    questionnaire = campaign.questionnaire
    response = db.session.scalar(select(Response).where(Response.campaign_id == campaign.id))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.campaign_id == campaign.id))
    token_row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == consultant.id))
    job = ReportJob(campaign_id=campaign.id, user_id=consultant.id)
    db.session.add(job)
    participant_import = ParticipantImport(
        public_id=f"import-of-{slug}",
        organization_id=org.id,
        campaign_id=campaign.id,
        user_id=consultant.id,
        status="done",
        problems=[],
    )
    db.session.add(participant_import)
    action = create_action(
        campaign,
        {"title": "対話会", "dimension": questionnaire.dimensions[0].id, "owner": "経営企画部"},
    )
    (outcome,) = save_outcomes(
        org, [OutcomeInput(1, None, "2026", {"csat": 80.0, "promoters": None})]
    )
    endpoint, _secret = create_endpoint(
        org, f"https://hooks.{slug}.example/cx", ["campaign.opened"]
    )
    (delivery,) = campaign_changed(campaign, "campaign.opened")
    provider = save_provider(
        {
            "key": f"idp-{slug}",
            "name": f"ID of {slug}",
            "issuer": f"https://id.{slug}.example",
            "client_id": "cx",
            "organization_id": org.id,
        }
    )
    db.session.commit()
    department = org.departments[0]
    role = org.roles[0]
    values: dict[str, Any] = {
        "campaign_id": campaign.id,
        "previous_campaign_id": previous.id,
        "other_campaign_id": previous.id,
        "compare_id": previous.id,
        "slug": org.slug,
        "org_slug": org.slug,
        "organization_slug": org.slug,
        "org": org.slug,
        "organization": org.slug,
        "org_id": org.id,
        "organization_id": org.id,
        "participant_id": people[0].id,
        "department_id": department.id,
        "dept_id": department.id,
        "role_id": role.id,
        "response_id": response.id,
        "event_id": event.id,
        "token_id": token_row.id,
        "job_id": job.id,
        "import_id": participant_import.public_id,
        "record_id": outcome.id,
        "action_id": action.id,
        "user_id": consultant.id,
        "endpoint_id": endpoint.id,
        "delivery_id": delivery.id,
        "provider_id": provider.id,
        # The API's catch-all answers 404 for any path; give it one naming B's campaign.
        "unknown": f"campaigns/{campaign.id}/no-such-thing",
        # Companions: not organisation data, needed to build the URL.
        "item_id": questionnaire.items[0].id,
        "dimension_id": questionnaire.dimensions[0].id,
        "question_id": questionnaire.open_questions[0].id if questionnaire.open_questions else "q",
        "role_key": role.key,
        "format": "csv",
        "fmt": "csv",
        "ext": "csv",
        "kind": "summary",
        "locale": "ja",
        "lang": "ja",
        "filename": "report.pdf",
        "page": 1,
        "view": "overview",
        "breakdown": "department",
        "group_by": "department",
    }
    return World(org, campaign, consultant, executive, values, tokens)


#: Arguments that identify nothing by themselves: a rule made only of these is not
#: organisation data and needs an entry in PUBLIC_RULES.
COMPANIONS = {
    "item_id",
    "dimension_id",
    "question_id",
    "role_key",
    "format",
    "fmt",
    "ext",
    "kind",
    "locale",
    "lang",
    "filename",
    "page",
    "view",
    "breakdown",
    "group_by",
}


@pytest.fixture
def worlds(app: Flask) -> tuple[World, World]:
    return _build_world("org-a"), _build_world("org-b")


def _classify(app: Flask, known: set[str]) -> list[Any]:
    rules = []
    problems = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments:
            continue
        if (
            rule.rule in PUBLIC_RULES
            or rule.endpoint == "static"
            or rule.endpoint.endswith(".static")
        ):
            continue
        unknown = sorted(rule.arguments - known)
        if unknown:
            problems.append(
                f"{rule.rule} ({rule.endpoint}): unknown argument(s) {unknown}; teach "
                "test_access_cross_org.py which organisation object they name"
            )
            continue
        if rule.arguments <= COMPANIONS:
            problems.append(
                f"{rule.rule} ({rule.endpoint}): no organisation-scoped argument; if it is "
                "public by design, list it in PUBLIC_RULES"
            )
            continue
        rules.append(rule)
    assert not problems, "\n".join(problems)
    return rules


def _request(client: FlaskClient, method: str, url: str, csrf: str, api_token: str) -> Any:
    headers = {"Authorization": f"Bearer {api_token}", "X-CSRFToken": csrf}
    if method == "GET":
        return client.get(url, headers=headers)
    if method == "POST":
        return client.post(url, data={"csrf_token": csrf}, headers=headers)
    return client.open(url, method=method, json={}, headers=headers)


def test_no_route_reveals_another_organizations_objects(app: Flask, worlds) -> None:
    a, b = worlds
    rules = _classify(app, set(b.values))
    assert len(rules) >= 20, "the url map looks too small: are the blueprints registered?"
    failures: list[str] = []
    checked = 0
    for user in (a.consultant, a.executive):
        client = make_client(app)
        assert login(client, user.email).status_code == 302
        csrf = csrf_token(client, "/account")
        for rule in rules:
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **{k: b.values[k] for k in rule.arguments})
            for method in METHODS:
                if method not in rule.methods:
                    continue
                response = _request(client, method, url, csrf, a.api_tokens[user.id])
                checked += 1
                if response.status_code not in (404, 405):
                    failures.append(
                        f"{method} {url} ({rule.endpoint}) as {user.email}: {response.status_code}"
                    )
    assert checked >= 40
    assert not failures, "another organisation's objects were reachable:\n" + "\n".join(failures)


def test_the_same_urls_work_for_their_own_consultant(app: Flask, worlds) -> None:
    """The positive control: the argument mapping builds real URLs, so 404s above mean denial."""
    a, _b = worlds
    client = make_client(app)
    assert login(client, a.consultant.email).status_code == 302
    for rule in _classify(app, set(a.values)):
        if rule.endpoint.split(".")[0] not in ("workspace", "auth") or "GET" not in rule.methods:
            continue
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **{k: a.values[k] for k in rule.arguments})
        assert client.get(url).status_code == 200, url


def test_executive_sees_progress_but_no_identities(app: Flask, worlds) -> None:
    a, _b = worlds
    client = make_client(app)
    login(client, a.executive.email)
    page = client.get(f"/workspace/campaigns/{a.campaign.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-stat="submitted">3<' in html
    for participant in a.campaign.participants:
        assert participant.email not in html
        assert participant.name not in html
    assert client.get(f"/workspace/participants/{a.campaign.participants[0].id}").status_code == 404
    settings = client.get(f"/workspace/campaigns/{a.campaign.id}/settings")
    assert settings.status_code == 404
