"""Database settings per mode: SQLite pragmas and write locking; PostgreSQL pool, timeouts and
recovery after the server drops connections."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.platform.config import apply_engine_defaults
from app.platform.db_setup import (
    SQLITE_BUSY_TIMEOUT_MS,
    configure_engine_events,
    reads_first,
    sqlite_begin_statement,
    start_writing,
    write_transactions,
)
from app.platform.extensions import db
from tests.conftest import make_config

# ----------------------------------------------------------------------------- SQLite


def test_sqlite_pragmas_are_active_on_pooled_connections(tmp_path: Path):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}", {}))
    with app.app_context():
        seen = set()
        for _ in range(3):
            with db.engine.connect() as conn:
                seen.add(id(conn.connection.dbapi_connection))
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == (
                    SQLITE_BUSY_TIMEOUT_MS
                )
        # The same pooled DBAPI connection was handed out again and kept its settings.
        assert len(seen) == 1
        db.engine.dispose()


def test_sqlite_write_transactions_take_the_lock_at_begin(app: Flask):
    with app.test_request_context("/survey/page", method="GET"):
        assert sqlite_begin_statement() == "BEGIN"
    with app.test_request_context("/survey/page", method="POST"):
        assert sqlite_begin_statement() == "BEGIN IMMEDIATE"
    # Outside requests (CLI, jobs) reads stay deferred unless the caller asks for the lock.
    assert sqlite_begin_statement() == "BEGIN"
    with write_transactions():
        assert sqlite_begin_statement() == "BEGIN IMMEDIATE"
    assert sqlite_begin_statement() == "BEGIN"


def test_a_request_that_reads_first_takes_the_write_lock_only_when_it_starts_writing(
    app: Flask, db
):
    with app.test_request_context("/survey/page", method="POST"):
        reads_first()
        assert sqlite_begin_statement() == "BEGIN"
        db.session.execute(text("SELECT 1"))
        start_writing(db.session())
        assert sqlite_begin_statement() == "BEGIN IMMEDIATE"
        if db.engine.dialect.name == "sqlite":
            # The read transaction ended: the next statement begins the writing one.
            assert not db.session().in_transaction()
    with app.test_request_context("/survey/page", method="POST"):
        # Each request starts over: without reads_first a POST locks at once.
        assert sqlite_begin_statement() == "BEGIN IMMEDIATE"
        start_writing(db.session())
        assert sqlite_begin_statement() == "BEGIN IMMEDIATE"


def test_sqlite_concurrent_read_modify_write_never_reports_locked(tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'counter.sqlite3'}")
    configure_engine_events(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        with write_transactions():
            _bump(times)

    def _bump(times: int) -> None:
        for _ in range(times):
            try:
                with engine.begin() as conn:
                    value = conn.exec_driver_sql("SELECT n FROM counter").scalar()
                    time.sleep(0.001)  # widen the window between the read and the write
                    conn.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        total = conn.exec_driver_sql("SELECT n FROM counter").scalar()
    engine.dispose()
    assert errors == []
    # No lost update either: every read-modify-write ran alone.
    assert total == 200


# ------------------------------------------------------------------------- PostgreSQL


def test_engine_defaults_size_the_pool_and_keep_caller_options():
    config = {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@db/cx",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-csearch_path=s1"}},
        "DB_POOL_SIZE": 4,
        "DB_MAX_OVERFLOW": 1,
        "DB_STATEMENT_TIMEOUT_MS": 1500,
        "DB_CONNECT_TIMEOUT_S": 3,
    }
    apply_engine_defaults(config)
    options = config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_size"] == 4
    assert options["max_overflow"] == 1
    assert options["pool_pre_ping"] is True
    assert options["hide_parameters"] is True
    assert options["connect_args"]["connect_timeout"] == 3
    assert options["connect_args"]["options"] == "-csearch_path=s1 -c statement_timeout=1500"

    sqlite = {"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db", "SQLALCHEMY_ENGINE_OPTIONS": {}}
    apply_engine_defaults(sqlite)
    assert "connect_args" not in sqlite["SQLALCHEMY_ENGINE_OPTIONS"]


def test_pool_size_follows_the_gunicorn_thread_count(monkeypatch, tmp_path):
    from app.platform.config import from_environment

    monkeypatch.setenv("GUNICORN_THREADS", "6")
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    assert from_environment(str(tmp_path))["DB_POOL_SIZE"] == 6
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    assert from_environment(str(tmp_path))["DB_POOL_SIZE"] == 3


@pytest.fixture
def pg_app(postgres_database, request):
    """A fresh app on its own PostgreSQL schema, tagged so its backends can be found."""
    url, options = postgres_database.new("ops")
    name = f"cx-ops-{request.node.name[:30]}"
    options = {
        **options,
        "connect_args": {**options["connect_args"], "application_name": name},
    }
    app = create_app(make_config(url, options, DB_STATEMENT_TIMEOUT_MS=700))

    @app.get("/_ops/sleep")
    def _sleep() -> str:
        db.session.execute(text("SELECT pg_sleep(3)"))
        return "slept"

    @app.get("/_ops/die")
    def _die() -> str:
        # The server ends this very connection, then the view uses it again.
        db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        db.session.execute(text("SELECT 1"))
        return "unreachable"

    @app.get("/_ops/dies-after-response")
    def _dies_after_response() -> str:
        # Another connection ends this one once the view has its answer: the ROLLBACK at
        # teardown then meets a dead connection, as when PostgreSQL restarts mid-request.
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        time.sleep(0.2)
        return "answered"

    @app.get("/_ops/ping")
    def _ping() -> str:
        return str(db.session.execute(text("SELECT 41 + 1")).scalar())

    app.config["APP_NAME_FOR_TEST"] = name
    # No app context stays pushed: each test-client request gets its own, as in production,
    # so connections go back to the pool (and through pre-ping) between requests.
    yield app
    with app.app_context():
        db.engine.dispose()


def test_postgres_statement_timeout_is_set_and_turns_into_503(pg_app):
    with pg_app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "700ms"
    client = pg_app.test_client()
    started = time.monotonic()
    response = client.get("/_ops/sleep", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert time.monotonic() - started < 2.5
    assert response.get_json()["error"]["code"] == "database_unavailable"
    assert client.get("/_ops/ping").get_data(as_text=True) == "42"


def test_postgres_connection_killed_mid_request_gives_503_then_recovers(pg_app):
    client = pg_app.test_client()
    assert client.get("/_ops/ping").status_code == 200
    response = client.get("/_ops/die")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert client.get("/_ops/ping").get_data(as_text=True) == "42"


def test_postgres_backends_terminated_between_requests_are_replaced(pg_app, postgres_database):
    client = pg_app.test_client()
    assert client.get("/_ops/ping").status_code == 200
    admin = create_engine(postgres_database.base_url)
    with admin.begin() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": pg_app.config["APP_NAME_FOR_TEST"]},
        ).scalar()
    admin.dispose()
    assert killed >= 1
    # pool_pre_ping notices the dead pooled connection and opens a new one.
    for _ in range(3):
        assert client.get("/_ops/ping").get_data(as_text=True) == "42"


def test_postgres_pool_is_sized_from_config(pg_app):
    with pg_app.app_context():
        assert db.engine.pool.size() == pg_app.config["DB_POOL_SIZE"]
        with pytest.raises(OperationalError), db.engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(2)"))


def test_postgres_connection_lost_after_the_view_answered_keeps_the_answer(pg_app):
    client = pg_app.test_client()
    response = client.get("/_ops/dies-after-response")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "answered"
    assert client.get("/_ops/ping").get_data(as_text=True) == "42"
