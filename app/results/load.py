"""Set-based loading of a campaign's answers: two GROUP BY passes, never answer objects.

The database returns, per submitted response and dimension, the sums the scores are made of
(reverse coding and weights applied inside the SQL sum); and per department, role, item and
scale point the number of answers, with how many of them come from respondents who left the
item's dimension incomplete (Cronbach's alpha uses the others). Individual answers never reach
Python; numpy arranges the aggregates into arrays.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    String,
    case,
    column,
    func,
    select,
    table,
    text,
    values,
)

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
    #: Per item and scale point, the answers of the respondents who answered every item of
    #: the item's dimension: ``complete_counts[item, point]``.
    complete_counts: NDArray[np.int64]
    departments: list[DepartmentRow]
    roles: list[RoleRow]
    #: ``{(department id, role id): {status: count}}`` of invitations not revoked.
    invitations: dict[tuple[int, int], dict[str, int]] = field(default_factory=dict)
    #: ``{(department id, role id): count}`` of submitted responses collected without a link.
    imported: dict[tuple[int, int], int] = field(default_factory=dict)


def _rows(query: Any) -> list[tuple[Any, ...]]:
    """Run a Core query on the session's connection and return the driver's own tuples.

    These queries return only whole numbers, sums and item ids, which need none of
    SQLAlchemy's per-row processing: the rows are fetched from the DBAPI cursor directly.
    """
    result = db.session.connection().execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _submitted(campaign_id: int) -> list[ColumnElement[bool]]:
    return [Response.campaign_id == campaign_id, Response.status == "submitted"]


class _Coding:
    """How the SQL reads a questionnaire's items: dimension, reverse coding and weight.

    Only answers with a value count ("not applicable" and open text have none). The app
    stores only values on the scale; ``strict`` also filters on the scale and on the
    questionnaire's items, for a database written to by something else.
    """

    def __init__(self, questionnaire: Questionnaire, strict: bool = False) -> None:
        self.questionnaire = questionnaire
        self.item_ids = [item.id for item in questionnaire.items]
        self.dimension_ids = [d.id for d in questionnaire.dimensions]
        scale = questionnaire.scale
        self.minimum = scale.min
        self.maximum = scale.max
        self.points = scale.max - scale.min + 1
        self.filters: list[ColumnElement[bool]] = [Answer.value.is_not(None)]
        if strict:
            self.filters = [
                Answer.value.between(scale.min, scale.max),
                Answer.item_id.in_(self.item_ids),
            ]
        #: (item id, dimension index, 1 if reverse-coded, weight) of every scale item.
        self.items = [
            (item.id, index, int(item.reverse), float(item.weight))
            for index, dimension in enumerate(questionnaire.dimensions)
            for item in dimension.items
        ]
        self.reversed = any(row[2] for row in self.items)
        self.weighted = {row[3] for row in self.items} != {1.0}

    def value(self, items: Any) -> ColumnElement[Any]:
        """The answer's value, reverse-coded where its item (joined as ``items``) says so."""
        if not self.reversed:
            return Answer.value
        return case(
            (items.c.reverse == 1, self.minimum + self.maximum - Answer.value),
            else_=Answer.value,
        )


@contextlib.contextmanager
def _items_table(coding: _Coding) -> Iterator[Any]:
    """The questionnaire's items as a table to join answers to (by ``item_id``).

    Joining a 40-row table costs the database less per answer than a CASE of 40 branches
    on the item id. PostgreSQL hashes a VALUES list; SQLite gets a keyed temporary table.
    """
    columns = [
        column("item_id", String),
        column("dimension", Integer),
        column("reverse", Integer),
        column("weight", Float),
    ]
    if db.session.get_bind().dialect.name != "sqlite":
        yield values(*columns, name="questionnaire_items").data(coding.items)
        return
    with _sqlite_keyed_table("cx_questionnaire_items", columns, coding.items) as keyed:
        yield keyed


@contextlib.contextmanager
def _sqlite_keyed_table(name: str, columns: list[Any], rows: list[Any]) -> Iterator[Any]:
    """``rows`` as a temporary SQLite table keyed by its first column, dropped afterwards.

    SQLite scans a VALUES list once for every row joined to it; a keyed table is one lookup.
    Temporary tables live in SQLite's separate temporary database: no lock on the data.
    """
    sql_types = {String: "TEXT", Integer: "INTEGER", BigInteger: "INTEGER", Float: "REAL"}
    definitions = [f"{c.name} {sql_types[type(c.type)]} NOT NULL" for c in columns]
    definitions[0] += " PRIMARY KEY"
    placeholders = ", ".join("?" for _ in columns)
    connection = db.session.connection()
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
    connection.exec_driver_sql(f"CREATE TEMP TABLE {name} ({', '.join(definitions)}) WITHOUT ROWID")
    try:
        connection.exec_driver_sql(
            f"INSERT INTO temp.{name} VALUES ({placeholders})",  # noqa: S608
            [tuple(row) for row in rows],
        )
        yield table(name, *columns)
    finally:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")


