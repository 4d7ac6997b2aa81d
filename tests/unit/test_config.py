"""Settings from the environment, and the refusal to run without a real secret key."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.platform.config import (
    MIN_SECRET_KEY_LENGTH,
    ConfigError,
    check_secret_key,
    font_paths,
    from_environment,
    log_format,
)
from app.platform.rate_limit_store import FILE_SCHEME

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


# Every environment variable the app reads: (variable, setting, default, a value, its reading).
SETTINGS = [
    ("SECRET_KEY", "SECRET_KEY", None, "s" * 40, "s" * 40),
    (
        "DATABASE_URL",
        "SQLALCHEMY_DATABASE_URI",
        "sqlite:///INSTANCE/cx.sqlite3",
        "postgres://u@db/cx",
        "postgresql+psycopg://u@db/cx",
    ),
    ("FLASK_DEBUG", "DEBUG", False, "yes", True),
    (
        "CX_QUESTIONNAIRE_DIR",
        "CX_QUESTIONNAIRE_DIR",
        str(REPO / "questionnaires"),
        "/srv/q",
        "/srv/q",
    ),
    (
        "CX_PROFILE_FILE",
        "CX_PROFILE_FILE",
        str(REPO / "questionnaires" / "profile" / "cx-profile.yaml"),
        "/srv/p.yaml",
        "/srv/p.yaml",
    ),
    ("CX_REPORTS_DIR", "CX_REPORTS_DIR", str(REPO / "reports"), "/srv/r", "/srv/r"),
    ("CX_CACHE_DIR", "CX_CACHE_DIR", "INSTANCE/cache", "/srv/cache", "/srv/cache"),
    ("CX_RESULTS_WAIT_MS", "CX_RESULTS_WAIT_MS", 300, "1500", 1500),
    (
        "CX_BASE_URL",
        "CX_BASE_URL",
        "http://127.0.0.1:5000",
        "https://cx.example",
        "https://cx.example",
    ),
    ("REDIS_URL", "REDIS_URL", None, "redis://r:6379/1", "redis://r:6379/1"),
    (
        "REDIS_URL",
        "RATELIMIT_STORAGE_URI",
        f"{FILE_SCHEME}://INSTANCE/rate-limits.sqlite3",
        "redis://r:6379/1",
        "redis://r:6379/1",
    ),
    (
        "CX_RATE_LIMIT_FILE",
        "CX_RATE_LIMIT_FILE",
        "INSTANCE/rate-limits.sqlite3",
        "/srv/limits.sqlite3",
        "/srv/limits.sqlite3",
    ),
    (
        "CX_OPEN_LINK_ADDRESS_LIMIT",
        "CX_OPEN_LINK_ADDRESS_LIMIT",
        "20/minute;100/hour",
        "5/minute",
        "5/minute",
    ),
    (
        "CX_OPEN_LINK_CAMPAIGN_LIMIT",
        "CX_OPEN_LINK_CAMPAIGN_LIMIT",
        "60/minute;1000/hour",
        "9/minute",
        "9/minute",
    ),
    ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_SECURE", False, "1", True),
    ("MAX_CONTENT_LENGTH", "MAX_CONTENT_LENGTH", 8 * 1024 * 1024, "1000", 1000),
    ("MAX_FORM_PARTS", "MAX_FORM_PARTS", 500, "80", 80),
    ("MAX_FORM_MEMORY_SIZE", "MAX_FORM_MEMORY_SIZE", 1024 * 1024, "4096", 4096),
    ("CX_MAX_CSV_BYTES", "CX_MAX_CSV_BYTES", 2 * 1024 * 1024, "512", 512),
    ("CX_IMPORT_BACKGROUND_ROWS", "CX_IMPORT_BACKGROUND_ROWS", 5000, "200", 200),
    ("CX_PDF_TIMEOUT_S", "CX_PDF_TIMEOUT_S", 120, "30", 30),
    ("CX_PDF_MEMORY_MB", "CX_PDF_MEMORY_MB", 1536, "0", 0),
    ("CX_REPORT_WORKERS", "CX_REPORT_WORKERS", 1, "3", 3),
    ("CX_REPORT_JOB_STALE_S", "CX_REPORT_JOB_STALE_S", 600, "45", 45),
    ("CX_REPORT_ARCHIVE_DIR", "CX_REPORT_ARCHIVE_DIR", None, "/srv/a", "/srv/a"),
    ("CX_FONT_PATH", "CX_FONT_PATH", None, "/f/r.otf", "/f/r.otf"),
    ("CX_FONT_BOLD_PATH", "CX_FONT_BOLD_PATH", None, "/f/b.otf", "/f/b.otf"),
    ("CX_RESPONSE_RATE_TARGET", "CX_RESPONSE_RATE_TARGET", 0.7, "0.55", 0.55),
    ("LOGIN_PAIR_LIMIT", "LOGIN_PAIR_LIMIT", "5/minute", "3/minute", "3/minute"),
    ("LOGIN_ADDRESS_LIMIT", "LOGIN_ADDRESS_LIMIT", "20/hour", "9/hour", "9/hour"),
    ("LOGIN_ACCOUNT_LIMIT", "LOGIN_ACCOUNT_LIMIT", "50/hour", "99/hour", "99/hour"),
    ("LOGIN_MFA_LIMIT", "LOGIN_MFA_LIMIT", "5/15 minutes", "3/hour", "3/hour"),
    ("CX_MFA_REQUIRED", "CX_MFA_REQUIRED", False, "1", True),
    ("CX_WEBHOOKS_ALLOW_PRIVATE", "CX_WEBHOOKS_ALLOW_PRIVATE", False, "1", True),
    ("LOG_FORMAT", "LOG_FORMAT", "text", "JSON", "json"),
    ("LOG_LEVEL", "LOG_LEVEL", "INFO", "debug", "DEBUG"),
    ("PROXY_FIX", "PROXY_FIX", 0, "2", 2),
    ("DB_STATEMENT_TIMEOUT_MS", "DB_STATEMENT_TIMEOUT_MS", 30_000, "0", 0),
    ("DB_CONNECT_TIMEOUT_S", "DB_CONNECT_TIMEOUT_S", 5, "9", 9),
    ("DB_POOL_SIZE", "DB_POOL_SIZE", 2, "7", 7),
    ("GUNICORN_THREADS", "DB_POOL_SIZE", 2, "6", 6),
    ("DB_MAX_OVERFLOW", "DB_MAX_OVERFLOW", 2, "0", 0),
    ("MAIL_SERVER", "MAIL_SERVER", None, "smtp.example", "smtp.example"),
    ("MAIL_PORT", "MAIL_PORT", 587, "2525", 2525),
    ("MAIL_USERNAME", "MAIL_USERNAME", None, "mailer", "mailer"),
    ("MAIL_PASSWORD", "MAIL_PASSWORD", None, "pw", "pw"),
    ("MAIL_USE_TLS", "MAIL_USE_TLS", True, "off", False),
    ("MAIL_FROM", "MAIL_FROM", "cx-assessment@localhost", "cx@example.jp", "cx@example.jp"),
    ("MAIL_OUTBOX_DIR", "MAIL_OUTBOX_DIR", None, "/srv/outbox", "/srv/outbox"),
]


class _RecordingEnvironment(dict):
    """An environment that remembers every variable asked for."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()

    def get(self, key, default=None):  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)


