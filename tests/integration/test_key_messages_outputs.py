"""Key messages on the demo, end to end: the API, the CLI, the dashboard and the PDF read the
same diagnosis, for the organisation and for each department."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy import select

from app.auth.tokens import create_api_token
from app.models import Campaign, Department, User
from app.platform.extensions import db as _db
from app.reporting import service
from app.results import campaign_results
from tests.demo_copy import seeded_demo
from tests.integration.test_api_v1 import auth, module_app, validate
from tests.integration.workspace_support import login, make_client

CURRENT = "2026年度 CX 5つの力 成熟度診断"
DIGITAL = "デジタル推進部"


@pytest.fixture(scope="module")
def demo(database_url) -> Iterator[tuple[Flask, dict[str, str]]]:
    with module_app(database_url) as app:
        seeded = seeded_demo()
        yield app, {seeded.executive_email: seeded.executive_password}


def _campaign() -> Campaign:
    return _db.session.scalar(select(Campaign).where(Campaign.name == CURRENT))


def _department(name: str) -> Department:
    return _db.session.scalar(select(Department).where(Department.name == name))


def _token() -> str:
    user = _db.session.scalar(select(User).where(User.email == "executive@example.com"))
    token = create_api_token(user, "key messages")
    _db.session.commit()
    return token


def test_the_api_gives_the_organisation_and_each_department_its_key_messages(demo) -> None:
    app, _ = demo
    client = app.test_client()
    campaign = _campaign()
    headers = auth(_token())
    url = f"/api/v1/campaigns/{campaign.id}/findings"
    organisation = client.get(url, headers=headers)
    assert organisation.status_code == 200
    document = organisation.json
    validate(document, "Findings")
    assert document["scope"] == {"department": None}
    assert document["status"] == "ok"
    messages = document["key_messages"]
    assert 1 <= len(messages) <= 5
    for message in messages:
        assert message["headline"]["ja"]
        assert message["headline"]["en"]
        assert message["headline"] != message["detail"]
        assert all(entry["n"] >= campaign.anonymity_threshold for entry in message["evidence"])
    # Every gap carries one of the three verdicts.
    assert document["gaps"]
    assert {gap["verdict"] for gap in document["gaps"]} <= {"clear", "possible", "small"}
    assert any("item" in gap for gap in document["gaps"])

    # The department where digital runs far ahead of organisation & leadership (seed 002).
    digital = _department(DIGITAL)
    found = client.get(f"{url}?department={digital.id}", headers=headers).json
    validate(found, "Findings")
    assert found["scope"] == {"department": digital.id}
    rules = [m["rule"] for m in found["key_messages"]]
    assert "digital_ahead_of_org_behavior" in rules
    message = found["key_messages"][rules.index("digital_ahead_of_org_behavior")]
    groups = {json.dumps(e["group"], ensure_ascii=False) for e in message["evidence"]}
    assert groups == {json.dumps({"department": DIGITAL}, ensure_ascii=False)}
    advice = message["recommendation"]
    assert advice is not None
    assert set(advice) == {"text", "owner", "owner_label", "horizon", "measure", "scope"}
    assert advice["horizon"] in ("0-6", "6-18", "18-36")
    assert set(advice["measure"]) == {"ja", "en"}
    if advice["scope"] == "organisation":
        # What only the organisation can do, a department raises with management.
        assert "経営層" in advice["text"]["ja"]
        assert advice["owner"] == "department_head"
    else:
        assert advice["owner_label"] == {"ja": "部署長", "en": "Department head"}
    # The organisation's first message: an action of its own, owned by a named function.
    first = document["key_messages"][0]["recommendation"]
    assert first["scope"] == "organisation"
    assert first["owner_label"]["ja"] in ("経営層", "CX推進部署", "各事業部", "人事部")

    # Bad and foreign department ids.
    assert client.get(f"{url}?department=abc", headers=headers).status_code == 400
    assert client.get(f"{url}?department=99999999", headers=headers).status_code == 404
    assert client.get(f"{url}?department=99999999999999999999", headers=headers).status_code == 404
    assert client.get(f"{url}?department=1&department=2", headers=headers).status_code == 400


def test_the_cli_prints_the_api_document(demo) -> None:
    app, _ = demo
    campaign = _campaign()
    runner = app.test_cli_runner()
    for extra, department in (([], None), (["--department", DIGITAL], _department(DIGITAL))):
        result = runner.invoke(args=["results", "findings", str(campaign.id), *extra, "--json"])
        assert result.exit_code == 0, result.output
        from_cli = json.loads(result.output)
        suffix = "" if department is None else f"?department={department.id}"
        from_api = (
            app.test_client()
            .get(f"/api/v1/campaigns/{campaign.id}/findings{suffix}", headers=auth(_token()))
            .json
        )
        assert from_cli == from_api
    readable = runner.invoke(
        args=["results", "findings", str(campaign.id), "--department", DIGITAL]
    )
    assert readable.exit_code == 0, readable.output
    assert readable.output.startswith(f"{CURRENT}: {DIGITAL}\n1. [")
    # Each action with its owner, horizon and measure.
    assert "      部署長 / 0〜6か月 / " in readable.output
    unknown = runner.invoke(args=["results", "findings", str(campaign.id), "--department", "x"])
    assert unknown.exit_code == 2
    assert "no department named 'x'" in unknown.output
    assert DIGITAL in unknown.output


def test_the_dashboard_and_the_report_show_the_same_messages(demo) -> None:
    app, passwords = demo
    campaign = _campaign()
    results = campaign_results(campaign)
    digital = _department(DIGITAL)
    diagnosis = results.department_diagnoses[digital.id]
    headlines = [m.headline["ja"] for m in diagnosis.key_messages]
    assert headlines
    client = make_client(app, "ja")
    assert login(client, "executive@example.com", passwords["executive@example.com"]).status_code
    page = client.get(f"/dashboard/campaigns/{campaign.id}/departments/{digital.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "キーメッセージ" in html
    for headline in headlines:
        assert headline in html
    overview = client.get(f"/dashboard/campaigns/{campaign.id}").get_data(as_text=True)
    for message in results.diagnosis.key_messages:
        assert message.headline["ja"] in overview

    pdf = service.render_pdf(campaign, locale="ja", department=digital)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    flat = re.sub(r"\s+", "", text)
    assert "キーメッセージ" in flat
    for headline in headlines:
        assert re.sub(r"\s+", "", headline) in flat


@pytest.mark.parametrize(
    ("locale", "heading", "owner", "horizon", "state", "meta"),
    [
        (
            "ja",
            "レベル4に向けた打ち手",
            "経営層",
            "0〜6か月",
            "目指す状態",
            "キーメッセージ1",
        ),
        (
            "en",
            "Actions towards level 4",
            "Executive team",
            "0–6 months",
            "The state to aim for",
            "Key message 1",
        ),
    ],
)
def test_the_organisation_report_shows_each_action_with_owner_horizon_and_measure(
    demo, locale, heading, owner, horizon, state, meta
) -> None:
    campaign = _campaign()
    results = campaign_results(campaign)
    html = service.render_html(campaign, locale=locale).html
    # Organisation & leadership stands at level 3 in the demo: its actions lead to level 4.
    organisation = results.dimension("org_behavior")
    assert organisation.level == 3
    actions = organisation.recommendation.actions
    assert 2 <= len(actions) <= 3
    tables = re.findall(r'<table class="actions">.*?</table>', html, re.DOTALL)
    assert tables
    assert heading in html
    # One row per action, in sequence, with its owner's name, its horizon and its measure.
    first = tables[0]
    for action in actions:
        assert str(escape(results.text(action.text, locale))) in first
        assert str(escape(results.text(action.measure, locale))) in first
    assert owner in first
    assert horizon in first
    # The state to aim for is labelled apart, after the actions, never among them.
    assert state in html
    assert html.index(state) > html.index(tables[0])
    assert "looks like this" not in html
    # The executive summary's plan: the key messages' actions, each with its owner, horizon
    # and measure, and the message it answers.
    plan = re.search(r'<table class="actions plan-steps">.*?</table>', html, re.DOTALL).group(0)
    first = results.diagnosis.key_messages[0].recommendation
    assert str(escape(results.text(first.text, locale))) in plan
    assert str(escape(results.text(first.measure, locale))) in plan
    assert meta in plan
    assert plan.count('<tr class="scope-') == 3


def test_the_dashboard_dimension_page_lists_the_actions(demo) -> None:
    app, passwords = demo
    campaign = _campaign()
    results = campaign_results(campaign)
    client = make_client(app, "ja")
    assert login(client, "executive@example.com", passwords["executive@example.com"]).status_code
    page = client.get(f"/dashboard/campaigns/{campaign.id}/dimensions/design")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<table class="actions">' in html
    for action in results.dimension("design").recommendation.actions:
        assert str(escape(results.text(action.text, "ja"))) in html
    assert "目指す状態" in html
    overview = client.get(f"/dashboard/campaigns/{campaign.id}").get_data(as_text=True)
    assert "<dt>担当</dt>" in overview
    assert "<dt>時期</dt><dd>0〜6か月</dd>" in overview
