"""Reads of participants and their links: by token, by campaign page, and link addresses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.models import DEPARTMENT_ORDER, Campaign, Department, Participant, ParticipantLink, Role
from app.models.participant import PARTICIPANT_STATUSES
from app.platform.extensions import db
from app.platform.security import hash_token

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


@dataclass(frozen=True)
class ParticipantPage:
    """One page of a campaign's participants, in the order they were added."""

    participants: list[Participant]
    total: int
    page: int
    pages: int
    #: The status filter asked for: a status of the active participants, ``revoked``, or
    #: None (or anything else) for everyone.
    status: str | None
    #: The search text asked for (stripped), or "" for none.
    search: str = ""


#: The longest search text taken (longer text is cut): names and addresses are shorter.
MAX_SEARCH = 200


def _like_pattern(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere, its own ``%`` and ``_`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def participant_page(
    campaign: Campaign,
    *,
    status: str | None,
    page: int,
    page_size: int,
    search: str | None = None,
) -> ParticipantPage:
    """Page ``page`` (from 1) of the campaign's participants, filtered by ``status``.

    ``status`` is one of ``PARTICIPANT_STATUSES`` (active participants only) or ``revoked``;
    anything else lists everyone. ``search`` keeps those whose name or email contains it,
    ignoring case.
    """
    page = max(1, page)
    search = (search or "").strip()[:MAX_SEARCH]
    query = select(Participant).where(Participant.campaign_id == campaign.id)
    if search:
        pattern = _like_pattern(search.lower())
        query = query.where(
            func.lower(func.coalesce(Participant.name, "")).like(pattern, escape="\\")
            | func.lower(func.coalesce(Participant.email, "")).like(pattern, escape="\\")
        )
    if status in PARTICIPANT_STATUSES:
        query = query.where(Participant.status == status, Participant.revoked_at.is_(None))
    elif status == "revoked":
        query = query.where(Participant.revoked_at.is_not(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(Participant.id).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return ParticipantPage(list(rows), total, page, max(1, -(-total // page_size)), status, search)
