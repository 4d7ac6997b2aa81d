"""Shared fixtures: the app on a real database (SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set), emptied after every test and dropped at the end.

One application serves every test that asks for ``app``, ``db``, ``client`` or ``runner``:
building it compiles every URL rule, the largest cost of a short test. Each test still starts
from the same state as with an app of its own: the configuration as built, the rate limiter's
storage and the logging set-up made again, every table empty, the in-process result caches
empty. The data a test writes is committed for real (so threads, worker processes, gunicorn
and the browser tests' live server all see it) and deleted after the test; only the tables
that hold rows are touched, so the reset costs a few milliseconds. A test that changes the
app itself (a URL rule, a request hook, an extension, the instance folder) leaves it to the
next test as a freshly built one.
"""

from __future__ import annotations

import copy
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, create_engine, exists, select, text

from app import create_app
from app.models import Base
from app.platform.extensions import db as _db
from app.platform.extensions import limiter
from app.platform.observability import configure_logging

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
        # Pages show the figures of the answers the test has just written; the tests of
        # showing earlier figures while new ones are computed set their own.
        "CX_RESULTS_WAIT_MS": None,
    }
    config.update(extra)
    return config


def empty_tables(engine: Engine) -> None:
    """Delete every row of every table, visiting only the tables that hold any."""
    tables = Base.metadata.sorted_tables
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # A connection a test left inside a transaction must fail the run, not hang it.
            conn.execute(text("SET LOCAL lock_timeout = '30s'"))
        filled = conn.execute(select(*(exists().select_from(table) for table in tables))).one()
        for table, has_rows in reversed(list(zip(tables, filled, strict=True))):
            if has_rows:
                conn.execute(table.delete())


def _app_shape(app: Flask) -> tuple[Any, ...]:
    """What a test must leave as it found it for the next test to share the app."""
    hooks = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.url_value_preprocessors,
        app.url_default_functions,
        app.template_context_processors,
        app.error_handler_spec,
    )
    return (
        app.instance_path,
        app.wsgi_app,
        app.session_interface,
        app.json,
        tuple(app.url_map.iter_rules()),
        tuple(app.view_functions.items()),
        tuple(app.blueprints),
        tuple(app.extensions),
        tuple(app.teardown_appcontext_funcs),
        repr(hooks),
        tuple(app.jinja_env.globals.items()),
        tuple(app.jinja_env.filters),
        tuple(app.cli.commands),
    )


def _copy_config(config: dict[str, Any]) -> dict[str, Any]:
    copied = {}
    for key, value in config.items():
        try:
            copied[key] = copy.deepcopy(value)
        except (TypeError, copy.Error):  # a value that cannot be copied is kept as it is
            copied[key] = value
    return copied


class SharedApp:
    """The app the tests share, handed to one test at a time and set back after each."""

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        self.url = url
        self.options = options
        self.app: Flask | None = None

    def _build(self) -> Flask:
        app = create_app(make_config(self.url, self.options))
        self.config = _copy_config(app.config)
        self.shape = _app_shape(app)
        return app

    def acquire(self) -> Flask:
        if self.app is None:
            self.app = self._build()
        app = self.app
        # Like a new app, it may still be set up (a test's own route, say), as Flask.run
        # allows again once its server stops; release() then replaces the changed app.
        app._got_first_request = False
        # What create_app sets outside the app: another app built since (by a test, or a
        # module's fixture) has the extensions' shared state and the logging set-up.
        limiter.init_app(app)
        configure_logging(app.config.get("LOG_FORMAT", "text"), app.config.get("LOG_LEVEL", "INFO"))
        return app

    def release(self) -> None:
        app = self.app
        assert app is not None
        app.config.clear()
        app.config.update(_copy_config(self.config))
        with app.app_context():
            empty_tables(_db.engine)
            # As with an app of its own: no session setting a test made on a connection
            # (a statement timeout, say) reaches the next test.
            _db.engine.dispose()
        _forget_cached_results()
        if _app_shape(app) != self.shape:
            self.close()

    def close(self) -> None:
        if self.app is not None:
            with self.app.app_context():
                _db.engine.dispose()
            self.app = None


@pytest.fixture(scope="session")
def shared_app(database_url: tuple[str, dict[str, Any]]) -> Iterator[SharedApp]:
    shared = SharedApp(*database_url)
    yield shared
    shared.close()


@pytest.fixture
def app(shared_app: SharedApp) -> Iterator[Flask]:
    app = shared_app.acquire()
    try:
        with app.app_context():
            yield app
            _db.session.rollback()
            _db.session.remove()
    finally:
        shared_app.release()


def _forget_cached_results() -> None:
    """In-process caches are keyed by ids, which a later test may reuse (and a test that
    changes how charts are drawn must not get a chart drawn before)."""
    # Imported when first used: test modules that start child processes (which import this
    # module again) must stay quick to import.
    from app.dashboard import charts as dashboard_charts
    from app.presentation import charts
    from app.results import clear_cache

    clear_cache()
    dashboard_charts.clear_chart_cache()
    charts.clear_chart_cache()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
