"""The in-process caches in use: report files re-read when they change, one parsed
questionnaire per content hash shared by the survey and the results."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from flask import Flask

from app.models import Campaign
from app.reporting.methodology import methodology_html
from app.results import owner_functions, report_catalogues
from app.survey.questions import survey_for
from tests.integration.survey_fixtures import make_campaign

REPO = Path(__file__).resolve().parents[2]


def _rewrite(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    # A new modification time even on file systems with coarse timestamps.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_report_rules_are_read_again_when_the_file_changes(app: Flask, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(REPO / "reports", reports)
    app.config["CX_REPORTS_DIR"] = str(reports)
    first = report_catalogues()
    assert first.rules is not None
    assert first.problems == ()
    assert report_catalogues().rules is first.rules  # parsed once

    rules = reports / "rules.yaml"
    _rewrite(rules, "rules: [unclosed\n")
    broken = report_catalogues()
    assert broken.rules is None
    assert broken.problems
    assert broken.signature != first.signature

    rules.unlink()
    missing = report_catalogues()
    assert missing.rules is None
    assert missing.problems == ()


def test_actions_are_checked_again_when_the_owners_file_changes(app: Flask, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(REPO / "reports", reports)
    app.config["CX_REPORTS_DIR"] = str(reports)
    first = report_catalogues()
    assert first.problems == ()
    assert owner_functions()["hr"] == {"ja": "人事部", "en": "HR"}

    owners = reports / "owners.yaml"
    text = owners.read_text(encoding="utf-8")
    _rewrite(owners, "\n".join(line for line in text.splitlines() if "  hr:" not in line) + "\n")
    changed = report_catalogues()
    # The level catalogue names HR: it no longer validates, and says where and why.
    assert changed.recommendations is None
    assert any("unknown owner 'hr'" in problem for problem in changed.problems)
    assert changed.signature != first.signature
    assert "hr" not in owner_functions()

    _rewrite(owners, text)
    assert report_catalogues().recommendations is not None


def test_the_methodology_is_read_again_when_it_changes(tmp_path: Path) -> None:
    (tmp_path / "methodology.md").write_text("# Methods\n\n## Scores\n\nMeans.\n", "utf-8")
    assert "Means." in methodology_html("en", tmp_path)
    _rewrite(tmp_path / "methodology.md", "# Methods\n\n## Scores\n\nMedians.\n")
    html = methodology_html("en", tmp_path)
    assert "Medians." in html
    assert "Means." not in html


def test_campaigns_of_one_questionnaire_share_one_parse_and_one_survey(app: Flask, db) -> None:
    campaign = make_campaign(db)
    other = make_campaign(db, slug="other")
    assert other.questionnaire_hash == campaign.questionnaire_hash
    db.session.expunge_all()
    first = db.session.get(Campaign, campaign.id)
    second = db.session.get(Campaign, other.id)
    assert first is not None
    assert second is not None
    assert first.questionnaire is second.questionnaire
    assert survey_for(first) is survey_for(second)
    assert survey_for(first).questionnaire is first.questionnaire
