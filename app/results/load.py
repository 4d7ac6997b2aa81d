"""Set-based loading of a campaign's answers: a few GROUP BY queries, never answer objects.

The database returns, per submitted response and dimension, the sums the scores are made of
(reverse coding and weights applied inside the SQL sum); per department, role, item and scale
point the number of answers; and, for Cronbach's alpha, per item the sums of the respondents
who left a dimension incomplete. Individual answers never reach Python; numpy arranges the
aggregates into arrays.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Integer, case, column, func, literal_column, select, text

from app.extensions import db
from app.models import Answer, Campaign, Department, Participant, Response, Role
from app.questionnaire import Questionnaire


@dataclass(frozen=True)
class DepartmentRow:
    id: int
    parent_id: int | None
    name: str
    position: int
    archived: bool


@dataclass(frozen=True)
class RoleRow:
    id: int
    key: str
    labels: dict[str, str]
    rank: int


@dataclass
class CampaignData:
    """What the computation needs from the database, as arrays and small mappings."""

    #: Submitted responses, sorted by id, with their department and role ids.
    response_ids: NDArray[np.int64]
    department_ids: NDArray[np.int64]
    role_ids: NDArray[np.int64]
    #: Per dimension, aligned with ``response_ids``: sum of weight x (recoded) value, sum of
    #: weights, number of answered items, and the unweighted sum of recoded values.
    weighted_totals: dict[str, NDArray[np.float64]]
    weight_totals: dict[str, NDArray[np.float64]]
    answered: dict[str, NDArray[np.int64]]
    plain_totals: dict[str, NDArray[np.float64]]
    #: The (department id, role id) pairs of the submitted responses, and per pair the number
    #: of answers per item (questionnaire order) and scale point (ascending):
    #: ``cell_counts[cell, item, point]``. "Not applicable" is not counted.
    cells: list[tuple[int, int]]
    cell_counts: NDArray[np.int64]
    #: Per dimension, per item: (count, sum, sum of squares) of recoded answers given by the
    #: respondents who did *not* answer every item of that dimension.
    incomplete_item_sums: dict[str, dict[str, tuple[int, float, float]]]
    departments: list[DepartmentRow]
    roles: list[RoleRow]
    #: ``{(department id, role id): {status: count}}`` of invitations not revoked.
    invitations: dict[tuple[int, int], dict[str, int]] = field(default_factory=dict)
    #: ``{(department id, role id): count}`` of submitted responses collected without a link.
    imported: dict[tuple[int, int], int] = field(default_factory=dict)


def _rows(query: Any) -> list[tuple[Any, ...]]:
    """Run a Core query on the session's connection and return plain tuples.

    Going through the connection rather than ``Session.execute`` skips the ORM result layer.
    """
    return [tuple(row) for row in db.session.connection().execute(query).all()]


def _submitted(campaign_id: int) -> list[ColumnElement[bool]]:
    return [Response.campaign_id == campaign_id, Response.status == "submitted"]


class _Coding:
    """SQL expressions for an item's dimension, weight and reverse-coded value.

    Only answers on the scale count (``in_scale``): "not applicable" has no value, and a value
    off the scale cannot come from the app.
    """

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questionnaire = questionnaire
        self.item_ids = [item.id for item in questionnaire.items]
        self.dimension_ids = [d.id for d in questionnaire.dimensions]
        scale = questionnaire.scale
        self.minimum = scale.min
        self.points = scale.max - scale.min + 1
        self.in_scale = Answer.value.between(scale.min, scale.max)
        reverse = [item.id for item in questionnaire.items if item.reverse]
        value: ColumnElement[Any] = Answer.value
        if reverse:
            value = case(
                (Answer.item_id.in_(reverse), scale.min + scale.max - Answer.value),
                else_=Answer.value,
            )
        self.value = value
        weights = {item.id: float(item.weight) for item in questionnaire.items}
        self.weighted = set(weights.values()) != {1.0}
        self.weight: ColumnElement[Any] = case(weights, value=Answer.item_id)
        self.dimension_index: ColumnElement[Any] = case(
            {
                item.id: index
                for index, dimension in enumerate(questionnaire.dimensions)
                for item in dimension.items
            },
            value=Answer.item_id,
        )


def load_campaign_data(campaign: Campaign, questionnaire: Questionnaire) -> CampaignData:
    """Load the sums and counts of a campaign's submitted responses."""
    coding = _Coding(questionnaire)
    if db.session.get_bind().dialect.name == "postgresql":
        # The per-respondent sums hash some 100,000 groups for 20,000 respondents (~20 MB);
        # with the default 4 MB of work memory PostgreSQL spills them to disk. LOCAL: for
        # this transaction only.
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
    responses = _rows(
        select(Response.id, Response.department_id, Response.role_id)
        .where(*_submitted(campaign.id))
        .order_by(Response.id)
    )
    table = np.array(responses, dtype=np.int64).reshape(-1, 3)
    response_ids = np.ascontiguousarray(table[:, 0])
    department_ids = np.ascontiguousarray(table[:, 1])
    role_ids = np.ascontiguousarray(table[:, 2])
    sums = _respondent_sums(campaign.id, coding, response_ids)
    cells, cell_counts = _cell_counts(campaign.id, coding, department_ids, role_ids)
    masks = _incomplete_masks(questionnaire, sums[2])
    incomplete = _incomplete_item_sums(coding, response_ids, masks)
    invitations, imported = _participation(campaign.id)
    return CampaignData(
        response_ids=response_ids,
        department_ids=department_ids,
        role_ids=role_ids,
        weighted_totals=sums[0],
        weight_totals=sums[1],
        answered=sums[2],
        plain_totals=sums[3],
        cells=cells,
        cell_counts=cell_counts,
        incomplete_item_sums=incomplete,
        departments=load_departments(campaign.organization_id),
        roles=load_roles(campaign.organization_id),
        invitations=invitations,
        imported=imported,
    )


