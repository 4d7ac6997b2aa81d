"""Keeping a campaign's participant list current from another system (the API's upsert).

The list sent is matched to the campaign's participants by email, case-insensitively: new
emails become participants, known ones get the name, department and role sent, and nobody is
removed. Entries are checked with the CSV import's own rules and messages
(``participant_import.check_entries``); any problem refuses the whole list. Sending the same
list again changes nothing, and the counts say so.

Each entry is the whole record of a participant: a name left out (or null) leaves them
without one. A participant who moves to another department or role takes a response they
already started or submitted along, as a correction on the participant page does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from app.models import Campaign, Department, Participant, Response, Role, User
from app.operations import audit
from app.operations.participant_import import (
    ImportProblem,
    ImportRow,
    check_entries,
    chunked,
    insert_participants,
)
from app.platform.extensions import db

#: The most entries one request may send; a longer list is refused as a whole.
MAX_ENTRIES = 5000


@dataclass
class UpsertOutcome:
    """What an upsert did (all zero when it was refused for ``problems``)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged}


def participant_list(campaign: Campaign) -> list[dict[str, Any]]:
    """The campaign's participants as the upsert takes them, with their status, by email."""
    rows = db.session.execute(
        select(Participant, Department.name, Role.key)
        .join(Department, Department.id == Participant.department_id)
        .join(Role, Role.id == Participant.role_id)
        .where(Participant.campaign_id == campaign.id)
        .order_by(Participant.email, Participant.id)
    ).all()
    return [
        {
            "email": participant.email,
            "name": participant.name,
            "department": department,
            "role": role,
            "status": participant.status,
            "revoked": participant.revoked_at is not None,
        }
        for participant, department, role in rows
    ]


def _known(campaign: Campaign, emails: Sequence[str]) -> dict[str, Participant]:
    """The campaign's participants with one of ``emails`` (lower case), by lower-case email."""
    found: dict[str, Participant] = {}
    for part in chunked(sorted(set(emails))):
        for participant in db.session.scalars(
            select(Participant).where(
                Participant.campaign_id == campaign.id, func.lower(Participant.email).in_(part)
            )
        ):
            found[(participant.email or "").lower()] = participant
    return found


def _update(participant: Participant, row: ImportRow) -> bool:
    """Give ``participant`` the row's name, department and role; whether anything changed."""
    name = row.name or None
    if (
        participant.name == name
        and participant.department_id == row.department.id
        and participant.role_id == row.role.id
    ):
        return False
    participant.name = name
    participant.department_id = row.department.id
    participant.role_id = row.role.id
    return True


def upsert_participants(
    campaign: Campaign, entries: Sequence[Any], *, actor: User | None = None
) -> UpsertOutcome:
    """Add and update the campaign's participants from ``entries`` (all or nothing).

    Records ``participants.upserted`` with the counts when the list was applied; the caller
    commits. Never removes anyone.
    """
    rows, problems = check_entries(campaign, entries)
    if problems:
        return UpsertOutcome(problems=problems)
    outcome = UpsertOutcome()
    known = _known(campaign, [row.email for row in rows])
    new_rows: list[ImportRow] = []
    moved: dict[int, ImportRow] = {}
    for row in rows:
        participant = known.get(row.email)
        if participant is None:
            new_rows.append(row)
        elif _update(participant, row):
            outcome.updated += 1
            moved[participant.id] = row
        else:
            outcome.unchanged += 1
    if moved:
        db.session.flush()
        for response in db.session.scalars(
            select(Response).where(Response.participant_id.in_(list(moved)))
        ):
            row = moved[response.participant_id]
            response.department_id = row.department.id
            response.role_id = row.role.id
        db.session.flush()
    outcome.added = len(insert_participants(campaign, new_rows, with_links=False))
    if new_rows:
        # The campaign's participant list, if loaded, predates the rows written above.
        db.session.expire(campaign, ["participants"])
    audit.record("participants.upserted", campaign=campaign, user=actor, **outcome.counts())
    return outcome
