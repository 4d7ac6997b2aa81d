"""Names in both languages: organisations, departments, roles and campaigns may carry an
English name, which English outputs show; a name without one is shown as entered, and said so."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select, text

from app import create_app
from app.auth.tokens import create_api_token
from app.models import (
    AuditEvent,
    Campaign,
    Department,
    Organization,
    Participant,
    Role,
    User,
    display_name,
    name_labels,
)
from app.operations import demo
from app.operations.errors import OperationError
from app.operations.organizations import set_english_name
from app.operations.participant_import import import_participants, parse_participants
from app.platform.extensions import db
from app.reporting import service
from app.reporting.individual import build_individual_view
from tests.conftest import make_config
from tests.demo_copy import seeded_demo
from tests.factories import grant, make_campaign, make_org, make_user
from tests.integration.test_api_v1 import validate
from tests.integration.test_dashboard_fixtures import LEGAL, build_world, executive_client
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
TOO_LONG = "x" * 201


def _flat(html: str) -> str:
    """The visible text of an HTML page, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# The one way to pick a name ------------------------------------------------------------------


def test_english_outputs_read_the_english_name_and_fall_back_to_the_name_as_entered(app):
    org = make_org("acme", ("営業部", "開発部"), name="エー商事")
    sales, dev = org.departments
    sales.name_en = "Sales"
    assert display_name(sales, "en") == "Sales"
    assert display_name(sales, "ja") == "営業部"
    assert display_name(dev, "en") == "開発部"
    assert display_name(org, "en") == "エー商事"
    assert name_labels("営業部", "Sales") == {"ja": "営業部", "en": "Sales"}
    assert name_labels("開発部", None) == {"ja": "開発部", "en": "開発部"}


# Migration -----------------------------------------------------------------------------------


def _columns(table: str) -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns(table)}


def test_migration_0012_adds_the_english_names_and_removes_them_again(test_database):
    url, options = test_database.new("english_names")
    app = create_app(make_config(url, options))
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["db", "upgrade", "0011"]).exit_code == 0
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organization (id, name, slug, created_at)"
                    " VALUES (1, 'エー商事', 'acme', :t)"
                ),
                {"t": NOW},
            )
            conn.execute(
                text(
                    "INSERT INTO department (id, organization_id, name, position, archived)"
                    " VALUES (1, 1, '営業部', 0, :f)"
                ),
                {"f": False},
            )
        for table in ("organization", "department", "campaign"):
            assert "name_en" not in _columns(table)

        upgrade = runner.invoke(args=["db", "upgrade"])
        assert upgrade.exit_code == 0, upgrade.output
        for table in ("organization", "department", "campaign"):
            assert "name_en" in _columns(table)
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT name, name_en FROM department")).all() == [
                ("営業部", None)
            ]
            conn.execute(text("UPDATE department SET name_en = 'Sales'"))

        downgrade = runner.invoke(args=["db", "downgrade", "0011"])
        assert downgrade.exit_code == 0, downgrade.output
        for table in ("organization", "department", "campaign"):
            assert "name_en" not in _columns(table)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM department")).scalars().all() == ["営業部"]
            assert conn.execute(text("SELECT slug FROM organization")).scalars().all() == ["acme"]
        db.engine.dispose()


# Workspace forms -----------------------------------------------------------------------------


@pytest.fixture
def consultant_client(app):
    make_user("c@example.com")
    client = make_client(app)
    login(client, "c@example.com")
    client.csrf = csrf_token(client, "/account")
    return client


def _me() -> User:
    return db.session.scalar(select(User).where(User.email == "c@example.com"))


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": client.csrf, **data})


def _actions(org: Organization) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.organization_id == org.id)
            .order_by(AuditEvent.id)
        )
    )


