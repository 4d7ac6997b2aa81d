"""One questionnaire library: the CLI and the workspace offer the same files for the same
reasons, and leave out the same files with the same messages."""

from __future__ import annotations

import pytest

from app.operations.errors import OperationError
from app.queries.questionnaires import available_questionnaires, get_questionnaire, left_out
from tests.factories import grant, make_org, make_user
from tests.integration.test_cli_questionnaire import BROKEN, MINI, write
from tests.integration.workspace_support import login, make_client

CLASH = (
    "id: questionnaire 'mini' version '1.0.0' is also defined in {other}; neither file is "
    "offered until each id and version pair is unique"
)


@pytest.fixture
def library(app, tmp_path):
    write(tmp_path, "a-mini.yaml", MINI)
    write(tmp_path, "b-copy.yaml", "# the same questionnaire again\n" + MINI)
    write(tmp_path, "c-other.yaml", MINI.replace("id: mini", "id: other"))
    write(tmp_path, "d-broken.yaml", BROKEN)
    app.config["CX_QUESTIONNAIRE_DIR"] = str(tmp_path)
    return tmp_path


def test_a_clashing_id_and_version_is_offered_nowhere(app, db, runner, library):
    notices = [
        "a-mini.yaml:1:5: " + CLASH.format(other="b-copy.yaml"),
        "b-copy.yaml:2:5: " + CLASH.format(other="a-mini.yaml"),
        "d-broken.yaml: invalid (2 problems)",
    ]
    assert [q.id for q in available_questionnaires()] == ["other"]
    assert left_out() == notices
    with pytest.raises(OperationError, match="No valid questionnaire 'mini' in the library"):
        get_questionnaire("mini")

    listed = runner.invoke(args=["questionnaire", "list"])
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["ID", "other"]
    assert listed.stderr.splitlines() == [
        notices[0],
        notices[1],
        notices[2] + f"; run 'flask questionnaire validate {library / 'd-broken.yaml'}' "
        "for details",
    ]

    grant(make_user("lib@example.com"), make_org("library"), "consultant")
    client = make_client(app)
    login(client, "lib@example.com")
    page = client.get("/workspace/orgs/library/campaigns/new").get_data(as_text=True)
    assert 'value="other@1.0.0"' in page
    assert "mini@1.0.0" not in page
    for notice in notices:
        assert notice.replace("'", "&#39;") in page


def test_a_changed_file_is_read_again(app, library):
    assert [q.id for q in available_questionnaires()] == ["other"]
    (library / "b-copy.yaml").write_text(
        MINI.replace('version: "1.0.0"', 'version: "1.1.0"') + "# now a newer version\n",
        encoding="utf-8",
    )
    assert [(q.id, q.version) for q in available_questionnaires()] == [
        ("mini", "1.0.0"),
        ("mini", "1.1.0"),
        ("other", "1.0.0"),
    ]
    assert get_questionnaire("mini").version == "1.1.0"
    assert get_questionnaire("mini", "1.0.0").version == "1.0.0"
