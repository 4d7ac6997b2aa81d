"""Key messages on the demo, end to end: the API, the CLI, the dashboard and the PDF read the
same diagnosis, for the organisation and for each department."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from app.auth.tokens import create_api_token
from app.models import Campaign, Department, User
from app.platform.extensions import db as _db
from app.reporting import service
from app.results import campaign_results
from tests.integration.test_api_v1 import auth, module_app, validate
from tests.integration.workspace_support import login, make_client

CURRENT = "2026年度 CX 5つの力 成熟度診断"
DIGITAL = "デジタル推進部"


@pytest.fixture(scope="module")
def demo(database_url) -> Iterator[tuple[Flask, dict[str, str]]]:
    with module_app(database_url) as app:
        result = app.test_cli_runner().invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
        passwords = dict(re.findall(r"login: (\S+@example\.com) / (\S+)", result.output))
        assert passwords
        yield app, passwords


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
    if advice["scope"] == "organisation":
        # What only the organisation can do, a department raises with management.
        assert "経営層" in advice["text"]["ja"]

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
