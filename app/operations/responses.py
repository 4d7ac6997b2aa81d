"""Recording answers: drafts that are saved as they go, and a one-time submission.

The respondent's browser may save the same draft from several places at once (an autosave
racing a page save, two tabs, two devices, a retried request). Every web write therefore goes
through ``save_page`` or ``submit``, which first lock the participant's row (a row lock on
PostgreSQL, the database write lock on SQLite), re-read the response and re-check its status
under that lock, so that a save can never land after a submission and a second submission
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm.util import identity_key

from app.models import Answer, Campaign, Participant, Response, utcnow
from app.operations.errors import OperationError
from app.platform.db_setup import start_writing
from app.platform.extensions import db
from app.questionnaire import Questionnaire

# The respondent's save is the most frequent write: its statements are built once.
_answers, _participants, _responses = Answer.__table__, Participant.__table__, Response.__table__
_LOCK_PARTICIPANT = (
    update(_participants)
    .where(_participants.c.id == bindparam("participant_id"))
    .values(last_activity_at=bindparam("now", type_=_participants.c.last_activity_at.type))
    .returning(_participants.c.revoked_at)
)
_READ_RESPONSE = (
    select(_responses.c.id, _responses.c.status)
    .where(_responses.c.participant_id == bindparam("participant_id"))
    .with_for_update()
)
_MOVE_RESPONSE = (
    update(_responses)
    .where(_responses.c.id == bindparam("response_id"))
    .values(
        updated_at=bindparam("now", type_=_responses.c.updated_at.type),
        current_page=func.coalesce(
            bindparam("page", type_=_responses.c.current_page.type), _responses.c.current_page
        ),
        locale=func.coalesce(
            bindparam("locale", type_=_responses.c.locale.type), _responses.c.locale
        ),
    )
)
_STORED_ANSWERS = select(
    _answers.c.id,
    _answers.c.item_id,
    _answers.c.value,
    _answers.c.text,
    _answers.c.not_applicable,
    _answers.c.dont_know,
).where(
    _answers.c.response_id == bindparam("response_id"),
    _answers.c.item_id.in_(bindparam("item_ids", expanding=True)),
)
_ADD_ANSWERS = insert(_answers)
_CHANGE_ANSWERS = (
    update(_answers)
    .where(_answers.c.id == bindparam("answer_id"))
    .values(
        value=bindparam("value"),
        text=bindparam("text"),
        not_applicable=bindparam("not_applicable"),
        dont_know=bindparam("dont_know"),
        updated_at=bindparam("now", type_=_answers.c.updated_at.type),
    )
)
_CLEAR_ANSWERS = delete(_answers).where(_answers.c.id.in_(bindparam("answer_ids", expanding=True)))


#: The value an answer carries for "not applicable" (or, in questionnaires that declare no
#: separate "don't know", for the one option "don't know / not applicable").
NOT_APPLICABLE = "na"
#: The value an answer carries for "don't know", when the scale declares it.
DONT_KNOW = "dk"

AnswerValue = int | str | None

#: What ``campaign_availability`` answers.
OPEN = "open"
NOT_YET_OPEN = "not_yet_open"
CLOSED = "closed"


class ResponseLocked(OperationError):
    """The response is submitted and can no longer change."""


class CampaignUnavailable(OperationError):
    """The campaign is not open (not yet, or no longer): answers cannot be recorded."""

    def __init__(self, state: str) -> None:
        super().__init__(
            "this assessment is not open yet"
            if state == NOT_YET_OPEN
            else "this assessment has closed"
        )
        self.state = state


def campaign_availability(campaign: Campaign, now: datetime | None = None) -> str:
    """``open``, ``not_yet_open`` (draft, or before ``opens_at``) or ``closed``.

    The status set by the consultant and the optional dates both apply: an open campaign
    whose closing date has passed is closed for respondents even before anyone closes it.
    """
    now = now or utcnow()
    if campaign.status == "closed" or (
        campaign.closes_at is not None and campaign.closes_at <= now
    ):
        return CLOSED
    if campaign.status == "draft" or (campaign.opens_at is not None and campaign.opens_at > now):
        return NOT_YET_OPEN
    return OPEN


def start_response(participant: Participant) -> Response:
    """The participant's response, created as a draft on first use."""
    response = participant.response
    if response is None:
        response = Response(
            campaign_id=participant.campaign_id,
            participant=participant,
            department_id=participant.department_id,
            role_id=participant.role_id,
            status="draft",
            source="web",
        )
        db.session.add(response)
        now = utcnow()
        participant.status = "started"
        participant.started_at = participant.started_at or now
        participant.last_activity_at = now
        db.session.flush()
    return response


