"""What an uploaded CSV file is: its encoding, its records, or why it cannot be read."""

from __future__ import annotations

import codecs

import pytest

from app.operations.csv_input import (
    CSV_MESSAGES,
    FIELD_LIMIT,
    UnreadableCsv,
    decode_csv,
    read_records,
)

TEXT = (
    "name,email,department,role\r\n"
    "山田 太郎,taro@example.jp,営業本部,executive\r\n"
    "佐藤 花子,hanako@example.jp,個人営業部,現場\r\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("cp932"), "cp932"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-16"), "utf-16-le"),  # Python writes a little-endian BOM
        (codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), "utf-32-le"),
        (codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"), "utf-32-be"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),  # no BOM: found by its NUL bytes
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-32-le"), "utf-32-le"),
        (TEXT.encode("utf-32-be"), "utf-32-be"),
    ],
)
def test_every_supported_encoding_is_recognised(data: bytes, encoding: str) -> None:
    assert decode_csv(data) == (TEXT, encoding)


def test_japanese_only_utf16_without_bom_is_recognised_by_its_line_breaks_and_commas() -> None:
    text = "氏名,部署\n" + "".join(f"山田{i},営業本部\n" for i in range(50))
    assert decode_csv(text.encode("utf-16-le")) == (text, "utf-16-le")


def test_a_stray_nul_in_utf8_is_left_for_the_cell_check() -> None:
    data = "email,department,role\nx@example.jp,営業\x00部,frontline\n".encode()
    assert decode_csv(data)[1] == "utf-8"


def _unreadable(data: bytes) -> UnreadableCsv:
    with pytest.raises(UnreadableCsv) as caught:
        decode_csv(data)
    return caught.value


def test_excel_workbooks_are_named() -> None:
    xlsx = _unreadable(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100)
    assert (xlsx.code, xlsx.params["kind"]) == ("excel_workbook", ".xlsx")
    assert str(xlsx) == (
        "This is an Excel workbook (.xlsx), not a CSV file. In Excel, choose File > Save As > "
        "CSV UTF-8 (Comma delimited) and upload that file."
    )
    xls = _unreadable(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert (xls.code, xls.params["kind"]) == ("excel_workbook", ".xls")


def test_binary_data_is_not_text() -> None:
    assert _unreadable(bytes(range(256)) * 20).code == "not_text"
    assert _unreadable(b"%PDF-1.7\n\x00\x01\x02\xff\xfe" * 50).code == "not_text"


def test_damaged_unicode_names_the_encoding_and_the_line() -> None:
    damaged = codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le") + b"\x00\xdc" + b"a\x00"
    problem = _unreadable(damaged)
    assert (problem.code, problem.line) == ("bad_bom", 4)
    assert str(problem).startswith(
        "The file starts with the byte-order mark of UTF-16 LE, but the bytes near line 4 are "
        "not valid UTF-16 LE"
    )
    cut = TEXT.encode("utf-16-le")[:-1]
    problem = _unreadable(cut)
    assert (problem.code, problem.line) == ("bad_utf16", 3)
    assert "looks like UTF-16 LE text without a byte-order mark" in str(problem)


def test_other_encodings_point_at_the_first_unreadable_line() -> None:
    latin1 = "name,email\nok,ok@example.jp\nJosé,jose@example.es\n".encode("latin-1")
    problem = _unreadable(latin1)
    assert (problem.code, problem.line) == ("unknown_encoding", 3)
    assert problem.params["bytes"] == "e9 2c 6a 6f"
    assert "line 3 has bytes that are not valid in either (e9 2c 6a 6f)" in str(problem)


def test_records_keep_their_first_line_and_tabs_separate_excel_unicode_text() -> None:
    text = 'a,b\n"multi\nline",x\nlast,y\n'
    assert read_records(text) == [(1, ["a", "b"]), (2, ["multi\nline", "x"]), (4, ["last", "y"])]
    assert read_records("email\trole\nx@example.jp\tfrontline\n") == [
        (1, ["email", "role"]),
        (2, ["x@example.jp", "frontline"]),
    ]
    # A comma in the header keeps commas as the separator, tabs or not.
    assert read_records("a,b\tc\n1,2\t3\n") == [(1, ["a", "b\tc"]), (2, ["1", "2\t3"])]


def test_a_long_line_is_a_csv_problem_not_an_encoding_one() -> None:
    text = "email,department,role\nx@example.jp,営業部,frontline\n" + "a" * 200_000 + "\n"
    with pytest.raises(UnreadableCsv) as caught:
        read_records(text)
    assert (caught.value.code, caught.value.line) == ("field_too_long", 3)
    assert str(caught.value).startswith(
        f"A field starting on this line is longer than {FIELD_LIMIT} characters"
    )
    with pytest.raises(UnreadableCsv) as caught:
        read_records('email,role\n"x@example.jp,frontline\n' + "y,z\n" * 40_000)
    assert (caught.value.code, caught.value.line) == ("field_too_long", 2)


def test_every_message_takes_its_parameters() -> None:
    params = {
        "kind": ".xlsx",
        "encoding": "UTF-16 LE",
        "line": 3,
        "bytes": "e9",
        "max": 1,
        "detail": "d",
        "column": "name",
        "char": "U+0000",
        "position": 2,
    }
    for message in CSV_MESSAGES.values():
        assert "%(" not in message % params
