"""The rate-limit store of one machine without Redis: counters in a file of the instance folder.

Counters live in Redis when ``REDIS_URL`` is set (every node and worker shares them). Without
Redis they live in ``FileStorage``: a small SQLite file (``CX_RATE_LIMIT_FILE``, by default
``instance/rate-limits.sqlite3``) that every worker process of the machine opens, so that
gunicorn's workers count together instead of each allowing the whole limit. Several machines
need Redis. It is Flask-Limiter's storage, so every limit of the app uses it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

from limits.storage import Storage

#: The URI scheme of ``FileStorage``: ``cx-file:///absolute/path/rate-limits.sqlite3``.
FILE_SCHEME = "cx-file"
#: How long a worker waits for another one holding the file's write lock.
LOCK_TIMEOUT_S = 5.0
#: Expired counters are deleted at most this often per process.
PURGE_INTERVAL_S = 60.0


class FileStorage(Storage):
    """Fixed-window counters in a SQLite file shared by the processes of one machine.

    Each counter is one row (key, value, expiry); an increment is one atomic UPSERT, so
    processes never lose each other's counts. Keys are stored as SHA-256 digests: they hold
    email and client addresses, which need not sit in a file. Errors surface as
    ``limits.errors.StorageError`` (a 503 page, see ``hardening``), never as a silent pass.
    """

    STORAGE_SCHEME: ClassVar[list[str]] = [FILE_SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = True, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=True, **options)
        self.path = Path(uri.split("://", 1)[1])
        self._local = threading.local()
        self._next_purge = 0.0

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        # OSError: the instance folder cannot be created or written.
        return (sqlite3.Error, OSError)

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and process: sqlite3 connections must not cross threads,
        # and a forked child must not reuse its parent's.
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            return connection
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Created private: the counters are keyed by who logs in from where.
        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        connection = sqlite3.connect(
            self.path, timeout=LOCK_TIMEOUT_S, isolation_level=None, check_same_thread=True
        )
        self._prepare(connection)
        self._local.connection = connection
        self._local.pid = os.getpid()
        return connection

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """Put the file in WAL mode and create its table, one connection at a time.

        Switching the journal mode needs the file to itself and SQLite answers "database is
        locked" at once, without waiting, when another connection holds it; so the threads
        and processes that open the file at the same moment take turns on a lock file, and
        the mode is only switched by the first of them (it stays in the file).
        """
        lock_path = self.path.with_name(self.path.name + ".lock")
        descriptor = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS counter ("
                " key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL"
                ") WITHOUT ROWID"
            )
        finally:
            os.close(descriptor)

    @staticmethod
    def _key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        connection = self._connection()
        # One statement, hence one transaction: a window that has expired starts again.
        (value,) = connection.execute(
            "INSERT INTO counter (key, value, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            " value = CASE WHEN expires_at <= ? THEN excluded.value ELSE value + excluded.value"
            " END,"
            " expires_at = CASE WHEN expires_at <= ? THEN excluded.expires_at ELSE expires_at"
            " END "
            "RETURNING value",
            (self._key(key), amount, now + expiry, now, now),
        ).fetchone()
        if now >= self._next_purge:
            self._next_purge = now + PURGE_INTERVAL_S
            connection.execute("DELETE FROM counter WHERE expires_at <= ?", (now,))
        return int(value)

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute(
                "SELECT value FROM counter WHERE key = ? AND expires_at > ?",
                (self._key(key), time.time()),
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection()
            .execute(
                "SELECT expires_at FROM counter WHERE key = ? AND expires_at > ?",
                (self._key(key), now),
            )
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except (sqlite3.Error, OSError):
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counter").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counter WHERE key = ?", (self._key(key),))
