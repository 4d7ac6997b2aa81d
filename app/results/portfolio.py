"""The portfolio: client organisations with their campaigns and response rates, their open
and overdue actions and their last report, in a few grouped queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from app.models import Campaign, Organization, ReportJob
from app.platform.extensions import db
from app.queries.action_deadlines import DeadlineCounts, deadline_counts
from app.results.model import Participation
from app.results.participation import participation_by_campaign

#: The columns the portfolio sorts by; the first is the default.
SORTS = ("name", "campaigns", "response_rate", "open", "overdue", "last_report")
ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class CampaignLine:
    """One campaign of a portfolio row, with its participation counts."""

    campaign: Campaign
    participation: Participation


@dataclass(frozen=True)
class PortfolioRow:
    """One client organisation of the portfolio."""

    organization: Organization
    #: Newest first.
    campaigns: list[CampaignLine] = field(default_factory=list)
    actions: DeadlineCounts = field(default_factory=DeadlineCounts)
    #: When the last batch of its reports finished (UTC), or None.
    last_report: datetime | None = None

    @property
    def response_rate(self) -> float | None:
        """The response rate of its newest campaign with invitations (the one under way)."""
        for line in self.campaigns:
            if line.participation.response_rate is not None:
                return line.participation.response_rate
        return None


def last_reports(organization_ids: Sequence[int]) -> dict[int, datetime]:
    """When each organisation's last report batch finished (organisations with none left out)."""
    if not organization_ids:
        return {}
    rows = db.session.execute(
        select(Campaign.organization_id, func.max(ReportJob.finished_at))
        .join(ReportJob, ReportJob.campaign_id == Campaign.id)
        .where(
            Campaign.organization_id.in_(list(organization_ids)),
            ReportJob.status == "done",
            ReportJob.finished_at.is_not(None),
        )
        .group_by(Campaign.organization_id)
    ).all()
    return {org_id: finished for org_id, finished in rows if finished is not None}


def portfolio(orgs: Sequence[Organization], today: date) -> list[PortfolioRow]:
    """A row for each of ``orgs``, in their order. The caller scopes access to the
    organisations (:mod:`app.auth.access`) before calling this."""
    ids = [org.id for org in orgs]
    if not ids:
        return []
    campaigns = list(
        db.session.scalars(
            select(Campaign)
            .where(Campaign.organization_id.in_(ids))
            .order_by(Campaign.organization_id, Campaign.id.desc())
        )
    )
    progress = participation_by_campaign(campaigns)
    lines: dict[int, list[CampaignLine]] = defaultdict(list)
    for campaign in campaigns:
        lines[campaign.organization_id].append(CampaignLine(campaign, progress[campaign.id]))
    counts = deadline_counts(ids, today)
    reports = last_reports(ids)
    return [
        PortfolioRow(
            org,
            lines.get(org.id, []),
            counts.get(org.id, DeadlineCounts()),
            reports.get(org.id),
        )
        for org in orgs
    ]


_KEYS: dict[str, Callable[[PortfolioRow], Any]] = {
    "name": lambda row: row.organization.name.casefold(),
    "campaigns": lambda row: len(row.campaigns),
    "response_rate": lambda row: row.response_rate,
    "open": lambda row: row.actions.open,
    "overdue": lambda row: row.actions.overdue,
    "last_report": lambda row: row.last_report,
}


def sort_rows(rows: list[PortfolioRow], sort: str, order: str) -> list[PortfolioRow]:
    """``rows`` by the column ``sort`` (``asc`` or ``desc``), ties and rows without a value
    (no report yet, no invitation) after the others, by name."""
    key = _KEYS[sort]
    by_name = sorted(rows, key=_KEYS["name"])
    valued = [row for row in by_name if key(row) is not None]
    empty = [row for row in by_name if key(row) is None]
    return sorted(valued, key=key, reverse=order == "desc") + empty
