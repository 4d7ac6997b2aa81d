"""Recording customer outcomes: one record per organisation (or department) and period.

Figures arrive three ways (the workspace form, a CSV file, the API), and all three go through
:func:`check_values`, so they accept and refuse the same things. A record is written only when
every figure of every record sent is valid: a CSV file or an API request with one bad cell
changes nothing. Writing a record for a department and period that already has one replaces
the figures sent and keeps those not sent (a CSV without a ``csat`` column keeps the stored
CSAT; an empty ``csat`` cell clears it).

CSV columns: ``department,period`` then either ``nps_0`` ... ``nps_10`` (the customers'
answers 0 to 10, counted) or ``promoters,passives,detractors``, and any of ``csat`` (percent
satisfied), ``ces`` (mean effort score, 1-7), ``churn_rate`` and ``gross_margin`` (fractions,
or percentages written with %), ``arpa`` (average revenue per account). An empty
``department`` is the whole organisation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import select

from app.models import Department, Organization, OutcomeRecord, User
from app.models.outcome import PERIOD_LENGTH, VALUE_FIELDS
from app.operations import audit
from app.operations.csv_input import (
    CSV_MESSAGES,
    CsvProblem,
    UnreadableCsv,
    decode_csv,
    read_records,
)
from app.operations.errors import N_, OperationError
from app.platform.extensions import db

#: ``2026``, ``2026-H1``, ``2026-Q3`` or ``2026-04``.
PERIOD = re.compile(r"\d{4}(?:-(?:H[12]|Q[1-4]|0[1-9]|1[0-2]))?")
NPS_SCALE = tuple(f"nps_{point}" for point in range(11))
NPS_GROUPS = ("promoters", "passives", "detractors")
#: Optional figures: (field, smallest, largest, is a fraction that may be written with %).
FIGURES: tuple[tuple[str, float, float | None, bool], ...] = (
    ("csat", 0.0, 100.0, False),
    ("ces", 1.0, 7.0, False),
    ("churn_rate", 0.0, 1.0, True),
    ("arpa", 0.0, None, False),
    ("gross_margin", 0.0, 1.0, True),
)
CSV_COLUMNS = ("department", "period", *NPS_SCALE, *NPS_GROUPS, *(f[0] for f in FIGURES))
#: The most customers one count may hold.
MAX_COUNT = 1_000_000_000
#: Most records one file or request may hold.
MAX_RECORDS = 5000

MESSAGES: dict[str, str] = {
    **CSV_MESSAGES,
    "empty_file": N_("The file is empty: it needs a header line with the columns %(columns)s."),
    "missing_column": N_("Required column %(column)s is missing from the header."),
    "unknown_column": N_("Column %(column)s is not an outcome column (known: %(known)s)."),
    "duplicate_column": N_("Column %(column)s appears more than once in the header."),
    "too_many_fields": N_("This row has more fields than the header."),
    "too_many_records": N_("The file has more than %(max)d records; split it."),
    "bad_period": N_(
        "%(value)s is not a period: write a year (2026), a half (2026-H1), a quarter "
        "(2026-Q3) or a month (2026-04)."
    ),
    "unknown_department": N_("There is no department named %(value)s (known: %(known)s)."),
    "duplicate_record": N_(
        "The department and period %(value)s appear twice (first on line %(first)d)."
    ),
    "not_a_count": N_("%(column)s must be a whole number of customers (0 or more), not %(value)s."),
    "partial_scale": N_(
        "The answers 0 to 10 are given only in part: fill nps_0 to nps_10, or none of them."
    ),
    "partial_groups": N_(
        "Promoters, passives and detractors are given only in part: fill all three, or none."
    ),
    "groups_disagree": N_(
        "Promoters, passives and detractors (%(groups)s) do not match the answers 0 to 10 "
        "(%(expected)s): give one or the other."
    ),
    "not_a_number": N_("%(column)s must be a number, not %(value)s."),
    "out_of_range": N_("%(column)s must be between %(min)s and %(max)s, not %(value)s."),
    "below_minimum": N_("%(column)s must be %(min)s or more, not %(value)s."),
    "fraction_expected": N_(
        "%(column)s must be a fraction from 0 to 1 (0.05) or a percentage (5%%), not %(value)s."
    ),
    "empty_record": N_("This record has no figure: give NPS answers or at least one figure."),
}


@dataclass(frozen=True)
class OutcomeProblem(CsvProblem):
    """A problem in an outcomes file or request: its line (or record number) and column."""

    MESSAGES: ClassVar[Mapping[str, str]] = MESSAGES


@dataclass
class OutcomeInput:
    """One record to write: its department (None: the organisation), period and figures."""

    line: int
    department_id: int | None
    period: str
    #: The figures sent, by field (``VALUE_FIELDS``); fields not sent are kept as stored.
    values: dict[str, Any]


@dataclass
class OutcomePreview:
    """Records ready to write, or the problems that stop all of them."""

    encoding: str = "json"
    records: list[OutcomeInput] = field(default_factory=list)
    problems: list[OutcomeProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_period(raw: Any) -> str | None:
    """The period as stored, or None when ``raw`` is not one."""
    text = str(raw if raw is not None else "").strip()
    return text if len(text) <= PERIOD_LENGTH and PERIOD.fullmatch(text) else None


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip().replace(",", "").replace("¥", "").replace("円", "")
    text = text.replace("％", "%")
    if not text:
        return None
    return float(text.removesuffix("%"))


def _count(raw: Any) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    else:
        text = str(raw).strip().replace(",", "")
        if not text.isdigit():
            raise ValueError
        value = int(text)
    if not 0 <= value <= MAX_COUNT:
        raise ValueError
    return value


def check_values(
    raw: Mapping[str, Any], *, typed: bool = False
) -> tuple[dict[str, Any], list[tuple[str | None, str, dict[str, Any]]]]:
    """The figures of one record from ``raw`` (strings from a form or a CSV row, or JSON
    values), and the problems found as ``(column, code, parameters)``.

    Only the keys present in ``raw`` are returned: the NPS answers (``nps_0`` ... ``nps_10``,
    or the JSON list ``nps_counts``), the three NPS groups, and the figures of
    :data:`FIGURES`. An empty value clears the figure. ``typed`` (JSON): numbers must be
    numbers and counts whole numbers, not text, and fractions are never written with %.
    """
    if typed:
        raw = {key: _typed(key, value) for key, value in raw.items()}
    found: dict[str, Any] = {}
    problems: list[tuple[str | None, str, dict[str, Any]]] = []
    scale: list[int | None] | None = None
    if "nps_counts" in raw:
        listed = raw["nps_counts"]
        if listed is None:
            scale = [None] * 11
        elif isinstance(listed, list) and len(listed) == 11:
            scale = []
            for point, value in enumerate(listed):
                try:
                    scale.append(_count(value))
                except ValueError:
                    problems.append(_not_a_count(f"nps_{point}", value))
                    scale.append(None)
        else:
            problems.append(("nps_counts", "partial_scale", {}))
    elif any(column in raw for column in NPS_SCALE):
        scale = []
        for column in NPS_SCALE:
            try:
                scale.append(_count(raw.get(column)))
            except ValueError:
                problems.append(_not_a_count(column, raw.get(column)))
                scale.append(None)
    if scale is not None:
        given = [value for value in scale if value is not None]
        if problems:
            # An unreadable count is reported already; the others are not "missing".
            given = []
        elif given and len(given) < 11:
            problems.append((NPS_SCALE[scale.index(None)], "partial_scale", {}))
        found["nps_counts"] = list(scale) if len(given) == 11 else None
    groups: list[int | None] | None = None
    if any(column in raw for column in NPS_GROUPS):
        before_groups = len(problems)
        groups = []
        for column in NPS_GROUPS:
            try:
                groups.append(_count(raw.get(column)))
            except ValueError:
                problems.append(_not_a_count(column, raw.get(column)))
                groups.append(None)
        given = [value for value in groups if value is not None]
        unreadable = len(problems) > before_groups
        if unreadable:
            groups = None
        elif given and len(given) < 3:
            problems.append((NPS_GROUPS[groups.index(None)], "partial_groups", {}))
            groups = None
        elif not given:
            groups = [None, None, None]
    counts = found.get("nps_counts")
    if counts is not None:
        expected = [sum(counts[9:]), sum(counts[7:9]), sum(counts[:7])]
        if groups is not None and groups[0] is not None and groups != expected:
            problems.append(
                (
                    "promoters",
                    "groups_disagree",
                    {
                        "groups": "/".join(map(str, groups)),
                        "expected": "/".join(map(str, expected)),
                    },
                )
            )
        groups = expected
    elif "nps_counts" in found and groups is None:
        groups = [None, None, None]
    if groups is not None:
        found.update(zip(NPS_GROUPS, groups, strict=True))
        # Groups given without the answers 0-10 replace whatever answers were stored.
        found.setdefault("nps_counts", None)
    for column, low, high, fraction in FIGURES:
        if column not in raw:
            continue
        value = raw[column]
        try:
            number = None if value is None else _number(value)
        except ValueError:
            problems.append((column, "not_a_number", {"column": column, "value": str(value)}))
            continue
        if number is not None and fraction and str(value).strip().endswith(("%", "％")):
            number /= 100
        if number is not None and not math.isfinite(number):
            problems.append((column, "not_a_number", {"column": column, "value": str(value)}))
            continue
        if number is not None and high is not None and not low <= number <= high:
            code = "fraction_expected" if fraction else "out_of_range"
            problems.append(
                (column, code, {"column": column, "value": str(value), "min": low, "max": high})
            )
            continue
        if number is not None and number < low:
            problems.append(
                (column, "below_minimum", {"column": column, "value": str(value), "min": low})
            )
            continue
        found[column] = number
    return found, problems


class _Untyped:
    """A JSON value of the wrong type, kept to be reported by its text."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        return repr(self.value)


