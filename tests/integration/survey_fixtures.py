"""Shared set-up for the respondent-flow tests: an organisation, an open campaign, a link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from flask.testing import FlaskClient

from app.models import Campaign, Participant, utcnow
from app.models.campaign import DEFAULT_ANONYMITY_THRESHOLD
from tests import factories

ORG_NAME = "ひかり信用金庫"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Setup:
    campaign: Campaign
    participant: Participant
    token: str


def make_campaign(
    db, *, questionnaire: str = "cx-five-capabilities", open_it: bool = True, slug: str = "hikari"
) -> Campaign:
    org = factories.make_org(
        slug, ("営業本部", "事務統括部"), name=ORG_NAME, children={"個人営業部": "営業本部"}
    )
    return factories.make_campaign(
        org,
        name="2026 診断",
        questionnaire=questionnaire,
        threshold=DEFAULT_ANONYMITY_THRESHOLD,
        opened=open_it,
    )


def invite(db, campaign: Campaign, *, role_key: str = "middle_manager", email: str | None = None):
    return factories.invite(campaign, department="営業本部", role=role_key, email=email)


def setup_survey(db, **kwargs) -> Setup:
    campaign = make_campaign(db, **kwargs)
    participant, token = invite(db, campaign)
    return Setup(campaign, participant, token)


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: FlaskClient, token: str) -> None:
    response = client.get(f"/r/{token}")
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"].endswith("/survey/")


def start(client: FlaskClient) -> None:
    """Open the welcome page and press the start button."""
    html = client.get("/survey/welcome").get_data(as_text=True)
    response = client.post("/survey/start", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302, response.get_data(as_text=True)


def page_token(client: FlaskClient, number: int) -> str:
    response = client.get(f"/survey/page?n={number}")
    assert response.status_code == 200, response.status_code
    return csrf_from(response.get_data(as_text=True))


def close_later(campaign: Campaign, **delta) -> None:
    campaign.closes_at = utcnow() + timedelta(**delta)


def in_language(client: FlaskClient, url: str, lang: str):
    """GET ``url`` in ``lang``.

    The test ``app`` fixture keeps one application context open, which every test request
    shares, so Flask-Babel's per-context locale cache must be cleared for a switch to show.
    """
    import flask_babel

    flask_babel.refresh()
    separator = "&" if "?" in url else "?"
    response = client.get(f"{url}{separator}lang={lang}")
    flask_babel.refresh()
    return response