def check_answer(questionnaire: Questionnaire, item_id: str, value: AnswerValue) -> None:
    """Raise OperationError unless ``value`` is a valid answer to ``item_id``."""
    open_ids = {q.id: q for q in questionnaire.open_questions}
    if item_id in open_ids:
        if value is not None and not isinstance(value, str):
            raise OperationError(f"{item_id}: an open question takes text")
        if isinstance(value, str) and len(value) > open_ids[item_id].max_length:
            raise OperationError(
                f"{item_id}: text longer than {open_ids[item_id].max_length} characters"
            )
        return
    try:
        outcome = questionnaire.outcome(item_id)
    except KeyError:
        pass
    else:
        # A number on the outcome item's own scale, or nothing: it has no unanswered option.
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise OperationError(f"{item_id}: {value!r} is not a number on the scale")
        if value not in outcome.scale:
            raise OperationError(
                f"{item_id}: {value} is outside the scale {outcome.scale.min}-{outcome.scale.max}"
            )
        return
    try:
        questionnaire.item(item_id)
    except KeyError:
        raise OperationError(f"unknown item {item_id!r}") from None
    if value is None:
        return
    if value == NOT_APPLICABLE:
        if questionnaire.scale.not_applicable is None:
            raise OperationError(f"{item_id}: this questionnaire has no 'not applicable' option")
        return
    if value == DONT_KNOW:
        if questionnaire.scale.dont_know is None:
            raise OperationError(f"{item_id}: this questionnaire has no 'don't know' option")
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise OperationError(f"{item_id}: {value!r} is not a number on the scale")
    if not questionnaire.scale.min <= value <= questionnaire.scale.max:
        raise OperationError(
            f"{item_id}: {value} is outside the scale "
            f"{questionnaire.scale.min}-{questionnaire.scale.max}"
        )


def _stored(value: AnswerValue, open_question: bool) -> dict[str, object]:
    """The columns of an answer holding ``value``: exactly one kind of answer is set."""
    if open_question:
        return {"value": None, "text": str(value), "not_applicable": False, "dont_know": False}
    return {
        "value": None if value in (NOT_APPLICABLE, DONT_KNOW) else int(value),
        "text": None,
        "not_applicable": value == NOT_APPLICABLE,
        "dont_know": value == DONT_KNOW,
    }


def save_answers(
    response: Response,
    questionnaire: Questionnaire,
    answers: Mapping[str, AnswerValue],
    *,
    now: datetime | None = None,
) -> Response:
    """Insert, change or clear answers of a draft response (``None`` clears an answer), and
    move the response's time and the participant's time of activity."""
    if response.status == "submitted":
        raise ResponseLocked("this response has been submitted and can no longer be changed")
    for item_id, value in answers.items():
        check_answer(questionnaire, item_id, value)
    now = now or utcnow()
    db.session.flush()
    if _write_answers(response.id, questionnaire, answers, now=now):
        _forget_loaded_answers(response.id)
    response.updated_at = now
    if response.participant is not None:
        response.participant.last_activity_at = now
    db.session.flush()
    return response


def _write_answers(
    response_id: int,
    questionnaire: Questionnaire,
    answers: Mapping[str, AnswerValue],
    *,
    now: datetime,
) -> bool:
    """Insert, change or clear checked answers of a draft response; True when anything was
    written.

    One statement per kind of change (new answers, changed ones, cleared ones), whatever the
    number of answers: only what differs from the stored answers is written, so an unchanged
    answer keeps its time and the response's revision moves only with a real change.
    """
    existing = {
        row.item_id: row
        for row in db.session.execute(
            _STORED_ANSWERS, {"response_id": response_id, "item_ids": list(answers)}
        )
    }
    open_ids = {q.id for q in questionnaire.open_questions}
    cleared: list[int] = []
    added: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for item_id, value in answers.items():
        row = existing.get(item_id)
        if value is None or (item_id in open_ids and not str(value).strip()):
            if row is not None:
                cleared.append(row.id)
            continue
        stored = _stored(value, item_id in open_ids)
        if row is None:
            added.append({"response_id": response_id, "item_id": item_id, **stored})
        elif (row.value, row.text, row.not_applicable, row.dont_know) != tuple(stored.values()):
            changed.append({"answer_id": row.id, **stored})
    if cleared:
        db.session.execute(_CLEAR_ANSWERS, {"answer_ids": cleared})
    if added:
        db.session.execute(_ADD_ANSWERS, [{**row, "updated_at": now} for row in added])
    if changed:
        db.session.execute(_CHANGE_ANSWERS, [{**row, "now": now} for row in changed])
    return bool(cleared or added or changed)


def _forget_loaded_answers(response_id: int) -> None:
    """Answers this session holds in memory for the response are read again when next used:
    the statements above wrote past them."""
    for held in list(db.session.identity_map.values()):
        if isinstance(held, Answer) and held.response_id == response_id:
            db.session.expire(held)
    response = db.session.identity_map.get(identity_key(Response, response_id))
    if response is not None and "answers" in response.__dict__:
        db.session.expire(response, ["answers"])


def submit_response(response: Response) -> Response:
    """Lock the response; submitting an already submitted response changes nothing."""
    if response.status == "submitted":
        return response
    now = utcnow()
    response.status = "submitted"
    response.submitted_at = now
    if response.participant is not None:
        response.participant.status = "submitted"
        response.participant.submitted_at = now
        response.participant.last_activity_at = now
    db.session.flush()
    return response


