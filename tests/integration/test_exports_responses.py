"""Response exports (CSV, XLSX), response imports and campaign backups."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from app.models import Answer, AuditEvent, Campaign, Response
from app.operations import exports
from app.operations.backup import backup_campaign, restore_campaign
from app.operations.errors import OperationError
from app.operations.exports import ExportOptions, stream_csv
from app.operations.response_import import import_responses, parse_responses
from app.platform.extensions import db
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@pytest.fixture
def campaign(app):
    """Threshold 3: 営業部/frontline has 5 submitted, 開発部/frontline 3, 開発部/executive 1."""
    org = make_org("acme", ("営業部", "開発部"))
    campaign = make_campaign(org, threshold=3)
    for person in add_people(campaign, 5, department="営業部"):
        submit(person, value=4, text="営業の声")
    for person in add_people(campaign, 3, department="開発部"):
        submit(person, value=2, text="開発の声")
    submit(add_people(campaign, 1, department="開発部", role="executive")[0], value=5, text="役員")
    add_people(campaign, 2, department="開発部")  # invited, never answered
    return campaign


def _rows(campaign: Campaign, **options) -> list[dict[str, str]]:
    data = b"".join(stream_csv(campaign, ExportOptions(**options))).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(data)))


def test_csv_has_one_row_per_submitted_response(campaign):
    rows = _rows(campaign)
    assert len(rows) == 9
    questionnaire = campaign.questionnaire
    first_item = questionnaire.items[0].id
    assert list(rows[0])[:3] == ["department", "role", "submitted_at"]
    assert list(rows[0])[3:] == [
        *(i.id for i in questionnaire.items),
        *(o.id for o in questionnaire.outcomes),
        *(q.id for q in questionnaire.open_questions),
    ]
    assert {(r["department"], r["role"]) for r in rows} == {
        ("営業部", "現場"),
        ("開発部", "現場"),
        ("開発部", "経営層"),
    }
    assert rows[0]["submitted_at"].endswith("+09:00")
    assert sorted(r[first_item] for r in rows) == ["2", "2", "2", "4", "4", "4", "4", "4", "5"]
    assert "name" not in rows[0]
    assert "email" not in rows[0]


def test_open_text_only_for_groups_of_at_least_max_threshold_and_the_comment_minimum(campaign):
    open_id = campaign.questionnaire.open_questions[0].id
    texts = {(r["department"], r["role"]): r[open_id] for r in _rows(campaign)}
    assert texts[("営業部", "現場")] == "", "5 responses pass the threshold 3, not the minimum 10"
    assert texts[("開発部", "現場")] == ""
    assert texts[("開発部", "経営層")] == ""


@pytest.mark.parametrize(("comment_minimum", "shown"), [(10, True), (11, False)])
def test_open_text_follows_the_campaigns_comment_minimum(app, comment_minimum, shown):
    org = make_org("words", ("営業部",))
    campaign = make_campaign(org, threshold=3)
    campaign.comment_minimum = comment_minimum
    for person in add_people(campaign, 10, department="営業部"):
        submit(person, value=4, text="営業の声")
    open_id = campaign.questionnaire.open_questions[0].id
    texts = {r[open_id] for r in _rows(campaign)}
    assert texts == ({"営業の声"} if shown else {""})


def test_identities_only_when_asked(campaign):
    rows = _rows(campaign, with_identities=True)
    emails = {r["email"] for r in rows}
    assert len(emails) == 9
    assert all(r["name"].startswith("参加者") for r in rows)


def test_export_reads_in_batches_not_per_response(campaign, monkeypatch):
    monkeypatch.setattr(exports, "BATCH_SIZE", 2)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if "FROM answer" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = _rows(campaign)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(rows) == 9
    assert len(statements) == 5  # ceil(9 / 2) batches


def test_xlsx_has_item_ids_then_item_texts(campaign, tmp_path):
    path = tmp_path / "export.xlsx"
    exports.write_xlsx(campaign, ExportOptions(locale="en"), str(path))
    workbook = load_workbook(path, read_only=True)
    try:
        rows = list(workbook.active.iter_rows(values_only=True))
    finally:
        workbook.close()  # read-only workbooks keep the file open until closed
    item = campaign.questionnaire.items[0]
    assert rows[0][:4] == ("department", "role", "submitted_at", item.id)
    assert rows[1][3] == item.text.get("en")
    assert len(rows) == 2 + 9
    assert {row[3] for row in rows[2:]} == {2, 4, 5}


def _client_for(app, campaign, access: str):
    user = make_user(f"{access}@example.com")
    grant(user, campaign.organization, access)
    client = make_client(app)
    login(client, user.email)
    return client, csrf_token(client, "/account")


def test_browser_export_streams_and_is_audited(app, campaign):
    client, token = _client_for(app, campaign, "consultant")
    url = f"/workspace/campaigns/{campaign.id}/export"
    response = client.post(
        url,
        data={"csrf_token": token, "format": "csv", "locale": "ja", "with_identities": "y"},
        buffered=False,
    )
    assert response.is_streamed
    assert response.headers["Content-Disposition"].endswith('-responses.csv"')
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 9
    assert rows[0]["email"]
    xlsx = client.post(url, data={"csrf_token": token, "format": "xlsx", "locale": "en"})
    assert xlsx.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(xlsx.get_data()), read_only=True)
    try:
        assert len(list(workbook.active.iter_rows(values_only=True))) == 11
    finally:
        workbook.close()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "responses.exported").order_by(AuditEvent.id)
    ).all()
    assert [(e.detail["format"], e.detail["with_identities"]) for e in events] == [
        ("csv", True),
        ("xlsx", False),
    ]


def test_executives_do_not_export_responses(app, campaign):
    client, token = _client_for(app, campaign, "executive")
    url = f"/workspace/campaigns/{campaign.id}/export"
    assert client.get(url).status_code == 404
    response = client.post(
        url, data={"csrf_token": token, "format": "csv", "locale": "ja", "with_identities": "y"}
    )
    assert response.status_code == 404
    page = client.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    assert url not in page


# --- response import ------------------------------------------------------------------------


def test_import_accepts_the_export_shape(campaign):
    target = make_campaign(campaign.organization, name="紙の回答")
    data = b"".join(stream_csv(campaign, ExportOptions(with_identities=True)))
    preview, count = import_responses(target, data)
    assert preview.ok, [str(p) for p in preview.problems]
    assert count == 9
    db.session.commit()
    imported = db.session.scalars(select(Response).where(Response.campaign_id == target.id)).all()
    assert {(r.source, r.status, r.participant_id) for r in imported} == {
        ("import", "submitted", None)
    }
    assert _rows(target)[0].keys() == _rows(campaign)[0].keys()
    assert sorted(_strip(_rows(target))) == sorted(_strip(_rows(campaign)))


def _strip(rows):
    return [tuple(v for k, v in r.items() if k != "submitted_at") for r in rows]


def test_every_bad_cell_is_reported_and_nothing_is_imported(campaign):
    q = campaign.questionnaire
    a, b, c = (item.id for item in q.items[:3])
    text = f"department,role,{a},{b},{c},mistyped_item\n営業部,frontline,1,2,3,\n"
    preview = parse_responses(campaign, text)
    assert [(p.line, p.column, p.code) for p in preview.problems] == [
        (1, "mistyped_item", "unknown_column")
    ]
    text = (
        f"department,role,{a},{b},{c}\n"
        "営業部,frontline,1,2,3\n"
        "営業部,frontline,9,x,2.5\n"
        "総務部,boss,na,,\n"
        ",frontline,,,\n"
    )
    before = db.session.scalar(select(func.count(Response.id)))
    preview, count = import_responses(campaign, text.encode("utf-8"))
    assert count == 0
    assert [(p.line, p.column, p.code) for p in preview.problems] == [
        (3, a, "out_of_scale"),
        (3, b, "not_a_number"),
        (3, c, "not_a_number"),
        (4, "department", "unknown_department"),
        (4, "role", "unknown_role"),
        (5, "department", "missing_value"),
    ]
    assert "line 3, column " + a in str(preview.problems[0])
    assert db.session.scalar(select(func.count(Response.id))) == before


def test_browser_import_reports_problems_with_lines(app, campaign):
    client, token = _client_for(app, campaign, "consultant")
    item = campaign.questionnaire.items[0].id
    bad = f"department,role,{item}\n営業部,frontline,7\n"
    response = client.post(
        f"/workspace/campaigns/{campaign.id}/responses/import",
        data={"csrf_token": token, "file": (io.BytesIO(bad.encode()), "paper.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert "Line 2" in html
    assert item in html
    assert "outside the scale" in html
    good = f"department,role,{item}\n営業部,frontline,3\n開発部,現場,na\n"
    response = client.post(
        f"/workspace/campaigns/{campaign.id}/responses/import",
        data={"csrf_token": token, "file": (io.BytesIO(good.encode()), "paper.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    answers = db.session.scalars(
        select(Answer).join(Response).where(Response.source == "import")
    ).all()
    assert sorted(((a.value, a.not_applicable) for a in answers), key=repr) == [
        (3, False),
        (None, True),
    ]
    assert db.session.scalar(
        select(AuditEvent.detail).where(AuditEvent.action == "responses.imported")
    ) == {"responses": 2}


# --- backup ---------------------------------------------------------------------------------


def _normalised(data: dict) -> dict:
    """A backup without ids, export time and organisation, to compare two backups."""
    departments = {d["id"]: d["name"] for d in data["departments"]}
    roles = {r["id"]: r["key"] for r in data["roles"]}
    people = {p["id"]: p["email"] for p in data["participants"]}
    return {
        "campaign": {k: v for k, v in data["campaign"].items() if k != "id"},
        "questionnaire": data["questionnaire"],
        "departments": sorted(
            ((d["name"], departments.get(d["parent"]), d["archived"]) for d in data["departments"]),
            key=repr,
        ),
        "roles": sorted((r["key"], json.dumps(r["labels"], sort_keys=True)) for r in data["roles"]),
        "participants": sorted(
            (
                (
                    p["email"],
                    p["name"],
                    departments[p["department"]],
                    roles[p["role"]],
                    p["status"],
                    p["submitted_at"],
                    p["revoked_at"],
                )
                for p in data["participants"]
            ),
            key=repr,
        ),
        "responses": sorted(
            (
                (
                    people.get(r["participant"]),
                    departments[r["department"]],
                    roles[r["role"]],
                    r["status"],
                    r["source"],
                    r["submitted_at"],
                    json.dumps(sorted(r["answers"], key=lambda a: a["item_id"]), sort_keys=True),
                )
                for r in data["responses"]
            ),
            key=repr,
        ),
    }


def test_backup_round_trip(campaign):
    import_responses(
        campaign, f"department,role,{campaign.questionnaire.items[0].id}\n営業部,frontline,1\n"
    )
    campaign.comment_minimum = 17
    db.session.commit()
    original = backup_campaign(campaign)
    assert original["format"] == "cx-campaign-backup"
    assert all("token" not in key for p in original["participants"] for key in p)
    text = json.dumps(original, ensure_ascii=False)
    other = make_org("restored", ())
    restored = restore_campaign(json.loads(text), other)
    db.session.commit()
    assert restored.organization_id == other.id
    assert restored.questionnaire_hash == campaign.questionnaire_hash
    assert restored.comment_minimum == 17
    again = backup_campaign(restored)
    assert _normalised(again) == _normalised(original)
    assert len(again["responses"]) == 10
    # No link of the original campaign opens the restored one: it has no link until one is
    # handed out.
    assert all(p.links == [] for p in restored.participants)


def test_restore_refuses_damaged_backups(campaign):
    data = backup_campaign(campaign)
    other = make_org("restored", ())
    with pytest.raises(OperationError, match="not a campaign backup"):
        restore_campaign({"format": "something"}, other)
    damaged = json.loads(json.dumps(data))
    damaged["questionnaire"]["dimensions"][0]["items"][0]["text"]["ja"] = "改ざん"
    with pytest.raises(OperationError, match="damaged"):
        restore_campaign(damaged, other)
    lowered = json.loads(json.dumps(data))
    lowered["campaign"]["comment_minimum"] = 3
    with pytest.raises(OperationError, match="free-text answers must be between 10 and 50"):
        restore_campaign(lowered, other)
    older = json.loads(json.dumps(data))
    del older["campaign"]["comment_minimum"]
    assert restore_campaign(older, make_org("older", ())).comment_minimum == 10
    broken = json.loads(json.dumps(data))
    broken["responses"][0]["department"] = 999_999
    with pytest.raises(OperationError, match="incomplete or damaged"):
        restore_campaign(broken, other)
