"""Which dimensions move the outcome item, and where to act first.

Every respondent answers the questionnaire's outcome item (0-10, never part of a maturity
score). Over the respondents with a score on every dimension and an outcome answer, the
relative weight of each dimension for the outcome (:func:`app.analysis.drivers.key_drivers`:
Johnson's relative weights, which sum to the model's R², with 95% bootstrap intervals from a
fixed seed) says how much of what the outcome varies by each dimension accounts for. Pooled
over everyone, and per role where a role has at least :data:`MIN_ROLE_RESPONDENTS` such
respondents (and is shown by the anonymity rules).

The priority matrix sets each dimension's importance against the executive / front-line gap
and the distance to the target (:func:`app.analysis.drivers.priority_matrix`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.analysis.drivers import (
    ACT_FIRST,
    TOO_FEW_RESPONDENTS,
    Drivers,
    MatrixCell,
    key_drivers,
    priority_matrix,
)
from app.analysis.scoring import dimension_scores_from_sums
from app.models import Answer, Campaign, Response
from app.platform.cache import BoundedCache
from app.platform.extensions import db
from app.results.compute import items_asked
from app.results.load import load_campaign_data

if TYPE_CHECKING:
    from app.results.model import CampaignResults

#: Fewest respondents with complete data for a role's own drivers.
MIN_ROLE_RESPONDENTS = 30
#: The roles whose difference is the perception gap the matrix reads.
TOP_ROLE, FRONT_ROLE = "executive", "frontline"
NO_OUTCOME_ITEM = "no_outcome_item"


@dataclass(frozen=True)
class CampaignDrivers:
    """The drivers of the campaign's outcome item and the priority matrix."""

    campaign_id: int
    #: The outcome item's id (None: the questionnaire asks none).
    outcome: str | None
    pooled: Drivers | None
    #: Per role key, for the roles with enough respondents.
    by_role: Mapping[str, Drivers] = field(default_factory=dict)
    matrix: tuple[MatrixCell, ...] = ()
    reason: str | None = None

    @property
    def n(self) -> int:
        return self.pooled.n if self.pooled is not None else 0

    def document(self) -> dict[str, Any]:
        """The API's and the CLI's JSON form (OpenAPI ``Drivers``)."""
        pooled = self.pooled
        found: dict[str, Any] = {
            "outcome": self.outcome,
            "n": self.n,
            "r2": pooled.r2 if pooled is not None else None,
            "drivers": _drivers(pooled),
            "matrix": [
                {
                    "dimension": cell.dimension,
                    "importance": cell.importance,
                    "gap": cell.gap,
                    "distance": cell.distance,
                    "quadrant": cell.quadrant,
                }
                for cell in self.matrix
            ],
            "by_role": {
                role: {"n": drivers.n, "r2": drivers.r2, "drivers": _drivers(drivers)}
                for role, drivers in self.by_role.items()
            },
        }
        reason = self.reason or (pooled.reason if pooled is not None else None)
        if reason is not None:
            found["reason"] = reason
        return found


def _drivers(drivers: Drivers | None) -> list[dict[str, Any]]:
    if drivers is None:
        return []
    return [
        {
            "dimension": driver.dimension,
            "weight": driver.weight,
            "ci95": list(driver.ci95) if driver.ci95 is not None else None,
            "rank": driver.rank,
        }
        for driver in drivers.drivers
    ]


_kept: BoundedCache[tuple[int, str], CampaignDrivers] = BoundedCache(16)


def campaign_drivers(campaign: Campaign, results: CampaignResults) -> CampaignDrivers:
    """The drivers of ``campaign``'s outcome item, kept while the results' data version holds."""
    key = (campaign.id, results.data_version)
    found = _kept.get(key)
    if found is None or not results.data_version:
        found = _kept.put(key, _campaign_drivers(campaign, results))
    return found


