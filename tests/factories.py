"""Factories for the models most tests need: an organisation with its departments and roles, a
user, a campaign, participants, and submitted responses with their answers.

Everything is made through the app's own write operations, so it is valid in the same way as
data made through the web or the CLI, and each factory commits: requests in their own
application context, threads, worker processes and live servers see what it made. Call them
inside the ``app`` fixture's application context.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.auth.accounts import create_user, grant_access
from app.models import Campaign, Department, Organization, Participant, Response, User
from app.operations.campaigns import close_campaign, create_campaign, open_campaign
from app.operations.organizations import add_department, create_organization
from app.operations.participants import invite_participant
from app.operations.responses import save_answers, start_response, submit_response
from app.platform.extensions import db
from app.queries.questionnaires import get_questionnaire
from app.questionnaire import Questionnaire

#: Every user made here has this password unless told otherwise.
PASSWORD = "quiet-harbour-lantern-47"
#: The questionnaire campaigns use unless told otherwise (from questionnaires/).
QUESTIONNAIRE = "cx-five-capabilities"


def make_user(email: str, *, role: str = "consultant", password: str = PASSWORD) -> User:
    """A user account (``role``: consultant, or admin)."""
    user = create_user(email, password, role=role)
    db.session.commit()
    return user


def grant(user: User, org: Organization, access: str, *, update_actions: bool = False) -> None:
    """Give ``user`` ``access`` (consultant or executive) to ``org``; ``update_actions``
    lets an executive update the status and notes of its actions."""
    grant_access(user, org, access).update_actions = update_actions
    db.session.commit()


def make_org(
    slug: str = "acme",
    departments: Iterable[str] = ("営業部", "開発部"),
    *,
    name: str | None = None,
    children: Mapping[str, str] | None = None,
) -> Organization:
    """An organisation with the three default roles and top-level ``departments``.

    ``children`` adds departments below others: ``{"個人営業部": "営業本部"}``.
    """
    org = create_organization(slug, name or f"{slug} 株式会社", list(departments))
    for child, parent in (children or {}).items():
        add_department(org, child, department_of(org, parent))
    db.session.commit()
    return org


def department_of(org: Organization, name: str | None = None) -> Department:
    """The department of ``org`` called ``name`` (the first one when None)."""
    return next(d for d in org.departments if name in (None, d.name))


def make_campaign(
    org: Organization,
    *,
    name: str = "2026 CX診断",
    questionnaire: str | Questionnaire = QUESTIONNAIRE,
    threshold: int = 3,
    opened: bool = True,
) -> Campaign:
    """A campaign of ``org`` on a library questionnaire (by id) or a parsed one, open by default."""
    if isinstance(questionnaire, str):
        questionnaire = get_questionnaire(questionnaire)
    campaign = create_campaign(org, questionnaire, name, threshold=threshold)
    if opened:
        open_campaign(campaign)
    db.session.commit()
    return campaign


def invite(
    campaign: Campaign,
    *,
    department: str | None = None,
    role: str = "frontline",
    name: str | None = None,
    email: str | None = None,
) -> tuple[Participant, str]:
    """One participant of ``campaign`` (in ``department``, the first when None) and the token
    of their personal link."""
    org = campaign.organization
    role_obj = next(r for r in org.roles if r.key == role)
    participant, token = invite_participant(
        campaign, department_of(org, department), role_obj, name=name, email=email
    )
    db.session.commit()
    return participant, token


def add_people(
    campaign: Campaign, count: int, *, department: str | None = None, role: str = "frontline"
) -> list[Participant]:
    """``count`` participants in ``department`` with ``role``, each with a name and an email."""
    people = []
    for _ in range(count):
        n = len(campaign.participants) + 1
        participant, _token = invite(
            campaign,
            department=department,
            role=role,
            name=f"参加者 {n}",
            email=f"p{n}-{campaign.id}@example.jp",
        )
        people.append(participant)
    return people


def submit(
    participant: Participant,
    value: int = 4,
    text: str | None = None,
    *,
    answers: Mapping[str, Any] | None = None,
) -> Response:
    """A submitted response of ``participant``.

    Every item asked of the participant's role answered ``value`` unless ``answers`` (item
    id to a value, ``"dk"`` or ``"na"``) says what to answer; ``text`` answers the first open
    question.
    """
    questionnaire = participant.campaign.questionnaire
    response = start_response(participant)
    given: dict[str, Any] = (
        dict(answers)
        if answers is not None
        else {item.id: value for item in questionnaire.items_for(participant.role.key)}
    )
    if text is not None and questionnaire.open_questions:
        given[questionnaire.open_questions[0].id] = text
    save_answers(response, questionnaire, given)
    submit_response(response)
    db.session.commit()
    return response


def two_rounds(
    org: Organization,
    departments: Iterable[str] = ("営業部",),
    *,
    people: int = 6,
    before: int = 2,
    after: int = 4,
) -> tuple[Campaign, Campaign]:
    """A closed round and its next round (open), ``people`` submitted responses per
    department in each: every item answered ``before``, then ``after``."""
    previous = make_campaign(org, name="2025年度", threshold=3)
    for department in departments:
        for person in add_people(previous, people, department=department):
            submit(person, value=before)
    close_campaign(previous)
    current = make_campaign(org, name="2026年度", threshold=3)
    current.previous_campaign_id = previous.id
    for department in departments:
        for person in add_people(current, people, department=department):
            submit(person, value=after)
    db.session.commit()
    return previous, current
