"""Importing responses collected elsewhere (paper, another tool) from a CSV file.

The file has the shape of the CSV export: a header line with ``department`` and ``role``,
then one column per item id (a number on the campaign's scale, ``na`` or empty), one per
outcome item (a number on its own scale, such as 0-10, or empty) and one per open question
(free text). The export's ``submitted_at``, ``name`` and ``email`` columns are
accepted and ignored (imported responses belong to no participant); any other column is an
error, so a mistyped item id is caught instead of silently dropped.

Like the participant import, parsing and applying are separate: ``parse_responses`` reports
every bad cell with its file line and column name and writes nothing; ``apply_responses``
creates the responses (``source='import'``, submitted, no participant) only when the whole
file is valid.

The file is read like the participants file (``app.operations.csv_input``: the same encodings
and messages). Open answers are free text: control characters other than tabs and line breaks
are removed from them, as from answers typed in the survey. Every other cell names something
(a department, a role, a point on the scale) and is refused when it holds one. The quote the
export puts before a cell that could start a formula (``app.platform.spreadsheet``) is
removed again, so an exported file imports with its names and answers as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import insert

from app.models import Answer, Campaign, Department, Response, Role, User, utcnow
from app.operations import audit
from app.operations.csv_input import (
    CSV_MESSAGES,
    CsvProblem,
    UnreadableCsv,
    control_character,
    decode_csv,
    header_control_character,
    read_records,
)
from app.operations.errors import N_, OperationError
from app.operations.responses import NOT_APPLICABLE
from app.platform.extensions import db
from app.platform.spreadsheet import restore_text
from app.platform.text import clean_free_text
from app.queries.organizations import find_department, find_role

IGNORED_COLUMNS = ("submitted_at", "name", "email")
REQUIRED_COLUMNS = ("department", "role")

MESSAGES: dict[str, str] = {
    **CSV_MESSAGES,
    "empty_file": N_("The file is empty: it needs a header line with department, role and items."),
    "missing_column": N_("Required column %(column)s is missing from the header."),
    "duplicate_column": N_("Column %(column)s appears more than once in the header."),
    "unknown_column": N_("%(column)s is not an item or open question of this questionnaire."),
    "no_items": N_("The header names no item of this questionnaire."),
    "missing_value": N_("%(column)s is empty."),
    "too_many_fields": N_("This row has more fields than the header."),
    "unknown_department": N_("There is no department named %(value)s (known: %(known)s)."),
    "unknown_role": N_("There is no role %(value)s (known: %(known)s)."),
    "not_a_number": N_("%(value)s is not a number on the scale %(min)d-%(max)d (or na, or empty)."),
    "out_of_scale": N_("%(value)s is outside the scale %(min)d-%(max)d."),
    "no_na": N_("This questionnaire has no 'not applicable' answer, so na is not allowed."),
    "outcome_na": N_("%(column)s takes a number from %(min)d to %(max)d, or nothing; not na."),
    "outcome_not_a_number": N_("%(value)s is not a number from %(min)d to %(max)d (or empty)."),
    "too_long": N_("The text is longer than %(max)d characters."),
    "no_answers": N_("This row has no answer at all."),
}


@dataclass(frozen=True)
class ResponseProblem(CsvProblem):
    """A bad cell or line in a responses file."""

    MESSAGES: ClassVar[Mapping[str, str]] = MESSAGES


@dataclass(frozen=True)
class ResponseRow:
    line: int
    department: Department
    role: Role
    #: item id -> int, ``na`` or text
    answers: dict[str, Any]


@dataclass
class ResponsePreview:
    campaign_id: int
    rows: list[ResponseRow] = field(default_factory=list)
    problems: list[ResponseProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_responses(campaign: Campaign, data: bytes | str) -> ResponsePreview:
    """Parse and check a responses CSV against the campaign's frozen questionnaire."""
    preview = ResponsePreview(campaign.id)
    problems = preview.problems
    try:
        text = decode_csv(data)[0] if isinstance(data, bytes) else data.lstrip("\ufeff")
        records = [(n, f) for n, f in read_records(text) if any(cell.strip() for cell in f)]
    except UnreadableCsv as exc:
        problems.append(ResponseProblem(exc.line, None, exc.code, exc.params))
        return preview
    if not records:
        problems.append(ResponseProblem(1, None, "empty_file"))
        return preview

    questionnaire = campaign.questionnaire
    scale = questionnaire.scale
    outcomes = {item.id: item for item in questionnaire.outcomes}
    item_ids = {item.id for item in questionnaire.items} | set(outcomes)
    open_questions = {q.id: q for q in questionnaire.open_questions}
    header_line, header = records[0]
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        refused = header_control_character(raw, index)
        if refused is not None:
            # Reported once; the column is still recognised by its visible name.
            raw = refused[0]
            problems.append(ResponseProblem(header_line, raw, "control_character", refused[1]))
        column = raw.strip().lstrip("\ufeff")
        if column in positions:
            problems.append(
                ResponseProblem(header_line, column, "duplicate_column", {"column": column})
            )
            continue
        if column in IGNORED_COLUMNS or (not column and index >= len(REQUIRED_COLUMNS)):
            continue
        if column not in (*REQUIRED_COLUMNS, *item_ids, *open_questions):
            problems.append(
                ResponseProblem(header_line, column, "unknown_column", {"column": column})
            )
            continue
        positions[column] = index
    for column in REQUIRED_COLUMNS:
        if column not in positions:
            problems.append(
                ResponseProblem(header_line, column, "missing_column", {"column": column})
            )
    answer_columns = [c for c in positions if c in item_ids or c in open_questions]
    if not any(c in item_ids for c in positions):
        problems.append(ResponseProblem(header_line, None, "no_items"))
    if problems:
        return preview

    org = campaign.organization
    known_departments = ", ".join(d.name for d in org.departments if not d.archived)
    known_roles = ", ".join(r.key for r in org.roles)
    width = len(header)
    for line, fields in records[1:]:
        row_problems: list[ResponseProblem] = []
        cells: dict[str, str] = {}
        for column, index in positions.items():
            value = restore_text(fields[index].strip()) if index < len(fields) else ""
            if column in open_questions:
                cells[column] = clean_free_text(value).strip()
                continue
            refused = control_character(value, column)
            if refused is None:
                cells[column] = value
            else:
                row_problems.append(ResponseProblem(line, column, "control_character", refused))

        if len(fields) > width and any(f.strip() for f in fields[width:]):
            row_problems.append(ResponseProblem(line, None, "too_many_fields"))
        dept_name, role_name = cells.get("department"), cells.get("role")
        department = find_department(org, dept_name) if dept_name else None
        role = find_role(org, role_name) if role_name else None
        for column, value, found, code, known in (
            ("department", dept_name, department, "unknown_department", known_departments),
            ("role", role_name, role, "unknown_role", known_roles),
        ):
            if value is None:
                continue
            if not value:
                row_problems.append(
                    ResponseProblem(line, column, "missing_value", {"column": column})
                )
            elif found is None:
                row_problems.append(
                    ResponseProblem(line, column, code, {"value": value, "known": known})
                )
        answers: dict[str, Any] = {}
        for column in answer_columns:
            raw = cells.get(column)
            if not raw:
                continue
            if column in open_questions:
                limit = open_questions[column].max_length
                if len(raw) > limit:
                    row_problems.append(ResponseProblem(line, column, "too_long", {"max": limit}))
                else:
                    answers[column] = raw
                continue
            # An outcome item is answered on its own scale, with no "not applicable".
            on = outcomes[column].scale if column in outcomes else scale
            if raw.lower() == NOT_APPLICABLE:
                if column in outcomes:
                    limits = {"column": column, "min": on.min, "max": on.max}
                    row_problems.append(ResponseProblem(line, column, "outcome_na", limits))
                elif scale.not_applicable is None:
                    row_problems.append(ResponseProblem(line, column, "no_na"))
                else:
                    answers[column] = NOT_APPLICABLE
                continue
            bounds = {"value": raw, "min": on.min, "max": on.max}
            not_a_number = "outcome_not_a_number" if column in outcomes else "not_a_number"
            try:
                number = float(raw)
            except ValueError:
                row_problems.append(ResponseProblem(line, column, not_a_number, bounds))
                continue
            if not number.is_integer():
                row_problems.append(ResponseProblem(line, column, not_a_number, bounds))
            elif not on.min <= int(number) <= on.max:
                row_problems.append(ResponseProblem(line, column, "out_of_scale", bounds))
            else:
                answers[column] = int(number)
        if not answers and not row_problems:
            row_problems.append(ResponseProblem(line, None, "no_answers"))
        if row_problems:
            problems.extend(row_problems)
            continue
        assert department is not None
        assert role is not None
        preview.rows.append(ResponseRow(line, department, role, answers))
    return preview