_codings: dict[tuple[str, bool], _Coding] = {}


def _coding(questionnaire: Questionnaire, strict: bool) -> _Coding:
    """The questionnaire's SQL expressions, built once per process and content."""
    key = (questionnaire.content_hash, strict)
    coding = _codings.get(key)
    if coding is None:
        if len(_codings) >= 64:
            _codings.clear()
        coding = _codings[key] = _Coding(questionnaire, strict)
    return coding


def load_campaign_data(campaign: Campaign, questionnaire: Questionnaire) -> CampaignData:
    """Load the sums and counts of a campaign's submitted responses.

    Two passes over the answers: per response and dimension, then per (department, role)
    cell, item and scale point. The queries rely on the app storing only values on the scale
    and items of the questionnaire; the second pass sees every stored value and item, and
    should it find a value off the scale, both passes run again with the values filtered.
    """
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
    loaded = None
    for strict in (False, True):
        coding = _coding(questionnaire, strict)
        sums = _respondent_sums(campaign.id, coding, response_ids)
        masks = _incomplete_masks(questionnaire, sums[2])
        loaded = _cell_counts(campaign.id, coding, response_ids, masks, department_ids, role_ids)
        if loaded is not None:
            break
    assert loaded is not None  # the strict pass never finds a value off the scale
    cells, cell_counts, complete_counts = loaded
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
        complete_counts=complete_counts,
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
    """Per response and dimension: weighted sum, sum of weights, answers, plain sum.

    Unweighted questionnaires need only the plain sum and the number of answers: the weighted
    sum is the plain one and the sum of weights the number of answers.
    """
    with _items_table(coding) as items:
        value = coding.value(items)
        columns: list[ColumnElement[Any]] = [func.sum(value), func.count(Answer.value)]
        if coding.weighted:
            columns += [func.sum(items.c.weight * value), func.sum(items.c.weight)]
        query = (
            select(Answer.response_id, items.c.dimension, *columns)
            .select_from(Response)
            .join(Answer, Answer.response_id == Response.id)
            .join(items, items.c.item_id == Answer.item_id)
            .where(*_submitted(campaign_id), *coding.filters)
            .group_by(Answer.response_id, items.c.dimension)
        )
        rows = _rows(query)
    n = len(response_ids)
    dimensions = coding.dimension_ids
    plain = {d: np.zeros(n) for d in dimensions}
    answered = {d: np.zeros(n, dtype=np.int64) for d in dimensions}
    weighted = {d: np.zeros(n) for d in dimensions}
    weights = {d: np.zeros(n) for d in dimensions}
    if rows:
        width = len(rows[0])
        # Every group has at least one value, so no sum is NULL.
        found = np.array(rows, dtype=np.float64).reshape(-1, width)
        positions = np.searchsorted(response_ids, found[:, 0].astype(np.int64))
        dimension_of = found[:, 1].astype(np.int64)
        for index, dimension_id in enumerate(dimensions):
            selected = dimension_of == index
            at = positions[selected]
            plain[dimension_id][at] = found[selected, 2]
            answered[dimension_id][at] = found[selected, 3].astype(np.int64)
            weighted[dimension_id][at] = found[selected, 4 if coding.weighted else 2]
            weights[dimension_id][at] = found[selected, 5 if coding.weighted else 3]
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


