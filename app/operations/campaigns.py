"""Campaigns: created from a questionnaire, frozen, opened, closed, reopened, copied."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.models import Campaign, Department, Organization, Participant, Role, User, utcnow
from app.models.campaign import (
    DEFAULT_ANONYMITY_THRESHOLD,
    MAX_ANONYMITY_THRESHOLD,
    MIN_ANONYMITY_THRESHOLD,
)
from app.operations import audit
from app.operations.errors import N_, OperationError
from app.operations.participant_import import EMAIL_RE
from app.operations.participants import (
    add_link,
    invite_participant,
    new_participant,
    replace_links,
    revoke,
)
from app.platform.extensions import db
from app.questionnaire import Questionnaire

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


def _check_dates(opens_at: datetime | None, closes_at: datetime | None) -> None:
    if opens_at and closes_at and closes_at <= opens_at:
        raise OperationError(N_("The closing date must be after the opening date."))


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise OperationError(N_("A name is required."))
    if len(name) > 200:
        raise OperationError(N_("The name is longer than %(n)d characters."), n=200)
    return name


def create_campaign(
    org: Organization,
    questionnaire: Questionnaire,
    name: str,
    *,
    threshold: int = DEFAULT_ANONYMITY_THRESHOLD,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    previous: Campaign | None = None,
    individual_reports: bool = False,
    actor: User | None = None,
) -> Campaign:
    """Create a draft campaign with the questionnaire's parsed content frozen into it.

    ``individual_reports`` lets each respondent download their own report from their link
    once the campaign has closed.
    """
    _check_threshold(threshold)
    _check_dates(opens_at, closes_at)
    campaign = Campaign(
        organization=org,
        name=_clean_name(name),
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        questionnaire_hash=questionnaire.content_hash,
        questionnaire_content=questionnaire.to_dict(),
        status="draft",
        anonymity_threshold=threshold,
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
    individual_reports: bool | None = None,
    actor: User | None = None,
) -> Campaign:
    """Change name, dates, individual reports and (until the campaign first opens) the
    anonymity threshold (``individual_reports=None`` keeps the current setting).

    The threshold is fixed once the campaign has been opened: results already seen under one
    threshold must not become more detailed by lowering it afterwards.
    """
    _check_threshold(threshold)
    _check_dates(opens_at, closes_at)
    if threshold != campaign.anonymity_threshold and campaign.opened_at is not None:
        raise OperationError(
            N_("The anonymity threshold cannot change once the campaign has been opened.")
        )
    campaign.name = _clean_name(name)
    campaign.opens_at = opens_at
    campaign.closes_at = closes_at
    campaign.anonymity_threshold = threshold
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
    reopening = campaign.status == "closed"
    campaign.status = "open"
    campaign.opened_at = campaign.opened_at if reopening and campaign.opened_at else utcnow()
    campaign.closed_at = None
    db.session.flush()
    audit.record(
        "campaign.reopened" if reopening else "campaign.opened", campaign=campaign, user=actor
    )
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
    return campaign


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


def copy_campaign(
    campaign: Campaign,
    name: str,
    *,
    questionnaire: Questionnaire | None = None,
    threshold: int | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
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
    if _version_key(questionnaire.version) < _version_key(campaign.questionnaire_version):
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
        opens_at=opens_at,
        closes_at=closes_at,
        previous=campaign,
        individual_reports=bool(campaign.individual_reports),
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


def campaign_kind(campaign: Campaign) -> str | None:
    """``capability`` or ``stage`` when the campaign's questionnaire asks about one kind only."""
    kinds = campaign.questionnaire.kinds
    return kinds[0] if len(kinds) == 1 else None


def check_companion(campaign: Campaign, other: Campaign) -> None:
    """Raise OperationError unless ``other`` may be ``campaign``'s companion campaign.

    A companion belongs to the same organisation and asks the other kind of questionnaire:
    a five-capabilities campaign pairs with an improvement-cycle campaign and vice versa.
    """
    if other.id == campaign.id:
        raise OperationError(N_("A campaign cannot be its own companion."))
    if other.organization_id != campaign.organization_id:
        raise OperationError(
            N_(
                "Campaign %(id)s belongs to another organisation: a companion campaign must "
                "assess the same organisation."
            ),
            id=other.id,
        )
    for candidate in (campaign, other):
        if campaign_kind(candidate) is None:
            raise OperationError(
                N_(
                    "Campaign %(id)s asks about both the five capabilities and the CX "
                    "improvement cycle: it needs no companion campaign."
                ),
                id=candidate.id,
            )
    if campaign_kind(other) == campaign_kind(campaign):
        raise OperationError(
            N_(
                "Campaigns %(id)s and %(other)s ask the same kind of questionnaire: a companion "
                "campaign must ask the other one (the five capabilities with the CX "
                "improvement cycle)."
            ),
            id=campaign.id,
            other=other.id,
        )


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


