"""A small organisation for the dashboard tests, with groups below the anonymity threshold.

Organisation, departments and campaigns are made through the write operations; responses
are bulk-inserted as the demo loader does (fast), and the real results engine computes
everything. The
Legal department (two respondents) and the single executive of Development are below the
threshold of three; their answers are chosen so their means (1.50 and 4.50) appear nowhere
else, which lets the suppression tests search the pages for them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import insert

from app.models import (
    Answer,
    Campaign,
    Department,
    Organization,
    Participant,
    Response,
    Role,
    User,
    utcnow,
)
from app.operations.campaigns import close_campaign, create_campaign, open_campaign
from app.operations.organizations import add_department, create_organization
from app.platform.extensions import db
from app.questionnaire import parse_questionnaire
from app.results import campaign_results
from tests.factories import grant, make_user
from tests.integration.workspace_support import login, make_client

QUESTIONNAIRE = """
id: dashboard-test
version: "1.0.0"
locales: [ja, en]
title: {ja: ダッシュボード検証診断, en: Dashboard test assessment}
scale:
  min: 1
  max: 5
  labels:
    1: {ja: 未着手, en: Not started}
    2: {ja: 部分的, en: Ad hoc}
    3: {ja: 途上, en: Developing}
    4: {ja: 定着, en: Established}
    5: {ja: 先進的, en: Leading}
dimensions:
  - id: vision
    kind: capability
    title: {ja: ビジョン力, en: Vision}
    description: {ja: 顧客価値を言葉にする力, en: Putting customer value into words}
    items:
      - id: v1
        text: {ja: CXビジョンが共有されている, en: The CX vision is shared}
        levels:
          4: {ja: ビジョンが日々の判断に使われている, en: The vision guides everyday decisions}
          5: {ja: ビジョンが共通言語になっている, en: The vision is the common language}
      - {id: v2, text: {ja: 経営会議でCX指標を扱う, en: CX metrics are reviewed by management}}
  - id: design
    kind: capability
    title: {ja: デザイン力, en: Design}
    items:
      - {id: d1, text: {ja: 顧客インサイトを得ている, en: We gain customer insight}}
      - {id: d2, text: {ja: ジャーニーマップを使う, en: We use journey maps}}
  - id: operations
    kind: capability
    title: {ja: オペレーション力, en: Operations}
    items:
      - {id: o1, text: {ja: 改善サイクルが回っている, en: The improvement cycle runs}}
      - {id: o2, text: {ja: VoCを活用している, en: We act on the voice of the customer}}
