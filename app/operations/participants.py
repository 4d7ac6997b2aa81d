"""Invitations: participants and their personal link tokens."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Campaign, Department, Participant, Role, utcnow
from app.operations.organizations import OperationError
from app.security import hash_token, new_token


def invite_participant(
    campaign: Campaign,
    department: Department,
    role: Role,
    *,
    name: str | None = None,
    email: str | None = None,
) -> tuple[Participant, str]:
    """Create a participant and return it with its personal token (shown once, never stored)."""
    if department.organization_id != campaign.organization_id:
        raise OperationError("the department belongs to another organisation")
    if role.organization_id != campaign.organization_id:
        raise OperationError("the role belongs to another organisation")
    token = new_token()
    participant = Participant(
        campaign=campaign,
        department=department,
        role=role,
        name=name or None,
        email=email.strip().lower() if email else None,
        token_hash=hash_token(token),
        status="invited",
    )
    db.session.add(participant)
    db.session.flush()
    return participant, token


def rotate_token(participant: Participant) -> str:
    """Give a participant a new link; the old one stops working."""
    token = new_token()
    participant.token_hash = hash_token(token)
    db.session.flush()
    return token


def find_by_token(token: str) -> Participant | None:
    """The active participant a token belongs to, or None (unknown and revoked look alike)."""
    participant = db.session.scalar(
        select(Participant).where(Participant.token_hash == hash_token(token))
    )
    if participant is None or participant.revoked_at is not None:
        return None
    return participant


def revoke(participant: Participant) -> None:
    participant.revoked_at = utcnow()
    db.session.flush()


def participant_link(token: str) -> str:
    """The public URL of a personal link, built on ``CX_BASE_URL``."""
    return f"{current_app.config['CX_BASE_URL'].rstrip('/')}/r/{token}"


def open_link_url(token: str) -> str:
    """The public URL of a campaign's open link, built on ``CX_BASE_URL``."""
    return f"{current_app.config['CX_BASE_URL'].rstrip('/')}/o/{token}"


def issue_links(campaign: Campaign) -> list[tuple[Participant, str]]:
    """New personal links for every participant who has not submitted (and is not revoked).

    Links are stored hashed, so the only way to hand a link out again is to issue a new one:
    each earlier link of these participants stops working, while their saved answers stay.
    Participants who have submitted keep their link and are left out.
    """
    participants = db.session.scalars(
        select(Participant)
        .where(
            Participant.campaign_id == campaign.id,
            Participant.status != "submitted",
            Participant.revoked_at.is_(None),
        )
        .order_by(Participant.id)
    ).all()
    return [(participant, rotate_token(participant)) for participant in participants]


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
        .order_by(Department.position, Department.id)
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
    return invite_participant(campaign, department, role)
