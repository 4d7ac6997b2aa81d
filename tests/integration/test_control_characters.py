"""NUL and other control characters, wherever text comes in, on SQLite and on PostgreSQL.

Free text (open answers, in the survey and in a responses CSV) loses its control characters
except tabs and line breaks, and is saved with everything else on the page. Names and keys
(workspace and account forms, CSV cells, CLI options) are refused with a message naming the
field (and, in a CSV, the line and column). PostgreSQL refuses NUL in text outright, so every
test here runs on both databases whatever TEST_DATABASE_URL says.
"""

from __future__ import annotations

import html as html_module
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from app.models import (
    Answer,
    ApiToken,
    Base,
    Campaign,
    Department,
    Organization,
    Participant,
    Response,
    User,
)
from app.operations.backup import backup_campaign
from app.platform.extensions import db
from tests.conftest import SharedApp
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.survey_fixtures import page_token, setup_survey, sign_in, start
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

#: NUL, BEL, ESC, DEL and a C1 control (NEL) in the middle of a text.
NOISY = "a\x00b\x07c\x1b[31md\x7fe\x85f"
CLEAN = "abc[31mdef"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory, postgres_database) -> tuple[str, dict[str, Any]]:
    """This module's own database of each kind, with every table created once."""
    if request.param == "sqlite":
        url, options = f"sqlite:///{tmp_path_factory.mktemp('text')}/text.sqlite3", {}
    else:
        url, options = postgres_database.new("text")
    engine = create_engine(url, **options)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url, options


@pytest.fixture(scope="module")
def shared_app(database_url: tuple[str, dict[str, Any]]) -> Iterator[SharedApp]:
    """This module's app, on this module's database."""
    shared = SharedApp(*database_url)
    yield shared
    shared.close()


# --- the survey: free text ------------------------------------------------------------------


@pytest.fixture
def survey(db, client):
    setup = setup_survey(db)
    sign_in(client, setup.token)
    start(client)
    return setup


def _open_page(setup) -> tuple[int, list[str]]:
    questionnaire = setup.campaign.questionnaire
    # After the rated items' pages and the outcome item's page.
    page = len(questionnaire.dimensions) + 1 + (1 if questionnaire.outcomes else 0)
    return page, [q.id for q in questionnaire.open_questions]


def _saved(db, participant_id: int) -> dict[str, Any]:
    db.session.expire_all()
    response = db.session.scalar(select(Response).where(Response.participant_id == participant_id))
    return {
        a.item_id: a.text
        for a in db.session.scalars(select(Answer).where(Answer.response_id == response.id))
    }


