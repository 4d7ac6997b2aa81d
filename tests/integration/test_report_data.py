"""The deterministic campaigns the report tests render, and a check that they are as intended.

Two rounds of one organisation: four departments, two of them below the anonymity threshold
(so their numbers must never appear), three roles with a planted perception gap, targets on
two capabilities, and a closed previous round that offers individual reports. The other
``test_report_*`` modules import :func:`world` to build it once per module.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.models import Campaign, Department, Participant
from app.operations.campaigns import close_campaign, create_campaign, open_campaign
from app.operations.organizations import add_department, create_organization
from app.operations.participants import invite_participant
from app.operations.responses import save_answers, start_response, submit_response
from app.platform.extensions import db as _db
from app.queries.questionnaires import get_questionnaire
from app.results import campaign_results, clear_cache
from tests.conftest import empty_tables, make_config

ORG_NAME = "テスト地方銀行"
#: (department, role, respondents): 人事部 and 法務部 are below the threshold of 5.
LAYOUT: tuple[tuple[str, str, int], ...] = (
    ("営業部", "executive", 3),
    ("営業部", "middle_manager", 4),
    ("営業部", "frontline", 7),
    ("開発部", "executive", 3),
    ("開発部", "middle_manager", 3),
    ("開発部", "frontline", 6),
    ("人事部", "frontline", 2),
    ("法務部", "middle_manager", 1),
    ("法務部", "frontline", 2),
)
SHOWN_DEPARTMENTS = ("営業部", "開発部")
SUPPRESSED_DEPARTMENTS = ("人事部", "法務部")
THRESHOLD = 5


@dataclass
class World:
    organization_id: int
    campaign_id: int
    previous_id: int
    departments: dict[str, int] = field(default_factory=dict)
    #: A participant of the closed previous round who submitted a response.
    respondent_id: int = 0


def _answers(rng: random.Random, questionnaire: Any, role: str, shift: float) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for dimension in questionnaire.dimensions:
        # The planted gap: executives see organisational behaviour far better than others.
        role_shift = {"executive": 1.2, "frontline": -0.4}.get(role, 0.0)
        if dimension.id != "org_behavior":
            role_shift /= 4
        for item in dimension.items:
            raw = 2.8 + shift + role_shift + rng.gauss(0.0, 0.7)
            answers[item.id] = max(1, min(5, round(raw)))
    return answers


def _round(
    organization: Any,
    departments: dict[str, Department],
    name: str,
    seed: int,
    shift: float,
    previous: Campaign | None = None,
) -> tuple[Campaign, Participant]:
    questionnaire = get_questionnaire("cx-five-capabilities")
    campaign = create_campaign(
        organization, questionnaire, name, threshold=THRESHOLD, previous=previous
    )
    open_campaign(campaign)
    roles = {role.key: role for role in organization.roles}
    rng = random.Random(seed)
    first: Participant | None = None
    for department, role, count in LAYOUT:
        for index in range(count + 1):
            participant, _token = invite_participant(
                campaign, departments[department], roles[role], name=f"回答者 {index}"
            )
            if index == count:
                continue  # invited, never answered: a realistic response rate
            response = start_response(participant)
            save_answers(response, questionnaire, _answers(rng, questionnaire, role, shift))
            submit_response(response)
            first = first or participant
        _db.session.commit()
    assert first is not None
    return campaign, first


def build_world() -> World:
    """Create the organisation and both rounds (inside an application context)."""
    organization = create_organization("test-bank", ORG_NAME)
    departments = {
        name: add_department(organization, name)
        for name in (*SHOWN_DEPARTMENTS, *SUPPRESSED_DEPARTMENTS)
    }
    previous, respondent = _round(organization, departments, "2025年度 CX診断", 7, -0.3)
    previous.individual_reports = True
    close_campaign(previous)
    campaign, _ = _round(organization, departments, "2026年度 CX診断", 8, 0.0, previous)
    campaign.targets = {"org_behavior": 3.5, "digital": 3.0}
    _db.session.commit()
    return World(
        organization_id=organization.id,
        campaign_id=campaign.id,
        previous_id=previous.id,
        departments={name: department.id for name, department in departments.items()},
        respondent_id=respondent.id,
    )


def world_fixture(database_url: tuple[str, dict[str, Any]]) -> Iterator[tuple[Flask, World]]:
    """Build the world once for a test module, then empty the database again."""
    url, options = database_url
    app = create_app(make_config(url, options))
    with app.app_context():
        clear_cache()
        built = build_world()
        yield app, built
        _db.session.rollback()
        _db.session.remove()
        empty_tables(_db.engine)
        _db.engine.dispose()


world = pytest.fixture(scope="module", name="world")(world_fixture)


def test_the_report_world_has_shown_and_suppressed_departments(world) -> None:
    _app, built = world
    results = campaign_results(_db.session.get(Campaign, built.campaign_id))
    statuses = {
        department: results.group("department", department=built.departments[department]).status
        for department in built.departments
    }
    assert statuses == {
        "営業部": "ok",
        "開発部": "ok",
        "人事部": "suppressed",
        "法務部": "suppressed",
    }
    assert all(group.shown for group in results.by_role)
    assert results.previous is not None
    assert results.trends
    gap = max(results.gaps_of("role"), key=lambda g: abs(g.difference))
    assert gap.dimension == "org_behavior"
    assert gap.notable
