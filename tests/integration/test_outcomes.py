"""Customer outcomes: the CSV import (both NPS shapes, errors by line and column, nothing
written on any error), the workspace page, the CLI and the API, with NPS, its interval and LTV
computed the same way everywhere."""

from __future__ import annotations

import io
import json
import math

import pytest
from sqlalchemy import func, select

from app.auth.tokens import READ_WRITE, create_api_token
from app.models import AuditEvent, OutcomeRecord
from app.operations.outcomes import check_values, parse_outcomes, save_outcomes
from app.platform.extensions import db
from app.results.outcomes import organization_outcomes
from tests.factories import department_of, grant, make_org, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

SCALE_CSV = (
    "department,period,nps_0,nps_1,nps_2,nps_3,nps_4,nps_5,nps_6,nps_7,nps_8,nps_9,nps_10,"
    "churn_rate,arpa,gross_margin\n"
    ",2025,2,2,2,2,2,5,5,10,10,20,20,5%,120000,40%\n"
    "営業部,2025,1,1,1,1,1,5,5,5,5,10,5,0.08,90000,0.35\n"
)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutcomeRecord))


def _expected_nps(promoters: int, passives: int, detractors: int) -> tuple[float, float]:
    n = promoters + passives + detractors
    p, d = promoters / n, detractors / n
    return (p - d) * 100, 1.96 * math.sqrt((p + d - (p - d) ** 2) / n) * 100


def test_a_csv_of_answers_0_to_10_gives_nps_its_interval_and_ltv(app) -> None:
    org = make_org("outcomes")
    preview = parse_outcomes(org, SCALE_CSV.encode("utf-8"))
    assert preview.ok, [str(p) for p in preview.problems]
    save_outcomes(org, preview.records)
    db.session.commit()
    whole, sales = organization_outcomes(org)
    assert whole.department is None
    assert sales.department == {"ja": "営業部", "en": "営業部"}
    # 2*5 + 5*2 = 20 detractors, 20 passives, 40 promoters.
    assert (whole.values["promoters"], whole.values["passives"], whole.values["detractors"]) == (
        40,
        20,
        20,
    )
    score, half = _expected_nps(40, 20, 20)
    assert whole.nps.score == pytest.approx(score)
    assert whole.nps.ci95 == pytest.approx((score - half, score + half))
    assert whole.ltv == pytest.approx(120000 * 0.40 / 0.05)
    assert whole.values["churn_rate"] == pytest.approx(0.05)
    # 営業部 has 40 answers too: 15 promoters, 10 passives, 15 detractors.
    assert sales.nps.score == pytest.approx(0.0)
    assert sales.ltv == pytest.approx(90000 * 0.35 / 0.08)


def test_groups_shift_jis_and_the_30_answer_floor(app) -> None:
    org = make_org("groups")
    text = (
        "department,period,promoters,passives,detractors,csat,ces\n開発部,2026-H1,10,10,9,82%,3.4\n"
    )
    preview = parse_outcomes(org, text.encode("cp932"))
    assert preview.ok
    assert preview.encoding == "cp932"
    save_outcomes(org, preview.records)
    (record,) = organization_outcomes(org)
    assert record.nps.n == 29
    assert record.nps.score is None
    document = record.document()
    assert document["nps"] is None
    assert document["nps_ci95"] is None
    assert document["nps_answers"] == 29
    assert document["csat"] == pytest.approx(82)
    assert document["ces"] == pytest.approx(3.4)


def test_every_bad_cell_is_named_and_nothing_is_written(app) -> None:
    org = make_org("bad")
    text = (
        "department,period,promoters,passives,detractors,churn_rate,ces,colour\n"
        "営業部,2025,10,10,10,0.05,3,\n"
    )
    first = parse_outcomes(org, text.encode())
    assert [(p.line, p.column, p.code) for p in first.problems] == [(1, "colour", "unknown_column")]
    text = (
        "department,period,promoters,passives,detractors,churn_rate,ces\n"
        "営業部,2025,10,10,10,0.05,3\n"
        "経理部,2025,10,10,10,,\n"
        ",2025-Q5,10,x,10,5,9\n"
        "営業部,2025,1,1,1,,\n"
        ",2026,10,,10,,\n"
    )
    preview = parse_outcomes(org, text.encode())
    found = [(p.line, p.column, p.code) for p in preview.problems]
    assert found == [
        (3, "department", "unknown_department"),
        (4, "period", "bad_period"),
        (4, "passives", "not_a_count"),
        (4, "ces", "out_of_range"),
        (4, "churn_rate", "fraction_expected"),
        (5, "period", "duplicate_record"),
        (6, "passives", "partial_groups"),
    ]
    assert "経理部" in str(preview.problems[0])
    assert "営業部" in str(preview.problems[0])
    assert "line 4, column churn_rate" in str(preview.problems[4])
    assert _count() == 0