def test_the_organisation_forms_set_and_change_the_english_name(app, consultant_client):
    response = _post(
        consultant_client,
        "/workspace/orgs/new",
        name="みなと商事",
        name_en="Minato Trading",
        slug="minato",
        departments="営業部",
    )
    assert response.status_code == 302
    org = db.session.scalar(select(Organization).where(Organization.slug == "minato"))
    assert org.name_en == "Minato Trading"
    page = consultant_client.get("/workspace/orgs/minato/settings").get_data(as_text=True)
    assert 'value="Minato Trading"' in page

    response = _post(
        consultant_client,
        "/workspace/orgs/minato/settings",
        name="みなと商事",
        name_en="  Minato Trading Co.  ",
        slug="minato",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, org.id).name_en == "Minato Trading Co."
    assert _actions(org)[-1] == "organization.updated"

    # Left blank, English outputs show the name as entered again.
    _post(
        consultant_client,
        "/workspace/orgs/minato/settings",
        name="みなと商事",
        name_en="",
        slug="minato",
    )
    db.session.expire_all()
    assert db.session.get(Organization, org.id).name_en is None


def test_an_english_name_too_long_is_refused_and_the_error_names_the_field(app, consultant_client):
    response = _post(
        consultant_client, "/workspace/orgs/new", name="みなと商事", name_en=TOO_LONG, slug="m"
    )
    assert response.status_code == 200
    assert "The English name is longer than 200 characters." in response.get_data(as_text=True)
    assert db.session.scalar(select(Organization).where(Organization.slug == "m")) is None

    japanese = make_client(app, "ja")
    login(japanese, "c@example.com")
    japanese.csrf = csrf_token(japanese, "/account")
    response = _post(japanese, "/workspace/orgs/new", name="みなと商事", name_en=TOO_LONG, slug="m")
    assert "英語名は200文字以内で入力してください。" in response.get_data(as_text=True)


def test_the_department_forms_set_and_change_the_english_name(app, consultant_client):
    org = make_org("acme", ("営業部",))
    grant(_me(), org, "consultant")
    response = _post(
        consultant_client,
        "/workspace/orgs/acme/departments",
        **{"dept-name": "開発部", "dept-name_en": "Development", "dept-parent": 0},
    )
    assert response.status_code == 302
    dev = db.session.scalar(select(Department).where(Department.name == "開発部"))
    assert dev.name_en == "Development"
    page = consultant_client.get(f"/workspace/departments/{dev.id}").get_data(as_text=True)
    assert 'value="Development"' in page
    response = _post(
        consultant_client,
        f"/workspace/departments/{dev.id}",
        name="開発部",
        name_en="Product Development",
        parent=0,
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Department, dev.id).name_en == "Product Development"
    assert _actions(org)[-2:] == ["department.added", "department.updated"]

    response = _post(
        consultant_client, f"/workspace/departments/{dev.id}", name="開発部", name_en=TOO_LONG
    )
    assert response.status_code == 200
    assert "The English name is longer than 200 characters." in response.get_data(as_text=True)
    response = _post(
        consultant_client,
        "/workspace/orgs/acme/departments",
        **{"dept-name": "人事部", "dept-name_en": TOO_LONG, "dept-parent": 0},
    )
    page = consultant_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The English name is longer than 200 characters." in page
    assert db.session.scalar(select(Department).where(Department.name == "人事部")) is None