def _typed(key: str, value: Any) -> Any:
    """``value`` when its JSON type fits ``key``, else a value every check refuses."""
    if value is None:
        return None
    if key == "nps_counts":
        return [_typed("promoters", item) for item in value] if isinstance(value, list) else value
    if isinstance(value, bool | str):
        return _Untyped(value)
    if key in NPS_GROUPS and not isinstance(value, int):
        return _Untyped(value)
    return value


def _not_a_count(column: str, value: Any) -> tuple[str, str, dict[str, Any]]:
    return (column, "not_a_count", {"column": column, "value": str(value)})


def _departments(org: Organization) -> list[Department]:
    return list(
        db.session.scalars(
            select(Department).where(Department.organization_id == org.id).order_by(Department.id)
        )
    )


def parse_outcomes(org: Organization, data: bytes | str) -> OutcomePreview:
    """Read and check an outcomes CSV for ``org``; writes nothing.

    Every problem is collected, each with its line (the header is line 1) and column.
    """
    if isinstance(data, bytes):
        try:
            text, encoding = decode_csv(data)
        except UnreadableCsv as exc:
            preview = OutcomePreview("unknown")
            preview.problems.append(OutcomeProblem(exc.line, None, exc.code, exc.params))
            return preview
    else:
        text, encoding = data.lstrip("\ufeff"), "text"
    preview = OutcomePreview(encoding)
    problems = preview.problems
    try:
        records = [(n, f) for n, f in read_records(text) if any(cell.strip() for cell in f)]
    except UnreadableCsv as exc:
        problems.append(OutcomeProblem(exc.line, None, exc.code, exc.params))
        return preview
    if not records or records[0][0] != 1:
        columns = ", ".join(CSV_COLUMNS)
        problems.append(OutcomeProblem(1, None, "empty_file", {"columns": columns}))
        return preview
    if len(records) - 1 > MAX_RECORDS:
        problems.append(OutcomeProblem(1, None, "too_many_records", {"max": MAX_RECORDS}))
        return preview
    header = [cell.strip().strip("\ufeff").lower() for cell in records[0][1]]
    for index, column in enumerate(header):
        if column not in CSV_COLUMNS:
            known = ", ".join(CSV_COLUMNS)
            problems.append(
                OutcomeProblem(
                    1,
                    column or str(index + 1),
                    "unknown_column",
                    {"column": column, "known": known},
                )
            )
        elif header.index(column) != index:
            problems.append(OutcomeProblem(1, column, "duplicate_column", {"column": column}))
    for column in ("department", "period"):
        if column not in header:
            problems.append(OutcomeProblem(1, column, "missing_column", {"column": column}))
    if problems:
        return preview
    by_name: dict[str, Department] = {}
    for department in _departments(org):
        by_name.setdefault(department.name, department)
        if department.name_en:
            by_name.setdefault(department.name_en, department)
    known = ", ".join(d.name for d in _departments(org) if not d.archived)
    seen: dict[tuple[int | None, str], int] = {}
    for line, fields in records[1:]:
        if len(fields) > len(header) and any(cell.strip() for cell in fields[len(header) :]):
            problems.append(OutcomeProblem(line, None, "too_many_fields"))
            continue
        row = dict(zip(header, [cell.strip() for cell in fields], strict=False))
        row_problems: list[OutcomeProblem] = []
        name = row.get("department", "")
        department = None
        if name:
            department = by_name.get(name)
            if department is None:
                row_problems.append(
                    OutcomeProblem(
                        line, "department", "unknown_department", {"value": name, "known": known}
                    )
                )
        period = check_period(row.get("period", ""))
        if period is None:
            row_problems.append(
                OutcomeProblem(line, "period", "bad_period", {"value": row.get("period", "")})
            )
        raw = {column: row.get(column, "") for column in header if column in CSV_COLUMNS[2:]}
        values, found = check_values(raw)
        row_problems.extend(
            OutcomeProblem(line, column, code, params) for column, code, params in found
        )
        if not row_problems and not any(value is not None for value in values.values()):
            row_problems.append(OutcomeProblem(line, None, "empty_record"))
        if row_problems:
            problems.extend(row_problems)
            continue
        assert period is not None
        key = (department.id if department is not None else None, period)
        if key in seen:
            label = f"{name or '—'} {period}"
            problems.append(
                OutcomeProblem(
                    line, "period", "duplicate_record", {"value": label, "first": seen[key]}
                )
            )
            continue
        seen[key] = line
        preview.records.append(OutcomeInput(line, key[0], period, values))
    return preview