def test_a_second_import_replaces_the_figures_it_gives_and_keeps_the_others(app) -> None:
    org = make_org("upsert")
    save_outcomes(org, parse_outcomes(org, SCALE_CSV.encode()).records)
    again = "department,period,promoters,passives,detractors,arpa\n,2025,50,30,20,150000\n"
    save_outcomes(org, parse_outcomes(org, again.encode()).records)
    db.session.commit()
    whole = organization_outcomes(org)[0]
    assert _count() == 2
    assert whole.values["nps_counts"] is None, "groups given alone replace the stored answers"
    assert (whole.values["promoters"], whole.values["arpa"]) == (50, 150000)
    assert whole.values["churn_rate"] == pytest.approx(0.05), "a column not in the file is kept"


def test_answers_and_groups_must_agree() -> None:
    raw = {f"nps_{i}": "1" for i in range(11)} | {
        "promoters": "2",
        "passives": "2",
        "detractors": "7",
    }
    assert check_values(raw)[1] == []
    raw["promoters"] = "3"
    (problem,) = check_values(raw)[1]
    assert problem[1] == "groups_disagree"
    assert check_values({"arpa": "1e400"})[1][0][1] == "not_a_number"


def test_the_cli_imports_and_lists(app, runner, tmp_path) -> None:
    org = make_org("cli-org")
    good = tmp_path / "good.csv"
    good.write_text(SCALE_CSV, encoding="utf-8-sig")
    result = runner.invoke(args=["outcomes", "import", org.slug, str(good)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 outcome record(s)" in result.output
    listed = runner.invoke(args=["outcomes", "list", org.slug, "--json"])
    document = json.loads(listed.output)
    assert [item["period"] for item in document["outcomes"]] == ["2025", "2025"]
    assert document["outcomes"][0]["nps"] == pytest.approx(_expected_nps(40, 20, 20)[0])
    readable = runner.invoke(args=["outcomes", "list", org.slug])
    assert "NPS +25.0" in readable.output
    assert "LTV 960,000" in readable.output
    bad = tmp_path / "bad.csv"
    bad.write_text("department,period,arpa\n営業部,2025,-3\n", encoding="utf-8")
    refused = runner.invoke(args=["outcomes", "import", org.slug, str(bad)])
    assert refused.exit_code == 1
    assert "bad.csv:line 2, column arpa: arpa must be 0.0 or more, not -3." in refused.output
    assert "no outcome was imported" in refused.output
    assert _count() == 2


@pytest.fixture
def api_world(app):
    org = make_org("api-org")
    other = make_org("other-org")
    consultant = make_user("outcomes-consultant@example.com")
    executive = make_user("outcomes-exec@example.com")
    grant(consultant, org, "consultant")
    grant(consultant, other, "consultant")
    grant(executive, org, "executive")
    tokens = {
        "consultant": create_api_token(consultant, "tests", READ_WRITE),
        "executive": create_api_token(executive, "tests", READ_WRITE),
    }
    db.session.commit()
    return org, other, tokens


def _api(client, method, path, token, body=None):
    return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})


