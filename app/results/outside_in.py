"""Maturity beside customer outcomes: each department as a point (its maturity score against
its NPS, churn, LTV or CSAT), and, with a previous round, its change of maturity against its
change of outcome.

A department's maturity is its overall score in the campaign's results, so a department the
anonymity rules withhold is never a point. The outcome is the department's record for the
campaign's period (:func:`campaign_period`). With fewer than
:data:`MIN_DEPARTMENTS_FOR_CORRELATION` points no correlation is computed: a handful of
departments shows what happened, not a relation, and the views say so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.models import Campaign, Organization
from app.platform.extensions import db
from app.results.outcomes import OutcomeFigures, organization_outcomes

if TYPE_CHECKING:
    from app.results.model import CampaignResults

#: The outcomes a department can be placed by, in the order the views offer them.
METRICS = ("nps", "churn_rate", "ltv", "csat")
#: Fewest departments for a correlation to be stated.
MIN_DEPARTMENTS_FOR_CORRELATION = 8


@dataclass(frozen=True)
class OutcomePoint:
    """One department: its maturity score and its outcome (and, for changes, both changes)."""

    department_id: int
    label: Mapping[str, str]
    maturity: float
    outcome: float
    #: Respondents behind the maturity score.
    respondents: int


@dataclass(frozen=True)
class OutsideIn:
    """The departments of one campaign placed by maturity and one outcome."""

    metric: str
    #: The outcome period read for this campaign (None: no record matches it).
    period: str | None
    #: Every period with a department record, newest first.
    periods: tuple[str, ...]
    points: tuple[OutcomePoint, ...]
    #: Pearson's r over the points; None below the minimum number of departments.
    correlation: float | None
    #: The previous round's period, and each department's change from it to ``period``.
    previous_period: str | None = None
    changes: tuple[OutcomePoint, ...] = ()
    change_correlation: float | None = None

    @property
    def descriptive(self) -> bool:
        """Whether too few departments are placed for any relation to be claimed."""
        return len(self.points) < MIN_DEPARTMENTS_FOR_CORRELATION

    @property
    def minimum(self) -> int:
        return MIN_DEPARTMENTS_FOR_CORRELATION


def outcome_value(figures: OutcomeFigures, metric: str) -> float | None:
    """The ``metric`` of one record (NPS only where it is shown)."""
    if metric == "nps":
        shown = figures.nps is not None and figures.nps.shown
        return figures.nps.score if shown and figures.nps is not None else None
    if metric == "ltv":
        return figures.ltv
    value = figures.values.get(metric)
    return None if value is None else float(value)


def campaign_period(campaign: Campaign, periods: Sequence[str]) -> str | None:
    """The outcome period that goes with ``campaign``: the year it closed (or opened, or was
    created) in, else the latest period within that year, else None."""
    moment = campaign.closed_at or campaign.opened_at or campaign.created_at
    if moment is None:
        return None
    year = str(moment.year)
    if year in periods:
        return year
    within = sorted(period for period in periods if period.startswith(year + "-"))
    return within[-1] if within else None


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation, None when either side does not vary."""
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx <= 0 or syy <= 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def _maturity(results: CampaignResults) -> dict[int, tuple[float, int, Mapping[str, str]]]:
    """Each shown department's overall maturity score (the campaign's first kind)."""
    kind = results.kinds[0] if results.kinds else None
    found = {}
    for group in results.by_department:
        cell = group.overall.get(kind) if kind is not None else None
        if group.shown and cell is not None and cell.shown and cell.mean is not None:
            found[int(group.key["department"])] = (cell.mean, cell.n or 0, group.label)
    return found


def outside_in(
    results: CampaignResults, campaign: Campaign, metric: str = "nps", period: str | None = None
) -> OutsideIn:
    """Place ``campaign``'s shown departments by maturity and ``metric`` (for ``period``, by
    default the campaign's own)."""
    if metric not in METRICS:
        raise ValueError(f"unknown outcome metric {metric!r}")
    organization = db.session.get(Organization, campaign.organization_id)
    records = organization_outcomes(organization) if organization is not None else []
    by_period: dict[str, dict[int, OutcomeFigures]] = {}
    for record in records:
        if record.department_id is not None:
            by_period.setdefault(record.period, {})[record.department_id] = record
    periods = tuple(sorted(by_period, reverse=True))
    chosen = period if period in by_period else campaign_period(campaign, periods)
    maturity = _maturity(results)
    points = _points(maturity, by_period.get(chosen or "", {}), metric)
    found = OutsideIn(
        metric,
        chosen,
        periods,
        points,
        _correlation(points),
    )
    previous = results.previous
    previous_campaign = (
        db.session.get(Campaign, campaign.previous_campaign_id)
        if campaign.previous_campaign_id is not None
        else None
    )
    if previous is None or previous_campaign is None or chosen is None:
        return found
    before_period = campaign_period(previous_campaign, periods)
    if before_period is None or before_period == chosen:
        return found
    before = _points(_maturity(previous), by_period.get(before_period, {}), metric)
    now = {point.department_id: point for point in points}
    changes = tuple(
        OutcomePoint(
            point.department_id,
            now[point.department_id].label,
            now[point.department_id].maturity - point.maturity,
            now[point.department_id].outcome - point.outcome,
            min(now[point.department_id].respondents, point.respondents),
        )
        for point in before
        if point.department_id in now
    )
    return OutsideIn(
        metric,
        chosen,
        periods,
        points,
        found.correlation,
        before_period,
        changes,
        _correlation(changes),
    )


def _points(
    maturity: Mapping[int, tuple[float, int, Mapping[str, str]]],
    records: Mapping[int, OutcomeFigures],
    metric: str,
) -> tuple[OutcomePoint, ...]:
    found = []
    for department, (score, respondents, label) in maturity.items():
        record = records.get(department)
        value = outcome_value(record, metric) if record is not None else None
        if value is not None:
            found.append(OutcomePoint(department, label, score, value, respondents))
    return tuple(found)


def _correlation(points: Sequence[OutcomePoint]) -> float | None:
    if len(points) < MIN_DEPARTMENTS_FOR_CORRELATION:
        return None
    return pearson([p.maturity for p in points], [p.outcome for p in points])
