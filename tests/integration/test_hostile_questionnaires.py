"""A questionnaire folder with hostile files: the CLI and the workspace keep working."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.factories import grant, make_campaign, make_org, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)
from tests.unit.test_questionnaire_limits import BOMB, DEEP

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

HOSTILE = {
    "a-deep.yaml": DEEP,
    "b-bomb.yaml": BOMB,
    "c-tagged.yaml": "id: !!python/object/apply:os.system [echo]\n",
    "d-merge.yaml": "a: &a {x: 1}\nb:\n  <<: *a\n",
    "e-date.yaml": "id: 2020-02-31\n",
}


@pytest.fixture
def folder(app, tmp_path: Path) -> Path:
    """The shipped questionnaires next to hostile files and a 10 MiB one."""
    for path in Path(app.config["CX_QUESTIONNAIRE_DIR"]).glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    for name, text in HOSTILE.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "f-huge.yaml").write_text(("# " + "x" * 1021 + "\n") * 10240, encoding="utf-8")
    app.config["CX_QUESTIONNAIRE_DIR"] = str(tmp_path)
    return tmp_path


def test_list_shows_the_good_files_and_names_each_bad_one(runner, folder: Path) -> None:
    result = runner.invoke(args=["questionnaire", "list"])
    assert result.exit_code == 0, result.output
    listed = [line.split()[-1] for line in result.stdout.splitlines()[1:]]
    assert listed == [
        "cx-five-capabilities-1.0.0.yaml",
        "cx-five-capabilities-2.0.0.yaml",
        "cx-five-capabilities.yaml",
        "cx-improvement-cycle-1.0.0.yaml",
        "cx-improvement-cycle-2.0.0.yaml",
        "cx-improvement-cycle.yaml",
    ]
    flagged = sorted(line.split(":")[0] for line in result.stderr.splitlines())
    assert flagged == sorted([*HOSTILE, "f-huge.yaml"])
    # A file with one problem is named with that problem, where it is.
    assert "a-deep.yaml:1:24: YAML error: nested more than 20 levels deep" in result.stderr
    assert "f-huge.yaml" in result.stderr
    assert "file too large" in result.stderr


def test_validate_prints_file_line_and_column_for_each(runner, folder: Path) -> None:
    paths = [str(folder / name) for name in [*HOSTILE, "f-huge.yaml"]]
    result = runner.invoke(args=["questionnaire", "validate", *paths])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        f"{folder / 'a-deep.yaml'}:1:24: YAML error: nested more than 20 levels deep; the format "
        "needs far fewer levels (is a bracket or an indentation out of place?)",
        f"{folder / 'b-bomb.yaml'}:4:36: YAML error: more than 10,000 values in the document "
        "(each alias counted as a copy of the value it names); use fewer aliases or a smaller "
        "file",
        f"{folder / 'c-tagged.yaml'}:1:5: YAML error: tags such as "
        "!!python/object/apply:os.system are not allowed; write the plain value (quote text "
        "that would otherwise read as a number, date or boolean)",
        f"{folder / 'd-merge.yaml'}:3:3: YAML error: merge keys (<<) are not allowed; write the "
        "keys out in this mapping (an alias such as *name may still stand for a whole value)",
        f"{folder / 'e-date.yaml'}:1:5: YAML error: cannot read '2020-02-31' as a date (day is "
        "out of range for month); quote it if it is meant as text",
        f"{folder / 'f-huge.yaml'}:257:1: file too large: a YAML file here may have at most "
        "256 KiB (262,144 bytes), and this one passes that limit here",
    ]
    assert result.stderr == "6 problems in 6 files.\n"


def test_next_round_page_offers_the_good_versions(app, folder: Path) -> None:
    user = make_user("c@example.com")
    org = make_org("acme")
    grant(user, org, "consultant")
    campaign = make_campaign(org)
    client = make_client(app)
    login(client, "c@example.com")
    response = client.get(f"/workspace/campaigns/{campaign.id}/next-round")
    assert response.status_code == 200
    assert "(this campaign&#39;s version)" in response.get_data(as_text=True)
    response = client.post(
        f"/workspace/campaigns/{campaign.id}/next-round",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "name": "2027 CX診断",
            "version": "",
        },
    )
    assert response.status_code == 302
