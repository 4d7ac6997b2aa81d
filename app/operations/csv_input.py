"""Reading an uploaded CSV file, shared by the participant and the response imports.

``decode_csv`` finds what the bytes are: UTF-8 (with or without a byte-order mark), UTF-16 or
UTF-32 with a byte-order mark, UTF-16 without one (recognised by the NUL bytes of its ASCII
characters), or Shift_JIS (cp932) as Excel writes it in Japan. When the file cannot be read it
says what the file is (an Excel workbook, binary data, text in another encoding) and what to do.
``read_records`` splits the text into records with the file line each starts on; a file whose
header has tabs and no comma (Excel's "Unicode text") is read as tab-separated.

Every problem is a ``CsvProblem`` at a file line (the header is line 1) and column, in the
message table of the import that found it; the messages here are shared by both tables.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flask_babel import gettext

from app.operations.errors import N_
from app.platform.text import find_control_character, without_control_characters

#: What every CSV import may report about the file itself or a cell's characters.
CSV_MESSAGES: dict[str, str] = {
    "excel_workbook": N_(
        "This is an Excel workbook (%(kind)s), not a CSV file. In Excel, choose File > Save As "
        "> CSV UTF-8 (Comma delimited) and upload that file."
    ),
    "not_text": N_(
        "This is not a text file (it holds binary data, such as a PDF or an image), so it "
        "cannot be a CSV file. Save the list from your spreadsheet as CSV UTF-8 (Comma "
        "delimited) and upload that file."
    ),
    "bad_bom": N_(
        "The file starts with the byte-order mark of %(encoding)s, but the bytes near line "
        "%(line)d are not valid %(encoding)s (the file may be cut off or damaged). Save it "
        "again as CSV UTF-8 (Comma delimited) and upload that file."
    ),
    "bad_utf16": N_(
        "The file looks like %(encoding)s text without a byte-order mark, but the bytes near "
        "line %(line)d are not valid %(encoding)s (the file may be cut off or damaged). Save "
        "it again as CSV UTF-8 (Comma delimited) and upload that file."
    ),
    "unknown_encoding": N_(
        "The file is neither UTF-8 nor Shift_JIS text: line %(line)d has bytes that are not "
        "valid in either (%(bytes)s), so it is in another encoding (such as Latin-1 or EUC-JP). "
        "In Excel, save it as CSV UTF-8 (Comma delimited); in a text editor, save it as UTF-8; "
        "then upload it again."
    ),
    "field_too_long": N_(
        'A field starting on this line is longer than %(max)d characters: a double quote (") '
        "that opens a field may have no closing quote, or this is not a CSV file with one "
        "record per line."
    ),
    "csv": N_("This line is not valid CSV: %(detail)s"),
    "control_character": N_(
        "%(column)s contains a control character (%(char)s) at character "
        "%(position)d; remove it and upload the file again."
    ),
}

#: Longest field the reader accepts (Python's default); far above any name or answer.
FIELD_LIMIT = 131072

_EXCEL_SIGNATURES = (
    (b"PK\x03\x04", ".xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls"),
)
#: Byte-order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: How messages name each encoding (the same in every language).
_LABELS = {
    "utf-8-sig": "UTF-8",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-32-le": "UTF-32 LE",
    "utf-32-be": "UTF-32 BE",
}
#: How much of the file the NUL-byte pattern is judged on.
_SAMPLE = 4096


@dataclass(frozen=True)
class CsvProblem:
    """One problem in an uploaded CSV: its line (the header is line 1), column and reason.

    Subclasses name their message table in ``MESSAGES``; ``code`` is a key of it.
    """

    MESSAGES: ClassVar[Mapping[str, str]] = CSV_MESSAGES

    line: int
    column: str | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The message in English, for logs and the CLI."""
        return self.MESSAGES[self.code] % self.params

    def localized(self) -> str:
        """The message in the current request's language."""
        return gettext(self.MESSAGES[self.code], **self.params)

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class UnreadableCsv(ValueError):
    """The file cannot be read as CSV text: ``code`` (a key of ``CSV_MESSAGES``), at ``line``."""

    def __init__(self, code: str, line: int = 1, **params: Any) -> None:
        super().__init__(CSV_MESSAGES[code] % {"line": line, **params})
        self.code = code
        self.line = line
        self.params = {"line": line, **params}