def apply_responses(
    campaign: Campaign, preview: ResponsePreview, *, actor: User | None = None
) -> int:
    """Create the previewed responses as submitted imports; returns how many. Caller commits."""
    if preview.campaign_id != campaign.id:
        raise OperationError(N_("This preview was made for another campaign."))
    if not preview.ok:
        raise OperationError(
            N_("The file has %(n)d problem(s); nothing was imported."), n=len(preview.problems)
        )
    open_ids = {q.id for q in campaign.questionnaire.open_questions}
    now = utcnow()
    for row in preview.rows:
        response = Response(
            campaign_id=campaign.id,
            participant_id=None,
            department_id=row.department.id,
            role_id=row.role.id,
            status="submitted",
            source="import",
            submitted_at=now,
            created_at=now,
            updated_at=now,
        )
        db.session.add(response)
        db.session.flush()
        values = []
        for item_id, value in row.answers.items():
            values.append(
                {
                    "response_id": response.id,
                    "item_id": item_id,
                    "value": value if isinstance(value, int) else None,
                    "not_applicable": value == NOT_APPLICABLE and item_id not in open_ids,
                    "text": value if item_id in open_ids else None,
                    "updated_at": now,
                }
            )
        if values:
            db.session.execute(insert(Answer), values)
    db.session.flush()
    audit.record("responses.imported", campaign=campaign, user=actor, responses=len(preview.rows))
    return len(preview.rows)


def import_responses(
    campaign: Campaign, data: bytes | str, *, actor: User | None = None
) -> tuple[ResponsePreview, int]:
    """Parse, then apply only if the whole file is valid; the caller commits."""
    preview = parse_responses(campaign, data)
    if not preview.ok:
        return preview, 0
    return preview, apply_responses(campaign, preview, actor=actor)
