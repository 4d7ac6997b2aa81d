"""Shared fixtures: the app on a real database (SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set), emptied after every test and dropped at the end."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from app import create_app
from app.models import Base
from app.platform.extensions import db as _db

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET_KEY = "test-secret-key-" + "x" * 32


#: The PostgreSQL server every machine of the project runs (see README); PostgreSQL-only
#: tests use it even when the main suite runs on SQLite, so they never skip.
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class TestDatabase:
    """A database the test session owns: a temporary SQLite file or a PostgreSQL schema."""

    def __init__(self, tmp_dir: Path, base_url: str | None = None) -> None:
        self.base_url = base_url or os.environ.get("TEST_DATABASE_URL")
        self.tmp_dir = tmp_dir
        self.schemas: list[str] = []

    @property
    def is_postgres(self) -> bool:
        return bool(self.base_url and self.base_url.startswith("postgresql"))

    def new(self, label: str) -> tuple[str, dict[str, Any]]:
        """A fresh, empty database: (URL, engine options)."""
        if not self.is_postgres:
            path = self.tmp_dir / f"{label}-{secrets.token_hex(4)}.sqlite3"
            return f"sqlite:///{path}", {}
        schema = f"test_{label}_{secrets.token_hex(4)}"
        engine = create_engine(self.base_url)
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        self.schemas.append(schema)
        return self.base_url, {
            "connect_args": {"options": f"-csearch_path={schema}"},
            "pool_pre_ping": True,
        }

    def drop_all(self) -> None:
        if not self.schemas:
            return
        engine = create_engine(self.base_url)
        with engine.begin() as conn:
            for schema in self.schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    database = TestDatabase(tmp_path_factory.mktemp("db"))
    yield database
    database.drop_all()


@pytest.fixture(scope="session")
def postgres_database(
    test_database: TestDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestDatabase]:
    """Fresh PostgreSQL schemas on demand, whichever database the main suite runs on."""
    if test_database.is_postgres:
        yield test_database
        return
    url = os.environ.get("CX_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    database = TestDatabase(tmp_path_factory.mktemp("pg"), base_url=url)
    yield database
    database.drop_all()


@pytest.fixture(scope="session")
def database_url(test_database: TestDatabase) -> tuple[str, dict[str, Any]]:
    """The session's main database, with every table created once."""
    url, options = test_database.new("main")
    engine = create_engine(url, **options)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url, options


def make_config(url: str, options: dict[str, Any], **extra: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": options,
        "CX_QUESTIONNAIRE_DIR": str(REPO_ROOT / "questionnaires"),
        "CX_BASE_URL": "http://localhost",
        "SERVER_NAME": None,
    }
    config.update(extra)
    return config


@pytest.fixture
def app(database_url: tuple[str, dict[str, Any]]) -> Iterator[Flask]:
    url, options = database_url
    app = create_app(make_config(url, options))
    with app.app_context():
        yield app
        _db.session.rollback()
        _db.session.remove()
        _empty_all_tables()
        _forget_cached_results()
        _db.engine.dispose()


def _forget_cached_results() -> None:
    """In-process caches are keyed by ids, which a later test may reuse."""
    from app.dashboard import charts as dashboard_charts
    from app.results import clear_cache

    clear_cache()
    dashboard_charts.clear_chart_cache()


def _empty_all_tables() -> None:
    with _db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
