"""Small per-process caches: one bounded, thread-safe LRU, and files parsed again when changed.

Every in-process cache of the app is one of these, so none grows without bound and none
keeps a stale parse of a file that changed on disk.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


class BoundedCache(Generic[K, V]):
    """A least-recently-used mapping holding at most ``maxsize`` entries, safe across threads."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            value = self._entries.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._entries.move_to_end(key)
            return value  # type: ignore[return-value]

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return value

    def get_or_create(self, key: K, factory: Callable[[], V]) -> V:
        """The cached value of ``key``, made by ``factory()`` (outside the lock) when missing.

        Two threads missing at once may both call ``factory``; the last one stored wins.
        """
        value = self.get(key, _MISSING)  # type: ignore[arg-type]
        if value is not _MISSING:
            return value  # type: ignore[return-value]
        return self.put(key, factory())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def file_signature(path: Path) -> tuple[int, int] | None:
    """What tells a changed file apart: modification time and size (None when unreadable)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


class FileCache(Generic[V]):
    """``load(path)`` kept per path and done again when the file's signature changes."""

    def __init__(self, load: Callable[..., V], maxsize: int = 64) -> None:
        self._load = load
        self._cache: BoundedCache[
            tuple[Path, tuple[Hashable, ...]], tuple[tuple[int, int] | None, V]
        ] = BoundedCache(maxsize)

    def get(self, path: Path, *args: Hashable) -> V:
        """``load(path, *args)``, kept per path and arguments until the file changes."""
        signature = file_signature(path)
        key = (path, args)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == signature and signature is not None:
            return cached[1]
        value = self._load(path, *args)
        self._cache.put(key, (signature, value))
        return value

    def clear(self) -> None:
        self._cache.clear()
