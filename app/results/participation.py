"""Invited, started and submitted: one rule, counted in one grouped query.

Revoking a participant withdraws their invitation, not an answer they already gave (their
response stays in the results). So:

* ``invited`` counts the participants whose link is live, plus the revoked ones who had
  submitted: the people asked whose answer is in the results were invited;
* ``started`` (a draft, including one left when the campaign closed) and ``not_started``
  count live participants only: a revoked participant can no longer answer;
* ``submitted`` counts submitted responses, from whoever they came: exactly the responses in
  every figure and in an export, including responses imported without a participant.

The progress page, the API, the exports and the results all read these counts, for one
campaign, per (department, role) cell of one campaign, or for many campaigns at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, func, literal, or_, select, union_all

from app.models import Campaign, Participant, Response
from app.platform.extensions import db
from app.results.model import Participation

#: A (department id, role id) pair: the finest grouping the counts come in.
Cell = tuple[int, int]

#: The label of the rows counting submitted responses (participants' rows carry a status).
_RESPONSES = "response"


def counted_participants() -> ColumnElement[bool]:
    """Which participants count as invited: live links, and revoked people who submitted."""
    return or_(Participant.revoked_at.is_(None), Participant.status == "submitted")


def _rows(campaign_ids: list[int], by_cell: bool) -> list[Any]:
    """``(campaign, [department, role,] kind, count)`` rows: participants by status and
    submitted responses, in one statement."""
    people_keys: list[Any] = [Participant.campaign_id]
    response_keys: list[Any] = [Response.campaign_id]
    if by_cell:
        people_keys += [Participant.department_id, Participant.role_id]
        response_keys += [Response.department_id, Response.role_id]
    people = (
        select(*people_keys, Participant.status.label("kind"), func.count().label("n"))
        .where(Participant.campaign_id.in_(campaign_ids), counted_participants())
        .group_by(*people_keys, Participant.status)
    )
    responses = (
        select(*response_keys, literal(_RESPONSES).label("kind"), func.count().label("n"))
        .where(Response.campaign_id.in_(campaign_ids), Response.status == "submitted")
        .group_by(*response_keys)
    )
    return list(db.session.execute(union_all(people, responses)))


def _fold(counts: dict[str, int]) -> Participation:
    """Counts per participant status and of submitted responses, as one Participation."""
    submitted = counts.pop(_RESPONSES, 0)
    return Participation(
        invited=sum(counts.values()),
        started=counts.get("started", 0),
        submitted=submitted,
        not_started=counts.get("invited", 0),
    )


def _ids(campaigns: Iterable[Campaign | int]) -> list[int]:
    return [c if isinstance(c, int) else c.id for c in campaigns]


def participation_by_campaign(campaigns: Iterable[Campaign | int]) -> dict[int, Participation]:
    """The counts of each campaign (or campaign id), by campaign id, in one grouped query.

    Campaigns with no participant and no response get zero counts. The caller scopes access
    to the campaigns (:mod:`app.auth.access`) before calling this.
    """
    ids = _ids(campaigns)
    if not ids:
        return {}
    found: dict[int, dict[str, int]] = {campaign_id: {} for campaign_id in ids}
    for campaign_id, kind, count in _rows(ids, by_cell=False):
        found[campaign_id][kind] = int(count)
    return {campaign_id: _fold(counts) for campaign_id, counts in found.items()}


def campaign_participation(campaign: Campaign | int) -> Participation:
    """The counts of one campaign."""
    ids = _ids([campaign])
    return participation_by_campaign(ids)[ids[0]]


def participation_by_cell(campaign: Campaign | int) -> dict[Cell, Participation]:
    """One campaign's counts per (department id, role id) cell, only cells with any count.

    Participants are counted in their department and role, responses in the department and
    role recorded with them (moving a participant moves their response too).
    """
    ids = _ids([campaign])
    found: dict[Cell, dict[str, int]] = defaultdict(dict)
    for _campaign_id, department_id, role_id, kind, count in _rows(ids, by_cell=True):
        found[(department_id, role_id)][kind] = int(count)
    return {cell: _fold(counts) for cell, counts in found.items()}
