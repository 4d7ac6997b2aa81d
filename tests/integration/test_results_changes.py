"""Results change when what they depend on changes: the cache of closed campaigns."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from app.models import Answer
from app.operations.campaigns import close_campaign, open_campaign
from app.operations.participants import invite_participant
from app.operations.responses import save_answers, start_response, submit_response
from app.results import campaign_results, clear_cache
from tests.integration.test_results_engine import build

SMALL = [
    ("HQ", "executive", 5),
    ("HQ", "frontline", 6),
    ("Support", "frontline", 5),
]


@pytest.fixture
def closed(db):
    clear_cache()
    built = build(db, layout=SMALL, na_beta_in=None)
    close_campaign(built.campaign)
    db.session.commit()
    return built


def test_closed_results_are_cached_until_an_answer_changes(db, closed) -> None:
    first = campaign_results(closed.campaign)
    assert campaign_results(closed.campaign) is first
    answer = db.session.scalar(
        select(Answer).where(Answer.item_id == "b1", Answer.value.is_not(None)).order_by(Answer.id)
    )
    answer.value = 1 if answer.value != 1 else 5
    db.session.commit()
    second = campaign_results(closed.campaign)
    assert second is not first
    assert second.data_version != first.data_version
    assert second.organisation.scores["beta"].mean != first.organisation.scores["beta"].mean
    assert campaign_results(closed.campaign) is second


def test_a_response_added_after_closing_is_counted(db, closed) -> None:
    first = campaign_results(closed.campaign)
    organization = closed.campaign.organization
    role = next(r for r in organization.roles if r.key == "frontline")
    participant, _ = invite_participant(closed.campaign, closed.departments["HQ"], role)
    response = start_response(participant)
    save_answers(response, closed.campaign.questionnaire, {"a1": 5, "a2": 1, "a3": 5, "b1": 5})
    submit_response(response)
    db.session.commit()
    second = campaign_results(closed.campaign)
    assert second.organisation.n == first.organisation.n + 1
    assert second.response_counts.total.invited == first.response_counts.total.invited + 1


def test_settings_and_report_files_are_part_of_the_version(
    db, closed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = campaign_results(closed.campaign)
    closed.campaign.targets = {"alpha": 5}
    db.session.commit()
    second = campaign_results(closed.campaign)
    assert second is not first
    assert second.targets.targets == {"alpha": 5.0}
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'rules:\n  - id: always\n    when: {score: alpha, op: ">", value: 0}\n'
        '    text: {ja: "常に", en: "always"}\n',
        encoding="utf-8",
    )
    monkeypatch.setitem(current_app.config, "CX_REPORTS_DIR", str(tmp_path))
    third = campaign_results(closed.campaign)
    assert [f.rule for f in third.findings] == ["always"]
    rules.write_text("rules: [", encoding="utf-8")
    fourth = campaign_results(closed.campaign)
    # A broken rules file never breaks the results: no findings, and the problem is logged.
    assert fourth.findings == ()
    assert fourth.organisation.n == first.organisation.n


def test_open_campaigns_are_computed_afresh(db, closed) -> None:
    open_campaign(closed.campaign)
    db.session.commit()
    assert campaign_results(closed.campaign) is not campaign_results(closed.campaign)
