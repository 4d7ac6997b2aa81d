"""Response exports as CSV and XLSX: one row per submitted response, streamed in batches.

Columns: ``department``, ``role``, ``submitted_at`` (Asia/Tokyo, ISO 8601), then ``name`` and
``email`` only when identities are asked for explicitly by someone allowed to see them, then
one column per item (its id as header: a scale point, ``na`` or empty), one per outcome item
(its id: a number on its own scale, such as 0-10, or empty) and one per open question. The
XLSX file has a second header row with the item texts. The same file can be
imported back (``app/operations/response_import.py``).

Anonymity choices, applied through ``app/results`` like every other output:

* the "group" of a row is its department-by-role cell, the finest grouping the row itself
  reveals. Open-text answers are written only for rows whose cell passes the open-text rule
  (``app.results.open_text_cells``: at least the campaign's minimum for free-text answers,
  ``Campaign.comment_minimum``, or the anonymity threshold when larger);
  elsewhere the cell is left empty, because wording identifies people more easily than
  numbers;
* only the organisation's consultants and site admins export responses (respondents are told
  that their individual answers are never shown to their organisation, so executive viewers
  see aggregated results only); they get the department and role of every row: they run the
  survey and may even export identities, so hiding labels from them would protect nobody.

Large campaigns are streamed: responses are read in batches of ``BATCH_SIZE`` with their
answers fetched per batch (one query per batch, never per response), CSV chunks are yielded
as they are produced, and the XLSX workbook (openpyxl write-only mode) is written to a
temporary file which is then streamed and deleted.

Every cell goes through ``app.platform.spreadsheet``: text that could start a formula gets a
leading quote (undone by the response import), numbers stay numbers, and XLSX text cells are
always strings.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.models import Answer, Campaign, Department, Participant, Response, Role, User
from app.operations import audit
from app.operations.campaigns import utc_to_local
from app.platform.extensions import db
from app.platform.lazy import lazy_module
from app.platform.spreadsheet import csv_writer, xlsx_row
from app.results import campaign_participation, open_text_cells

#: Imported with the first XLSX export: openpyxl takes about half a second to load, and only
#: XLSX exports need it.
openpyxl = lazy_module("openpyxl")
openpyxl_styles = lazy_module("openpyxl.styles")

BATCH_SIZE = 500
BASE_COLUMNS = ("department", "role", "submitted_at")
IDENTITY_COLUMNS = ("name", "email")
#: CSV chunks are yielded once the buffer holds about this many characters.
CHUNK_CHARS = 64 * 1024
#: The media type of each export format.
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ExportOptions:
    """Who the export is for and what it may contain."""

    #: Names and emails of invited respondents; only for consultants and admins who ask.
    with_identities: bool = False
    locale: str = "ja"


def item_columns(campaign: Campaign) -> list[str]:
    """Item ids, outcome item ids, then open-question ids, in questionnaire order."""
    questionnaire = campaign.questionnaire
    return [
        *(item.id for item in questionnaire.items),
        *(item.id for item in questionnaire.outcomes),
        *(question.id for question in questionnaire.open_questions),
    ]


def header(campaign: Campaign, options: ExportOptions) -> list[str]:
    """The first header row."""
    identity = list(IDENTITY_COLUMNS) if options.with_identities else []
    return [*BASE_COLUMNS, *identity, *item_columns(campaign)]


def text_header(campaign: Campaign, options: ExportOptions) -> list[str]:
    """The second header row of the XLSX file: the item and question texts."""
    questionnaire = campaign.questionnaire
    texts = [questionnaire.text(item.text, options.locale) for item in questionnaire.items]
    texts += [questionnaire.text(item.text, options.locale) for item in questionnaire.outcomes]
    texts += [questionnaire.text(q.text, options.locale) for q in questionnaire.open_questions]
    blanks = [""] * (len(BASE_COLUMNS) + (2 if options.with_identities else 0))
    return [*blanks, *texts]


def _labels(campaign: Campaign, locale: str) -> tuple[dict[int, str], dict[int, str]]:
    departments = dict(
        db.session.execute(
            select(Department.id, Department.name).where(
                Department.organization_id == campaign.organization_id
            )
        ).all()
    )
    roles = {
        role.id: role.label(locale)
        for role in db.session.scalars(
            select(Role).where(Role.organization_id == campaign.organization_id)
        )
    }
    return departments, roles


def _format_time(moment: datetime | None) -> str:
    local = utc_to_local(moment)
    return local.isoformat(timespec="seconds") if local else ""


def response_rows(campaign: Campaign, options: ExportOptions) -> Iterator[list[Any]]:
    """Data rows (no header), one per submitted response, read in batches."""
    text_cells = open_text_cells(campaign)
    departments, roles = _labels(campaign, options.locale)
    columns = item_columns(campaign)
    open_ids = {q.id for q in campaign.questionnaire.open_questions}
    query = (
        select(
            Response.id,
            Response.department_id,
            Response.role_id,
            Response.submitted_at,
            Participant.name,
            Participant.email,
        )
        .outerjoin(Participant, Participant.id == Response.participant_id)
        .where(Response.campaign_id == campaign.id, Response.status == "submitted")
        .order_by(Response.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    result = db.session.execute(query)
    for batch in result.partitions():
        ids = [row.id for row in batch]
        answers: dict[int, dict[str, Any]] = {response_id: {} for response_id in ids}
        for answer in db.session.execute(
            select(
                Answer.response_id,
                Answer.item_id,
                Answer.value,
                Answer.not_applicable,
                Answer.text,
            ).where(Answer.response_id.in_(ids))
        ):
            if answer.not_applicable:
                value: Any = "na"
            elif answer.text is not None:
                value = answer.text
            else:
                value = answer.value
            answers[answer.response_id][answer.item_id] = value
        for row in batch:
            values = [
                departments.get(row.department_id, ""),
                roles.get(row.role_id, ""),
                _format_time(row.submitted_at),
            ]
            if options.with_identities:
                values += [row.name or "", row.email or ""]
            text_ok = (row.department_id, row.role_id) in text_cells
            own = answers[row.id]
            for column in columns:
                value = own.get(column)
                if column in open_ids and not text_ok:
                    value = None
                values.append("" if value is None else value)
            yield values


def stream_csv(campaign: Campaign, options: ExportOptions) -> Iterator[bytes]:
    """The CSV export as UTF-8 chunks (with a byte-order mark, so Excel reads Japanese)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header(campaign, options))
    for row in response_rows(campaign, options):
        writer.writerow(row)
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(campaign: Campaign, options: ExportOptions, path: str) -> None:
    """Write the XLSX export to ``path`` (openpyxl write-only mode: constant memory)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("responses")
    sheet.freeze_panes = "A3"
    bold = openpyxl_styles.Font(bold=True)
    first = xlsx_row(sheet, header(campaign, options))
    for cell in first:
        cell.font = bold
    sheet.append(first)
    second = xlsx_row(sheet, text_header(campaign, options))
    for cell in second:
        cell.alignment = openpyxl_styles.Alignment(wrap_text=True, vertical="top")
    sheet.append(second)
    for row in response_rows(campaign, options):
        sheet.append(xlsx_row(sheet, row))
    workbook.save(path)


def stream_xlsx(campaign: Campaign, options: ExportOptions) -> Iterator[bytes]:
    """The XLSX export, built in a temporary file, streamed in chunks, then deleted."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="cx-export-")
    os.close(handle)
    try:
        write_xlsx(campaign, options, path)
        with open(path, "rb") as stream:
            while chunk := stream.read(256 * 1024):
                yield chunk
    finally:
        os.unlink(path)


def stream(campaign: Campaign, options: ExportOptions, fmt: str) -> Iterator[bytes]:
    """The export in ``fmt`` (``"xlsx"``, else CSV), chunk by chunk."""
    return stream_xlsx(campaign, options) if fmt == "xlsx" else stream_csv(campaign, options)


def record_export(
    campaign: Campaign, fmt: str, options: ExportOptions, *, actor: User | None = None
) -> None:
    """Log that the responses were exported, and whether with identities."""
    audit.record(
        "responses.exported",
        campaign=campaign,
        user=actor,
        format=fmt,
        with_identities=options.with_identities,
    )


def export_filename(campaign: Campaign, extension: str) -> str:
    """An ASCII file name for the download."""
    return f"campaign-{campaign.id}-responses.{extension}"


def submitted_count(campaign: Campaign) -> int:
    """How many responses an export of this campaign would contain."""
    return campaign_participation(campaign).submitted
