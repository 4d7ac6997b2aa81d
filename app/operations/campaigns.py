"""Campaigns: created from a questionnaire, frozen, opened, closed, reopened, copied, paired.

Reads of campaigns (by id, by organisation, the companion campaign) are in
:mod:`app.queries.campaigns`; participants' writes in :mod:`app.operations.participants`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.models import NAME_LENGTH, Campaign, Organization, Participant, User, utcnow
from app.models.campaign import (
    DEFAULT_ANONYMITY_THRESHOLD,
    MAX_ANONYMITY_THRESHOLD,
    MAX_COMMENT_MINIMUM,
    MIN_ANONYMITY_THRESHOLD,
    MIN_COMMENT_MINIMUM,
)
from app.operations import audit, webhooks
from app.operations.errors import N_, OperationError
from app.operations.organizations import clean_english_name
from app.operations.participants import new_participant
from app.platform.extensions import db
from app.queries.campaigns import check_companion, companion_of
from app.questionnaire import Questionnaire, version_key

#: Dates are entered and shown in this zone unless the caller says otherwise.
DEFAULT_TIMEZONE = "Asia/Tokyo"


def local_to_utc(
    day: date | None, at: time | None = None, tz: str = DEFAULT_TIMEZONE
) -> datetime | None:
    """The UTC instant of ``day`` at ``at`` (midnight by default) on the wall clock of ``tz``."""
    if day is None:
        return None
    local = datetime.combine(day, at or time(0, 0), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def utc_to_local(moment: datetime | None, tz: str = DEFAULT_TIMEZONE) -> datetime | None:
    """``moment`` on the wall clock of ``tz`` (for display and for editing forms)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(tz))


def _check_threshold(threshold: int) -> None:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int)
        or not MIN_ANONYMITY_THRESHOLD <= threshold <= MAX_ANONYMITY_THRESHOLD
    ):
        raise OperationError(
            N_("The anonymity threshold must be between %(min)d and %(max)d, got %(got)s."),
            min=MIN_ANONYMITY_THRESHOLD,
            max=MAX_ANONYMITY_THRESHOLD,
            got=threshold,
        )


def check_comment_minimum(minimum: int) -> None:
    """Refuse a minimum group for free-text answers outside its range."""
    if (
        isinstance(minimum, bool)
        or not isinstance(minimum, int)
        or not MIN_COMMENT_MINIMUM <= minimum <= MAX_COMMENT_MINIMUM
    ):
        raise OperationError(
            N_(
                "The minimum group for free-text answers must be between %(min)d and %(max)d, "
                "got %(got)s."
            ),
            min=MIN_COMMENT_MINIMUM,
            max=MAX_COMMENT_MINIMUM,
            got=minimum,
        )


def _check_dates(opens_at: datetime | None, closes_at: datetime | None) -> None:
    if opens_at and closes_at and closes_at <= opens_at:
        raise OperationError(N_("The closing date must be after the opening date."))


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise OperationError(N_("A name is required."))
    if len(name) > NAME_LENGTH:
        raise OperationError(N_("The name is longer than %(n)d characters."), n=NAME_LENGTH)
    return name


def create_campaign(
    org: Organization,
    questionnaire: Questionnaire,
    name: str,
    *,
    threshold: int = DEFAULT_ANONYMITY_THRESHOLD,
    comment_minimum: int | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    previous: Campaign | None = None,
    individual_reports: bool = False,
    name_en: str | None = None,
    actor: User | None = None,
) -> Campaign:
    """Create a draft campaign with the questionnaire's parsed content frozen into it.

    ``name_en`` is the name English reports show (without one they show ``name``).

    ``individual_reports`` lets each respondent download their own report from their link
    once the campaign has closed.
    """
    if comment_minimum is None:
        comment_minimum = MIN_COMMENT_MINIMUM
    _check_threshold(threshold)
    check_comment_minimum(comment_minimum)
    _check_dates(opens_at, closes_at)
    campaign = Campaign(
        organization=org,
        name=_clean_name(name),
        name_en=clean_english_name(name_en),
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        questionnaire_hash=questionnaire.content_hash,
        questionnaire_content=questionnaire.to_dict(),
        status="draft",
        anonymity_threshold=threshold,
        comment_minimum=comment_minimum,
        opens_at=opens_at,
        closes_at=closes_at,
        previous_campaign=previous,
        individual_reports=individual_reports,
        targets={},
    )
    db.session.add(campaign)
    db.session.flush()
    audit.record(
        "campaign.created",
        campaign=campaign,
        user=actor,
        questionnaire=f"{questionnaire.id} {questionnaire.version}",
    )
    return campaign


