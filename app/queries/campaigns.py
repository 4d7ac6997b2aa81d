"""Reads of campaigns: by id, by organisation, and their companion campaign."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Campaign, Organization
from app.operations.errors import N_, OperationError
from app.platform.extensions import db


def get_campaign(campaign_id: int) -> Campaign:
    """The campaign with that id (unscoped: CLI use); raise OperationError when missing."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise OperationError(N_("No campaign with id %(id)s."), id=campaign_id)
    return campaign


def campaigns_of(org: Organization, *, newest_first: bool = False) -> list[Campaign]:
    """The organisation's campaigns, oldest first (or newest first)."""
    order = Campaign.id.desc() if newest_first else Campaign.id
    return list(
        db.session.scalars(
            select(Campaign).where(Campaign.organization_id == org.id).order_by(order)
        )
    )


def all_campaigns(org: Organization | None = None) -> list[Campaign]:
    """Every campaign (of ``org`` when given), by organisation slug then id (unscoped: CLI use)."""
    query = select(Campaign).join(Organization).order_by(Organization.slug, Campaign.id)
    if org is not None:
        query = query.where(Organization.id == org.id)
    return list(db.session.scalars(query))


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