def test_the_api_reads_and_upserts_outcomes(client, api_world) -> None:
    org, _other, tokens = api_world
    sales = department_of(org, "営業部")
    path = f"/api/v1/organizations/{org.slug}/outcomes"
    body = {
        "outcomes": [
            {"department": None, "period": "2026", "nps_counts": [3] * 7 + [5, 5, 10, 15]},
            {"department": sales.id, "period": "2026", "churn_rate": 0.1, "arpa": 1000.0},
        ]
    }
    written = _api(client, "PUT", path, tokens["consultant"], body)
    assert written.status_code == 200, written.get_json()
    whole, part = written.get_json()["outcomes"]
    score, half = _expected_nps(25, 10, 21)
    assert whole["nps"] == pytest.approx(score)
    assert whole["nps_ci95"] == pytest.approx([score - half, score + half])
    assert (whole["promoters"], whole["passives"], whole["detractors"]) == (25, 10, 21)
    assert part["department"] == sales.id
    assert part["ltv"] is None, "no gross margin: no LTV"
    # The document read back can be sent again as it is.
    part["gross_margin"] = 0.5
    again = _api(client, "PUT", path, tokens["consultant"], {"outcomes": [part]})
    assert again.status_code == 200
    assert again.get_json()["outcomes"][1]["ltv"] == pytest.approx(1000 * 0.5 / 0.1)
    assert _api(client, "GET", path, tokens["executive"]).status_code == 200
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "outcomes.saved")) == 2


def test_the_api_refuses_bad_records_naming_the_field_and_writes_nothing(client, api_world):
    org, other, tokens = api_world
    path = f"/api/v1/organizations/{org.slug}/outcomes"
    foreign = department_of(other, "営業部").id
    body = {
        "outcomes": [
            {"department": None, "period": "2026", "csat": 80},
            {"department": foreign, "period": "2026"},
            {"department": None, "period": "26", "churn_rate": 1.5},
            {"department": None, "period": "2027", "promoters": "3", "colour": 1},
        ]
    }
    refused = _api(client, "PUT", path, tokens["consultant"], body)
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert error["field"] == "department"
    assert [(p["record"], p["field"]) for p in error["problems"]] == [
        (1, "department"),
        (2, "period"),
        (2, "churn_rate"),
        (3, "colour"),
        (3, "promoters"),
    ]
    assert _count() == 0
    assert _api(client, "PUT", path, tokens["consultant"], [1]).status_code == 400
    executive = _api(client, "PUT", path, tokens["executive"], {"outcomes": []})
    assert executive.status_code == 403
    assert (
        _api(
            client, "GET", "/api/v1/organizations/nobody/outcomes", tokens["executive"]
        ).status_code
        == 404
    )
    outsider = _api(
        client, "GET", f"/api/v1/organizations/{other.slug}/outcomes", tokens["executive"]
    )
    assert outsider.status_code == 404


def test_the_workspace_page_records_imports_and_deletes(app, api_world) -> None:
    org, _other, _tokens = api_world
    client = make_client(app)
    assert login(client, "outcomes-consultant@example.com").status_code == 302
    url = f"/workspace/orgs/{org.slug}/outcomes"
    page = client.get(url).get_data(as_text=True)
    assert "No customer outcome recorded yet." in page
    token = csrf_token(client, url)
    fields = {"csrf_token": token, "department": "0", "period": "2026"}
    refused = client.post(url, data={**fields, "promoters": "3", "passives": "2"})
    assert "Promoters, passives and detractors are given only in part" in refused.get_data(
        as_text=True
    )
    assert _count() == 0
    saved = client.post(
        url,
        data={**fields, "promoters": "20", "passives": "10", "detractors": "5", "churn_rate": "4%"},
    )
    assert saved.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "+42.9" in page
    assert "4.0%" in page
    record_id = db.session.scalar(select(OutcomeRecord.id))
    edit = client.get(f"{url}?edit={record_id}").get_data(as_text=True)
    assert 'value="4%"' in edit
    upload = client.post(
        f"{url}/import",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(b"department,period,csat\n\xe5,2025,80\n"), "o.csv"),
        },
        content_type="multipart/form-data",
    )
    text = upload.get_data(as_text=True)
    assert "nothing was imported" in text
    assert "Line 2" in text
    deleted = client.post(f"{url}/{record_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert _count() == 0
    assert client.post(f"{url}/{record_id}/delete", data={"csrf_token": token}).status_code == 404
    executive = make_client(app)
    assert login(executive, "outcomes-exec@example.com").status_code == 302
    seen = executive.get(url)
    assert seen.status_code == 200
    assert 'id="outcome-form"' not in seen.get_data(as_text=True)
    own_token = csrf_token(executive, url)
    assert executive.post(url, data={**fields, "csrf_token": own_token}).status_code == 404
