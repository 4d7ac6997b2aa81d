"""Participants and their personal links: every write about them, for web, CLI and imports.

A link's token is shown once and stored only as a SHA-256 hash in ``participant_link``, so a
link cannot be handed out twice: each way of handing one out (an email, the links CSV, the
consultant copying one) adds a new link, and the participant's earlier links keep working,
because a link already sent may still be in use. Only ``revoke_participant`` and
``replace_link`` revoke earlier links; they also change the participant's ``link_epoch``,
which ends every respondent session (see ``app.survey.respondent``).

Each change made by staff records one audit event: the single changes below record their
own; operations over many participants at once (an import, emails, the links CSV, the next
round) build on ``new_participant``, ``invite_participant`` and ``add_link`` and record one
event for the whole batch.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import IO, Protocol

from sqlalchemy import func, select

from app.models import (
    Campaign,
    Department,
    Participant,
    ParticipantLink,
    Role,
    User,
    utcnow,
)
from app.models.participant import LINK_CHANNELS, new_link_epoch
from app.operations import audit
from app.operations.errors import N_, OperationError
from app.platform.extensions import db
from app.platform.security import hash_token, new_token
from app.platform.spreadsheet import csv_writer
from app.queries.participants import open_link_choices, participant_link

#: The columns of the links CSV, from the web download and ``flask participants links``.
LINK_COLUMNS = ("name", "email", "department", "role", "role_label", "status", "url")
MAX_EMAIL_LENGTH = 320
#: Deliberately simple: one @, something on both sides, a dot in the domain, no spaces.
EMAIL_RE = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]{2,}$")


# --- building blocks of single and batch operations -----------------------------------------


def add_link(participant: Participant, channel: str) -> str:
    """Add a personal link and return its token (shown once, stored hashed).

    The participant's earlier links keep working, and so do sessions opened with them. The
    caller records the audit event.
    """
    if channel not in LINK_CHANNELS:
        raise ValueError(f"unknown link channel {channel!r}")
    token = new_token()
    db.session.add(
        ParticipantLink(participant=participant, token_hash=hash_token(token), channel=channel)
    )
    db.session.flush()
    return token


def _check_organization(campaign: Campaign, department: Department, role: Role) -> None:
    if department.organization_id != campaign.organization_id:
        raise OperationError(N_("The department belongs to another organisation."))
    if role.organization_id != campaign.organization_id:
        raise OperationError(N_("The role belongs to another organisation."))


def new_participant(
    campaign: Campaign,
    department: Department,
    role: Role,
    *,
    name: str | None = None,
    email: str | None = None,
) -> Participant:
    """Create a participant without any link yet (links are added when handed out).

    The caller records the audit event.
    """
    _check_organization(campaign, department, role)
    participant = Participant(
        campaign=campaign,
        department=department,
        role=role,
        name=name or None,
        email=email.strip().lower() if email else None,
        status="invited",
    )
    db.session.add(participant)
    db.session.flush()
    return participant


def invite_participant(
    campaign: Campaign,
    department: Department,
    role: Role,
    *,
    name: str | None = None,
    email: str | None = None,
    channel: str = "manual",
) -> tuple[Participant, str]:
    """Create a participant and return it with its first personal link's token.

    The caller records the audit event.
    """
    participant = new_participant(campaign, department, role, name=name, email=email)
    return participant, add_link(participant, channel)


def issue_links(campaign: Campaign, channel: str = "csv") -> list[tuple[Participant, str]]:
    """A new personal link for every participant to hand links to; earlier links keep working.

    That is everyone who has not submitted, is not revoked and has an email address:
    participants without one registered themselves through the open link and were shown
    their own link then (it keeps working). The caller records the audit event.
    """
    participants = db.session.scalars(
        select(Participant)
        .where(
            Participant.campaign_id == campaign.id,
            Participant.status != "submitted",
            Participant.revoked_at.is_(None),
            Participant.email.is_not(None),
            Participant.email != "",
        )
        .order_by(Participant.id)
    ).all()
    return [(participant, add_link(participant, channel)) for participant in participants]


def _revoke_links(participant: Participant) -> None:
    """Revoke every link of the participant and end every session opened with one."""
    now = utcnow()
    for link in participant.links:
        if link.revoked_at is None:
            link.revoked_at = now
    participant.link_epoch = new_link_epoch()


def _check_email(email: str | None) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > MAX_EMAIL_LENGTH:
        raise OperationError(N_("%(value)s is not a valid email address."), value=email)
    return email


def _check_placement(campaign: Campaign, department: Department, role: Role) -> None:
    _check_organization(campaign, department, role)
    if department.archived:
        raise OperationError(N_("Department %(name)s is archived."), name=department.name)


def _check_email_free(campaign: Campaign, email: str, except_id: int | None = None) -> None:
    query = select(Participant.id).where(
        Participant.campaign_id == campaign.id, func.lower(Participant.email) == email
    )
    if except_id is not None:
        query = query.where(Participant.id != except_id)
    if db.session.scalar(query) is not None:
        raise OperationError(
            N_("%(value)s is already a participant of this campaign."), value=email
        )


def _check_not_revoked(participant: Participant) -> None:
    _check_not_erased(participant)
    if participant.revoked_at is not None:
        raise OperationError(N_("This participant's link has been revoked."))


def _check_not_erased(participant: Participant) -> None:
    if participant.erased_at is not None:
        raise OperationError(N_("This participant's personal data has been erased."))


# --- single changes, each audited -----------------------------------------------------------


def add_participant(
    campaign: Campaign,
    *,
    email: str,
    department: Department,
    role: Role,
    name: str | None = None,
    actor: User | None = None,
) -> tuple[Participant, str]:
    """Invite one person; returns the participant and their link token (shown once)."""
    email = _check_email(email)
    _check_placement(campaign, department, role)
    _check_email_free(campaign, email)
    participant, token = invite_participant(
        campaign, department, role, name=(name or "").strip() or None, email=email
    )
    audit.record("participant.added", campaign=campaign, user=actor)
    return participant, token


def update_participant(
    participant: Participant,
    *,
    email: str,
    department: Department,
    role: Role,
    name: str | None = None,
    actor: User | None = None,
) -> Participant:
    """Correct a participant's name, email, department or role.

    Moving someone corrects where they belong, so a response they already started or
    submitted moves with them and is counted in the new department and role.
    """
    _check_not_erased(participant)
    campaign = participant.campaign
    email = _check_email(email)
    if department.id != participant.department_id or department.archived:
        _check_placement(campaign, department, role)
    _check_email_free(campaign, email, except_id=participant.id)
    participant.name = (name or "").strip() or None
    participant.email = email
    participant.department = department
    participant.role = role
    if participant.response is not None:
        participant.response.department_id = department.id
        participant.response.role_id = role.id
    db.session.flush()
    audit.record("participant.updated", campaign=campaign, user=actor)
    return participant


def revoke_participant(participant: Participant, *, actor: User | None = None) -> Participant:
    """Stop every link of the participant and end their sessions; answers stay in the results.

    Revoking an already revoked participant changes nothing.
    """
    if participant.revoked_at is None:
        participant.revoked_at = utcnow()
        _revoke_links(participant)
        db.session.flush()
        audit.record("participant.revoked", campaign=participant.campaign, user=actor)
    return participant


def hand_out_link(participant: Participant, *, actor: User | None = None) -> str:
    """A link to give one participant; their earlier links keep working."""
    _check_not_revoked(participant)
    token = add_link(participant, "manual")
    audit.record("participant.link_issued", campaign=participant.campaign, user=actor)
    return token


def replace_link(participant: Participant, *, actor: User | None = None) -> str:
    """A new link for one participant; every earlier link stops working and sessions end.

    Saved answers stay and continue with the new link.
    """
    _check_not_revoked(participant)
    _revoke_links(participant)
    token = add_link(participant, "manual")
    audit.record("participant.link_replaced", campaign=participant.campaign, user=actor)
    return token


def register_open_participant(
    campaign: Campaign, department_id: int, role_id: int
) -> tuple[Participant, str]:
    """Create a participant from the open link with the department and role they chose.

    Not audited one by one, like answers: the respondent acts, not staff, and turning the
    open link on is audited; the progress page counts who registered.
    """
    if not campaign.open_link_enabled:
        raise OperationError(N_("The open link of this campaign is disabled."))
    departments, roles = open_link_choices(campaign)
    department = next((d for d in departments if d.id == department_id), None)
    role = next((r for r in roles if r.id == role_id), None)
    if department is None:
        raise OperationError(N_("Choose one of the listed departments."))
    if role is None:
        raise OperationError(N_("Choose one of the listed roles."))
    return invite_participant(campaign, department, role, channel="open-link")


class LinkHolder(Protocol):
    """What a row of the links CSV shows of a participant (a model, or an imported row)."""

    name: str | None
    email: str | None
    department: Department
    role: Role
    status: str


def write_links(rows: Iterable[tuple[LinkHolder, str]], output: IO[str], locale: str) -> None:
    """Write ``rows`` (participant, token) as the links CSV (``LINK_COLUMNS``, CRLF lines)."""
    writer = csv_writer(output)
    writer.writerow(LINK_COLUMNS)
    for participant, token in rows:
        writer.writerow(
            [
                participant.name or "",
                participant.email or "",
                participant.department.name,
                participant.role.key,
                participant.role.label(locale),
                participant.status,
                participant_link(token),
            ]
        )


def links_csv(campaign: Campaign, *, locale: str, actor: User | None = None) -> tuple[str, int]:
    """The links CSV of a campaign, for the web download and ``flask participants links``.

    Adds one link for every participant ``issue_links`` selects (earlier links keep
    working), records the ``links.exported`` audit event and returns the CSV text (without a
    byte-order mark) and the number of links. The caller commits.
    """
    issued = issue_links(campaign, "csv")
    audit.record("links.exported", campaign=campaign, user=actor, links=len(issued))
    buffer = io.StringIO()
    write_links(issued, buffer, locale)
    return buffer.getvalue(), len(issued)


def enable_open_link(campaign: Campaign, *, actor: User | None = None) -> str:
    """Turn on the campaign's open link and return its token (shown once, stored hashed).

    Each call issues a new token: an earlier open link of the campaign stops working.
    """
    token = new_token()
    campaign.open_link_token_hash = hash_token(token)
    campaign.open_link_enabled = True
    db.session.flush()
    audit.record("open_link.enabled", campaign=campaign, user=actor)
    return token


def disable_open_link(campaign: Campaign, *, actor: User | None = None) -> None:
    """Turn off the campaign's open link; participants it already created keep their links."""
    campaign.open_link_enabled = False
    campaign.open_link_token_hash = None
    db.session.flush()
    audit.record("open_link.disabled", campaign=campaign, user=actor)