def update_campaign(
    campaign: Campaign,
    *,
    name: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    threshold: int,
    comment_minimum: int | None = None,
    individual_reports: bool | None = None,
    name_en: str | None = None,
    actor: User | None = None,
) -> Campaign:
    """Change name, dates, individual reports and (until the campaign first opens) the
    anonymity threshold and the minimum group for free-text answers
    (``comment_minimum=None`` and ``individual_reports=None`` keep the current setting;
    ``name_en`` replaces the English name, "" removes it, None keeps it).

    Both minimums are fixed once the campaign has been opened: results and words already seen
    under one minimum must not become more detailed by lowering it afterwards.
    """
    if comment_minimum is None:
        comment_minimum = campaign.comment_minimum
    _check_threshold(threshold)
    check_comment_minimum(comment_minimum)
    _check_dates(opens_at, closes_at)
    if threshold != campaign.anonymity_threshold and campaign.opened_at is not None:
        raise OperationError(
            N_("The anonymity threshold cannot change once the campaign has been opened.")
        )
    if comment_minimum != campaign.comment_minimum and campaign.opened_at is not None:
        raise OperationError(
            N_(
                "The minimum group for free-text answers cannot change once the campaign "
                "has been opened."
            )
        )
    campaign.name = _clean_name(name)
    if name_en is not None:
        campaign.name_en = clean_english_name(name_en)
    campaign.opens_at = opens_at
    campaign.closes_at = closes_at
    campaign.anonymity_threshold = threshold
    campaign.comment_minimum = comment_minimum
    if individual_reports is not None:
        campaign.individual_reports = individual_reports
    db.session.flush()
    audit.record(
        "campaign.updated",
        campaign=campaign,
        user=actor,
        individual_reports=bool(campaign.individual_reports),
    )
    return campaign


def set_targets(
    campaign: Campaign, targets: Mapping[str, float | None], *, actor: User | None = None
) -> Campaign:
    """Set the target level of some dimensions (None or a missing key: no target).

    Targets are maturity levels on the questionnaire's scale; they drive the dashed outline
    on the radar charts and the progress-to-target figure. They may change at any time:
    they are the organisation's ambition, not part of what respondents answered.
    """
    questionnaire = campaign.questionnaire
    known = {d.id for d in questionnaire.dimensions}
    scale = questionnaire.scale
    cleaned: dict[str, float] = {}
    for dimension_id, value in targets.items():
        if dimension_id not in known:
            raise OperationError(
                N_("Unknown dimension %(dimension)s (this questionnaire has: %(known)s)."),
                dimension=dimension_id,
                known=", ".join(d.id for d in questionnaire.dimensions),
            )
        if value is None:
            continue
        if not scale.min <= float(value) <= scale.max:
            raise OperationError(
                N_("The target of %(dimension)s must be between %(min)s and %(max)s."),
                dimension=dimension_id,
                min=scale.min,
                max=scale.max,
            )
        cleaned[dimension_id] = round(float(value), 2)
    if cleaned == dict(campaign.targets or {}):
        return campaign
    campaign.targets = cleaned
    db.session.flush()
    audit.record("campaign.targets_set", campaign=campaign, user=actor, targets=cleaned)
    return campaign


def open_campaign(campaign: Campaign, *, actor: User | None = None) -> Campaign:
    """Open a draft campaign, or reopen a closed one."""
    if campaign.status == "open":
        raise OperationError(N_("Campaign %(id)s is already open."), id=campaign.id)
    if campaign.erased_at is not None:
        raise OperationError(
            N_("Campaign %(id)s has been erased and cannot be opened."), id=campaign.id
        )
    reopening = campaign.status == "closed"
    campaign.status = "open"
    campaign.opened_at = campaign.opened_at if reopening and campaign.opened_at else utcnow()
    campaign.closed_at = None
    db.session.flush()
    audit.record(
        "campaign.reopened" if reopening else "campaign.opened", campaign=campaign, user=actor
    )
    webhooks.campaign_changed(campaign, "campaign.opened", reopened=reopening)
    return campaign


def reopen_campaign(campaign: Campaign, *, actor: User | None = None) -> Campaign:
    """Open a closed campaign again; its answers and links are kept."""
    if campaign.status != "closed":
        raise OperationError(N_("Campaign %(id)s is not closed."), id=campaign.id)
    return open_campaign(campaign, actor=actor)


