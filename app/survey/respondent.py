"""Who is answering: the personal link exchanged for a signed session key.

The link's token is only ever used once per browser, on ``/r/<token>``: the session then
holds the participant's id and their ``link_epoch``, and every later page is reached without
the token in its URL (so it does not leak through history, referrers or proxies). Handing
out another link leaves the epoch alone, so a respondent halfway through keeps their
session; revoking the participant or replacing their link changes it (and sets
``revoked_at``), which ends every session opened with any earlier link.
"""

from __future__ import annotations

from functools import cache

from flask import session
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import contains_eager, joinedload

from app.models import Campaign, Participant
from app.platform.extensions import db

SESSION_KEY = "respondent"
#: A participant's own link, kept in the session after registering through an open link so
#: the welcome page can show it again.
RESUME_LINK_KEY = "respondent_link"


def sign_in(participant: Participant, *, resume_token: str | None = None) -> None:
    """Bind this browser session to the participant (replacing any other respondent)."""
    session[SESSION_KEY] = [participant.id, participant.link_epoch]
    if resume_token is not None:
        session[RESUME_LINK_KEY] = resume_token
    else:
        session.pop(RESUME_LINK_KEY, None)


@cache
def _respondent_query() -> Select[tuple[Participant]]:
    """The participant with what every respondent page needs, built once per process (it is
    the first statement of every respondent request)."""
    return (
        select(Participant)
        .join(Participant.campaign)
        .outerjoin(Participant.response)
        .options(
            # Not the questionnaire (parsed once per process) nor the consultant's targets.
            contains_eager(Participant.campaign)
            .defer(Campaign.questionnaire_content)
            .defer(Campaign.targets),
            # The questions differ by role; the response says where they are.
            joinedload(Participant.role),
            contains_eager(Participant.response),
        )
        .where(Participant.id == bindparam("participant_id"))
    )


def current_participant() -> Participant | None:
    """The participant of this session, with its campaign loaded; None if there is none or
    its links were replaced or revoked since the session began."""
    value = session.get(SESSION_KEY)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)):
        return None
    participant_id, epoch = value
    participant = db.session.scalar(_respondent_query(), {"participant_id": participant_id})
    if participant is None or participant.revoked_at is not None or participant.link_epoch != epoch:
        return None
    return participant