def save_outcomes(
    org: Organization,
    records: Sequence[OutcomeInput],
    *,
    actor: User | None = None,
    source: str = "form",
) -> list[OutcomeRecord]:
    """Write ``records`` (checked: see :func:`parse_outcomes` and :func:`check_values`),
    each replacing the figures it carries on the record of its department and period."""
    stored = {
        (record.department_id, record.period): record
        for record in db.session.scalars(
            select(OutcomeRecord).where(OutcomeRecord.organization_id == org.id)
        )
    }
    departments = {department.id for department in _departments(org)}
    saved = []
    for item in records:
        if item.department_id is not None and item.department_id not in departments:
            raise OperationError(N_("The department is not one of this organisation's."))
        record = stored.get((item.department_id, item.period))
        if record is None:
            record = OutcomeRecord(
                organization_id=org.id, department_id=item.department_id, period=item.period
            )
            db.session.add(record)
            stored[(item.department_id, item.period)] = record
        for name, value in item.values.items():
            if name in VALUE_FIELDS:
                setattr(record, name, value)
        saved.append(record)
    db.session.flush()
    audit.record("outcomes.saved", organization=org, user=actor, records=len(saved), source=source)
    return saved


def delete_outcome(org: Organization, record_id: int, *, actor: User | None = None) -> None:
    """Remove one outcome record of ``org`` (an id of another organisation's is refused)."""
    record = db.session.get(OutcomeRecord, record_id)
    if record is None or record.organization_id != org.id:
        raise OperationError(N_("There is no such outcome record."))
    db.session.delete(record)
    db.session.flush()
    audit.record("outcomes.deleted", organization=org, user=actor, period=record.period)
