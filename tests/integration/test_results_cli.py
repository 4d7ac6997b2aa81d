"""``flask rules validate`` and ``flask results show``."""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.results import clear_cache
from tests.integration.test_results_engine import build

SMALL = [("HQ", "executive", 5), ("HQ", "frontline", 6), ("Support", "frontline", 2)]


def test_validate_checks_the_shipped_files_by_default(runner) -> None:
    result = runner.invoke(args=["rules", "validate"])
    assert result.exit_code == 0, result.output
    assert "rules.yaml: ok (" in result.output
    assert "recommendations.yaml: ok (9 dimensions)" in result.output


def test_validate_prints_every_problem_with_its_position(runner, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - id: r\n    when: {score: digitl, op: '<', value: 3}\n"
        "    text: {ja: '{gapp}', en: x}\n",
        encoding="utf-8",
    )
    recommendations = tmp_path / "recommendations.yaml"
    recommendations.write_text("dimensions:\n  design:\n    1: {ja: a, en: b}\n", encoding="utf-8")
    result = runner.invoke(args=["rules", "validate", str(rules), str(recommendations)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{rules}:3:19: rules[0].when.score: unknown dimension 'digitl'")
    assert "(did you mean 'digital'?)" in lines[0]
    assert lines[1].startswith(f"{rules}:4:16: rules[0].text.ja: unknown placeholder {{gapp}}")
    assert lines[2].startswith(f"{recommendations}:3:5: dimensions.design: missing the")
    assert "problems in 2 files." in result.output


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
    assert document["organization"]["n"] == 13
    assert runner.invoke(args=["results", "show", "999999"]).exit_code != 0
    bad = runner.invoke(args=["results", "show", str(built.campaign.id), "--group-by", "team"])
    assert bad.exit_code == 2
    assert "unknown breakdown 'team'" in bad.output