def _respondent_sums(
    campaign_id: int, coding: _Coding, response_ids: NDArray[np.int64]
) -> tuple[
    dict[str, NDArray[np.float64]],
    dict[str, NDArray[np.float64]],
    dict[str, NDArray[np.int64]],
    dict[str, NDArray[np.float64]],
]:
    """Per response and dimension: weighted sum, sum of weights, answers, plain sum."""
    dimension = coding.dimension_index.label("dimension")
    if coding.weighted:
        weighted_total = func.sum(coding.weight * coding.value)
        weight_total = func.sum(coding.weight)
    else:
        weighted_total = func.sum(coding.value)
        weight_total = func.count(Answer.value)
    query = (
        select(
            Answer.response_id,
            dimension,
            weighted_total,
            weight_total,
            func.count(Answer.value),
            func.sum(coding.value),
        )
        .join(Response, Response.id == Answer.response_id)
        .where(*_submitted(campaign_id))
        .where(coding.in_scale, Answer.item_id.in_(coding.item_ids))
        # By position: the CASE would otherwise be rendered twice with different bind
        # parameters, which PostgreSQL does not recognise as the same expression.
        .group_by(Answer.response_id, literal_column("2"))
    )
    rows = _rows(query)
    n = len(response_ids)
    dimensions = coding.dimension_ids
    weighted = {d: np.zeros(n) for d in dimensions}
    weights = {d: np.zeros(n) for d in dimensions}
    answered = {d: np.zeros(n, dtype=np.int64) for d in dimensions}
    plain = {d: np.zeros(n) for d in dimensions}
    if rows:
        found = np.array(rows, dtype=np.float64)
        positions = np.searchsorted(response_ids, found[:, 0].astype(np.int64))
        for index, dimension_id in enumerate(dimensions):
            selected = found[:, 1] == index
            at = positions[selected]
            weighted[dimension_id][at] = found[selected, 2]
            weights[dimension_id][at] = found[selected, 3]
            answered[dimension_id][at] = found[selected, 4].astype(np.int64)
            plain[dimension_id][at] = found[selected, 5]
    return weighted, weights, answered, plain