def _nul_pattern(data: bytes) -> str | None:
    """The UTF-16/32 encoding that BOM-less ``data`` is in, judged by where its NULs fall.

    Each ASCII character (the commas, line breaks, emails and role keys of any CSV) is its
    byte plus one or three NUL bytes, always on the same side: little-endian puts the NULs
    after it, big-endian before. UTF-8 and Shift_JIS text has no NUL byte at all.
    """
    for width in (4, 2):
        sample = data[: _SAMPLE - _SAMPLE % width]
        units = len(sample) // width
        if units < 2:
            continue
        lanes = [sample[i : units * width : width].count(0) / units for i in range(width)]
        if width == 4:
            if lanes[2] > 0.9 and lanes[3] > 0.9 and lanes[0] < 0.1:
                return "utf-32-le"
            if lanes[0] > 0.9 and lanes[1] > 0.9 and lanes[3] < 0.1:
                return "utf-32-be"
        # Japanese text has no NUL byte in either lane, so a tenth of the characters being
        # ASCII (line breaks and commas alone are more) is enough, as long as the other lane
        # has almost none.
        elif lanes[1] > 0.1 and lanes[0] < lanes[1] / 8:
            return "utf-16-le"
        elif lanes[0] > 0.1 and lanes[1] < lanes[0] / 8:
            return "utf-16-be"
    return None


def _decode_unicode(data: bytes, encoding: str, *, problem: str) -> str:
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(codec, errors="replace").count("\n") + 1
        raise UnreadableCsv(problem, line, encoding=_LABELS[encoding]) from None


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in; ``UnreadableCsv`` when unreadable.

    The encoding is one of ``utf-8``, ``utf-8-sig`` (with a byte-order mark), ``utf-16-le``,
    ``utf-16-be``, ``utf-32-le``, ``utf-32-be`` (with or without one) or ``cp932``. UTF-8 is
    tried before Shift_JIS because it is strict: Shift_JIS bytes of Japanese text are almost
    never valid UTF-8, while many byte sequences pass as Shift_JIS.
    """
    for signature, kind in _EXCEL_SIGNATURES:
        if data.startswith(signature):
            raise UnreadableCsv("excel_workbook", kind=kind)
    if data.startswith(b"%PDF-"):
        raise UnreadableCsv("not_text")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_unicode(data[len(bom) :], encoding, problem="bad_bom"), encoding
    encoding = _nul_pattern(data)
    if encoding is not None:
        return _decode_unicode(data, encoding, problem="bad_utf16"), encoding
    sample = data[:_SAMPLE]
    if sample.count(0) > len(sample) // 10:
        raise UnreadableCsv("not_text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        not_utf8 = exc
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise UnreadableCsv("not_text")
    offset = not_utf8.start
    line = data[:offset].count(b"\n") + 1
    raise UnreadableCsv("unknown_encoding", line, bytes=data[offset : offset + 4].hex(" "))


def read_records(text: str) -> list[tuple[int, list[str]]]:
    """CSV records with the file line each starts on (quoted fields may span lines).

    Comma-separated, unless the header line has tabs and no comma. Raises ``UnreadableCsv``
    (``field_too_long`` or ``csv``) at the line of the record that cannot be read.
    """
    header = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in header and "," not in header else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise UnreadableCsv("field_too_long", start, max=FIELD_LIMIT) from None
        raise UnreadableCsv("csv", start, detail=str(exc)) from None
    return records


def control_character(value: str, column: str) -> dict[str, Any] | None:
    """The ``control_character`` problem's parameters when a name or key cell has one."""
    found = find_control_character(value)
    if found is None:
        return None
    return {"column": column, "char": found.codepoint, "position": found.position}


def header_control_character(raw: str, index: int) -> tuple[str, dict[str, Any]] | None:
    """``(column, parameters)`` of the ``control_character`` problem of a header cell."""
    column = without_control_characters(raw).strip() or str(index + 1)
    refused = control_character(raw.strip(), column)
    return None if refused is None else (column, refused)
