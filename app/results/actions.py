"""A campaign's actions with their progress: the change of each action's dimension (for its
department, when set) since the round in which the action was set.

The campaign lists its own actions and the actions of its earlier rounds that are still open.
Both means come from the rounds' results objects, so a group the anonymity rules withhold
gives no change; the verdict (clear, possible, small) is the trend's, where the origin is the
round just before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from app.models import Action, Campaign, pick_name
from app.models.action import OPEN_STATUSES
from app.platform.extensions import db
from app.queries.action_deadlines import local_today, overdue
from app.results import campaign_results

if TYPE_CHECKING:
    from app.results.model import CampaignResults

#: How many earlier rounds the chain of previous campaigns is followed through.
MAX_ROUNDS = 20


@dataclass(frozen=True)
class Progress:
    baseline: float | None
    current: float | None
    change: float | None
    verdict: str | None


@dataclass(frozen=True)
class ActionProgress:
    action: Action
    progress: Progress
    overdue: bool

    def document(self) -> dict[str, Any]:
        """The API's form of the action (OpenAPI ``Action``)."""
        action = self.action
        return {
            "id": action.id,
            "title": action.title,
            "dimension": action.dimension,
            "item": action.item_id,
            "department": action.department_id,
            "owner": action.owner,
            "owner_email": action.owner_email,
            "due": action.due.isoformat() if action.due else None,
            "status": action.status,
            "notes": action.notes,
            "origin_campaign": action.campaign_id,
            "overdue": self.overdue,
            "progress": {
                "baseline": self.progress.baseline,
                "current": self.progress.current,
                "change": self.progress.change,
                "verdict": self.progress.verdict,
            },
        }


def earlier_rounds(campaign: Campaign) -> list[int]:
    """The ids of ``campaign``'s previous rounds, nearest first (same organisation only)."""
    found: list[int] = []
    current = campaign
    while current.previous_campaign_id is not None and len(found) < MAX_ROUNDS:
        previous = db.session.get(Campaign, current.previous_campaign_id)
        if previous is None or previous.organization_id != campaign.organization_id:
            break
        if previous.id in found:
            break
        found.append(previous.id)
        current = previous
    return found


def campaign_actions(
    campaign: Campaign, results: CampaignResults, today: date | None = None
) -> list[ActionProgress]:
    """The actions ``campaign`` follows, oldest round first, with their progress."""
    from_results = _results_by_campaign(campaign, results)
    earlier = earlier_rounds(campaign)
    query = (
        select(Action)
        .where(
            Action.organization_id == campaign.organization_id,
            or_(
                Action.campaign_id == campaign.id,
                Action.campaign_id.in_(earlier) & Action.status.in_(OPEN_STATUSES),
            ),
        )
        .order_by(Action.id)
    )
    today = today or local_today()
    order = {campaign_id: index for index, campaign_id in enumerate(reversed(earlier))}
    actions = sorted(
        db.session.scalars(query), key=lambda a: (order.get(a.campaign_id, len(order)), a.id)
    )
    return [
        ActionProgress(
            action,
            _progress(action, campaign, results, from_results),
            overdue(action, today),
        )
        for action in actions
    ]


def _results_by_campaign(campaign: Campaign, results: CampaignResults) -> dict[int, Any]:
    found: dict[int, Any] = {campaign.id: results}
    previous = results.previous
    while previous is not None:
        found.setdefault(previous.campaign_id, previous)
        previous = previous.previous
    return found


def _mean(results: CampaignResults, dimension: str, department: int | None) -> float | None:
    try:
        if department is None:
            cell = results.dimension(dimension).organization
        else:
            cell = results.dimension(dimension).by_department.get(department)
    except KeyError:
        return None
    return cell.mean if cell is not None and cell.shown else None


def _progress(
    action: Action, campaign: Campaign, results: CampaignResults, known: dict[int, Any]
) -> Progress:
    origin = known.get(action.campaign_id)
    if origin is None:
        origin_campaign = db.session.get(Campaign, action.campaign_id)
        if origin_campaign is not None:
            origin = known[action.campaign_id] = campaign_results(origin_campaign)
    baseline = _mean(origin, action.dimension, action.department_id) if origin is not None else None
    if action.campaign_id == campaign.id:
        return Progress(baseline, None, None, None)
    current = _mean(results, action.dimension, action.department_id)
    change = current - baseline if current is not None and baseline is not None else None
    verdict = None
    if change is not None and campaign.previous_campaign_id == action.campaign_id:
        for trend in results.trends:
            if trend.dimension != action.dimension:
                continue
            whole = action.department_id is None and trend.breakdown == "organization"
            department = (
                trend.breakdown == "department"
                and trend.key.get("department") == action.department_id
            )
            if whole or department:
                verdict = trend.verdict
    return Progress(baseline, current, change, verdict)


def action_names(campaign: Campaign, locale: str) -> tuple[dict[int, str], dict[int, str]]:
    """The names an action's ids refer to, in ``locale``: the organisation's departments
    and campaigns by id."""
    org = campaign.organization
    departments = {d.id: pick_name(d.name, d.name_en, locale) for d in org.departments}
    campaigns = {
        row.id: pick_name(row.name, row.name_en, locale)
        for row in db.session.execute(
            select(Campaign.id, Campaign.name, Campaign.name_en).where(
                Campaign.organization_id == org.id
            )
        )
    }
    return departments, campaigns