def close_campaign(campaign: Campaign, *, actor: User | None = None) -> Campaign:
    """Close an open campaign: links stop accepting answers; drafts stay as they are."""
    if campaign.status != "open":
        raise OperationError(N_("Campaign %(id)s is not open."), id=campaign.id)
    campaign.status = "closed"
    campaign.closed_at = utcnow()
    db.session.flush()
    audit.record("campaign.closed", campaign=campaign, user=actor)
    webhooks.campaign_changed(campaign, "campaign.closed")
    return campaign


def copy_campaign(
    campaign: Campaign,
    name: str,
    *,
    questionnaire: Questionnaire | None = None,
    threshold: int | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    name_en: str | None = None,
    actor: User | None = None,
) -> Campaign:
    """Create the next round: the same participants (no link yet), linked to this campaign.

    ``questionnaire`` defaults to the campaign's own frozen one; it may be a newer version of
    the same questionnaire id (never another questionnaire, never an older version), so
    results stay comparable round to round. Revoked participants and participants of archived
    departments are not carried over, and nobody's answers are.
    """
    if questionnaire is None:
        questionnaire = campaign.questionnaire
    if questionnaire.id != campaign.questionnaire_id:
        raise OperationError(
            N_("The next round must use questionnaire %(id)s (a newer version is allowed)."),
            id=campaign.questionnaire_id,
        )
    if version_key(questionnaire.version) < version_key(campaign.questionnaire_version):
        raise OperationError(
            N_("Version %(version)s is older than the version of this campaign (%(current)s)."),
            version=questionnaire.version,
            current=campaign.questionnaire_version,
        )
    new = create_campaign(
        campaign.organization,
        questionnaire,
        name,
        threshold=threshold if threshold is not None else campaign.anonymity_threshold,
        comment_minimum=campaign.comment_minimum,
        opens_at=opens_at,
        closes_at=closes_at,
        previous=campaign,
        individual_reports=bool(campaign.individual_reports),
        name_en=name_en,
        actor=actor,
    )
    participants = db.session.scalars(
        select(Participant)
        .where(Participant.campaign_id == campaign.id, Participant.revoked_at.is_(None))
        .order_by(Participant.id)
    ).all()
    for participant in participants:
        if participant.department.archived:
            continue
        new_participant(
            new,
            participant.department,
            participant.role,
            name=participant.name,
            email=participant.email,
        )
    audit.record(
        "campaign.copied",
        campaign=new,
        user=actor,
        previous_campaign_id=campaign.id,
        participants=len(new.participants),
    )
    return new


def _pointing_at(ids: tuple[int, ...]) -> list[Campaign]:
    """Campaigns whose companion is one of ``ids``."""
    return list(
        db.session.scalars(
            select(Campaign).where(Campaign.companion_campaign_id.in_(ids)).order_by(Campaign.id)
        )
    )


def pair_campaigns(campaign: Campaign, other: Campaign, *, actor: User | None = None) -> Campaign:
    """Make ``other`` the companion campaign of ``campaign`` and ``campaign`` that of ``other``.

    Either campaign's earlier companion is released. Pairing an already paired couple again
    changes nothing.
    """
    check_companion(campaign, other)
    if campaign.companion_campaign_id == other.id and other.companion_campaign_id == campaign.id:
        return campaign
    pair = (campaign.id, other.id)
    released = {c.id: c for c in _pointing_at(pair) if c.id not in pair}
    for member in (campaign, other):
        earlier = member.companion_campaign
        if earlier is not None and earlier.id not in pair:
            released[earlier.id] = earlier
    for earlier in released.values():
        if earlier.companion_campaign_id is not None:
            partner = earlier.companion_campaign_id
            earlier.companion_campaign = None
            audit.record(
                "campaign.unpaired", campaign=earlier, user=actor, companion_campaign_id=partner
            )
    campaign.companion_campaign = other
    other.companion_campaign = campaign
    db.session.flush()
    audit.record("campaign.paired", campaign=campaign, user=actor, companion_campaign_id=other.id)
    audit.record("campaign.paired", campaign=other, user=actor, companion_campaign_id=campaign.id)
    return campaign


def unpair_campaign(campaign: Campaign, *, actor: User | None = None) -> Campaign | None:
    """Release ``campaign``'s companion campaign (on both sides); returns the former companion,
    or None when there was none."""
    companion = companion_of(campaign) or campaign.companion_campaign
    changed = [campaign] if campaign.companion_campaign_id is not None else []
    changed += [c for c in _pointing_at((campaign.id,)) if c.id != campaign.id]
    if not changed:
        return None
    for member in changed:
        partner = member.companion_campaign_id
        member.companion_campaign = None
        audit.record(
            "campaign.unpaired", campaign=member, user=actor, companion_campaign_id=partner
        )
    db.session.flush()
    return companion