def _packed_flags(
    masks: NDArray[np.int64], n_dimensions: int
) -> tuple[int, list[list[int]], NDArray[np.int64]]:
    """Each respondent's incomplete-dimension flags packed into a few summable integers.

    Dimension d's flag sits in a field of ``width`` bits of one of the integers; summing the
    integers of any set of respondents sums every field separately, because no field can
    count beyond the number of respondents (``width`` is that number's bit length) and the
    fields of an integer fill at most 63 bits. Returns the width, the dimensions of each
    integer, and the integers (respondents x integers).
    """
    width = max(1, len(masks).bit_length())
    per_column = max(1, 63 // width)
    groups = [
        list(range(start, min(start + per_column, n_dimensions)))
        for start in range(0, n_dimensions, per_column)
    ]
    packed = np.zeros((len(masks), len(groups)), dtype=np.int64)
    for column_index, dimensions in enumerate(groups):
        for position, dimension in enumerate(dimensions):
            packed[:, column_index] |= ((masks >> dimension) & 1) << (position * width)
    return width, groups, packed


def _cell_counts(
    campaign_id: int,
    coding: _Coding,
    response_ids: NDArray[np.int64],
    masks: NDArray[np.int64],
    department_ids: NDArray[np.int64],
    role_ids: NDArray[np.int64],
) -> tuple[list[tuple[int, int]], NDArray[np.int64], NDArray[np.int64]] | None:
    """Answer counts per (department, role) cell, item and scale point, from one GROUP BY.

    Returns the cells (the department and role pairs of the submitted responses, ascending),
    ``counts[cell, item, point]`` and ``complete[item, point]``, the answers of the
    respondents who answered every item of the item's dimension (what Cronbach's alpha is
    computed from). Items are in questionnaire order, points from the scale's lowest; "not
    applicable" is not counted. ``None`` when a value off the scale was found and the coding
    does not filter them.

    The incomplete respondents come from the same GROUP BY: a small table of them, joined
    once per response, carries their flags packed into summable integers
    (:func:`_packed_flags`), so each group also sums, per dimension, the answers of the
    respondents who left that dimension incomplete, at the price of an integer sum per answer.
    """
    n_items = len(coding.item_ids)
    n_dimensions = len(coding.dimension_ids)
    empty = np.zeros((0, n_items, coding.points), dtype=np.int64)
    if len(department_ids) == 0:
        return [], empty, np.zeros((n_items, coding.points), dtype=np.int64)
    keys = np.unique(np.stack([department_ids, role_ids], axis=1), axis=0)
    cells = [(int(department), int(role)) for department, role in keys.tolist()]
    incomplete = np.nonzero(masks)[0]
    width, groups, packed = _packed_flags(masks[incomplete], n_dimensions)
    with _flags_table(response_ids[incomplete], packed) as listed:
        query = select(
            Response.department_id, Response.role_id, Answer.item_id, Answer.value, func.count()
        )
        if listed is not None:
            # NULL for the respondents not listed, which SUM leaves out.
            query = query.add_columns(
                *(func.sum(listed.c[f"flags{index}"]) for index in range(len(groups)))
            ).outerjoin(listed, listed.c.response_id == Response.id)
        query = (
            query.join(Answer, Answer.response_id == Response.id)
            .where(*_submitted(campaign_id), *coding.filters)
            # Grouped by the item's id as stored (no expression to evaluate per answer); the
            # few thousand rows are placed into the arrays by position afterwards.
            .group_by(Response.department_id, Response.role_id, Answer.item_id, Answer.value)
        )
        rows = _rows(query)
    counts = np.zeros((len(cells), n_items, coding.points), dtype=np.int64)
    partial = np.zeros((n_items, coding.points), dtype=np.int64)
    if not rows:
        return cells, counts, counts.sum(axis=0) - partial
    columns = list(zip(*rows, strict=True))
    item_at = {item_id: index for index, item_id in enumerate(coding.item_ids)}
    items = np.array([item_at.get(item_id, -1) for item_id in columns[2]], dtype=np.int64)
    known = items >= 0  # the others are not scale items of the questionnaire
    points = np.array(columns[3], dtype=np.int64)[known] - coding.minimum
    if np.any((points < 0) | (points >= coding.points)):
        return None
    items = items[known]
    # Cells by their position among the sorted (department, role) pairs.
    base = int(keys[:, 1].max()) + 1
    codes = np.array(columns[0], dtype=np.int64)[known] * base
    codes += np.array(columns[1], dtype=np.int64)[known]
    at = np.searchsorted(keys[:, 0] * base + keys[:, 1], codes)
    counts[at, items, points] = np.array(columns[4], dtype=np.int64)[known]
    if listed is not None:
        # Each item's dimension flag: which summed integer holds it, and at which bit.
        column_of = np.zeros(n_items, dtype=np.int64)
        shift_of = np.zeros(n_items, dtype=np.int64)
        for index, dimension in enumerate(coding.questionnaire.dimensions):
            column_index = next(c for c, group in enumerate(groups) if index in group)
            for item in dimension.items:
                column_of[item_at[item.id]] = column_index
                shift_of[item_at[item.id]] = groups[column_index].index(index) * width
        sums = np.array(
            [[int(value or 0) for value in columns[5 + c]] for c in range(len(groups))],
            dtype=np.int64,
        )[:, known]
        flagged = (sums[column_of[items], np.arange(len(items))] >> shift_of[items]) & (
            (1 << width) - 1
        )
        np.add.at(partial, (items, points), flagged)
    return cells, counts, counts.sum(axis=0) - partial


@contextlib.contextmanager
def _flags_table(response_ids: NDArray[np.int64], packed: NDArray[np.int64]) -> Iterator[Any]:
    """The incomplete respondents and their packed flags, to join: ``None`` if there are none.

    Columns ``response_id`` and ``flags0``, ``flags1``... PostgreSQL joins a VALUES list by
    hashing it; SQLite gets a keyed temporary table.
    """
    if len(response_ids) == 0:
        yield None
        return
    names = ["response_id"] + [f"flags{index}" for index in range(packed.shape[1])]
    columns = [column(name, BigInteger) for name in names]
    rows = np.column_stack([response_ids, packed]).tolist()
    if db.session.get_bind().dialect.name != "sqlite":
        # Whole numbers computed here, written into the SQL text: a VALUES list of thousands
        # of rows costs far more as bind parameters.
        listed = ", ".join("(" + ", ".join(str(int(v)) for v in row) + ")" for row in rows)
        yield (
            text(f"SELECT * FROM (VALUES {listed}) AS listed ({', '.join(names)})")  # noqa: S608
            .columns(*columns)
            .cte("incomplete_flags")
        )
        return
    with _sqlite_keyed_table("cx_incomplete_flags", columns, rows) as keyed:
        yield keyed


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