def test_autosave_removes_control_characters_and_saves_every_answer(db, client, survey):
    page, (first, second) = _open_page(survey)
    response = client.post(
        f"/survey/autosave?n={page}",
        data={
            "csrf_token": page_token(client, page),
            f"q_{first}": NOISY,
            f"q_{second}": "line one\r\nline\ttwo\rthree",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "saved"
    assert sorted(response.get_json()["saved"]) == sorted([first, second])
    assert _saved(db, survey.participant.id) == {
        first: CLEAN,
        second: "line one\nline\ttwo\nthree",
    }


def test_page_post_removes_control_characters_and_saves_every_answer(db, client, survey):
    page, (first, second) = _open_page(survey)
    response = client.post(
        f"/survey/page?n={page}",
        data={
            "csrf_token": page_token(client, page),
            f"q_{first}": "\x00",
            f"q_{second}": NOISY,
            "action": "next",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/survey/review")
    # An answer made only of control characters is an empty answer, not an error.
    assert _saved(db, survey.participant.id) == {second: CLEAN}


def test_the_length_limit_counts_the_saved_text(db, client, survey):
    page, (first, _second) = _open_page(survey)
    limit = survey.campaign.questionnaire.open_questions[0].max_length
    response = client.post(
        f"/survey/autosave?n={page}",
        data={"csrf_token": page_token(client, page), f"q_{first}": "あ" * limit + "\x00" * 5},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _saved(db, survey.participant.id) == {first: "あ" * limit}


# --- staff: forms, CSV files, CLI -------------------------------------------------------------


@pytest.fixture
def staff(app):
    user = make_user("c@example.com")
    org = make_org("acme", ("営業部", "開発部"))
    grant(user, org, "consultant")
    campaign = make_campaign(org)
    client = make_client(app)
    login(client, "c@example.com")
    client.csrf = csrf_token(client, "/account")
    return client, campaign


def _post(client, url: str, **data: Any):
    return client.post(url, data={"csrf_token": client.csrf, **data})


def _count(model: Any) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


REFUSED = "contains a control character"


@pytest.mark.parametrize(
    ("fields", "label", "char", "position"),
    [
        ({"name": "みなと\x00商事", "slug": "minato"}, "Organisation name", "U+0000", 4),
        ({"name": "みなと商事", "slug": "mina\x1bto"}, "Short name (slug)", "U+001B", 5),
        (
            {"name": "みなと商事", "slug": "minato", "departments": "営業部\n開発\x00部\n"},
            "Departments",
            "U+0000",
            7,
        ),
    ],
)
def test_organisation_form_refuses_control_characters_by_field(
    staff, fields, label, char, position
):
    client, _campaign = staff
    before = _count(Organization)
    response = _post(client, "/workspace/orgs/new", **fields)
    assert response.status_code == 200
    page = html_module.unescape(response.get_data(as_text=True))
    assert f"{label} {REFUSED} ({char}) at character {position}; remove it and try again." in page
    assert _count(Organization) == before


def test_one_name_per_line_keeps_its_line_breaks(staff):
    client, _campaign = staff
    response = _post(
        client,
        "/workspace/orgs/new",
        name="みなと商事",
        slug="minato",
        departments="営業部\r\n開発部",
    )
    assert response.status_code == 302
    org = db.session.scalar(select(Organization).where(Organization.slug == "minato"))
    assert sorted(d.name for d in org.departments) == ["営業部", "開発部"]


def test_every_workspace_text_field_refuses_a_nul(staff):
    client, campaign = staff
    org = campaign.organization
    department = org.departments[0]
    role = org.roles[0]
    posts = [
        (f"/workspace/orgs/{org.slug}/settings", {"name": "A\x00", "slug": org.slug}),
        (f"/workspace/departments/{department.id}", {"name": "営業\x00部", "parent": "0"}),
        (f"/workspace/roles/{role.id}", {"label_ja": "現\x00場", "label_en": "Front"}),
        (f"/workspace/campaigns/{campaign.id}/next-round", {"name": "2027\x00", "version": ""}),
        (
            f"/workspace/campaigns/{campaign.id}/participants/new",
            {
                "name": "山田\x00",
                "email": "taro@example.jp",
                "department": str(department.id),
                "role": str(role.id),
            },
        ),
        (
            f"/workspace/campaigns/{campaign.id}/participants/new",
            {
                "email": "taro\x00@example.jp",
                "department": str(department.id),
                "role": str(role.id),
            },
        ),
        (
            f"/workspace/orgs/{org.slug}/campaigns/new",
            {
                "name": "x\x00",
                "questionnaire": "cx-five-capabilities@1.0.0",
                "timezone": "Asia/Tokyo",
                "threshold": "5",
            },
        ),
    ]
    for url, data in posts:
        response = _post(client, url, **data)
        assert response.status_code == 200, (url, response.status_code)
        assert REFUSED in html_module.unescape(response.get_data(as_text=True)), url
    db.session.expire_all()
    assert db.session.get(Organization, org.id).name == "acme 株式会社"
    assert db.session.get(Department, department.id).name == department.name
    assert _count(Campaign) == 1
    assert _count(Participant) == 0


def test_department_and_role_added_from_the_organisation_page_refuse_a_nul(staff):
    client, campaign = staff
    org = campaign.organization
    before = _count(Department)
    response = client.post(
        f"/workspace/orgs/{org.slug}/departments",
        data={"dept-csrf_token": client.csrf, "dept-name": "新\x00部", "dept-parent": "0"},
    )
    assert response.status_code == 302
    roles = len(org.roles)
    response = client.post(
        f"/workspace/orgs/{org.slug}/roles",
        data={"role-csrf_token": client.csrf, "role-key": "boss", "role-label_ja": "社\x00長"},
    )
    assert response.status_code == 302
    assert _count(Department) == before
    db.session.expire_all()
    assert len(db.session.get(Organization, org.id).roles) == roles


def test_api_token_name_and_login_email_refuse_a_nul(app, staff):
    client, _campaign = staff
    response = client.post(
        "/account", data={"token-csrf_token": client.csrf, "token-name": "ci\x00"}
    )
    assert response.status_code == 200
    assert f"Token name {REFUSED} (U+0000) at character 3" in html_module.unescape(
        response.get_data(as_text=True)
    )
    assert _count(ApiToken) == 0
    anonymous = make_client(app)
    response = anonymous.post(
        "/login",
        data={
            "csrf_token": csrf_token(anonymous, "/login"),
            "email": "c@example.com\x00",
            "password": "whatever-it-is",
        },
    )
    assert response.status_code in (200, 401, 422)
    assert f"Email {REFUSED}" in html_module.unescape(response.get_data(as_text=True))


def _upload(client, url: str, data: bytes):
    return client.post(
        url,
        data={"csrf_token": client.csrf, "file": (io.BytesIO(data), "file.csv")},
        content_type="multipart/form-data",
    )


def test_participant_csv_refuses_control_characters_at_line_and_column(staff):
    client, campaign = staff
    url = f"/workspace/campaigns/{campaign.id}/participants/import"
    body = (
        "name,email,department,role\n"
        "山田\x00太郎,taro@example.jp,営業部,frontline\n"
        "佐藤 花子,hanako@example.jp,開\x1b発部,frontline\n"
        "John,john@example.com,営業部,frontline\n"
    )
    response = _upload(client, url, body.encode("utf-8"))
    page = html_module.unescape(response.get_data(as_text=True))
    assert "The file has 2 problem(s); nothing was imported" in page
    assert (
        "Line 2 · name</span>name contains a control character (U+0000) at "
        "character 3; remove it and upload the file again."
    ) in page
    assert "Line 3 · department</span>department contains a control character (U+001B)" in page
    assert 'name="confirm-import_id"' not in page
    # A confirmation posted anyway (a crafted form) finds no kept file and imports nothing.
    response = client.post(
        url, data={"confirm-csrf_token": client.csrf, "confirm-import_id": "crafted"}
    )
    assert response.status_code == 404
    assert _count(Participant) == 0


def test_participant_csv_header_with_a_control_character_is_named(staff):
    client, campaign = staff
    body = "name,e\x00mail,department,role\nx,x@example.jp,営業部,frontline\n"
    response = _upload(
        client, f"/workspace/campaigns/{campaign.id}/participants/import", body.encode()
    )
    page = html_module.unescape(response.get_data(as_text=True))
    assert "Line 1 · email</span>email contains a control character (U+0000)" in page
    assert "Required column" not in page
    assert _count(Participant) == 0


def test_response_csv_cleans_open_answers_and_refuses_bad_names(staff):
    client, campaign = staff
    questionnaire = campaign.questionnaire
    item = questionnaire.items[0].id
    question = questionnaire.open_questions[0].id
    url = f"/workspace/campaigns/{campaign.id}/responses/import"
    bad = (
        f"department,role,{item},{question}\n営業\x00部,frontline,3,ok\n営業部,frontline,4\x07,ok\n"
    )
    page = html_module.unescape(_upload(client, url, bad.encode()).get_data(as_text=True))
    assert "Line 2 · department" in page
    assert "department contains a control character (U+0000) at character 3" in page
    assert f"Line 3 · {item}" in page
    assert f"{item} contains a control character (U+0007) at character 2" in page
    assert _count(Response) == 0
    good = f'department,role,{item},{question}\n営業部,frontline,3,"{NOISY}\r\nnext\tline"\n'
    response = _upload(client, url, good.encode())
    assert response.status_code == 302, response.get_data(as_text=True)
    answers = {
        a.item_id: a.value if a.text is None else a.text
        for a in db.session.scalars(
            select(Answer).join(Response).where(Response.source == "import")
        )
    }
    assert answers == {item: 3, question: CLEAN + "\nnext\tline"}


def test_cli_refuses_control_characters_in_names(runner, staff):
    _client, campaign = staff
    cases = [
        (["org", "create", "minato", "--name", "みなと\x1b[2J商事"], "--name", "U+001B", 4),
        (
            ["org", "create", "minato", "--name", "M", "--departments", "営業部,開\x00発部"],
            "--departments",
            "U+0000",
            6,
        ),
        (["org", "create", "mina\x07to", "--name", "M"], "SLUG", "U+0007", 5),
        (
            ["campaign", "create", "acme", "cx-five-capabilities", "--name", "x\x00"],
            "--name",
            "U+0000",
            2,
        ),
        (["campaign", "copy", str(campaign.id), "--name", "\x9b2027"], "--name", "U+009B", 1),
        (["user", "create", "new\x00@example.com", "--password", "x" * 20], "EMAIL", "U+0000", 4),
        (["user", "token", "c@example.com", "--name", "ci\x00"], "--name", "U+0000", 3),
    ]
    for args, where, char, position in cases:
        result = runner.invoke(args=args)
        assert result.exit_code == 2, (args, result.output)
        assert where in result.output, args
        assert f"contains a control character ({char}) at character {position}" in result.output, (
            args
        )
    assert _count(Organization) == 1
    assert _count(Campaign) == 1
    assert _count(User) == 1
    assert _count(ApiToken) == 0


def test_cli_participant_import_names_line_and_column(runner, staff, tmp_path):
    _client, campaign = staff
    path = tmp_path / "people.csv"
    path.write_bytes("email,department,role\nx@example.jp,営業部,front\x00line\n".encode())
    result = runner.invoke(args=["participants", "import", str(campaign.id), str(path)])
    assert result.exit_code == 1
    assert (
        f"{path}:line 2, column role: role contains a control character (U+0000) at "
        "character 6; remove it and upload the file again."
    ) in result.stderr
    assert _count(Participant) == 0


def test_a_control_character_in_a_url_path_finds_no_page(staff):
    client, campaign = staff
    slug = campaign.organization.slug
    assert client.get(f"/workspace/orgs/{slug}").status_code == 200
    for url in (
        "/workspace/orgs/ac%00me",
        "/workspace/orgs/ac%1Bme/settings",
        "/r/abc%00def",
        f"/dashboard/campaigns/{campaign.id}/dimensions/x%00",
    ):
        assert client.get(url).status_code == 404, url


def test_a_restored_backup_refuses_control_characters_in_names_and_cleans_answers(
    runner, staff, tmp_path
):
    _client, campaign = staff
    (person,) = add_people(campaign, 1, department="営業部")
    submit(person, text="良い\r\n点")
    data = backup_campaign(campaign)
    question = campaign.questionnaire.open_questions[0].id
    answer = next(a for a in data["responses"][0]["answers"] if a["item_id"] == question)
    answer["text"] = NOISY
    data["departments"][0]["name"] = "営業\x00部"
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(args=["campaign", "restore", str(path), "--org", "acme"])
    assert result.exit_code == 1
    assert (
        "departments[0].name: contains a control character (U+0000) at character 3."
        in result.output
    )
    assert _count(Campaign) == 1
    data["departments"][0]["name"] = "営業部"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(args=["campaign", "restore", str(path), "--org", "acme"])
    assert result.exit_code == 0, result.output
    restored = int(result.output.strip().splitlines()[-1])
    texts = db.session.scalars(
        select(Answer.text)
        .join(Response)
        .where(Response.campaign_id == restored, Answer.text.is_not(None))
    ).all()
    assert texts == [CLEAN]
