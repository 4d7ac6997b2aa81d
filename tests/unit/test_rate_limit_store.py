"""The file store of rate-limit counters: shared by processes, windows that end, private keys."""

from __future__ import annotations

import multiprocessing
import stat
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from limits import parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.platform.rate_limit_store import FileStorage


@pytest.fixture
def store(tmp_path) -> FileStorage:
    return storage_from_string(f"cx-file://{tmp_path}/rate-limits.sqlite3")


def test_the_scheme_names_the_file_store(store, tmp_path):
    assert isinstance(store, FileStorage)
    assert store.path == tmp_path / "rate-limits.sqlite3"
    assert not store.path.exists()  # created on first use, not when the app starts
    assert store.check()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_counts_and_windows(store, monkeypatch):
    assert store.get("k") == 0
    assert [store.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert store.get("k") == 3
    assert store.incr("k", 60, amount=-1) == 2
    expiry = store.get_expiry("k")
    assert time.time() + 58 < expiry <= time.time() + 60
    # The window ends: the counter starts again, with a new expiry.
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert store.get("k") == 0
    assert store.incr("k", 60) == 1
    assert store.get_expiry("k") == pytest.approx(later + 60)


def test_clear_and_reset(store):
    store.incr("a", 60)
    store.incr("b", 60)
    store.clear("a")
    assert (store.get("a"), store.get("b")) == (0, 1)
    assert store.reset() == 1
    assert store.get("b") == 0


def test_keys_are_not_stored_in_clear(store):
    store.incr("login-pair/someone@example.com/192.0.2.7", 60)
    content = store.path.read_bytes()
    wal = store.path.with_name(store.path.name + "-wal")
    if wal.exists():
        content += wal.read_bytes()
    assert b"someone@example.com" not in content
    assert b"192.0.2.7" not in content


def test_a_fixed_window_limit_holds(store):
    limiter = FixedWindowRateLimiter(store)
    five = parse("5/minute")
    assert [limiter.hit(five, "x") for _ in range(7)] == [True] * 5 + [False] * 2
    assert limiter.get_window_stats(five, "x").remaining == 0
    assert limiter.hit(five, "y")


def _hammer(uri: str, count: int) -> None:
    store = storage_from_string(uri)
    for _ in range(count):
        store.incr("shared", 60)


def test_processes_count_together(tmp_path):
    uri = f"cx-file://{tmp_path}/rate-limits.sqlite3"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hammer, args=(uri, 200)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert storage_from_string(uri).get("shared") == 600


def test_threads_opening_a_new_file_at_once_all_count(tmp_path):
    # Each thread opens its own connection to a file none of them has set up yet: the
    # switch to WAL must not answer "database is locked" to the ones that come second.
    for round_ in range(40):
        store = storage_from_string(f"cx-file://{tmp_path}/round-{round_}.sqlite3")
        with ThreadPoolExecutor(max_workers=8) as pool:
            counts = sorted(pool.map(store.incr, ["k"] * 16, [60] * 16))
        assert counts == list(range(1, 17))
        assert store.get("k") == 16


def test_a_file_that_cannot_be_opened_is_a_storage_error(tmp_path):
    (tmp_path / "instance").write_text("a file where the folder should be")
    store = storage_from_string(f"cx-file://{tmp_path}/instance/rate-limits.sqlite3")
    # The error pages turn StorageError into a 503: a limit must never be skipped silently.
    with pytest.raises(StorageError):
        store.incr("k", 60)
    assert not store.check()