def _expected(value: object, instance: Path) -> object:
    return value.replace("INSTANCE", str(instance)) if isinstance(value, str) else value


@pytest.mark.parametrize(
    ("variable", "setting", "default", "raw", "parsed"),
    SETTINGS,
    ids=[f"{row[0]}->{row[1]}" for row in SETTINGS],
)
def test_each_setting_comes_from_the_environment_with_its_default(
    tmp_path, variable, setting, default, raw, parsed
) -> None:
    assert from_environment(str(tmp_path), env={})[setting] == _expected(default, tmp_path)
    assert from_environment(str(tmp_path), env={variable: raw})[setting] == parsed
    # An empty variable counts as unset.
    if variable != "CX_BASE_URL":
        assert from_environment(str(tmp_path), env={variable: ""})[setting] == _expected(
            default, tmp_path
        )


def test_the_cache_folder_can_be_turned_off(tmp_path) -> None:
    assert from_environment(str(tmp_path), env={"CX_CACHE_DIR": "none"})["CX_CACHE_DIR"] is None


def test_the_dashboard_can_always_wait_for_the_current_figures(tmp_path) -> None:
    config = from_environment(str(tmp_path), env={"CX_RESULTS_WAIT_MS": "none"})
    assert config["CX_RESULTS_WAIT_MS"] is None
    with pytest.raises(ConfigError, match="CX_RESULTS_WAIT_MS must be at least 0"):
        from_environment(str(tmp_path), env={"CX_RESULTS_WAIT_MS": "-1"})


def test_the_table_above_covers_every_variable_read(tmp_path) -> None:
    env = _RecordingEnvironment()
    from_environment(str(tmp_path), env=env)
    assert env.asked == {row[0] for row in SETTINGS}


def test_every_variable_is_in_the_readme_configuration_table(tmp_path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    documented = {
        name
        for line in section.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split(" | ")[0])
    }
    read = {row[0] for row in SETTINGS} - {"GUNICORN_THREADS"}  # gunicorn's, documented there
    assert read <= documented, sorted(read - documented)


def test_settings_are_read_nowhere_else() -> None:
    readers = re.compile(r"\bos\.(environ|getenv)\b|from os import .*\b(environ|getenv)\b")
    found = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "app").rglob("*.py"))
        if path.name != "config.py" or path.parent.name != "platform"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if readers.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CX_PDF_TIMEOUT_S", "soon", "whole number"),
        ("CX_PDF_TIMEOUT_S", "0", "at least 1"),
        ("CX_REPORT_WORKERS", "0", "at least 1"),
        ("CX_REPORT_JOB_STALE_S", "0", "at least 1"),
        ("DB_POOL_SIZE", "0", "at least 1"),
        ("PROXY_FIX", "-1", "at least 0"),
        ("CX_RESPONSE_RATE_TARGET", "most", "a number"),
    ],
)
def test_a_setting_that_makes_no_sense_is_refused(tmp_path, variable, value, message) -> None:
    with pytest.raises(ConfigError, match=f"{variable} must be (a |at least )?.*{message}"):
        from_environment(str(tmp_path), env={variable: value})


def test_log_format_and_fonts_are_read_for_code_running_outside_an_app(monkeypatch) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    monkeypatch.delenv("CX_FONT_PATH", raising=False)
    monkeypatch.delenv("CX_FONT_BOLD_PATH", raising=False)
    assert log_format() == "text"
    assert font_paths() == (None, None)
    monkeypatch.setenv("LOG_FORMAT", "Json")
    monkeypatch.setenv("CX_FONT_PATH", "/f/r.otf")
    assert log_format() == "json"
    assert font_paths() == ("/f/r.otf", None)


def test_identity_providers_secrets_come_from_their_own_variables(tmp_path) -> None:
    config = from_environment(
        str(tmp_path),
        env={"CX_OIDC_SECRET_CORP_IDP": "s3cret", "CX_OIDC_SECRET_EMPTY": "", "OTHER": "x"},
    )
    assert config["OIDC_CLIENT_SECRETS"] == {"CORP_IDP": "s3cret"}