def _campaign_drivers(campaign: Campaign, results: CampaignResults) -> CampaignDrivers:
    questionnaire = campaign.questionnaire
    outcomes = getattr(questionnaire, "outcomes", ())
    if not outcomes:
        return CampaignDrivers(campaign.id, None, None, reason=NO_OUTCOME_ITEM)
    outcome = outcomes[0].id
    dimensions = [dimension.id for dimension in questionnaire.dimensions]
    data = load_campaign_data(campaign, questionnaire)
    role_keys = {role.id: role.key for role in data.roles}
    respondent_roles = [role_keys.get(role_id) for role_id in data.role_ids.tolist()]
    scores = {
        dimension.id: dimension_scores_from_sums(
            data.weighted_totals[dimension.id],
            data.weight_totals[dimension.id],
            data.answered[dimension.id],
            items_asked(data, dimension.items),
        )
        for dimension in questionnaire.dimensions
    }
    answers = dict(
        db.session.execute(
            select(Answer.response_id, Answer.value)
            .join(Response, Response.id == Answer.response_id)
            .where(
                Response.campaign_id == campaign.id,
                Response.status == "submitted",
                Answer.item_id == outcome,
                Answer.value.is_not(None),
            )
        ).all()
    )
    rows: list[dict[str, float | None]] = []
    row_roles: list[str | None] = []
    for index, response_id in enumerate(data.response_ids.tolist()):
        value = answers.get(response_id)
        row: dict[str, float | None] = {
            dimension: _finite(scores[dimension][index]) for dimension in dimensions
        }
        row[outcome] = None if value is None else float(value)
        rows.append(row)
        row_roles.append(respondent_roles[index])
    pooled = key_drivers(rows, outcome, dimensions)
    shown_roles = {str(group.key["role"]) for group in results.by_role if group.shown}
    by_role = {}
    for role in sorted(shown_roles):
        role_rows = [row for row, key in zip(rows, row_roles, strict=True) if key == role]
        complete = sum(all(value is not None for value in row.values()) for row in role_rows)
        if complete >= MIN_ROLE_RESPONDENTS:
            by_role[role] = key_drivers(role_rows, outcome, dimensions)
    matrix: tuple[MatrixCell, ...] = ()
    if pooled.reason is None and pooled.drivers:
        matrix = priority_matrix(
            {driver.dimension: driver.weight for driver in pooled.drivers},
            _role_gaps(results),
            _distances(results),
        )
        order = {dimension: index for index, dimension in enumerate(dimensions)}
        matrix = tuple(sorted(matrix, key=lambda cell: order[cell.dimension]))
    return CampaignDrivers(campaign.id, outcome, pooled, by_role, matrix, pooled.reason)


def _finite(value: float) -> float | None:
    return None if value != value else float(value)


def _role_gaps(results: CampaignResults) -> dict[str, float | None]:
    """Per dimension, the executives' mean minus the front line's (None where not tested)."""
    found: dict[str, float | None] = {}
    for gap in results.gaps:
        if gap.breakdown != "role":
            continue
        pair = (gap.a.get("role"), gap.b.get("role"))
        if pair == (TOP_ROLE, FRONT_ROLE):
            found[gap.dimension] = gap.difference
        elif pair == (FRONT_ROLE, TOP_ROLE):
            found[gap.dimension] = -gap.difference
    return found


def _distances(results: CampaignResults) -> dict[str, float | None]:
    """Per dimension, the target minus the organisation's score (None without either)."""
    found: dict[str, float | None] = {}
    for dimension in results.dimensions:
        mean = dimension.organization.mean if dimension.organization.shown else None
        found[dimension.id] = (
            None if dimension.target is None or mean is None else dimension.target - mean
        )
    return found


__all__ = [
    "ACT_FIRST",
    "MIN_ROLE_RESPONDENTS",
    "NO_OUTCOME_ITEM",
    "TOO_FEW_RESPONDENTS",
    "CampaignDrivers",
    "campaign_drivers",
]