def test_the_campaign_forms_set_and_change_the_english_name(app, consultant_client):
    org = make_org("acme")
    grant(_me(), org, "consultant")
    response = _post(
        consultant_client,
        "/workspace/orgs/acme/campaigns/new",
        questionnaire="cx-five-capabilities@2.0.0",
        name="2026年度 CX診断",
        name_en="FY2026 CX Assessment",
        threshold=5,
        timezone="Asia/Tokyo",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    campaign = db.session.scalar(select(Campaign).where(Campaign.organization_id == org.id))
    assert campaign.name_en == "FY2026 CX Assessment"

    settings = f"/workspace/campaigns/{campaign.id}/settings"
    assert 'value="FY2026 CX Assessment"' in consultant_client.get(settings).get_data(as_text=True)
    response = _post(
        consultant_client,
        settings,
        name="2026年度 CX診断",
        name_en=TOO_LONG,
        threshold=5,
        timezone="Asia/Tokyo",
    )
    assert response.status_code == 200
    assert "The English name is longer than 200 characters." in response.get_data(as_text=True)
    response = _post(
        consultant_client,
        settings,
        name="2026年度 CX診断",
        name_en="FY2026 CX Maturity Assessment",
        threshold=5,
        timezone="Asia/Tokyo",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).name_en == "FY2026 CX Maturity Assessment"
    assert _actions(org)[-1] == "campaign.updated"


def test_the_operations_refuse_an_english_name_too_long(app):
    org = make_org("acme")
    with pytest.raises(OperationError, match="English name is longer than 200"):
        set_english_name(org, TOO_LONG)


# CSV import ----------------------------------------------------------------------------------


def test_the_participants_csv_gives_departments_their_english_names(app):
    org = make_org("acme", ("営業部", "開発部", "人事部"))
    sales, dev, hr = org.departments
    hr.name_en = "Human Resources"
    campaign = make_campaign(org)
    data = (
        "name,email,department,department_en,role\n"
        "山田 太郎,taro@example.jp,営業部,Sales,frontline\n"
        "佐藤 花子,hanako@example.jp,営業部,Sales,executive\n"
        "鈴木 一郎,ichiro@example.jp,開発部,,frontline\n"
        "田中 次郎,jiro@example.jp,人事部,Human Resources,frontline\n"
    )
    preview, imported = import_participants(campaign, data)
    assert preview.ok, [p.message for p in preview.problems]
    assert len(imported) == 4
    db.session.commit()
    db.session.expire_all()
    assert (sales.name_en, dev.name_en, hr.name_en) == ("Sales", None, "Human Resources")
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "participants.imported")
    ).one()
    assert event.detail["english_names"] == 1

    # The Japanese header is accepted; a file may not rename a department, nor name one twice.
    data = (
        "氏名,メールアドレス,部署,部署（英語）,役割\n"
        "a,a@example.jp,人事部,HR,frontline\n"
        "b,b@example.jp,開発部,Development,frontline\n"
        "c,c@example.jp,開発部,Engineering,frontline\n"
    )
    preview = parse_participants(campaign, data)
    problems = [(p.line, p.column, p.code) for p in preview.problems]
    assert problems == [
        (2, "department_en", "english_name_differs"),
        (4, "department_en", "english_name_varies"),
    ]
    assert "Human Resources" in preview.problems[0].message
    preview = parse_participants(
        campaign, f"email,department,department_en,role\nz@example.jp,開発部,{TOO_LONG},frontline\n"
    )
    assert [(p.column, p.code) for p in preview.problems] == [("department_en", "too_long")]


# CLI -----------------------------------------------------------------------------------------


