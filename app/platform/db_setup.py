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
from sqlalchemy.orm import Session

#: How long a SQLite connection waits for the write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 15_000

#: Requests with these methods only read; everything else (and the CLI, workers) may write.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Set in a request's WSGI environment by :func:`reads_first`.
READS_FIRST = "cx.reads_first"

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


def reads_first() -> None:
    """This request reads before it writes: its transactions begin deferred until
    :func:`start_writing`.

    For the respondent's saves: the session, the participant and the posted form are read
    and checked without holding SQLite's write lock, which is then held only for the few
    statements that write (another worker's save waits that long, not the whole request).
    """
    request.environ[READS_FIRST] = True


def start_writing(session: Session) -> None:
    """From here on the request writes: end a read-only SQLite transaction begun under
    :func:`reads_first`, so that the next one takes the write lock when it begins.

    What the session loaded stays loaded (nothing was written, nothing is expired); whatever
    the writer decides on it reads again under its lock. PostgreSQL's row locks need none of
    this: there it changes nothing.
    """
    if not (has_request_context() and request.environ.get(READS_FIRST)):
        return
    request.environ[READS_FIRST] = False
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        return  # written already: the transaction goes on as it began
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def sqlite_begin_statement() -> str:
    """``BEGIN IMMEDIATE`` for transactions that will write, plain ``BEGIN`` otherwise.

    A deferred transaction that reads first and writes later cannot wait for the write lock:
    if another connection committed in between, SQLite fails at once with "database is
    locked" whatever the busy timeout. Taking the lock at BEGIN makes writers queue politely
    behind each other (up to the busy timeout). Reads (GET requests, and by default the CLI
    and jobs, which may read for minutes while rendering a report) begin deferred, so they
    never hold the write lock and keep reading concurrently under WAL; so do the reads of a
    request under :func:`reads_first`, until it starts writing.
    """
    if _immediate.get():
        return "BEGIN IMMEDIATE"
    if (
        has_request_context()
        and request.method not in READ_ONLY_METHODS
        and not request.environ.get(READS_FIRST)
    ):
        return "BEGIN IMMEDIATE"
    return "BEGIN"