def lock_participant(
    participant_id: int, *, now: datetime | None = None
) -> tuple[Participant, Response | None]:
    """Lock a participant's row for the rest of the transaction; return it and its response
    freshly read from the database.

    Every concurrent writer of one respondent's answers serialises here. PostgreSQL takes row
    locks (the participant, then its response); SQLite has no row locks, so a write to the
    participant's row takes the database's write lock first, before anything is read. Both
    then re-read the rows, so the caller decides on the state another transaction committed
    while this one waited. ``now`` is the time of activity SQLite's write records (default:
    the current time), so a caller recording the same time writes the row once.
    """
    start_writing(db.session())
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(Participant)
            .where(Participant.id == participant_id)
            .values(last_activity_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
    participant = db.session.scalars(
        select(Participant)
        .where(Participant.id == participant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    response = db.session.scalars(
        select(Response)
        .where(Response.participant_id == participant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    return participant, response


def _locked_draft(
    participant: Participant, *, create: bool, now: datetime | None = None
) -> tuple[Participant, Response | None]:
    state = campaign_availability(participant.campaign)
    if state != OPEN:
        raise CampaignUnavailable(state)
    locked, response = lock_participant(participant.id, now=now)
    if locked.revoked_at is not None:
        raise OperationError("this link has been revoked")
    if response is not None and response.status == "submitted":
        raise ResponseLocked("this response has been submitted and can no longer be changed")
    if response is None and create:
        response = start_response(locked)
    return locked, response


def begin(participant: Participant) -> Response:
    """Start (or resume) the participant's draft under the row lock; idempotent."""
    locked, response = _locked_draft(participant, create=True)
    assert response is not None
    if response.current_page < 1:
        response.current_page = 1
    locked.last_activity_at = utcnow()
    db.session.flush()
    return response


def save_page(
    participant: Participant,
    questionnaire: Questionnaire,
    answers: Mapping[str, AnswerValue],
    *,
    current_page: int | None = None,
    locale: str | None = None,
) -> Response:
    """Save some answers of a draft, and where the respondent is, atomically.

    Raises ``ResponseLocked`` once the response is submitted and ``CampaignUnavailable`` when
    the campaign is not open; in both cases nothing is written. The respondent saves far more
    often than anything else happens, so this path writes with plain statements: the lock and
    the fresh read of the response, the answers that changed, and the response's page and time.
    """
    for item_id, value in answers.items():
        check_answer(questionnaire, item_id, value)
    now = utcnow()
    state = campaign_availability(participant.campaign, now)
    if state != OPEN:
        raise CampaignUnavailable(state)
    response_id, status = _lock_for_saving(participant.id, now)
    if status == "submitted":
        raise ResponseLocked("this response has been submitted and can no longer be changed")
    if response_id is None:
        _locked, response = _locked_draft(participant, create=True, now=now)
        assert response is not None
        response_id = response.id
    db.session.execute(
        _MOVE_RESPONSE,
        {"response_id": response_id, "now": now, "page": current_page, "locale": locale},
    )
    if answers and _write_answers(response_id, questionnaire, answers, now=now):
        _forget_loaded_answers(response_id)
    # What this session holds of the response and the participant is read again when used.
    response = db.session.get(Response, response_id)
    assert response is not None
    db.session.expire(response)
    if participant in db.session:
        db.session.expire(participant, ["last_activity_at"])
    return response


def _lock_for_saving(participant_id: int, now: datetime) -> tuple[int | None, str | None]:
    """Lock the participant's row for the rest of the transaction, recording the time of
    activity, and read its response's id and status as they are now.

    The UPDATE takes the row lock on PostgreSQL (after waiting for another writer, it sees
    the row that writer committed) and the database's write lock on SQLite; the response is
    read after it, under the lock. Raises ``OperationError`` for a revoked participant.
    """
    start_writing(db.session())
    revoked = db.session.execute(
        _LOCK_PARTICIPANT, {"participant_id": participant_id, "now": now}
    ).one()
    if revoked.revoked_at is not None:
        raise OperationError("this link has been revoked")
    row = db.session.execute(_READ_RESPONSE, {"participant_id": participant_id}).one_or_none()
    return (row.id, row.status) if row is not None else (None, None)


@dataclass(frozen=True)
class Submission:
    response: Response
    #: False when the response had already been submitted (a double click, a retry).
    newly_submitted: bool


def submit(participant: Participant) -> Submission:
    """Submit the participant's response exactly once; a repeated call changes nothing."""
    state = campaign_availability(participant.campaign)
    locked, response = lock_participant(participant.id)
    if response is not None and response.status == "submitted":
        return Submission(response, newly_submitted=False)
    if state != OPEN:
        raise CampaignUnavailable(state)
    if locked.revoked_at is not None:
        raise OperationError("this link has been revoked")
    if response is None:
        response = start_response(locked)
    submit_response(response)
    return Submission(response, newly_submitted=True)
