"""Set-based loading of a campaign's answers: two GROUP BY passes, never answer objects.

The database returns, per submitted response and dimension, the sums the scores are made of
(reverse coding and weights applied inside the SQL sum); and per department, role, item and
scale point the number of answers, with how many of them come from respondents who left the
item's dimension incomplete (Cronbach's alpha uses the others). Individual answers never reach
Python; numpy arranges the aggregates into arrays.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    values,
)

from app.models import DEPARTMENT_ORDER, Answer, Campaign, Department, Participant, Response, Role
from app.platform.cache import BoundedCache
from app.platform.extensions import db
from app.platform.lazy import lazy_module
from app.questionnaire import Dimension, Questionnaire
from app.results.model import Participation
from app.results.participation import counted_participants, participation_by_cell

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from sqlalchemy import Select

#: Imported with the first computation: commands that compute nothing never load it.
np = lazy_module("numpy")


@dataclass(frozen=True)
class DepartmentRow:
    id: int
    parent_id: int | None
    name: str
    position: int
    archived: bool
    #: The name English outputs show; None: they show ``name`` as entered.
    name_en: str | None = None


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
    #: Invited, started and submitted per (department id, role id) cell.
    participation: dict[tuple[int, int], Participation] = field(default_factory=dict)
    #: "Don't know" and "not applicable" answers per (department id, role id, item id).
    unanswered: dict[tuple[int, int, str], tuple[int, int]] = field(default_factory=dict)


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


#: Bits of each packed per-response sum (see :class:`_Packing`): 32-bit integers, which
#: both databases sum exactly and PostgreSQL faster than 64-bit ones.
PACKED_BITS = 31


@dataclass(frozen=True)
class _Packing:
    """Where each dimension's sum and count sit in the integers pass 1 sums per response.

    An answer adds ``unit x (its recoded value - scale minimum) + count unit`` to one of a
    few integers: the units place each dimension's sum and count in their own bit fields,
    each as wide as the largest value it can reach for one respondent (every item answered at
    the top of the scale), so one SUM per integer carries every dimension's sum and count.
    ``fields[d]`` is (integer, sum shift, sum width, count shift, count width) of dimension d.
    """

    fields: tuple[tuple[int, int, int, int, int], ...]
    columns: int

    @classmethod
    def of(cls, questionnaire: Questionnaire, bits: int = PACKED_BITS) -> _Packing:
        return cls.of_dimensions(questionnaire.dimensions, questionnaire, bits)

    @classmethod
    def of_dimensions(
        cls, dimensions: Sequence[Dimension], questionnaire: Questionnaire, bits: int = PACKED_BITS
    ) -> _Packing:
        """The packing of ``dimensions`` scored on ``questionnaire``'s scale."""
        spread = questionnaire.scale.max - questionnaire.scale.min
        fields = []
        column_index, used = 0, 0
        for dimension in dimensions:
            k = len(dimension.items)
            sum_width = max(1, (k * spread).bit_length())
            count_width = k.bit_length()
            if sum_width + count_width > bits:
                raise ValueError(f"dimension {dimension.id!r} has too many items to sum")
            if used + sum_width + count_width > bits:
                column_index, used = column_index + 1, 0
            fields.append((column_index, used, sum_width, used + sum_width, count_width))
            used += sum_width + count_width
        return cls(tuple(fields), column_index + 1 if fields else 0)

    def units(self, dimension: int) -> list[int]:
        """An item of ``dimension``'s (unit, count unit) per integer, flattened."""
        column_index, sum_shift, _, count_shift, _ = self.fields[dimension]
        found = []
        for index in range(self.columns):
            inside = index == column_index
            found += [1 << sum_shift if inside else 0, 1 << count_shift if inside else 0]
        return found

    def unpack(
        self, totals: NDArray[np.int64], dimension: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """A dimension's (sums of recoded value - minimum, counts) from the summed integers."""
        column_index, sum_shift, sum_width, count_shift, count_width = self.fields[dimension]
        packed = totals[:, column_index]
        return (
            (packed >> sum_shift) & ((1 << sum_width) - 1),
            (packed >> count_shift) & ((1 << count_width) - 1),
        )


def _item_columns(packing: _Packing) -> list[Any]:
    # New column objects for every table made of them: a column belongs to one table.
    units = [
        column(f"{name}{index}", Integer)
        for index in range(packing.columns)
        for name in ("unit", "count_unit")
    ]
    return [
        column("item_id", String),
        column("dimension", Integer),
        column("reverse", Integer),
        column("weight", Float),
        column("code_offset", Integer),
        *units,
    ]


class _Coding:
    """How the SQL reads a questionnaire's items: position, dimension, reverse coding, weight.

    Only values on the scale count ("not applicable" and open text have none; the app stores
    no other, and one written by something else is left out), and only answers to the
    questionnaire's scale items (the joins to its items table leave the others out).
    """

    def __init__(
        self, questionnaire: Questionnaire, restrictions: Sequence[Questionnaire] = ()
    ) -> None:
        self.questionnaire = questionnaire
        self.item_ids = [item.id for item in questionnaire.items]
        self.dimension_ids = [d.id for d in questionnaire.dimensions]
        #: Restrictions of the questionnaire (the same items, fewer of them) whose
        #: per-respondent sums the same pass also makes: their dimensions follow the
        #: questionnaire's in the packing, and an item adds to every dimension holding it.
        self.restrictions = tuple(restrictions)
        scale = questionnaire.scale
        self.minimum = scale.min
        self.maximum = scale.max
        self.points = scale.max - scale.min + 1
        # Whole numbers of the questionnaire written into the SQL: PostgreSQL plans a
        # prepared statement's bound range blindly, and badly.
        self.filters: list[ColumnElement[bool]] = [
            Answer.value.between(_number(scale.min), _number(scale.max))
        ]
        #: Each scale item's position in questionnaire order.
        self.position = {item_id: index for index, item_id in enumerate(self.item_ids)}
        summed = [*questionnaire.dimensions]
        for restriction in self.restrictions:
            summed += restriction.dimensions
        self.packing = _Packing.of_dimensions(summed, questionnaire)
        #: Per item, the indexes of the summed dimensions holding it.
        holders: dict[str, list[int]] = {}
        for index, dimension in enumerate(summed):
            for item in dimension.items:
                holders.setdefault(item.id, []).append(index)
        #: (item id, dimension index, 1 if reverse-coded, weight, code offset, units...) of
        #: every scale item; ``code offset + value`` numbers the item's scale points from
        #: ``position x points`` on (see :func:`_sqlite_cell_rows`), the units place its
        #: answers in the packed sums (see :class:`_Packing`).
        self.items = [
            (
                item.id,
                index,
                int(item.reverse),
                float(item.weight),
                self.position[item.id] * self.points - self.minimum,
                *self._units(holders[item.id]),
            )
            for index, dimension in enumerate(questionnaire.dimensions)
            for item in dimension.items
        ]
        self.reversed = any(row[2] for row in self.items)
        self.weighted = {row[3] for row in self.items} != {1.0}
        self._values: Any = None

    def _units(self, dimensions: list[int]) -> list[int]:
        units = [0] * (2 * self.packing.columns)
        for dimension in dimensions:
            units = [a + b for a, b in zip(units, self.packing.units(dimension), strict=True)]
        return units

    def summed_dimensions(self) -> list[tuple[int, int, str]]:
        """(restriction number, 0 for the questionnaire itself; packed index; dimension id)
        of every dimension the per-respondent sums carry."""
        found = [(0, index, d) for index, d in enumerate(self.dimension_ids)]
        for number, restriction in enumerate(self.restrictions, start=1):
            for dimension in restriction.dimensions:
                found.append((number, len(found), dimension.id))
        return found

    def values(self, dialect: Any) -> Any:
        """The items as a VALUES list (for PostgreSQL), built once per process.

        Written as SQL text, which SQLAlchemy caches by its text: a VALUES construct is
        compiled afresh for every statement that uses it.
        """
        if self._values is None:
            columns = _item_columns(self.packing)
            listed = values(*columns, name="questionnaire_items", literal_binds=True)
            query = select(listed.data(self.items))
            sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            self._values = (
                text(sql).columns(*_item_columns(self.packing)).subquery("questionnaire_items")
            )
        return self._values

    def value(self, items: Any) -> ColumnElement[Any]:
        """The answer's value, reverse-coded where its item (joined as ``items``) says so."""
        if not self.reversed:
            return Answer.value
        return case(
            (items.c.reverse == 1, _number(self.minimum + self.maximum) - Answer.value),
            else_=Answer.value,
        )

    def above_minimum(self, items: Any) -> ColumnElement[Any]:
        """The answer's recoded value minus the scale's minimum: from 0 up."""
        if not self.reversed:
            return Answer.value - _number(self.minimum)
        return case(
            (items.c.reverse == 1, _number(self.maximum) - Answer.value),
            else_=Answer.value - _number(self.minimum),
        )


def _number(value: int) -> ColumnElement[Any]:
    """A whole number written into the SQL text rather than bound."""
    return literal_column(str(int(value)), Integer)


def _is_sqlite() -> bool:
    return bool(db.session.get_bind().dialect.name == "sqlite")


@contextlib.contextmanager
def _items_table(coding: _Coding) -> Iterator[Any]:
    """The questionnaire's items as a table to join answers to (by ``item_id``).

    Joining a small table costs the database less per answer than a CASE over the item ids.
    PostgreSQL hashes a VALUES list; SQLite gets a keyed temporary table.
    """
    if not _is_sqlite():
        yield coding.values(db.session.get_bind().dialect)
        return
    columns = _item_columns(coding.packing)
    with _sqlite_keyed_table("cx_questionnaire_items", columns, coding.items) as keyed:
        yield keyed


@contextlib.contextmanager
def _sqlite_keyed_table(
    name: str, columns: list[Any], rows: list[Any], key_columns: int = 1
) -> Iterator[Any]:
    """``rows`` as a temporary SQLite table keyed by its first columns, dropped afterwards.

    SQLite scans a VALUES list once for every row joined to it; a keyed table is one lookup.
    Temporary tables live in SQLite's separate temporary database: no lock on the data.
    """
    sql_types = {String: "TEXT", Integer: "INTEGER", BigInteger: "INTEGER", Float: "REAL"}
    definitions = [f"{c.name} {sql_types[type(c.type)]} NOT NULL" for c in columns]
    key = ", ".join(c.name for c in columns[:key_columns])
    placeholders = ", ".join("?" for _ in columns)
    connection = db.session.connection()
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
    connection.exec_driver_sql(
        f"CREATE TEMP TABLE {name} ({', '.join(definitions)}, PRIMARY KEY ({key})) WITHOUT ROWID"
    )
    try:
        connection.exec_driver_sql(
            f"INSERT INTO temp.{name} VALUES ({placeholders})",  # noqa: S608
            [tuple(row) for row in rows],
        )
        yield table(name, *columns)
    finally:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")


_codings: BoundedCache[str, _Coding] = BoundedCache(64)


def _coding(questionnaire: Questionnaire, restrictions: Sequence[Questionnaire] = ()) -> _Coding:
    """The questionnaire's SQL expressions, built once per process and content."""
    key = "|".join([questionnaire.content_hash, *(r.content_hash for r in restrictions)])
    return _codings.get_or_create(key, lambda: _Coding(questionnaire, restrictions))


def _summable(questionnaire: Questionnaire, restriction: Questionnaire) -> bool:
    """Whether ``restriction`` keeps some of ``questionnaire``'s items, as they are: its sums
    can then be made in the same pass (not for weighted items, summed apart)."""
    items = {item.id: item for item in questionnaire.items}
    return all(
        items.get(item.id) == item and item.weight == 1.0 for item in restriction.items
    ) and all(item.weight == 1.0 for item in questionnaire.items)


def load_campaign_data(
    campaign: Campaign,
    questionnaire: Questionnaire,
    restrictions: Sequence[Questionnaire] = (),
) -> CampaignData:
    """Load the sums and counts of a campaign's submitted responses.

    Two passes over the answers: per submitted response (its department and role, and a sum
    and a count per dimension), then per (department, role) cell, item and scale point.
    The data over each of ``restrictions`` (restrictions of ``questionnaire`` to fewer of its
    items) are made at the same time: see :func:`restricted_data`.
    """
    data, _restricted = load_campaign_data_with(campaign, questionnaire, restrictions)
    return data


def load_campaign_data_with(
    campaign: Campaign,
    questionnaire: Questionnaire,
    restrictions: Sequence[Questionnaire] = (),
) -> tuple[CampaignData, list[CampaignData]]:
    """The data of ``campaign`` over ``questionnaire`` and over each of ``restrictions``
    (see :func:`load_campaign_data`)."""
    if db.session.get_bind().dialect.name == "postgresql":
        # The per-respondent sums hash some 20,000 groups for 20,000 respondents; with the
        # default 4 MB of work memory PostgreSQL may spill them to disk. LOCAL: for this
        # transaction only.
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
    summable = [_summable(questionnaire, r) for r in restrictions]
    together = [r for r, fits in zip(restrictions, summable, strict=True) if fits]
    coding = _coding(questionnaire)
    summing = _coding(questionnaire, together) if together else coding
    with _items_table(summing) as items:
        response_ids, department_ids, role_ids, all_sums = _respondent_sums(
            campaign.id, summing, items
        )
    sums = all_sums[0]
    with _items_table(coding) as items:
        incomplete = _incomplete_flags(questionnaire, sums[2])
        cells, cell_counts, complete_counts, unanswered = _cell_counts(
            campaign.id, coding, items, response_ids, incomplete, department_ids, role_ids
        )
    data = CampaignData(
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
        participation=participation_by_cell(campaign),
        unanswered=load_unanswered(campaign.id) if unanswered is None else unanswered,
    )
    restricted = []
    summed = iter(all_sums[1:])
    for restriction, fits in zip(restrictions, summable, strict=True):
        if fits:
            restricted.append(restricted_data(restriction, data, questionnaire, next(summed)))
        else:
            restricted.append(load_restricted_data(campaign, restriction, data, questionnaire))
    return data, restricted


def restricted_data(
    restricted: Questionnaire,
    full: CampaignData,
    questionnaire: Questionnaire,
    sums: _Sums,
) -> CampaignData:
    """The data over ``restricted`` (a restriction of ``questionnaire``) from ``full``, the
    data over ``questionnaire``, and ``sums``, the per-respondent sums over ``restricted``
    of the same respondents.

    The answer counts per cell, item and point and the "don't know" and "not applicable"
    counts are those of ``full`` for the items kept; the complete-respondent counts (what
    Cronbach's alpha reads) stay those of the full dimensions.
    """
    position = _coding(questionnaire).position
    kept = [position[item.id] for item in restricted.items]
    item_ids = {item.id for item in restricted.items}
    return CampaignData(
        response_ids=full.response_ids,
        department_ids=full.department_ids,
        role_ids=full.role_ids,
        weighted_totals=sums[0],
        weight_totals=sums[1],
        answered=sums[2],
        plain_totals=sums[3],
        cells=full.cells,
        cell_counts=np.ascontiguousarray(full.cell_counts[:, kept, :]),
        complete_counts=np.ascontiguousarray(full.complete_counts[kept, :]),
        departments=full.departments,
        roles=full.roles,
        participation=full.participation,
        unanswered={key: value for key, value in full.unanswered.items() if key[2] in item_ids},
    )


def load_restricted_data(
    campaign: Campaign,
    restricted: Questionnaire,
    full: CampaignData,
    questionnaire: Questionnaire,
) -> CampaignData:
    """The data of ``campaign`` scored over ``restricted`` (a restriction of
    ``questionnaire`` to some of its items), given ``full``, its data over ``questionnaire``.

    Only the per-respondent sums are read again: the answer counts per cell, item and point
    and the "don't know" and "not applicable" counts are those of ``full`` for the items kept.
    The complete-respondent counts (what Cronbach's alpha reads) stay those of the full
    dimensions. Loaded afresh, whole, when a response was submitted since ``full`` was read.
    """
    coding = _coding(restricted)
    with _items_table(coding) as items:
        response_ids, _departments, _roles, sums = _respondent_sums(campaign.id, coding, items)
    position = _coding(questionnaire).position
    if not np.array_equal(response_ids, full.response_ids) or any(
        item.id not in position for item in restricted.items
    ):
        return load_campaign_data(campaign, restricted)
    return restricted_data(restricted, full, questionnaire, sums[0])


def open_text_query(campaign_id: int, question_ids: list[str]) -> Select[Any]:
    """The free-text answers of a campaign's submitted responses to ``question_ids``, as
    (question id, text, department id, role id) rows; callers narrow and order it."""
    return (
        select(Answer.item_id, Answer.text, Response.department_id, Response.role_id)
        .join(Response, Response.id == Answer.response_id)
        .where(*_submitted(campaign_id))
        .where(Answer.text.is_not(None), Answer.item_id.in_(question_ids))
    )


def load_unanswered(campaign_id: int) -> dict[tuple[int, int, str], tuple[int, int]]:
    """The "don't know" and "not applicable" answers of submitted responses, per
    (department id, role id, item id)."""
    query = (
        select(
            Response.department_id,
            Response.role_id,
            Answer.item_id,
            func.sum(case((Answer.dont_know, 1), else_=0)),
            func.sum(case((Answer.not_applicable, 1), else_=0)),
        )
        .join(Answer, Answer.response_id == Response.id)
        .where(*_submitted(campaign_id), or_(Answer.dont_know, Answer.not_applicable))
        .group_by(Response.department_id, Response.role_id, Answer.item_id)
    )
    return {
        (int(department), int(role), str(item)): (int(dont_know or 0), int(na or 0))
        for department, role, item, dont_know, na in _rows(query)
    }


def cell_pairs(
    department_ids: NDArray[np.int64], role_ids: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The distinct (department id, role id) pairs, ascending, as rows of a two-column array,
    with how many respondents each holds.

    Sorted as one integer per pair: ``np.unique`` over rows sorts a structured view, some ten
    times slower at 100,000 respondents.
    """
    if len(department_ids) == 0:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    departments = np.asarray(department_ids, dtype=np.int64)
    roles = np.asarray(role_ids, dtype=np.int64)
    low = int(roles.min())
    base = int(roles.max()) - low + 1
    codes, counts = np.unique(departments * base + (roles - low), return_counts=True)
    return np.stack([codes // base, codes % base + low], axis=1), counts


def _listed(
    found: NDArray[np.int64], listed: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Positions of ``found`` values in the sorted ``listed`` ones, and which are listed.

    A response submitted between two of the loading queries is not in the list the first
    one made; its rows are left out rather than given to another respondent or cell.
    """
    positions = np.searchsorted(listed, found)
    inside = positions < len(listed)
    inside[inside] = listed[positions[inside]] == found[inside]
    return np.where(inside, positions, 0), inside


if TYPE_CHECKING:
    #: Per dimension: weighted sums, sums of weights, numbers of answers and plain sums.
    _Sums = tuple[
        dict[str, NDArray[np.float64]],
        dict[str, NDArray[np.float64]],
        dict[str, NDArray[np.int64]],
        dict[str, NDArray[np.float64]],
    ]


def _respondent_sums(
    campaign_id: int, coding: _Coding, items: Any
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], list[_Sums]]:
    """Every submitted response (ascending ids) with its department and role, and per
    dimension its weighted sum, sum of weights, number of answers and plain sum: over the
    questionnaire, then over each of the coding's restrictions.

    One row per response, every dimension's sum and count in a few packed integer sums
    (:class:`_Packing`): grouped by the response alone, SQLite reads the answers in that order
    already and sorts nothing, and each answer adds to one or two sums instead of two per
    dimension. The answers are joined to the responses by outer joins, so a response with no
    answer on the scale is listed too. Unweighted questionnaires need only the plain sum and
    the number of answers: the weighted sum is the plain one and the sum of weights the
    number of answers.
    """
    # Every dimension's sum and count in a few packed integers (see _Packing), and for a
    # weighted questionnaire the weighted sums too.
    above = coding.above_minimum(items)
    columns: list[ColumnElement[Any]] = [
        func.sum(items.c[f"unit{index}"] * above + items.c[f"count_unit{index}"])
        for index in range(coding.packing.columns)
    ]
    if coding.weighted:
        value = coding.value(items)
        for index in range(len(coding.dimension_ids)):
            inside = items.c.dimension == _number(index)
            columns += [
                func.sum(items.c.weight * value).filter(inside),
                func.sum(items.c.weight).filter(inside),
            ]
    if _is_sqlite():
        query = (
            select(Response.id, Response.department_id, Response.role_id, *columns)
            .select_from(Response)
            .outerjoin(Answer, and_(Answer.response_id == Response.id, *coding.filters))
            # An answer to an item the questionnaire lacks finds no dimension: no filter
            # keeps it.
            .outerjoin(items, items.c.item_id == Answer.item_id)
            .where(*_submitted(campaign_id))
            .group_by(Response.id)
        )
        rows = _rows(query)
    else:
        rows = _server_respondent_rows(campaign_id, coding, items, columns)
    packed_columns = coding.packing.columns
    ordered = sorted(rows)
    ids = np.array([row[:3] for row in ordered], dtype=np.int64).reshape(len(rows), 3)
    response_ids, department_ids, role_ids = (np.ascontiguousarray(ids[:, i]) for i in range(3))
    # A response without answers on the scale sums to NULL: zero.
    packed = np.array(
        [[total or 0 for total in row[3 : 3 + packed_columns]] for row in ordered],
        dtype=np.int64,
    ).reshape(len(rows), packed_columns)
    found: list[_Sums] = [({}, {}, {}, {}) for _ in range(1 + len(coding.restrictions))]
    if coding.weighted:
        floats = np.array([row[3 + packed_columns :] for row in ordered], dtype=np.float64)
        floats = np.nan_to_num(floats.reshape(len(rows), 2 * len(coding.dimension_ids)))
    for number, index, dimension_id in coding.summed_dimensions():
        weighted, weights, answered, plain = found[number]
        shifted, count = coding.packing.unpack(packed, index)
        answered[dimension_id] = count
        plain[dimension_id] = (shifted + coding.minimum * count).astype(np.float64)
        if coding.weighted:
            # Weighted questionnaires are summed without restrictions (see _summable).
            weighted[dimension_id] = np.ascontiguousarray(floats[:, 2 * index])
            weights[dimension_id] = np.ascontiguousarray(floats[:, 2 * index + 1])
        else:
            weighted[dimension_id] = plain[dimension_id].copy()
            weights[dimension_id] = count.astype(np.float64)
    return response_ids, department_ids, role_ids, found


def _server_respondent_rows(
    campaign_id: int, coding: _Coding, items: Any, columns: list[ColumnElement[Any]]
) -> list[tuple[Any, ...]]:
    """PostgreSQL: the rows of :func:`_respondent_sums` from two queries, the submitted
    responses, then the sums of the answers of those that have some.

    Joined from the responses by an outer join, as SQLite is, PostgreSQL would hash the
    millions of answers (spilling them to disk) rather than the responses; joined by an inner
    join it hashes the responses and reads the answers once. A response with no answer on the
    scale gets no sums (NULL, as from the outer join), and sums of a response submitted
    between the two queries are left out.
    """
    listed = _rows(
        select(Response.id, Response.department_id, Response.role_id).where(
            *_submitted(campaign_id)
        )
    )
    summed = _rows(
        select(Answer.response_id, *columns)
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        # An answer to an item the questionnaire lacks has no dimension: left out here.
        .join(items, items.c.item_id == Answer.item_id)
        .where(*_submitted(campaign_id), *coding.filters)
        .group_by(Answer.response_id)
    )
    by_response = {row[0]: row[1:] for row in summed}
    blank = (None,) * len(columns)
    return [
        (response_id, department_id, role_id, *by_response.get(response_id, blank))
        for response_id, department_id, role_id in listed
    ]


def _incomplete_flags(
    questionnaire: Questionnaire, answered: dict[str, NDArray[np.int64]]
) -> list[NDArray[np.bool_]]:
    """Per dimension, which respondents answered some but not all of its items."""
    return [
        (answered[dimension.id] > 0) & (answered[dimension.id] < len(dimension.items))
        for dimension in questionnaire.dimensions
    ]


def _packed_flags(
    flags: NDArray[np.bool_], bits: int = 63
) -> tuple[int, list[list[int]], NDArray[np.int64]]:
    """Each respondent's incomplete-dimension flags packed into a few summable integers.

    ``flags`` is respondents x dimensions. Dimension d's flag sits in a field of ``width``
    bits of one of the integers; summing the integers of any set of respondents sums every
    field separately, because no field can count beyond the number of respondents
    (``width`` is that number's bit length) and the fields of an integer fill at most
    ``bits`` bits (63 for a 64-bit sum; 31 where the database sums 32-bit integers into
    64-bit ones, as PostgreSQL does faster than 64-bit ones into decimals). Returns the
    width, the dimensions of each integer, and the integers (respondents x integers).
    """
    n_respondents, n_dimensions = flags.shape
    width = max(1, n_respondents.bit_length())
    per_column = max(1, bits // width)
    groups = [
        list(range(start, min(start + per_column, n_dimensions)))
        for start in range(0, n_dimensions, per_column)
    ]
    packed = np.zeros((n_respondents, len(groups)), dtype=np.int64)
    for column_index, dimensions in enumerate(groups):
        for position, dimension in enumerate(dimensions):
            packed[:, column_index] |= flags[:, dimension].astype(np.int64) << (position * width)
    return width, groups, packed


def _cell_counts(
    campaign_id: int,
    coding: _Coding,
    items_table: Any,
    response_ids: NDArray[np.int64],
    incomplete: list[NDArray[np.bool_]],
    department_ids: NDArray[np.int64],
    role_ids: NDArray[np.int64],
) -> tuple[
    list[tuple[int, int]],
    NDArray[np.int64],
    NDArray[np.int64],
    dict[tuple[int, int, str], tuple[int, int]] | None,
]:
    """Answer counts per (department, role) cell, item and scale point, from one GROUP BY.

    Returns the cells (the department and role pairs of the submitted responses, ascending),
    ``counts[cell, item, point]`` and ``complete[item, point]``, the answers of the
    respondents who answered every item of the item's dimension (what Cronbach's alpha is
    computed from). Items are in questionnaire order, points from the scale's lowest; "not
    applicable" is not counted. On PostgreSQL the same pass also gives what
    :func:`load_unanswered` gives (None on SQLite, which groups by one code per answer).

    The incomplete respondents come from the same GROUP BY: a small table of them, joined
    once per response, carries their flags packed into summable integers
    (:func:`_packed_flags`), so each group also sums, per dimension, the answers of the
    respondents who left that dimension incomplete, at the price of an integer sum per answer.
    """
    n_items = len(coding.item_ids)
    counts = np.zeros((0, n_items, coding.points), dtype=np.int64)
    partial = np.zeros((n_items, coding.points), dtype=np.int64)
    if len(department_ids) == 0:
        return [], counts, partial, None
    keys, _sizes = cell_pairs(department_ids, role_ids)
    cells = [(int(department), int(role)) for department, role in keys.tolist()]
    flags = np.stack(incomplete, axis=1) if incomplete else np.zeros((len(response_ids), 0), bool)
    listed = np.nonzero(flags.any(axis=1))[0]
    width, groups, packed = _packed_flags(flags[listed], 63 if _is_sqlite() else 31)
    with _flags_table(response_ids[listed], packed) as flagged:
        # Zero rather than NULL where a group holds none of the listed respondents.
        sums = []
        if flagged is not None:
            sums = [func.coalesce(func.sum(c), _number(0)) for c in flagged.c[1:]]
        if _is_sqlite():
            rows = _sqlite_cell_rows(campaign_id, coding, items_table, keys, flagged, sums)
        else:
            rows = _cell_rows(campaign_id, coding, flagged, sums)
    counts = np.zeros((len(cells), n_items, coding.points), dtype=np.int64)
    unanswered = None
    if not _is_sqlite():
        rows, unanswered = _split_unanswered(rows, coding.minimum, coding.maximum)
    if not rows:
        return cells, counts, partial, unanswered
    columns = list(zip(*rows, strict=True))
    if _is_sqlite():
        codes = np.array(columns[0], dtype=np.int64)
        at = codes // (n_items * coding.points)
        items = codes // coding.points % n_items
        points = codes % coding.points
        known = np.ones(len(rows), dtype=bool)
        columns = columns[1:]
    else:
        position = coding.position
        items = np.array([position.get(item_id, -1) for item_id in columns[2]], dtype=np.int64)
        points = np.array(columns[3], dtype=np.int64) - coding.minimum
        base = int(keys[:, 1].max()) + 1
        found = np.array(columns[0], dtype=np.int64) * base + np.array(columns[1], dtype=np.int64)
        at, known = _listed(found, keys[:, 0] * base + keys[:, 1])
        # The items table is not joined here: answers to other items are left out now.
        known &= items >= 0
        columns = columns[6:]
    at, items, points = at[known], items[known], points[known]
    counts[at, items, points] = np.array(columns[0], dtype=np.int64)[known]
    if flagged is not None:
        # Each item's dimension flag: which summed integer holds it, and at which bit.
        column_of = np.zeros(n_items, dtype=np.int64)
        shift_of = np.zeros(n_items, dtype=np.int64)
        for index, dimension in enumerate(coding.questionnaire.dimensions):
            column_index = next(c for c, group in enumerate(groups) if index in group)
            for item in dimension.items:
                column_of[coding.position[item.id]] = column_index
                shift_of[coding.position[item.id]] = groups[column_index].index(index) * width
        summed = np.array(columns[1:], dtype=np.int64).reshape(len(groups), -1)[:, known]
        field = summed[column_of[items], np.arange(len(items))] >> shift_of[items]
        np.add.at(partial, (items, points), field & ((1 << width) - 1))
    return cells, counts, counts.sum(axis=0) - partial, unanswered


def _split_unanswered(
    rows: list[tuple[Any, ...]], minimum: int, maximum: int
) -> tuple[list[tuple[Any, ...]], dict[tuple[int, int, str], tuple[int, int]]]:
    """The rows of :func:`_cell_rows` with a value on the scale, and the "don't know" and
    "not applicable" answers per (department id, role id, item id)."""
    on_scale = []
    unanswered: dict[tuple[int, int, str], tuple[int, int]] = {}
    for row in rows:
        department, role, item, value, dont_know, not_applicable, count = row[:7]
        if dont_know or not_applicable:
            key = (int(department), int(role), str(item))
            before = unanswered.get(key, (0, 0))
            unanswered[key] = (
                before[0] + (int(count) if dont_know else 0),
                before[1] + (int(count) if not_applicable else 0),
            )
        # As the scale's filter reads it, whatever the flags say.
        if value is not None and minimum <= value <= maximum:
            on_scale.append(row)
    return on_scale, unanswered


def _sqlite_cell_rows(
    campaign_id: int,
    coding: _Coding,
    items: Any,
    keys: NDArray[np.int64],
    flagged: Any,
    sums: list[Any],
) -> list[tuple[Any, ...]]:
    """SQLite: ``(code, count, flag sums...)`` with ``code = (cell x items + item) x points +
    point``.

    SQLite groups by sorting every answer by the group's key; sorting on one integer costs
    it far less than on a department, a role, an item id and a value. The cells are a keyed
    temporary table numbering each (department, role) pair.
    """
    stride = len(coding.item_ids) * coding.points
    cell_columns = [
        column("department_id", BigInteger),
        column("role_id", BigInteger),
        column("base", BigInteger),
    ]
    rows = [(d, r, index * stride) for index, (d, r) in enumerate(keys.tolist())]
    with _sqlite_keyed_table("cx_cells", cell_columns, rows, key_columns=2) as cells:
        code = (cells.c.base + items.c.code_offset + Answer.value).label("code")
        query = (
            select(code, func.count(), *sums)
            .select_from(Response)
            .join(
                cells,
                (cells.c.department_id == Response.department_id)
                & (cells.c.role_id == Response.role_id),
            )
        )
        if flagged is not None:
            query = query.outerjoin(flagged, flagged.c.response_id == Response.id)
        query = (
            query.join(Answer, Answer.response_id == Response.id)
            .join(items, items.c.item_id == Answer.item_id)
            .where(*_submitted(campaign_id), *coding.filters)
            .group_by(code)
        )
        return _rows(query)


def _cell_rows(
    campaign_id: int, coding: _Coding, flagged: Any, sums: list[Any]
) -> list[tuple[Any, ...]]:
    """PostgreSQL: ``(department, role, item id, value, don't know, not applicable, count,
    flag sums...)``: the answers on the scale and, in the same pass, the "don't know" and
    "not applicable" ones (see :func:`load_unanswered`).

    PostgreSQL hashes the groups, so the item's id as stored serves as the key and the
    items table need not be joined; the rows are placed into the arrays by position.
    """
    query = select(
        Response.department_id,
        Response.role_id,
        Answer.item_id,
        Answer.value,
        Answer.dont_know,
        Answer.not_applicable,
        func.count(),
        *sums,
    ).select_from(Response)
    if flagged is not None:
        # NULL for the respondents not listed, which SUM leaves out.
        query = query.outerjoin(flagged, flagged.c.response_id == Response.id)
    query = (
        query.join(Answer, Answer.response_id == Response.id)
        .where(
            *_submitted(campaign_id),
            or_(and_(*coding.filters), Answer.dont_know, Answer.not_applicable),
        )
        .group_by(
            Response.department_id,
            Response.role_id,
            Answer.item_id,
            Answer.value,
            Answer.dont_know,
            Answer.not_applicable,
        )
    )
    return _rows(query)


@contextlib.contextmanager
def _flags_table(response_ids: NDArray[np.int64], packed: NDArray[np.int64]) -> Iterator[Any]:
    """The incomplete respondents and their packed flags, to join: ``None`` if there are none.

    Columns ``response_id`` and ``flags0``, ``flags1``... PostgreSQL unnests one array
    parameter per column (the statement's text stays the same, so it is prepared once) and
    hashes the rows; SQLite gets a keyed temporary table.
    """
    if len(response_ids) == 0:
        yield None
        return
    names = ["response_id"] + [f"flags{index}" for index in range(packed.shape[1])]
    columns = [column(name, BigInteger) for name in names]
    if not _is_sqlite():
        # The flags are packed into 32-bit integers here (see _packed_flags). Each array is
        # sent as one text literal ('{1,2,...}'), which the driver passes through as it is
        # instead of inspecting every element.
        types = [BigInteger] + [Integer] * packed.shape[1]
        arrays = [response_ids, *packed.T]
        yield (
            func.unnest(
                *(
                    cast(
                        bindparam(name, "{" + ",".join(map(str, array.tolist())) + "}", String),
                        ARRAY(kind),
                    )
                    for name, array, kind in zip(names, arrays, types, strict=True)
                )
            )
            .table_valued(*(column(name, kind) for name, kind in zip(names, types, strict=True)))
            .render_derived(name="incomplete_flags")
        )
        return
    rows = np.column_stack([response_ids, packed]).tolist()
    with _sqlite_keyed_table("cx_incomplete_flags", columns, rows) as keyed:
        yield keyed


def load_departments(organization_id: int) -> list[DepartmentRow]:
    """The organisation's departments, in display order."""
    rows = db.session.execute(
        select(
            Department.id,
            Department.parent_id,
            Department.name,
            Department.position,
            Department.archived,
            Department.name_en,
        )
        .where(Department.organization_id == organization_id)
        .order_by(*DEPARTMENT_ORDER)
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
            (d.id, d.parent_id, d.name, d.position, d.archived, d.name_en)
            for d in load_departments(campaign.organization_id)
        ),
        tuple(
            (r.id, r.key, tuple(sorted(r.labels.items())), r.rank)
            for r in load_roles(campaign.organization_id)
        ),
    )
    participation = db.session.execute(
        select(Participant.status, func.count(), func.max(Participant.last_activity_at))
        .where(Participant.campaign_id == campaign.id, counted_participants())
        .group_by(Participant.status)
        .order_by(Participant.status)
    ).all()
    settings = (
        campaign.id,
        campaign.created_at,
        campaign.status,
        campaign.name,
        campaign.name_en,
        campaign.organization.name,
        campaign.organization.name_en,
        campaign.anonymity_threshold,
        campaign.comment_minimum,
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
