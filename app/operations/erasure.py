"""Erasing personal data: one participant on request, or a whole campaign.

Personal data here is what names a participant: their name, their e-mail address and their
personal links (stored as hashes, but still theirs). Erasing a participant anonymises them
(the organisation's retention period does the same to every participant of a campaign, see
``app.operations.retention``):

* the participant row stays, without name and e-mail, with ``erased_at`` set, so that the
  campaign's counts (invited, started, submitted) stay as they were; its link epoch changes,
  which ends any questionnaire session still open;
* every link of theirs is deleted;
* their response and answers stay as anonymous answers: every figure of the results is
  unchanged (only ``computed_at`` and ``data_version`` of the results document differ);
* in the campaign's free-text answers, their name and e-mail address (whoever wrote them)
  are replaced by the placeholders quotes already show for them (``app.analysis.scrub``);
  the rest of every free-text answer is kept as written;
* participant-import records of the campaign whose stored file or problem list mentions their
  e-mail address are deleted (after an erasure by retention or of a whole campaign: every
  import record of the campaign);
* messages in the outbox folder (``.eml`` files written when no mail server is configured)
  addressed to them are deleted, except a message carrying the link of another participant
  who keeps their personal data (the same address invited to another campaign).

Backups are never kept by the app: ``campaign backup`` and the workspace's download write
one when asked. A backup made after an erasure lacks the erased data; backups made before it
still hold it and must be replaced (or deleted) by whoever keeps them.

Erasing a campaign deletes its answers too: its responses and answers, participants and
links, participant-import records, report batches (rows and files) and outbox messages to its
participants. The campaign itself stays (its name, settings and audit log), marked erased,
and cannot be opened again.

Every erasure is audited with counts and ids only, never the erased name or address. A dry
run computes the same plan and changes nothing.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import delete, func, select, update

from app.analysis.scrub import Forgetter
from app.models import (
    Answer,
    Campaign,
    Participant,
    ParticipantImport,
    ParticipantLink,
    ReportJob,
    Response,
    User,
    utcnow,
)
from app.models.participant import new_link_epoch
from app.operations import audit
from app.operations.emails import outbox_dir
from app.operations.errors import N_, OperationError
from app.platform.extensions import db
from app.platform.security import hash_token
from app.reporting.filenames import archive_dir

#: Ids per ``IN`` list of the bulk statements.
CHUNK = 1000
#: A personal link in a message: ``…/r/<token>``.
_LINK_TOKEN = re.compile(r"/r/([A-Za-z0-9_\-]{16,})")


@dataclass
class Erasure:
    """What an erasure removes (or, for a dry run, would remove), counted by kind."""

    #: Participants anonymised (or, erasing a campaign, deleted).
    participants: int = 0
    links: int = 0
    #: Answers that stay, anonymous (erasing a participant or applying retention).
    answers_kept: int = 0
    #: Free-text answers from which a name or an e-mail address is taken out.
    texts_edited: int = 0
    import_records: int = 0
    outbox_messages: int = 0
    #: Erasing a campaign: responses and answers deleted, report batches and their files.
    responses_deleted: int = 0
    answers_deleted: int = 0
    report_jobs: int = 0
    report_files: int = 0

    def counts(self) -> dict[str, int]:
        """Every count by kind (audit details and the CLI's summary)."""
        return asdict(self)

    def nonzero(self) -> dict[str, int]:
        """The counts that are not zero."""
        return {kind: n for kind, n in self.counts().items() if n}

    def add(self, other: Erasure) -> None:
        for kind, n in other.counts().items():
            setattr(self, kind, getattr(self, kind) + n)


@dataclass
class _Plan:
    """The rows and files an anonymisation touches, found before anything changes."""

    campaign: Campaign
    participants: list[Participant]
    links: int = 0
    answers_kept: int = 0
    #: Answer id -> the free text without the people's names and addresses.
    texts: dict[int, str] = field(default_factory=dict)
    import_ids: list[int] = field(default_factory=list)
    outbox: list[Path] = field(default_factory=list)

    def summary(self) -> Erasure:
        return Erasure(
            participants=len(self.participants),
            links=self.links,
            answers_kept=self.answers_kept,
            texts_edited=len(self.texts),
            import_records=len(self.import_ids),
            outbox_messages=len(self.outbox),
        )


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def find_participant(campaign: Campaign, email: str) -> Participant:
    """The participant of ``campaign`` with that e-mail address (in any case), or an error."""
    wanted = (email or "").strip().lower()
    participant = (
        db.session.scalar(
            select(Participant).where(
                Participant.campaign_id == campaign.id, func.lower(Participant.email) == wanted
            )
        )
        if wanted
        else None
    )
    if participant is None:
        raise OperationError(
            N_(
                "Campaign %(id)s has no participant with this email address (never invited, "
                "or already erased)."
            ),
            id=campaign.id,
        )
    return participant


# --- finding what goes ----------------------------------------------------------------------


def _count_links(ids: Sequence[int]) -> int:
    return sum(
        db.session.scalar(
            select(func.count())
            .select_from(ParticipantLink)
            .where(ParticipantLink.participant_id.in_(chunk))
        )
        or 0
        for chunk in _chunks(ids)
    )


def _count_answers(ids: Sequence[int]) -> int:
    return sum(
        db.session.scalar(
            select(func.count())
            .select_from(Answer)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.participant_id.in_(chunk))
        )
        or 0
        for chunk in _chunks(ids)
    )


