"""``flask rules validate`` and ``flask results show``."""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.auth.tokens import create_api_token
from app.models import User
from app.results import clear_cache
from tests.integration.test_results_engine import build

SMALL = [("HQ", "executive", 5), ("HQ", "frontline", 6), ("Support", "frontline", 2)]


def test_validate_checks_the_shipped_files_by_default(runner) -> None:
    result = runner.invoke(args=["rules", "validate"])
    assert result.exit_code == 0, result.output
    assert "rules.yaml: ok (" in result.output
    assert "recommendations.yaml: ok (9 dimensions)" in result.output
    assert "owners.yaml: ok (8 owners)" in result.output


def test_validate_prints_every_problem_with_its_position(runner, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - id: r\n    when: {score: digitl, op: '<', value: 3}\n"
        "    text: {ja: '{gapp}', en: x}\n",
        encoding="utf-8",
    )
    recommendations = tmp_path / "recommendations.yaml"
    recommendations.write_text(
        "version: 2\ndimensions:\n  design:\n    1: {ja: a, en: b}\n", encoding="utf-8"
    )
    result = runner.invoke(args=["rules", "validate", str(rules), str(recommendations)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{rules}:3:19: rules[0].when.score: unknown dimension 'digitl'")
    assert "(did you mean 'digital'?)" in lines[0]
    assert lines[1].startswith(f"{rules}:4:16: rules[0].text.ja: unknown placeholder {{gapp}}")
    assert lines[2].startswith(f"{recommendations}:4:5: dimensions.design: missing the")
    assert "problems in 2 files." in result.output


def test_validate_checks_owners_against_the_owners_file_given(runner, tmp_path: Path) -> None:
    owners = tmp_path / "owners.yaml"
    owners.write_text("owners:\n  cx_office: {ja: CX推進部署, en: CX office}\n", encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: 2\nrules:\n  - id: r\n    when: {score: digital, op: '<', value: 3}\n"
        "    text: {ja: x, en: y}\n    recommendation:\n      organisation:\n"
        "        action: {ja: 計画を定める, en: Plan}\n        owner: cx_offce\n"
        "        horizon: '0-6'\n        measure: {ja: 承認（6か月以内）, en: Approved}\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["rules", "validate", str(owners), str(rules)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{owners}: ok (1 owners)"
    assert lines[1].startswith(
        f"{rules}:9:16: rules[0].recommendation.organisation.owner: unknown owner 'cx_offce' "
        "(did you mean 'cx_office'?)"
    )
    old = tmp_path / "recommendations.yaml"
    old.write_text("version: 1\ndimensions: {}\n", encoding="utf-8")
    result = runner.invoke(args=["rules", "validate", str(old)])
    assert result.output.startswith(f"{old}:1:10: version: version 1 is no longer read")


def test_show_prints_the_breakdowns_and_json(db, runner) -> None:
    clear_cache()
    built = build(db, layout=SMALL, na_beta_in=None)
    result = runner.invoke(args=["results", "show", str(built.campaign.id), "--locale", "en"])
    assert result.exit_code == 0, result.output
    assert "submitted 13" in result.output
    assert re.search(r"^Whole organisation\s+13\s+\d\.\d\d", result.output, re.MULTILINE)
    assert re.search(r"^Support\s+-\s+suppressed", result.output, re.MULTILINE)
    result = runner.invoke(args=["results", "show", str(built.campaign.id), "--json"])
    document = json.loads(result.output)
    assert document["group_by"] == []
    assert document["groups"][0]["n"] == 13
    assert runner.invoke(args=["results", "show", "999999"]).exit_code != 0
    bad = runner.invoke(args=["results", "show", str(built.campaign.id), "--group-by", "team"])
    assert bad.exit_code == 2
    assert "unknown breakdown 'team'" in bad.output


def test_show_prints_only_the_organisation_with_group_by_none(db, runner) -> None:
    clear_cache()
    built = build(db, layout=SMALL, na_beta_in=None)
    args = ["results", "show", str(built.campaign.id), "--locale", "en", "--group-by", "none"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert re.search(r"^Whole organisation\s+13\s", result.output, re.MULTILINE)
    assert "HQ" not in result.output
    table = runner.invoke(args=[*args[:-1], "role_department"])
    assert re.search(r"^HQ / Executive\s+5\s", table.output, re.MULTILINE)


def test_show_json_prints_the_api_results_document(db, app, runner) -> None:
    clear_cache()
    built = build(db, layout=SMALL, na_beta_in=None)
    user = User(email="reader@example.com", active=True, is_admin=True)
    db.session.add(user)
    db.session.flush()
    token = create_api_token(user, "tests")
    db.session.commit()
    client = app.test_client()
    campaign_id = built.campaign.id
    for cli_value, api_value in [
        (None, None),
        ("none", None),
        ("role", "role"),
        ("department", "department"),
        ("role,department", "role,department"),
        ("department,role", "role,department"),
    ]:
        args = ["results", "show", str(campaign_id), "--json"]
        if cli_value is not None:
            args += ["--group-by", cli_value]
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        url = f"/api/v1/campaigns/{campaign_id}/results"
        if api_value is not None:
            url += f"?group_by={api_value}"
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert json.loads(result.output) == response.get_json(), cli_value
    groups = json.loads(result.output)["groups"]
    assert {"department": "HQ", "role": "executive"} in [group["key"] for group in groups]
    bad = runner.invoke(args=["results", "show", str(campaign_id), "--json", "--group-by", "team"])
    assert bad.exit_code == 2
    assert "group_by: unknown value 'team'" in bad.output
