"""``flask questionnaire validate`` and ``flask questionnaire list``."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from app.questionnaire import load_questionnaire

MINI = """\
id: mini
version: "1.0.0"
locales: [ja, en]
title: {ja: ミニ診断, en: Mini}
scale:
  min: 1
  max: 2
  labels:
    1: {ja: いいえ, en: "No"}
    2: {ja: はい, en: "Yes"}
dimensions:
  - id: org
    kind: capability
    title: {ja: 組織, en: Org}
    items:
      - id: org_a
        text: {ja: あ, en: A}
"""

BROKEN = MINI.replace("id: mini", "id: Mini").replace("kind: capability", "kind: capabilty")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_repository_questionnaires(app: Flask, runner: FlaskCliRunner) -> None:
    files = sorted(Path(app.config["CX_QUESTIONNAIRE_DIR"]).glob("*.yaml"))
    assert files, "the repository ships questionnaire files"
    result = runner.invoke(args=["questionnaire", "validate", *map(str, files)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(files)
    for path, line in zip(files, lines, strict=True):
        questionnaire = load_questionnaire(path)
        count = f"{len(questionnaire.items)} items"
        if questionnaire.outcomes:
            count += f", {len(questionnaire.outcomes)} outcome item"
        assert line == f"{path}: ok ({questionnaire.id} {questionnaire.version}, {count})"


def test_validate_valid_file(tmp_path: Path, runner: FlaskCliRunner) -> None:
    path = write(tmp_path, "mini.yaml", MINI)
    result = runner.invoke(args=["questionnaire", "validate", str(path)])
    assert result.exit_code == 0
    assert result.stdout == f"{path}: ok (mini 1.0.0, 1 item)\n"


def test_validate_reports_every_problem_and_fails(tmp_path: Path, runner: FlaskCliRunner) -> None:
    good = write(tmp_path, "good.yaml", MINI)
    bad = write(tmp_path, "bad.yaml", BROKEN)
    result = runner.invoke(args=["questionnaire", "validate", str(bad), str(good)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{bad}:1:5: id: invalid value 'Mini' (use lowercase letters, digits and hyphens, "
        "starting with a letter)",
        f"{bad}:13:11: dimensions[0].kind: unknown kind 'capabilty' (did you mean "
        "'capability'?); expected one of: capability, stage, outcome",
        f"{good}: ok (mini 1.0.0, 1 item)",
    ]
    assert result.stderr == "2 problems in 1 file.\n"


def test_validate_missing_file_fails(tmp_path: Path, runner: FlaskCliRunner) -> None:
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(args=["questionnaire", "validate", str(missing)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{missing}:1:1: cannot read file:")


def test_validate_requires_a_file(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["questionnaire", "validate"])
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_list_shows_valid_and_flags_invalid_files(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    write(tmp_path, "b-mini.yaml", MINI)
    write(tmp_path, "a-broken.yml", BROKEN)
    write(tmp_path, "readme.txt", "not a questionnaire")
    app.config["CX_QUESTIONNAIRE_DIR"] = str(tmp_path)
    digest = load_questionnaire(tmp_path / "b-mini.yaml").content_hash[:12]

    result = runner.invoke(args=["questionnaire", "list"])

    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "ID    VERSION  TITLE     ITEMS  HASH          FILE",
        f"mini  1.0.0    ミニ診断  1      {digest}  b-mini.yaml",
    ]
    assert result.stderr.splitlines() == [
        f"a-broken.yml: invalid (2 problems); run 'flask questionnaire validate "
        f"{tmp_path / 'a-broken.yml'}' for details"
    ]


def test_list_repository_questionnaires(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["questionnaire", "list"])
    assert result.exit_code == 0, result.output
    body = result.stdout.splitlines()
    assert body[0].split() == ["ID", "VERSION", "TITLE", "ITEMS", "HASH", "FILE"]
    for path in sorted(Path(app.config["CX_QUESTIONNAIRE_DIR"]).glob("*.yaml")):
        questionnaire = load_questionnaire(path)
        row = next(line for line in body if line.endswith(path.name))
        assert row.startswith(questionnaire.id)
        assert questionnaire.content_hash[:12] in row
        assert questionnaire.title.get(questionnaire.default_locale) in row


def test_list_empty_and_missing_directories(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    app.config["CX_QUESTIONNAIRE_DIR"] = str(tmp_path)
    result = runner.invoke(args=["questionnaire", "list"])
    assert result.exit_code == 0
    assert result.stdout == f"No questionnaire files in {tmp_path}.\n"

    app.config["CX_QUESTIONNAIRE_DIR"] = str(tmp_path / "nowhere")
    result = runner.invoke(args=["questionnaire", "list"])
    assert result.exit_code == 1
    assert "questionnaire directory not found" in result.stderr