def test_the_cli_creates_and_renames_in_english(app, runner):
    result = runner.invoke(
        args=["org", "create", "acme", "--name", "エー商事", "--name-en", "A Trading"]
    )
    assert result.exit_code == 0, result.output
    org = db.session.scalar(select(Organization).where(Organization.slug == "acme"))
    assert org.name_en == "A Trading"

    result = runner.invoke(args=["org", "add-department", "acme", "営業部", "--name-en", "Sales"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["org", "add-department", "acme", "法人営業課", "--parent", "営業部"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["org", "name-en", "acme", "Corporate Sales", "--department", "法人営業課"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["org", "name-en", "acme", "Front-line staff", "--role", "frontline"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["org", "name-en", "acme", "x", "--department", "無い部"])
    assert result.exit_code != 0
    assert "no department named '無い部'" in result.output
    db.session.expire_all()
    names = {d.name: (d.name_en, d.parent.name if d.parent else None) for d in org.departments}
    assert names == {"営業部": ("Sales", None), "法人営業課": ("Corporate Sales", "営業部")}
    frontline = db.session.scalar(select(Role).where(Role.key == "frontline"))
    assert frontline.label("en") == "Front-line staff"
    assert frontline.label("ja") == "現場"

    result = runner.invoke(
        args=[
            "campaign",
            "create",
            "acme",
            "cx-five-capabilities",
            "--name",
            "2026年度 CX診断",
            "--name-en",
            "FY2026 CX Assessment",
        ]
    )
    assert result.exit_code == 0, result.output
    campaign_id = int(result.output.strip().splitlines()[-1])
    assert db.session.get(Campaign, campaign_id).name_en == "FY2026 CX Assessment"
    result = runner.invoke(args=["campaign", "name-en", str(campaign_id), ""])
    assert result.exit_code == 0, result.output
    assert "shown as entered: 2026年度 CX診断" in result.output
    result = runner.invoke(args=["org", "name-en", "acme", TOO_LONG])
    assert result.exit_code != 0
    assert "English name is longer than 200 characters" in result.output
    db.session.expire_all()
    assert db.session.get(Campaign, campaign_id).name_en is None
    shown = runner.invoke(args=["org", "show", "acme"]).output
    assert "エー商事 / A Trading (acme)" in shown
    assert "法人営業課 / Corporate Sales" in shown


# Fallback: shown as entered, and said so ---------------------------------------------------


ENGLISH = {"エー商事": "A Trading", "営業部": "Sales", "開発部": "Development", LEGAL: "Legal"}


@pytest.fixture
def world(app):
    """The dashboard's world with English names for all but 人事部 and the campaigns."""
    world = build_world(with_previous=True)
    set_english_name(world.org, ENGLISH["エー商事"])
    for name, department in world.departments.items():
        if name in ENGLISH:
            set_english_name(department, ENGLISH[name])
    set_english_name(world.campaign, "FY2026 Assessment")
    db.session.commit()
    return world


def test_the_english_report_shows_a_name_without_english_as_entered_and_lists_it(app, world):
    english = _flat(service.render_html(world.campaign, locale="en").html)
    assert "A Trading" in english
    assert "FY2026 Assessment" in english
    assert "Sales" in english
    assert "Development" in english
    assert "営業部" not in english
    assert "開発部" not in english
    # 人事部 and the previous round (compared with) have no English name: as entered, and
    # said so once, in the appendix.
    assert "人事部" in english
    assert "Compared with: 2025年度診断" in english
    assert english.count("Shown as entered, without an English name") == 1
    assert "Shown as entered, without an English name: 人事部, 2025年度診断." in english

    japanese = _flat(service.render_html(world.campaign, locale="ja").html)
    assert "エー商事" in japanese
    assert "2026年度診断" in japanese
    assert "営業部" in japanese
    assert "人事部" in japanese
    for name in ("A Trading", "FY2026 Assessment", "Sales", "Development"):
        assert name not in japanese
    assert "英語名がないため" not in japanese

    # Every name in English: no appendix line.
    set_english_name(world.departments["人事部"], "Human Resources")
    set_english_name(world.previous, "FY2025 Assessment")
    db.session.commit()
    english = _flat(service.render_html(world.campaign, locale="en").html)
    assert "Shown as entered" not in english
    assert "Human Resources" in english
    assert "Compared with: FY2025 Assessment" in english


def test_the_english_dashboard_marks_a_name_without_english(app, world):
    client = executive_client(app, world, "en")
    response = client.get(f"/dashboard/campaigns/{world.campaign.id}/departments")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>FY2026 Assessment</h1>" in html
    assert "A Trading" in html
    marked = re.findall(
        r'<span class="as-entered" lang="ja" title="No English name">([^<]+)</span>', html
    )
    assert set(marked) == {"人事部"}
    assert ">Sales</a>" in html
    assert "営業部" not in html
    csv_rows = client.get(f"/dashboard/campaigns/{world.campaign.id}/departments.csv").get_data(
        as_text=True
    )
    assert "Sales" in csv_rows
    assert "人事部" in csv_rows
    assert "<span" not in csv_rows

    japanese = executive_client(app, world, "ja")
    html = japanese.get(f"/dashboard/campaigns/{world.campaign.id}/departments").get_data(
        as_text=True
    )
    assert "as-entered" not in html
    assert "営業部" in html
    assert ">Sales<" not in html
    assert "<h1>2026年度診断</h1>" in html


def test_the_workspace_lists_the_names_without_english(app, world):
    consultant = make_user("c@example.com")
    grant(consultant, world.org, "consultant")
    client = make_client(app)
    login(client, "c@example.com")
    page = _flat(client.get(f"/workspace/orgs/{world.org.slug}").get_data(as_text=True))
    assert "2 name(s) have no English name; English reports show them as entered." in page
    assert "2025年度診断, 人事部" in page
    # Beside each department, its English name where there is one.
    assert "営業部 Sales Edit" in page
    assert "人事部 Edit" in page

    campaign_page = _flat(
        client.get(f"/workspace/campaigns/{world.campaign.id}").get_data(as_text=True)
    )
    assert "2 name(s) have no English name" in campaign_page
    assert "2025年度診断, 人事部" in campaign_page

    set_english_name(world.departments["人事部"], "Human Resources")
    set_english_name(world.previous, "FY2025 Assessment")
    db.session.commit()
    page = client.get(f"/workspace/orgs/{world.org.slug}").get_data(as_text=True)
    assert "no English name" not in page
    page = client.get(f"/workspace/campaigns/{world.campaign.id}").get_data(as_text=True)
    assert "no English name" not in page


# The demo ------------------------------------------------------------------------------------


def test_the_demo_reports_read_in_english_and_in_japanese(app):
    seeded_demo()
    # The demo seeds its peer banks too: the demo's own organisation is picked by its slug.
    org = db.session.scalar(select(Organization).where(Organization.slug == demo.DEMO_SLUG))
    campaigns = list(
        db.session.scalars(
            select(Campaign).where(Campaign.organization_id == org.id).order_by(Campaign.id)
        )
    )
    # Nothing of the demo lacks an English name.
    assert org.name_en == demo.DEMO_NAME_EN
    assert all(d.name_en for d in org.departments)
    assert all(c.name_en for c in campaigns)
    current = next(c for c in campaigns if c.name == "2026年度 CX 5つの力 成熟度診断")

    pages = _pdf_text(service.render_pdf(current, locale="en")).split("\f")
    # The organisation profile's answers and notes are free text, kept as the consultant
    # wrote them (the demo's name 経営企画部 and デジタル推進部 there): its page is left out.
    profile = [page for page in pages if "Organisationprofile(facts)" in page]
    assert len(profile) == 2  # its table of contents entry, and its page
    # So are the agreed actions' titles and owners (the demo's 経営企画部長): the action
    # plan's pages are left out too.
    plan = [page for page in pages if "Progressonactions" in page]
    assert plan
    english = "".join(page for page in pages if page not in profile[1:] and page not in plan)
    assert "MinatoRegionalBank" in english
    assert "FY2026CXFiveCapabilitiesMaturityAssessment" in english
    assert "FY2026CXImprovementCyclePracticeAssessment" in english  # the companion
    assert "FY2025CXFiveCapabilitiesMaturityAssessment" in english  # compared with
    for name, _parent in demo.DEPARTMENTS:
        assert re.sub(r"\s+", "", demo.ENGLISH_NAMES[name]) in english, name
        assert name not in english, name
    assert "みなと地域銀行" not in english
    assert "Shownasentered" not in english

    japanese = _pdf_text(service.render_pdf(current, locale="ja"))
    assert "みなと地域銀行" in japanese
    assert "2026年度CX5つの力成熟度診断" in japanese
    for name, _parent in demo.DEPARTMENTS:
        assert name in japanese, name
    for english_name in demo.ENGLISH_NAMES.values():
        assert re.sub(r"\s+", "", english_name) not in japanese, english_name


def _pdf_text(pdf: bytes) -> str:
    """The PDF's text without white space; pages stay apart (form feeds)."""
    found = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return re.sub(r"[^\S\f]+", "", found.stdout.decode("utf-8"))


def test_the_english_individual_report_names_the_organisation_campaign_and_department(app, world):
    world.campaign.individual_reports = True
    participant = db.session.scalar(
        select(Participant).where(
            Participant.campaign_id == world.campaign.id,
            Participant.department_id == world.departments["営業部"].id,
        )
    )
    db.session.commit()
    with app.test_request_context():
        english = build_individual_view(participant, "en")
        japanese = build_individual_view(participant, "ja")
    assert (english.organization, english.campaign, english.department) == (
        "A Trading",
        "FY2026 Assessment",
        "Sales",
    )
    view = japanese
    assert (view.organization, view.campaign, view.department) == (
        "エー商事",
        "2026年度診断",
        "営業部",
    )


def test_the_api_gives_the_english_names_beside_the_names(app, world):
    token = create_api_token(world.executive, "tests")
    db.session.commit()
    client = make_client(app)
    response = client.get(
        f"/api/v1/campaigns/{world.campaign.id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    body = response.get_json()
    validate(body, "CampaignDetail")
    assert (body["name"], body["name_en"]) == ("2026年度診断", "FY2026 Assessment")
    assert body["organization"] == {"slug": "org-a", "name": "エー商事", "name_en": "A Trading"}
    listed = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"})
    previous = next(c for c in listed.get_json()["campaigns"] if c["id"] == world.previous.id)
    assert previous["name_en"] is None
