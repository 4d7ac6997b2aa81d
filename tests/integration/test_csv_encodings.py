"""Participant and response CSV files in every encoding Excel and editors write, and clear
messages (in the user's language) for files that cannot be read."""

from __future__ import annotations

import codecs
import html as html_module
import io

import pytest
from sqlalchemy import func, select

from app.models import Answer, Participant, Response
from app.platform.extensions import db
from tests.factories import grant, make_campaign, make_org, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    import_id_of,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

PEOPLE = (
    "name,email,department,role\r\n"
    "山田 太郎,taro@example.jp,営業部,frontline\r\n"
    "佐藤 花子,hanako@example.jp,開発部,ミドルマネジメント\r\n"
)
#: What Excel writes for "Unicode text (*.txt)": UTF-16 LE with a BOM, tab-separated.
EXCEL_UNICODE_TEXT = codecs.BOM_UTF16_LE + PEOPLE.replace(",", "\t").encode("utf-16-le")


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


def _upload(client, url: str, data: bytes, language: str = "en"):
    return client.post(
        url,
        data={"csrf_token": client.csrf, "file": (io.BytesIO(data), "file.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": language},
    )


def _participants() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Participant))


@pytest.mark.parametrize(
    "data",
    [
        EXCEL_UNICODE_TEXT,
        PEOPLE.encode("utf-16"),
        PEOPLE.encode("utf-16-le"),
        PEOPLE.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + PEOPLE.encode("utf-32-le"),
    ],
    ids=["excel-unicode-text", "utf-16-bom", "utf-16-le", "utf-16-be", "utf-32-bom"],
)
def test_unicode_files_preview_and_import_in_the_browser(staff, data: bytes):
    client, campaign = staff
    url = f"/workspace/campaigns/{campaign.id}/participants/import"
    page = html_module.unescape(_upload(client, url, data).get_data(as_text=True))
    assert "Preview: 2 participants" in page, page
    confirm = client.post(
        url, data={"confirm-csrf_token": client.csrf, "confirm-import_id": import_id_of(page)}
    )
    assert confirm.status_code == 302
    assert _participants() == 2


def test_cli_import_says_which_encoding_it_read(runner, staff, tmp_path):
    _client, campaign = staff
    path = tmp_path / "people.txt"
    path.write_bytes(EXCEL_UNICODE_TEXT)
    result = runner.invoke(args=["participants", "import", str(campaign.id), str(path)])
    assert result.exit_code == 0, result.output
    assert f"Imported 2 participant(s) into campaign {campaign.id} (utf-16-le)." in result.stderr
    assert _participants() == 2


def test_a_long_single_line_file_is_not_called_an_encoding_problem(staff):
    client, campaign = staff
    url = f"/workspace/campaigns/{campaign.id}/participants/import"
    data = ("email,department,role," + "x" * 200_000 + "\n").encode("ascii")
    page = html_module.unescape(_upload(client, url, data).get_data(as_text=True))
    assert "Line 1</span>A field starting on this line is longer than 131072 characters" in page
    assert "neither UTF-8 nor Shift_JIS" not in page
    assert _participants() == 0


@pytest.mark.parametrize(
    ("data", "english", "japanese"),
    [
        (
            b"PK\x03\x04" + b"\x00" * 64,
            "This is an Excel workbook (.xlsx), not a CSV file.",
            "これは CSV ファイルではなく Excel ブック（.xlsx）です。",
        ),
        (
            "名前,メール\n".encode("utf-16-le")[:-1],
            "The file looks like UTF-16 LE text without a byte-order mark, but the bytes near "
            "line 1 are not valid UTF-16 LE",
            "バイト順マークのない UTF-16 LE のテキストのようですが、1 行目付近のバイトが "
            "UTF-16 LE として正しくありません",
        ),
        (
            "email,department,role\nx@example.jp,Café,frontline\n".encode("latin-1"),
            "The file is neither UTF-8 nor Shift_JIS text: line 2 has bytes that are not valid "
            "in either (e9 2c 66 72)",
            "このファイルは UTF-8 でも Shift_JIS でもありません。2 行目に、どちらとしても正しくない"
            "バイト（e9 2c 66 72）があり、別の文字コード（Latin-1、EUC-JP など）で保存されて"
            "います。",
        ),
    ],
    ids=["xlsx", "damaged-utf-16", "latin-1"],
)
def test_unreadable_files_say_what_they_are_in_the_users_language(staff, data, english, japanese):
    client, campaign = staff
    url = f"/workspace/campaigns/{campaign.id}/participants/import"
    page = html_module.unescape(_upload(client, url, data).get_data(as_text=True))
    assert english in page
    page = html_module.unescape(_upload(client, url, data, "ja").get_data(as_text=True))
    assert japanese in page
    assert _participants() == 0


def test_response_import_reads_the_same_encodings(runner, staff, tmp_path):
    client, campaign = staff
    questionnaire = campaign.questionnaire
    item = questionnaire.items[0].id
    question = questionnaire.open_questions[0].id
    text = f"department,role,{item},{question}\r\n営業部,frontline,3,良い点\r\n開発部,現場,na,\r\n"
    path = tmp_path / "paper.csv"
    path.write_bytes(text.encode("utf-16"))
    result = runner.invoke(args=["responses", "import", str(campaign.id), str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Response)) == 2
    texts = db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))).all()
    assert texts == ["良い点"]
    url = f"/workspace/campaigns/{campaign.id}/responses/import"
    page = html_module.unescape(
        _upload(client, url, b"PK\x03\x04" + b"\x00" * 64).get_data(as_text=True)
    )
    assert "This is an Excel workbook (.xlsx), not a CSV file." in page