def _incomplete_masks(
    questionnaire: Questionnaire, answered: dict[str, NDArray[np.int64]]
) -> NDArray[np.int64]:
    """Per respondent, a bit per dimension they answered some but not all items of."""
    masks = np.zeros(len(next(iter(answered.values()), [])), dtype=np.int64)
    for index, dimension in enumerate(questionnaire.dimensions):
        count = answered[dimension.id]
        masks |= ((count > 0) & (count < len(dimension.items))).astype(np.int64) << index
    return masks


def _cell_counts(
    campaign_id: int,
    coding: _Coding,
    department_ids: NDArray[np.int64],
    role_ids: NDArray[np.int64],
) -> tuple[list[tuple[int, int]], NDArray[np.int64]]:
    """Answer counts per (department, role) cell, item and scale point, from one GROUP BY.

    Cells are the department and role pairs of the submitted responses, in ascending order;
    items in questionnaire order; points from the scale's lowest. "Not applicable" is not
    counted.
    """
    n_items = len(coding.item_ids)
    if len(department_ids) == 0:
        return [], np.zeros((0, n_items, coding.points), dtype=np.int64)
    keys = np.unique(np.stack([department_ids, role_ids], axis=1), axis=0)
    cells = [(int(department), int(role)) for department, role in keys.tolist()]
    # Grouped by the item's id as stored (no expression to evaluate per answer); the few
    # thousand rows are placed into the array by position afterwards.
    query = (
        select(Response.department_id, Response.role_id, Answer.item_id, Answer.value, func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(*_submitted(campaign_id))
        .where(coding.in_scale, Answer.item_id.in_(coding.item_ids))
        .group_by(Response.department_id, Response.role_id, Answer.item_id, Answer.value)
    )
    counts = np.zeros((len(cells), n_items, coding.points), dtype=np.int64)
    rows = _rows(query)
    if rows:
        cell_at = {cell: index for index, cell in enumerate(cells)}
        item_at = {item_id: index for index, item_id in enumerate(coding.item_ids)}
        at = np.array(
            [(cell_at[(row[0], row[1])], item_at[row[2]], row[3], row[4]) for row in rows],
            dtype=np.int64,
        )
        counts[at[:, 0], at[:, 1], at[:, 2] - coding.minimum] = at[:, 3]
    return cells, counts


def _incomplete_item_sums(
    coding: _Coding, response_ids: NDArray[np.int64], masks: NDArray[np.int64]
) -> dict[str, dict[str, tuple[int, float, float]]]:
    """Item sums of the respondents who left a dimension incomplete, per dimension.

    Cronbach's alpha uses only respondents who answered every item of a dimension; their item
    sums are the campaign's (from the cell counts) minus these. One query joins the answers to
    the list of incomplete respondents, each with its mask of incomplete dimensions, and
    groups by item and mask: a few hundred rows whatever the campaign's size.
    """
    dimensions = coding.questionnaire.dimensions
    result: dict[str, dict[str, tuple[int, float, float]]] = {d.id: {} for d in dimensions}
    incomplete = np.nonzero(masks)[0]
    if incomplete.size == 0:
        return result
    # Whole numbers computed here, written into the SQL text: a VALUES list of thousands of
    # rows costs far more as bind parameters. Both databases name its columns column1...
    listed = ", ".join(f"({int(response_ids[i])}, {int(masks[i])})" for i in incomplete.tolist())
    pattern = (
        text(f"VALUES {listed}")
        .columns(column("column1", Integer), column("column2", Integer))
        .cte("incomplete")
    )
    query = (
        select(
            Answer.item_id,
            pattern.c.column2,
            func.count(Answer.value),
            func.sum(coding.value),
            func.sum(coding.value * coding.value),
        )
        .join(pattern, pattern.c.column1 == Answer.response_id)
        .where(coding.in_scale, Answer.item_id.in_(coding.item_ids))
        .group_by(Answer.item_id, pattern.c.column2)
    )
    dimension_of = {
        item.id: index for index, dimension in enumerate(dimensions) for item in dimension.items
    }
    for item_id, mask, n, total, total_sq in _rows(query):
        index = dimension_of[item_id]
        if not int(mask) >> index & 1:
            continue
        totals = result[dimensions[index].id]
        before = totals.get(item_id, (0, 0.0, 0.0))
        totals[item_id] = (
            before[0] + int(n),
            before[1] + float(total or 0),
            before[2] + float(total_sq or 0),
        )
    return result


def _participation(
    campaign_id: int,
) -> tuple[dict[tuple[int, int], dict[str, int]], dict[tuple[int, int], int]]:
    invitations: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    query = (
        select(Participant.department_id, Participant.role_id, Participant.status, func.count())
        .where(Participant.campaign_id == campaign_id, Participant.revoked_at.is_(None))
        .group_by(Participant.department_id, Participant.role_id, Participant.status)
    )
    for department_id, role_id, status, count in db.session.execute(query):
        invitations[(department_id, role_id)][status] = int(count)
    imported: dict[tuple[int, int], int] = {}
    query = (
        select(Response.department_id, Response.role_id, func.count())
        .where(*_submitted(campaign_id), Response.participant_id.is_(None))
        .group_by(Response.department_id, Response.role_id)
    )
    for department_id, role_id, count in db.session.execute(query):
        imported[(department_id, role_id)] = int(count)
    return dict(invitations), imported


def load_departments(organization_id: int) -> list[DepartmentRow]:
    """The organisation's departments, in display order."""
    rows = db.session.execute(
        select(
            Department.id,
            Department.parent_id,
            Department.name,
            Department.position,
            Department.archived,
        )
        .where(Department.organization_id == organization_id)
        .order_by(Department.position, Department.id)
    )
    return [DepartmentRow(*row) for row in rows]


def load_roles(organization_id: int) -> list[RoleRow]:
    """The organisation's roles, from the top of the hierarchy down."""
    rows = db.session.execute(
        select(Role.id, Role.key, Role.labels, Role.rank)
        .where(Role.organization_id == organization_id)
        .order_by(Role.rank, Role.id)
    )
    return [RoleRow(row[0], row[1], dict(row[2] or {}), row[3]) for row in rows]


def data_version(campaign: Campaign) -> tuple[Any, ...]:
    """A value that changes whenever anything the results depend on changes.

    The campaign's own settings, the organisation's departments and roles, the invitation
    counts and, of its submitted responses, how many there are, which ones (the sum of
    their ids), their latest change and submission times and the sum of their revisions.
    Every write to an answer raises its response's revision (database triggers, see
    :mod:`app.models.response`), so no answer is read: a few milliseconds whatever the
    campaign's size.
    """
    response_row = db.session.execute(
        select(
            func.count(Response.id),
            func.sum(Response.id),
            func.sum(Response.revision),
            func.max(Response.updated_at),
            func.max(Response.submitted_at),
        ).where(*_submitted(campaign.id))
    ).one()
    structure = (
        tuple(
            (d.id, d.parent_id, d.name, d.position, d.archived)
            for d in load_departments(campaign.organization_id)
        ),
        tuple(
            (r.id, r.key, tuple(sorted(r.labels.items())), r.rank)
            for r in load_roles(campaign.organization_id)
        ),
    )
    participation = db.session.execute(
        select(Participant.status, func.count(), func.max(Participant.last_activity_at))
        .where(Participant.campaign_id == campaign.id, Participant.revoked_at.is_(None))
        .group_by(Participant.status)
        .order_by(Participant.status)
    ).all()
    settings = (
        campaign.id,
        campaign.created_at,
        campaign.status,
        campaign.name,
        campaign.anonymity_threshold,
        campaign.questionnaire_hash,
        campaign.previous_campaign_id,
        tuple(sorted((str(k), str(v)) for k, v in (campaign.targets or {}).items())),
    )
    return (
        settings,
        tuple(response_row),
        structure,
        tuple(tuple(row) for row in participation),
    )