def companion_of(campaign: Campaign) -> Campaign | None:
    """The campaign's companion campaign (same organisation, the other questionnaire kind).

    The pairing is read both ways: the campaign's own link first, else a campaign of the same
    organisation that names this one as its companion. A link that no longer satisfies the
    rules (another organisation, the same kind) is ignored.
    """
    candidates = []
    if campaign.companion_campaign is not None:
        candidates.append(campaign.companion_campaign)
    candidates += db.session.scalars(
        select(Campaign)
        .where(
            Campaign.companion_campaign_id == campaign.id,
            Campaign.organization_id == campaign.organization_id,
        )
        .order_by(Campaign.id)
    ).all()
    for candidate in candidates:
        try:
            check_companion(campaign, candidate)
        except OperationError:
            continue
        return candidate
    return None


def companion_choices(campaign: Campaign) -> list[Campaign]:
    """The organisation's campaigns that may be ``campaign``'s companion, oldest first."""
    kind = campaign_kind(campaign)
    if kind is None:
        return []
    return [
        c
        for c in campaigns_of(campaign.organization)
        if c.id != campaign.id and campaign_kind(c) not in (None, kind)
    ]


def get_campaign(campaign_id: int) -> Campaign:
    """The campaign with that id (unscoped: CLI use); raise OperationError when missing."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise OperationError(N_("No campaign with id %(id)s."), id=campaign_id)
    return campaign


def campaigns_of(org: Organization) -> list[Campaign]:
    """The organisation's campaigns, oldest first."""
    return list(
        db.session.scalars(
            select(Campaign).where(Campaign.organization_id == org.id).order_by(Campaign.id)
        )
    )


def _check_email(email: str | None) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise OperationError(N_("%(value)s is not a valid email address."), value=email)
    return email


def _check_placement(campaign: Campaign, department: Department, role: Role) -> None:
    if department.organization_id != campaign.organization_id:
        raise OperationError(N_("The department belongs to another organisation."))
    if role.organization_id != campaign.organization_id:
        raise OperationError(N_("The role belongs to another organisation."))
    if department.archived:
        raise OperationError(N_("Department %(name)s is archived."), name=department.name)


def _email_taken(campaign: Campaign, email: str, except_id: int | None = None) -> bool:
    query = select(Participant.id).where(
        Participant.campaign_id == campaign.id, func.lower(Participant.email) == email
    )
    if except_id is not None:
        query = query.where(Participant.id != except_id)
    return db.session.scalar(query) is not None


def add_participant(
    campaign: Campaign,
    *,
    email: str,
    department: Department,
    role: Role,
    name: str | None = None,
    actor: User | None = None,
) -> tuple[Participant, str]:
    """Invite one person; returns the participant and their link token (shown once)."""
    email = _check_email(email)
    _check_placement(campaign, department, role)
    if _email_taken(campaign, email):
        raise OperationError(
            N_("%(value)s is already a participant of this campaign."), value=email
        )
    participant, token = invite_participant(
        campaign, department, role, name=(name or "").strip() or None, email=email
    )
    audit.record("participant.added", campaign=campaign, user=actor)
    return participant, token


def update_participant(
    participant: Participant,
    *,
    email: str,
    department: Department,
    role: Role,
    name: str | None = None,
    actor: User | None = None,
) -> Participant:
    """Correct a participant's name, email, department or role.

    Moving someone corrects where they belong, so a response they already started or
    submitted moves with them and is counted in the new department and role.
    """
    campaign = participant.campaign
    email = _check_email(email)
    if department.id != participant.department_id or department.archived:
        _check_placement(campaign, department, role)
    if _email_taken(campaign, email, except_id=participant.id):
        raise OperationError(
            N_("%(value)s is already a participant of this campaign."), value=email
        )
    participant.name = (name or "").strip() or None
    participant.email = email
    participant.department = department
    participant.role = role
    if participant.response is not None:
        participant.response.department_id = department.id
        participant.response.role_id = role.id
    db.session.flush()
    audit.record("participant.updated", campaign=campaign, user=actor)
    return participant


def revoke_participant(participant: Participant, *, actor: User | None = None) -> Participant:
    """Stop every link of the participant and end their sessions; answers stay in the results."""
    if participant.revoked_at is None:
        revoke(participant)
        audit.record("participant.revoked", campaign=participant.campaign, user=actor)
    return participant


def hand_out_link(participant: Participant, *, actor: User | None = None) -> str:
    """A link to give one participant; their earlier links keep working."""
    if participant.revoked_at is not None:
        raise OperationError(N_("This participant's link has been revoked."))
    token = add_link(participant, "manual")
    audit.record("participant.link_issued", campaign=participant.campaign, user=actor)
    return token


def replace_link(participant: Participant, *, actor: User | None = None) -> str:
    """A new link for one participant; every earlier link stops working and sessions end."""
    if participant.revoked_at is not None:
        raise OperationError(N_("This participant's link has been revoked."))
    token = replace_links(participant, "manual")
    audit.record("participant.link_replaced", campaign=participant.campaign, user=actor)
    return token
