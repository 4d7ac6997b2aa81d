"""Recording a campaign's organisation profile: facts, each with an optional evidence note."""

from __future__ import annotations

from collections.abc import Mapping

from app.models import Campaign, ProfileAnswer, User, utcnow
from app.operations import audit
from app.operations.errors import N_, OperationError
from app.platform.extensions import db
from app.queries.profile import stored_answers
from app.questionnaire.profile import MAX_NUMBER, Profile, clean_answer

_PROBLEMS = {
    "option": N_("The answer to “%(fact)s” must be one of its options."),
    "yes_no": N_("The answer to “%(fact)s” must be yes or no."),
    "number": N_("The answer to “%(fact)s” must be a whole number from 0 to %(max)d."),
    "length": N_("The answer to “%(fact)s” is too long: at most %(limit)d characters."),
}

#: What a posted fact carries: the answer and the evidence note, each possibly empty.
Posted = tuple[str | None, str | None]


def save_profile(
    campaign: Campaign,
    profile: Profile,
    posted: Mapping[str, Posted],
    *,
    actor: User | None = None,
    locale: str | None = None,
) -> list[str]:
    """Record the posted facts of ``campaign``; return the ids of the facts that changed.

    Every fact is checked before anything is written, so an invalid answer leaves all stored
    answers as they were. An empty answer and note clear a fact. Facts not posted are kept.
    Messages name the fact by its text in ``locale``.
    """
    cleaned: dict[str, Posted] = {}
    for fact_id, (raw_value, raw_evidence) in posted.items():
        fact = profile.fact(fact_id)
        if fact is None:
            raise OperationError(N_("The profile has no fact %(fact)s."), fact=fact_id)
        value, problem = clean_answer(fact, raw_value)
        if problem is not None:
            raise OperationError(
                _PROBLEMS[problem],
                fact=fact.text.get(locale),
                limit=fact.max_length,
                max=MAX_NUMBER,
            )
        evidence = (raw_evidence or "").strip() or None
        if evidence is not None and len(evidence) > profile.evidence_max_length:
            raise OperationError(
                N_(
                    "The evidence note of “%(fact)s” is %(length)d characters long; at most "
                    "%(limit)d are allowed."
                ),
                fact=fact.text.get(locale),
                length=len(evidence),
                limit=profile.evidence_max_length,
            )
        cleaned[fact_id] = (value, evidence)
    stored = stored_answers(campaign)
    changed: list[str] = []
    for fact_id, (value, evidence) in cleaned.items():
        row = stored.get(fact_id)
        if row is not None and (row.value, row.evidence) == (value, evidence):
            continue
        if row is None and value is None and evidence is None:
            continue
        changed.append(fact_id)
        if value is None and evidence is None:
            db.session.delete(row)
            continue
        if row is None:
            row = ProfileAnswer(campaign_id=campaign.id, fact_id=fact_id)
            db.session.add(row)
        row.value = value
        row.evidence = evidence
        row.answered_at = utcnow()
        row.answered_by_id = actor.id if actor is not None and actor.is_authenticated else None
    if changed:
        db.session.flush()
        audit.record("profile.saved", campaign=campaign, user=actor, facts=changed)
    return changed
