"""Per-connection database settings.

SQLite (one machine): foreign keys, WAL journal and a busy timeout on every connection, and
write transactions that take the write lock when they begin. PostgreSQL: pool size, connect
and statement timeouts come from ``config.apply_engine_defaults``; nothing per connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

#: How long a SQLite connection waits for the write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 15_000

#: Requests with these methods only read; everything else (and the CLI, workers) may write.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_immediate: ContextVar[bool] = ContextVar("cx_sqlite_immediate", default=False)


def configure_engine_events(engine: Engine) -> None:
    """Turn on SQLite's foreign keys, WAL journal and a busy timeout for every connection."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # The driver's own implicit BEGIN is deferred; we emit BEGIN ourselves (below).
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Connection) -> None:
        conn.exec_driver_sql(sqlite_begin_statement())


@contextmanager
def write_transactions() -> Iterator[None]:
    """Within this block, SQLite transactions take the write lock when they begin.

    For CLI commands and background jobs that read and then write while the web is busy;
    requests get this automatically for POST, PUT, PATCH and DELETE.
    """
    token = _immediate.set(True)
    try:
        yield
    finally:
        _immediate.reset(token)


def sqlite_begin_statement() -> str:
    """``BEGIN IMMEDIATE`` for transactions that will write, plain ``BEGIN`` otherwise.

    A deferred transaction that reads first and writes later cannot wait for the write lock:
    if another connection committed in between, SQLite fails at once with "database is
    locked" whatever the busy timeout. Taking the lock at BEGIN makes writers queue politely
    behind each other (up to the busy timeout). Reads (GET requests, and by default the CLI
    and jobs, which may read for minutes while rendering a report) begin deferred, so they
    never hold the write lock and keep reading concurrently under WAL.
    """
    if _immediate.get():
        return "BEGIN IMMEDIATE"
    if has_request_context() and request.method not in READ_ONLY_METHODS:
        return "BEGIN IMMEDIATE"
    return "BEGIN"