def _edited_texts(campaign: Campaign, people: Sequence[Participant]) -> dict[int, str]:
    forget = Forgetter(
        names=[p.name for p in people if p.name], emails=[p.email for p in people if p.email]
    )
    if not forget:
        return {}
    query = (
        select(Answer.id, Answer.text)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.campaign_id == campaign.id, Answer.text.is_not(None))
        .order_by(Answer.id)
    )
    edited = {}
    for answer_id, text in db.session.execute(query):
        cleaned = forget(text)
        if cleaned.changed:
            edited[answer_id] = cleaned.text
    return edited


def _mentions(record: ParticipantImport, emails: set[str]) -> bool:
    data = (record.data or b"").lower()
    problems = json.dumps(record.problems or [], ensure_ascii=False).lower()
    return any(e.encode("utf-8") in data or e in problems for e in emails)


def _import_records(campaign: Campaign, emails: set[str] | None) -> list[int]:
    """Import records of ``campaign`` mentioning one of ``emails`` (None: every record)."""
    if emails is not None and not emails:
        return []
    records = db.session.scalars(
        select(ParticipantImport)
        .where(ParticipantImport.campaign_id == campaign.id)
        .order_by(ParticipantImport.id)
    )
    return [r.id for r in records if emails is None or _mentions(r, emails)]


def _recipients(message: EmailMessage) -> set[str]:
    found = set()
    for header in ("To", "Cc", "Bcc"):
        value = message.get(header)
        for address in getattr(value, "addresses", ()) or ():
            found.add(address.addr_spec.lower())
    return found


def _link_hashes(message: EmailMessage) -> set[str]:
    hashes = set()
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):
            continue
        hashes.update(hash_token(token) for token in _LINK_TOKEN.findall(str(content)))
    return hashes


def _outbox_messages(emails: set[str], leaving: set[int]) -> list[Path]:
    """Outbox messages to one of ``emails`` that carry no link of a participant outside
    ``leaving`` (someone who keeps their personal data)."""
    folder = outbox_dir()
    if not emails or not folder.is_dir():
        return []
    parser = BytesParser(policy=policy.default)
    found = []
    for path in sorted(folder.glob("*.eml")):
        try:
            message = parser.parsebytes(path.read_bytes())
        except OSError:
            continue
        if not _recipients(message) & emails:  # type: ignore[arg-type]
            continue
        hashes = sorted(_link_hashes(message))  # type: ignore[arg-type]
        owners = (
            set(
                db.session.scalars(
                    select(ParticipantLink.participant_id).where(
                        ParticipantLink.token_hash.in_(hashes)
                    )
                )
            )
            if hashes
            else set()
        )
        if owners - leaving:
            continue
        found.append(path)
    return found


def _plan(campaign: Campaign, people: Sequence[Participant], *, all_imports: bool) -> _Plan:
    ids = [p.id for p in people]
    emails = {p.email.strip().lower() for p in people if p.email}
    return _Plan(
        campaign=campaign,
        participants=list(people),
        links=_count_links(ids),
        answers_kept=_count_answers(ids),
        texts=_edited_texts(campaign, people),
        import_ids=_import_records(campaign, None if all_imports else emails),
        outbox=_outbox_messages(emails, set(ids)),
    )


# --- making it go ---------------------------------------------------------------------------


