"""Invitations: participants and their personal links.

A link's token is shown once and stored only as a SHA-256 hash in ``participant_link``, so a
link cannot be handed out twice: each way of handing one out (an email, the links CSV, the
consultant copying one) adds a new link, and the participant's earlier links keep working,
because a link already sent may still be in use. Only ``revoke`` and ``replace_links`` revoke
earlier links; they also change the participant's ``link_epoch``, which ends every respondent
session (see ``app.survey.respondent``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO, Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.models import (
    DEPARTMENT_ORDER,
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
from app.operations.errors import OperationError
from app.platform.extensions import db
from app.platform.security import hash_token, new_token

#: The columns of the links CSV, from the web download and ``flask participants links``.
LINK_COLUMNS = ("name", "email", "department", "role", "role_label", "status", "url")
#: How each link channel is named on the participant page.
LINK_CHANNEL_LABELS: dict[str, Any] = {
    "manual": _l("Handed out from the workspace"),
    "import": _l("Participant import (CLI)"),
    "invitation": _l("Invitation email"),
    "reminder": _l("Reminder email"),
    "csv": _l("Links CSV"),
    "open-link": _l("Open link registration"),
    "migrated": _l("Issued before the upgrade"),
}


def add_link(participant: Participant, channel: str) -> str:
    """Add a personal link and return its token (shown once, stored hashed).

    The participant's earlier links keep working, and so do sessions opened with them.
    """
    if channel not in LINK_CHANNELS:
        raise ValueError(f"unknown link channel {channel!r}")
    token = new_token()
    db.session.add(
        ParticipantLink(participant=participant, token_hash=hash_token(token), channel=channel)
    )
    db.session.flush()
    return token


def _revoke_links(participant: Participant) -> None:
    """Revoke every link of the participant and end every session opened with one."""
    now = utcnow()
    for link in participant.links:
        if link.revoked_at is None:
            link.revoked_at = now
    participant.link_epoch = new_link_epoch()


def replace_links(participant: Participant, channel: str = "manual") -> str:
    """Revoke every earlier link of the participant and return a new one.

    Sessions opened with an earlier link end; saved answers stay and continue with the new
    link.
    """
    if participant.revoked_at is not None:
        raise OperationError("this participant has been revoked")
    _revoke_links(participant)
    return add_link(participant, channel)


def new_participant(
    campaign: Campaign,
    department: Department,
    role: Role,
    *,
    name: str | None = None,
    email: str | None = None,
) -> Participant:
    """Create a participant without any link yet (links are added when handed out)."""
    if department.organization_id != campaign.organization_id:
        raise OperationError("the department belongs to another organisation")
    if role.organization_id != campaign.organization_id:
        raise OperationError("the role belongs to another organisation")
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
    """Create a participant and return it with its first personal link's token."""
    participant = new_participant(campaign, department, role, name=name, email=email)
    return participant, add_link(participant, channel)


def find_by_token(token: str) -> Participant | None:
    """The active participant a token belongs to, or None.

    Unknown links, revoked links and links of revoked participants look alike: one indexed
    query that finds no row in each case.
    """
    return db.session.scalar(
        select(Participant)
        .join(ParticipantLink, ParticipantLink.participant_id == Participant.id)
        .where(
            ParticipantLink.token_hash == hash_token(token),
            ParticipantLink.revoked_at.is_(None),
            Participant.revoked_at.is_(None),
        )
    )


def revoke(participant: Participant) -> None:
    """Revoke the participant: every link of theirs stops working and every session ends."""
    if participant.revoked_at is None:
        participant.revoked_at = utcnow()
    _revoke_links(participant)
    db.session.flush()


def active_links(participant: Participant) -> list[ParticipantLink]:
    """The participant's working links, oldest first (none once the participant is revoked)."""
    if participant.revoked_at is not None:
        return []
    return [link for link in participant.links if link.revoked_at is None]


def link_channel_label(channel: str) -> str:
    """The translated name of a link channel (the channel itself when unknown)."""
    label = LINK_CHANNEL_LABELS.get(channel)
    return str(label) if label is not None else channel


def participant_link(token: str) -> str:
    """The public URL of a personal link, built on ``CX_BASE_URL``."""
    return f"{current_app.config['CX_BASE_URL'].rstrip('/')}/r/{token}"


def open_link_url(token: str) -> str:
    """The public URL of a campaign's open link, built on ``CX_BASE_URL``."""
    return f"{current_app.config['CX_BASE_URL'].rstrip('/')}/o/{token}"


def issue_links(campaign: Campaign, channel: str = "csv") -> list[tuple[Participant, str]]:
    """A new personal link for every participant to hand links to; earlier links keep working.

    That is everyone who has not submitted, is not revoked and has an email address:
    participants without one registered themselves through the open link and were shown
    their own link then (it keeps working).
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


def write_links(rows: Iterable[tuple[Participant, str]], output: IO[str], locale: str) -> None:
    """Write ``rows`` (participant, token) as the links CSV (``LINK_COLUMNS``, CRLF lines)."""
    writer = csv.writer(output, lineterminator="\r\n")
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


def enable_open_link(campaign: Campaign) -> str:
    """Turn on the campaign's open link and return its token (shown once, stored hashed).

    Each call issues a new token: an earlier open link of the campaign stops working.
    """
    token = new_token()
    campaign.open_link_token_hash = hash_token(token)
    campaign.open_link_enabled = True
    db.session.flush()
    return token


def disable_open_link(campaign: Campaign) -> None:
    """Turn off the campaign's open link; participants it already created keep their links."""
    campaign.open_link_enabled = False
    campaign.open_link_token_hash = None
    db.session.flush()


def find_campaign_by_open_token(token: str) -> Campaign | None:
    """The campaign whose enabled open link this is, or None (unknown and disabled look alike)."""
    campaign = db.session.scalar(
        select(Campaign).where(Campaign.open_link_token_hash == hash_token(token))
    )
    if campaign is None or not campaign.open_link_enabled:
        return None
    return campaign


def open_link_choices(campaign: Campaign) -> tuple[list[Department], list[Role]]:
    """What a respondent may choose on the open link: live departments and every role."""
    departments = db.session.scalars(
        select(Department)
        .where(
            Department.organization_id == campaign.organization_id, Department.archived.is_(False)
        )
        .order_by(*DEPARTMENT_ORDER)
    ).all()
    roles = db.session.scalars(
        select(Role).where(Role.organization_id == campaign.organization_id).order_by(Role.rank)
    ).all()
    return list(departments), list(roles)


def register_open_participant(
    campaign: Campaign, department_id: int, role_id: int
) -> tuple[Participant, str]:
    """Create a participant from the open link with the department and role they chose."""
    if not campaign.open_link_enabled:
        raise OperationError("the open link of this campaign is disabled")
    departments, roles = open_link_choices(campaign)
    department = next((d for d in departments if d.id == department_id), None)
    role = next((r for r in roles if r.id == role_id), None)
    if department is None:
        raise OperationError("choose one of the listed departments")
    if role is None:
        raise OperationError("choose one of the listed roles")
    return invite_participant(campaign, department, role, channel="open-link")