"""

ITEMS = ("v1", "v2", "d1", "d2", "o1", "o2")
PASSWORD_USER = "executive@org-a.example"
LEGAL = "法務部"
#: Legal's two respondents: every dimension averages 1.50 for them.
LEGAL_ANSWERS = (dict.fromkeys(ITEMS, 1), dict.fromkeys(ITEMS, 2))
LEGAL_MEAN = "1.50"
#: Development's only executive: every dimension averages 4.50 for them.
DEV_EXECUTIVE_ANSWERS = {i: (5 if i.endswith("1") else 4) for i in ITEMS}
DEV_EXECUTIVE_MEAN = "4.50"

#: (department, role, respondents, shift) for the shown groups; answers are 3 to 5.
LAYOUT = (
    ("営業部", "executive", 4, 1.0),
    ("営業部", "middle_manager", 4, 0.3),
    ("営業部", "frontline", 6, -0.3),
    ("開発部", "middle_manager", 4, 0.2),
    ("開発部", "frontline", 5, -0.4),
    ("人事部", "middle_manager", 3, 0.0),
    ("人事部", "frontline", 4, -0.2),
)


@dataclass
class World:
    org: Organization
    campaign: Campaign
    executive: User
    departments: dict[str, Department] = field(default_factory=dict)
    previous: Campaign | None = None


def _respond(
    pending: list[tuple[Response, dict[str, int]]],
    campaign: Campaign,
    department: Department,
    role: Role,
    answers: dict[str, int],
) -> None:
    """A submitted response, added the way the demo loader adds them (flushed in bulk)."""
    now = utcnow()
    participant = Participant(
        campaign_id=campaign.id,
        department_id=department.id,
        role_id=role.id,
        status="submitted",
        invited_at=now,
        started_at=now,
        submitted_at=now,
        last_activity_at=now,
    )
    response = Response(
        campaign_id=campaign.id,
        participant=participant,
        department_id=department.id,
        role_id=role.id,
        status="submitted",
        source="web",
        submitted_at=now,
    )
    db.session.add(participant)
    db.session.add(response)
    pending.append((response, answers))


def _save(pending: list[tuple[Response, dict[str, int]]]) -> None:
    db.session.flush()
    now = utcnow()
    rows = [
        {
            "response_id": response.id,
            "item_id": item,
            "value": value,
            "not_applicable": False,
            "text": None,
            "updated_at": now,
        }
        for response, answers in pending
        for item, value in answers.items()
    ]
    db.session.execute(insert(Answer), rows)


def _answers(rng: random.Random, shift: float) -> dict[str, int]:
    return {i: max(3, min(5, round(3.9 + shift + rng.gauss(0, 0.7)))) for i in ITEMS}


def build_campaign(
    org: Organization,
    departments: dict[str, Department],
    *,
    name: str,
    seed: int,
    shift: float = 0.0,
    previous: Campaign | None = None,
    small_groups: bool = True,
    close: bool = True,
) -> Campaign:
    """A campaign of ``org`` answered per LAYOUT, plus the small groups when asked."""
    roles = {role.key: role for role in org.roles}
    campaign = create_campaign(
        org, parse_questionnaire(QUESTIONNAIRE), name, threshold=3, previous=previous
    )
    open_campaign(campaign)
    db.session.flush()
    pending: list[tuple[Response, dict[str, int]]] = []
    with db.session.no_autoflush:
        _add_layout(pending, campaign, departments, roles, random.Random(seed), shift, small_groups)
    _save(pending)
    if close:
        close_campaign(campaign)
    db.session.commit()
    return campaign


def _add_layout(
    pending: list[tuple[Response, dict[str, int]]],
    campaign: Campaign,
    departments: dict[str, Department],
    roles: dict[str, Role],
    rng: random.Random,
    shift: float,
    small_groups: bool,
) -> None:
    for department, role, count, role_shift in LAYOUT:
        for _ in range(count):
            answers = _answers(rng, role_shift + shift)
            _respond(pending, campaign, departments[department], roles[role], answers)
    if small_groups:
        for answers in LEGAL_ANSWERS:
            _respond(pending, campaign, departments[LEGAL], roles["frontline"], answers)
        _respond(
            pending, campaign, departments["開発部"], roles["executive"], DEV_EXECUTIVE_ANSWERS
        )


def make_org(slug: str, name: str = "エー商事") -> tuple[Organization, dict[str, Department]]:
    org = create_organization(slug, name)
    departments = {
        label: add_department(org, label) for label in ("営業部", "開発部", LEGAL, "人事部")
    }
    db.session.commit()
    return org, departments


def build_world(slug: str = "org-a", *, with_previous: bool = False) -> World:
    """Organisation ``slug`` with a closed campaign and an executive viewer."""
    org, departments = make_org(slug)
    previous = None
    if with_previous:
        previous = build_campaign(org, departments, name="2025年度診断", seed=7, shift=-0.4)
    campaign = build_campaign(org, departments, name="2026年度診断", seed=11, previous=previous)
    executive = make_user(f"executive@{slug}.example")
    grant(executive, org, "executive")
    return World(org, campaign, executive, departments, previous)


def executive_client(app: Flask, world: World, language: str = "ja"):
    client = make_client(app, language)
    assert login(client, world.executive.email).status_code == 302
    return client


def test_the_world_has_the_suppressed_groups_it_claims(app: Flask) -> None:
    world = build_world()
    results = campaign_results(world.campaign)
    legal = results.group("department", department=world.departments[LEGAL].id)
    assert legal.status == "suppressed"
    assert legal.n is None
    dev_executive = results.group(
        "role_department", department=world.departments["開発部"].id, role="executive"
    )
    assert dev_executive.status == "suppressed"
    assert results.organization.shown
    shown = [g for g in results.by_department if g.shown]
    assert len(shown) >= 2