def _delete_outbox(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _anonymize(plan: _Plan) -> None:
    """Apply ``plan``: the caller flushes nothing else in between, and commits."""
    ids = [p.id for p in plan.participants]
    for chunk in _chunks(ids):
        db.session.execute(delete(ParticipantLink).where(ParticipantLink.participant_id.in_(chunk)))
    now = utcnow()
    for participant in plan.participants:
        db.session.expire(participant, ["links"])
        participant.name = None
        participant.email = None
        participant.erased_at = now
        participant.link_epoch = new_link_epoch()
    if plan.texts:
        db.session.execute(
            update(Answer), [{"id": i, "text": text} for i, text in plan.texts.items()]
        )
    for chunk in _chunks(plan.import_ids):
        db.session.execute(delete(ParticipantImport).where(ParticipantImport.id.in_(chunk)))
    db.session.flush()


# --- one participant ------------------------------------------------------------------------


def plan_participant_erasure(participant: Participant) -> Erasure:
    """What erasing ``participant`` would remove (nothing changes)."""
    if participant.erased_at is not None and not participant.links:
        return Erasure()
    return _plan(participant.campaign, [participant], all_imports=False).summary()


def erase_participant(participant: Participant, *, actor: User | None = None) -> Erasure:
    """Erase one participant's name, e-mail and links everywhere; their answers stay,
    anonymous (see the module docstring). Erasing an erased participant changes nothing.
    The caller commits; outbox messages are deleted once the database rows are flushed."""
    if participant.erased_at is not None and not participant.links:
        return Erasure()
    plan = _plan(participant.campaign, [participant], all_imports=False)
    _anonymize(plan)
    summary = plan.summary()
    audit.record(
        "participant.erased",
        campaign=plan.campaign,
        user=actor,
        participant_id=participant.id,
        **{kind: n for kind, n in summary.counts().items() if kind != "participants"},
    )
    _delete_outbox(plan.outbox)
    return summary


# --- every participant of a campaign (retention) --------------------------------------------


def personal_participants(campaign: Campaign) -> list[Participant]:
    """The campaign's participants whose personal data has not been erased."""
    return list(
        db.session.scalars(
            select(Participant)
            .where(Participant.campaign_id == campaign.id, Participant.erased_at.is_(None))
            .order_by(Participant.id)
        )
    )


def plan_campaign_anonymisation(campaign: Campaign) -> Erasure:
    """What anonymising every participant of ``campaign`` would remove (nothing changes)."""
    people = personal_participants(campaign)
    if not people:
        return Erasure()
    return _plan(campaign, people, all_imports=True).summary()


def anonymise_campaign(campaign: Campaign) -> Erasure:
    """Erase the name, e-mail and links of every participant of ``campaign``, keeping every
    answer (as :func:`erase_participant` does for one). The caller audits and commits."""
    people = personal_participants(campaign)
    if not people:
        return Erasure()
    plan = _plan(campaign, people, all_imports=True)
    _anonymize(plan)
    _delete_outbox(plan.outbox)
    return plan.summary()


# --- a whole campaign -----------------------------------------------------------------------


def _report_files(jobs: Iterable[ReportJob]) -> list[Path]:
    root = archive_dir()
    found = []
    for job in jobs:
        for name in (job.archive_path, job.parts_dir):
            if not name:
                continue
            path = (root / name).resolve()
            if path.is_relative_to(root) and path != root and path.exists():
                found.append(path)
    return found


def _campaign_plan(campaign: Campaign) -> tuple[Erasure, list[Path], list[ReportJob]]:
    people = list(
        db.session.scalars(select(Participant).where(Participant.campaign_id == campaign.id))
    )
    ids = [p.id for p in people]
    jobs = list(db.session.scalars(select(ReportJob).where(ReportJob.campaign_id == campaign.id)))
    emails = {p.email.strip().lower() for p in people if p.email}
    outbox = _outbox_messages(emails, set(ids))
    files = _report_files(jobs)
    responses = select(Response.id).where(Response.campaign_id == campaign.id)
    summary = Erasure(
        participants=len(people),
        links=_count_links(ids),
        import_records=len(_import_records(campaign, None)),
        outbox_messages=len(outbox),
        responses_deleted=db.session.scalar(select(func.count()).select_from(responses.subquery()))
        or 0,
        answers_deleted=db.session.scalar(
            select(func.count()).select_from(Answer).where(Answer.response_id.in_(responses))
        )
        or 0,
        report_jobs=len(jobs),
        report_files=len(files),
    )
    return summary, outbox + files, jobs


def plan_campaign_erasure(campaign: Campaign) -> Erasure:
    """What erasing ``campaign`` would delete (nothing changes)."""
    return _campaign_plan(campaign)[0]


def erase_campaign(campaign: Campaign, *, actor: User | None = None) -> Erasure:
    """Delete the campaign's answers and everything personal about it (see the module
    docstring); the campaign stays, marked erased. An open campaign is closed first by whoever
    asks; erasing an erased campaign again deletes what is left, if anything. The caller
    commits; files are deleted once the database rows are flushed."""
    if campaign.status == "open":
        raise OperationError(
            N_("Close campaign %(id)s before erasing it: it is still collecting answers."),
            id=campaign.id,
        )
    summary, files, jobs = _campaign_plan(campaign)
    if campaign.erased_at is not None and not summary.nonzero():
        return summary
    responses = select(Response.id).where(Response.campaign_id == campaign.id)
    people = select(Participant.id).where(Participant.campaign_id == campaign.id)
    db.session.execute(delete(Answer).where(Answer.response_id.in_(responses)))
    db.session.execute(delete(Response).where(Response.campaign_id == campaign.id))
    db.session.execute(delete(ParticipantLink).where(ParticipantLink.participant_id.in_(people)))
    db.session.execute(delete(Participant).where(Participant.campaign_id == campaign.id))
    db.session.execute(
        delete(ParticipantImport).where(ParticipantImport.campaign_id == campaign.id)
    )
    for job in jobs:
        db.session.delete(job)
    campaign.erased_at = campaign.erased_at or utcnow()
    db.session.flush()
    db.session.expire(campaign, ["participants"])
    audit.record("campaign.erased", campaign=campaign, user=actor, **summary.counts())
    for path in files:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return summary
