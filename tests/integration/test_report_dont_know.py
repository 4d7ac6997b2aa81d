"""The organisation report's table of statements roles often could not judge: shown with
every shown role's "don't know" rate when some rate reaches the notable share, left out when
none does."""

from __future__ import annotations

import re
import subprocess

import pytest

from app.models import Campaign
from app.platform.extensions import db
from app.reporting import service
from tests.factories import add_people, make_campaign, make_org, submit

ITEM = "ob_cross_decision"


def _campaign(frontline_dont_know: int, frontline: int) -> Campaign:
    """Three executives and ``frontline`` front-line respondents who answer every statement,
    ``frontline_dont_know`` of them "don't know" on ``ITEM``."""
    org = make_org("acme")
    campaign = make_campaign(org)
    questionnaire = campaign.questionnaire
    for person in add_people(campaign, 3, role="executive"):
        submit(person, value=4)
    for index, person in enumerate(add_people(campaign, frontline, role="frontline")):
        answers = {item.id: 2 for item in questionnaire.items_for("frontline")}
        if index < frontline_dont_know:
            answers[ITEM] = "dk"
        submit(person, answers=answers)
    db.session.commit()
    return campaign


def _text(campaign: Campaign, locale: str) -> str:
    pdf = service.render_pdf(campaign, locale=locale)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(
    ("locale", "title", "sentence"),
    [
        ("ja", "「わからない」が多かった設問", "現場で「わからない」が多いこと自体が"),
        (
            "en",
            "Statements roles often could not judge",
            "A high share on the front line is a finding of its own",
        ),
    ],
)
def test_a_notable_rate_puts_the_table_into_the_organisation_report(app, locale, title, sentence):
    campaign = _campaign(frontline_dont_know=2, frontline=5)
    assert campaign.questionnaire.scale.allows_dont_know
    flat = _text(campaign, locale)
    assert re.sub(r"\s+", "", title) in flat
    assert re.sub(r"\s+", "", sentence) in flat
    question = campaign.questionnaire.text(campaign.questionnaire.item(ITEM).text, locale)
    assert re.sub(r"\s+", "", question) in flat
    # Front line 2 of 5 (40%), executives none (0%).
    assert "40%" in flat
    assert "0%" in flat


def test_no_table_when_no_rate_is_notable(app):
    # One of ten on the front line (10%) is below the notable share.
    flat = _text(_campaign(frontline_dont_know=1, frontline=10), "en")
    assert "Statementsrolesoftencouldnotjudge" not in flat
    assert "findingofitsown" not in flat
    assert "Perceptiongaps" in flat
