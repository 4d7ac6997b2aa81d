"""Settings from the environment, and the refusal to run without a real secret key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.platform.config import (
    MIN_SECRET_KEY_LENGTH,
    ConfigError,
    check_secret_key,
    from_environment,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("SECRET_KEY", "DATABASE_URL", "CX_QUESTIONNAIRE_DIR", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("key", [None, "", "x" * (MIN_SECRET_KEY_LENGTH - 1)])
def test_production_refuses_a_missing_or_short_secret_key(clean_env, tmp_path, key) -> None:
    settings = from_environment(str(tmp_path))  # an instance folder without a key file
    assert settings["SECRET_KEY"] is None
    settings["SECRET_KEY"] = key
    with pytest.raises(ConfigError, match="at least 32"):
        check_secret_key(settings)


def test_create_app_refuses_to_start_without_a_key(clean_env, tmp_path) -> None:
    with pytest.raises(ConfigError):
        create_app({"SECRET_KEY": "too-short", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_a_long_enough_key_from_the_environment_is_used(clean_env, tmp_path) -> None:
    clean_env.setenv("SECRET_KEY", "k" * MIN_SECRET_KEY_LENGTH)
    settings = from_environment(str(tmp_path))
    check_secret_key(settings)
    assert settings["SECRET_KEY"] == "k" * MIN_SECRET_KEY_LENGTH


def test_debug_and_testing_get_a_random_key(clean_env, tmp_path) -> None:
    settings = from_environment(str(tmp_path))
    settings["TESTING"] = True
    check_secret_key(settings)
    assert len(settings["SECRET_KEY"]) >= MIN_SECRET_KEY_LENGTH


def test_key_file_in_the_instance_folder(clean_env, tmp_path) -> None:
    (tmp_path / "secret_key").write_text("f" * 64 + "\n")
    assert from_environment(str(tmp_path))["SECRET_KEY"] == "f" * 64


def test_database_defaults_to_sqlite_in_the_instance_folder(clean_env, tmp_path) -> None:
    settings = from_environment(str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/cx.sqlite3"
    clean_env.setenv("DATABASE_URL", "postgresql://app@db.example/cx")
    assert (
        from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"]
        == "postgresql+psycopg://app@db.example/cx"
    )


def test_questionnaire_dir_comes_from_the_environment(clean_env, tmp_path) -> None:
    assert from_environment(str(tmp_path))["CX_QUESTIONNAIRE_DIR"] == str(REPO / "questionnaires")
    clean_env.setenv("CX_QUESTIONNAIRE_DIR", str(tmp_path / "library"))
    assert from_environment(str(tmp_path))["CX_QUESTIONNAIRE_DIR"] == str(tmp_path / "library")


def test_the_cli_says_what_is_missing_without_a_traceback(tmp_path) -> None:
    # A copy of the entry point in a folder whose instance/ holds no key file.
    (tmp_path / "wsgi.py").write_text((REPO / "wsgi.py").read_text())
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "SECRET_KEY": "short"}
    run = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "questionnaire", "list"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert "error: SECRET_KEY must be set" in run.stderr
    assert "Traceback" not in run.stderr
