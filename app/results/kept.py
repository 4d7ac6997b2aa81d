"""Where computed results are kept, and who computes them next.

Every campaign's figures are kept, per process (a bounded LRU) and on disk for the other
processes of the machine (:class:`app.platform.cache.ValueStore`), with the data version they
were computed from. A reader whose version matches gets them in milliseconds. Otherwise one
thread of one process computes them (the group's lock) while the others wait and then read
what it stored, so the same figures are never computed twice at once.

The dashboard may not wait: when only answers changed since the kept figures (same settings,
departments, roles, rules and previous round; no fewer submitted responses) and computing
them took longer than ``CX_RESULTS_WAIT_MS``, it is shown the kept figures, marked as being
refreshed, while one background thread computes the new ones.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from app.platform.cache import BoundedCache, GroupLock, ValueStore
from app.platform.extensions import db
from app.results.model import CampaignResults

log = logging.getLogger(__name__)

#: Campaigns whose results are kept per process.
CACHE_SIZE = 32


@dataclass(frozen=True)
class Version:
    """What a campaign's figures are computed from."""

    #: Everything: a kept result with another key is out of date.
    key: str
    #: All but the answers: settings, departments, roles, rules files and the previous round.
    frame: str
    #: Submitted responses now.
    submitted: int


@dataclass(frozen=True)
class Kept:
    """Results as kept, with what they were computed from and how long that took."""

    results: CampaignResults
    frame: str
    submitted: int
    seconds: float

    def current(self, version: Version) -> bool:
        return self.results.data_version == version.key


_memory: BoundedCache[str, tuple[object, Kept]] = BoundedCache(CACHE_SIZE)
_disk = ValueStore("results")
_refreshes: set[threading.Thread] = set()
_refreshes_guard = threading.Lock()


def find(group: str, version: Version) -> Kept | None:
    """The latest results kept for ``group``, current or not (None when there are none)."""
    held = _memory.get(group)
    if held is not None and held[1].current(version):
        return held[1]
    stored = _disk.latest(group, since=None if held is None else held[0])
    if stored is not None and isinstance(stored[1], Kept):
        stamp, kept = stored
        if held is None or kept.results.computed_at >= held[1].results.computed_at:
            _memory.put(group, (stamp, kept))
            return kept
    return None if held is None else held[1]


def keep(group: str, kept: Kept) -> None:
    _memory.put(group, (_disk.put(group, kept.results.data_version, kept), kept))


def lock(group: str) -> GroupLock:
    return _disk.lock(group)


def may_show_while_refreshing(kept: Kept, version: Version) -> bool:
    """Whether ``kept`` may be shown while the figures of ``version`` are computed: only
    answers came in since (nothing that could hide a group or name one differently), and
    computing them keeps the reader waiting longer than ``CX_RESULTS_WAIT_MS``."""
    wait_ms = current_app.config.get("CX_RESULTS_WAIT_MS")
    return (
        wait_ms is not None
        and kept.seconds * 1000 >= wait_ms
        and kept.frame == version.frame
        and kept.submitted <= version.submitted
        and _threads_may_query()
    )


def _threads_may_query() -> bool:
    """An in-memory SQLite database is one connection: no second thread may use it."""
    url = db.engine.url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def refresh_in_background(held: GroupLock, compute: Callable[[], object]) -> None:
    """Run ``compute()`` in a thread of this process with the app's context, then release
    ``held`` (the group's lock, already taken)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        try:
            with app.app_context():
                compute()
        except Exception:
            log.exception("results not refreshed")
        finally:
            held.release()
            with _refreshes_guard:
                _refreshes.discard(thread)

    thread = threading.Thread(target=run, name="results-refresh", daemon=True)
    with _refreshes_guard:
        _refreshes.add(thread)
    thread.start()


def wait_for_refreshes(timeout: float = 60.0) -> None:
    """Return once the background refreshes of this process have ended."""
    deadline = time.monotonic() + timeout
    while True:
        with _refreshes_guard:
            running = list(_refreshes)
        if not running:
            return
        for thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))
        if time.monotonic() >= deadline:
            return


def clear() -> None:
    wait_for_refreshes()
    _memory.clear()
    _disk.clear()
