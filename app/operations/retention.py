"""The retention period of personal data: set per organisation, applied to closed campaigns.

An organisation with ``retention_days`` keeps its participants' names, e-mail addresses and
links for that many days after a campaign closes; :func:`apply_retention` then anonymises
every participant of the campaign as an erasure on request does (``app.operations.erasure``):
the answers stay, anonymous, and every figure stays the same. An organisation without a
retention period keeps personal data until it is erased on request.

The project has no scheduler of its own: ``flask --app wsgi retention apply`` is run once a
day by the machine (a systemd timer, ``deploy/systemd/cx-retention.timer``, or cron), and
:func:`apply_retention_job` runs the same from an RQ worker for deployments that schedule
jobs there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app.models import Campaign, Organization, User, utcnow
from app.operations import audit
from app.operations.erasure import Erasure, anonymise_campaign, plan_campaign_anonymisation
from app.operations.errors import N_, OperationError
from app.platform.extensions import db

#: The longest retention period that may be set (about a hundred years).
MAX_RETENTION_DAYS = 36500


@dataclass(frozen=True)
class RetentionRun:
    """One campaign whose participants' personal data is (or, in a dry run, would be) erased."""

    organization: Organization
    campaign: Campaign
    #: When the retention period of the campaign ended.
    due_at: datetime
    erasure: Erasure


def check_retention_days(days: int | None) -> int | None:
    """``days`` if it is a valid retention period (None: no period), else an error."""
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_RETENTION_DAYS:
        raise OperationError(
            N_("The retention period must be a whole number of days from 1 to %(max)d."),
            max=MAX_RETENTION_DAYS,
        )
    return days


def set_retention(org: Organization, days: int | None, *, actor: User | None = None) -> bool:
    """Set (or with None remove) the organisation's retention period; audited when it
    changes. Returns whether it changed."""
    days = check_retention_days(days)
    if days == org.retention_days:
        return False
    org.retention_days = days
    db.session.flush()
    audit.record("organization.retention_set", organization=org, user=actor, days=days)
    return True


def due_campaigns(
    *, now: datetime | None = None, organization: Organization | None = None
) -> list[tuple[Organization, Campaign, datetime]]:
    """Closed campaigns whose organisation's retention period has run out, oldest due first."""
    now = now or utcnow()
    query = (
        select(Organization, Campaign)
        .join(Campaign, Campaign.organization_id == Organization.id)
        .where(
            Organization.retention_days.is_not(None),
            Campaign.status == "closed",
            Campaign.closed_at.is_not(None),
            Campaign.erased_at.is_(None),
        )
        .order_by(Organization.slug, Campaign.id)
    )
    if organization is not None:
        query = query.where(Organization.id == organization.id)
    due = []
    for org, campaign in db.session.execute(query):
        ends = campaign.closed_at + timedelta(days=org.retention_days)
        if ends <= now:
            due.append((org, campaign, ends))
    return due


def apply_retention(
    *,
    now: datetime | None = None,
    organization: Organization | None = None,
    dry_run: bool = False,
    actor: User | None = None,
) -> list[RetentionRun]:
    """Anonymise the participants of every campaign past its retention period (of one
    organisation, or all); with ``dry_run`` only say what would go. Campaigns with nobody
    left to anonymise are left out. The caller commits."""
    runs = []
    for org, campaign, due_at in due_campaigns(now=now, organization=organization):
        if dry_run:
            erasure = plan_campaign_anonymisation(campaign)
        else:
            erasure = anonymise_campaign(campaign)
            if erasure.participants:
                audit.record(
                    "retention.applied",
                    campaign=campaign,
                    user=actor,
                    retention_days=org.retention_days,
                    **{kind: n for kind, n in erasure.counts().items() if n},
                )
        if erasure.participants:
            runs.append(RetentionRun(org, campaign, due_at, erasure))
    return runs


def apply_retention_job() -> int:
    """:func:`apply_retention` for an RQ worker (which runs jobs in an application context):
    commits, and returns the number of participants anonymised."""
    runs = apply_retention()
    db.session.commit()
    return sum(run.erasure.participants for run in runs)
