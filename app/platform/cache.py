"""Small caches: one bounded, thread-safe LRU, and files parsed again when changed.

Every in-process cache of the app is one of these, so none grows without bound and none
keeps a stale parse of a file that changed on disk. A :class:`FileCache` given a
:class:`ParseStore` also keeps its clean parses on disk, so a fresh process (a CLI command, a
report job, a new web worker) reads the questionnaires and report rules in milliseconds
instead of parsing them again.
"""

from __future__ import annotations

import copyreg
import errno
import fcntl
import hashlib
import logging
import os
import pickle
import shutil
import stat
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from flask import current_app, has_app_context

log = logging.getLogger(__name__)


def _mapping_proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


# Read-only mappings (the results use them throughout) are stored as the dict they show.
copyreg.pickle(MappingProxyType, lambda proxy: (_mapping_proxy, (dict(proxy),)))

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


_code_fingerprint: str | None = None
_fingerprint_lock = threading.Lock()


def code_fingerprint() -> str:
    """What tells this program apart from an edited or upgraded one: the Python version, the
    installed packages' folder and every module and translation of the app (path,
    modification time, size). Computed once per process (a few milliseconds)."""
    global _code_fingerprint
    with _fingerprint_lock:
        if _code_fingerprint is None:
            digest = hashlib.sha256(sys.version.encode())
            package_dir = Path(__file__).resolve().parent.parent
            for folder in map(Path, sys.path):
                if folder.name == "site-packages" and folder.is_dir():
                    digest.update(f"{folder}:{folder.stat().st_mtime_ns}".encode())
            code = [*package_dir.rglob("*.py"), *package_dir.rglob("*.mo")]
            for path in sorted(code):
                found = path.stat()
                digest.update(f"{path}:{found.st_mtime_ns}:{found.st_size}".encode())
            _code_fingerprint = digest.hexdigest()
        return _code_fingerprint


def private_cache_folder(name: str) -> Path | None:
    """The folder ``name`` of the app's ``CX_CACHE_DIR`` for this program (a sub-folder per
    :func:`code_fingerprint`, the others removed when a new one is made), made if missing.

    None outside an app, when the setting is off, or when the folder is not this user's alone
    (mode 0700): what is read from there is trusted like Python's own bytecode.
    """
    if not has_app_context():
        return None
    configured = current_app.config.get("CX_CACHE_DIR")
    if not configured:
        return None
    root = Path(configured)
    program = root / code_fingerprint()[:16]
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = root.stat()
        if found.st_uid != os.getuid() or stat.S_IMODE(found.st_mode) & 0o077:
            log.warning("cache folder %s is not private to this user: not used", root)
            return None
        if not program.is_dir():
            program.mkdir(mode=0o700, exist_ok=True)
            _remove_other_programs(root, keep=program)
        folder = program / name
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    return folder


def _remove_other_programs(root: Path, keep: Path) -> None:
    """Entries of earlier versions of the program, never read again."""
    for other in root.iterdir():
        if other != keep and other.is_dir() and len(other.name) == 16:
            shutil.rmtree(other, ignore_errors=True)


def _write(entry: Path, value: object) -> None:
    """Pickle ``value`` into ``entry``, whole or not at all for a reader in another process."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        handle, scratch = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as written:
            written.write(data)
        os.replace(scratch, entry)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        log.debug("cache entry %s not written", entry, exc_info=True)


def clean_parse(value: object) -> bool:
    """Whether a ``(parsed, problems)`` pair is a parse without problems."""
    return isinstance(value, tuple) and len(value) == 2 and value[0] is not None and not value[1]


class ValueStore:
    """Values kept on disk between processes, in the folder ``name`` of
    :func:`private_cache_folder` (pickles, read only from a folder private to this user, as
    Python's own bytecode is), each named by a ``group`` and a ``key`` the caller derives from
    everything the value depends on. Storing a value removes the other values of its group:
    a group holds the latest value of one thing. Anything unusual (no app, no folder, a
    damaged entry) reads as absent.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    @staticmethod
    def _digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]

    def get(self, group: str, key: str) -> Any | None:
        folder = private_cache_folder(self.name)
        if folder is None:
            return None
        entry = folder / f"{self._digest(group)}-{self._digest(key)}.pickle"
        try:
            with entry.open("rb") as stored:
                return pickle.load(stored)  # noqa: S301 (a private folder of this user)
        except FileNotFoundError:
            return None
        except Exception:  # a damaged entry: as if absent, replaced by the next put
            log.debug("cache entry %s unreadable", entry, exc_info=True)
            return None

    def put(self, group: str, key: str, value: object) -> object:
        """Store ``value``; its stamp as :meth:`latest` names it (None when not stored)."""
        folder = private_cache_folder(self.name)
        if folder is None:
            return None
        prefix = self._digest(group)
        entry = folder / f"{prefix}-{self._digest(key)}.pickle"
        _write(entry, value)
        for other in folder.glob(f"{prefix}-*.pickle"):
            if other != entry:
                other.unlink(missing_ok=True)
        try:
            return (entry.name, entry.stat().st_mtime_ns)
        except OSError:
            return None

    def latest(self, group: str, since: object = None) -> tuple[object, Any] | None:
        """The value last stored in ``group`` whatever its key, with a stamp naming that
        entry; None when there is none, or when its stamp is ``since`` (already read)."""
        folder = private_cache_folder(self.name)
        if folder is None:
            return None
        found = []
        for entry in folder.glob(f"{self._digest(group)}-*.pickle"):
            try:
                found.append((entry.stat().st_mtime_ns, entry.name, entry))
            except OSError:
                continue
        if not found:
            return None
        modified, name, entry = max(found)
        stamp = (name, modified)
        if stamp == since:
            return None
        try:
            with entry.open("rb") as stored:
                return stamp, pickle.load(stored)  # noqa: S301 (a private folder of this user)
        except Exception:  # removed meanwhile, or damaged: as if absent
            log.debug("cache entry %s unreadable", entry, exc_info=True)
            return None

    def lock(self, group: str) -> GroupLock:
        """The lock of ``group``: held by one thread of one process of the machine at a time
        (a lock file beside the values), or of this process when nothing is kept on disk."""
        folder = private_cache_folder(self.name)
        path = None if folder is None else folder / f"{self._digest(group)}.lock"
        return GroupLock(path, (self.name, group))

    def clear(self) -> None:
        """Remove every stored value."""
        folder = private_cache_folder(self.name)
        if folder is not None:
            for entry in folder.glob("*.pickle"):
                entry.unlink(missing_ok=True)


_process_locks: dict[tuple[str, str], threading.Lock] = {}
_process_locks_guard = threading.Lock()


class GroupLock:
    """An exclusive lock, across processes when it has a file (``flock``), else within this
    process. Released by whichever thread is handed it, and by the system when its process
    ends, so a process that dies never leaves it held."""

    #: How often a waiting acquire tries again.
    POLL_S = 0.02

    def __init__(self, path: Path | None, name: tuple[str, str]) -> None:
        self.path = path
        self.name = name
        self._descriptor: int | None = None
        self._held: threading.Lock | None = None

    def acquire(self, wait: bool = True, timeout: float = 300.0) -> bool:
        """Take the lock; without ``wait``, only if it is free at once. False when not taken
        (free-only, or still held by another after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        if self.path is None:
            with _process_locks_guard:
                lock = _process_locks.setdefault(self.name, threading.Lock())
            taken = lock.acquire(timeout=timeout) if wait else lock.acquire(blocking=False)
            self._held = lock if taken else None
            return taken
        try:
            descriptor = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError:
            log.debug("lock file %s not opened", self.path, exc_info=True)
            self.path = None
            return self.acquire(wait, timeout)
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if wait and time.monotonic() < deadline:
                    time.sleep(self.POLL_S)
                    continue
                os.close(descriptor)
                return False
            self._descriptor = descriptor
            return True

    def release(self) -> None:
        if self._descriptor is not None:
            descriptor, self._descriptor = self._descriptor, None
            os.close(descriptor)  # closing the file releases its flock
        if self._held is not None:
            held, self._held = self._held, None
            held.release()


class ParseStore:
    """Clean parses of files kept on disk between processes (a :class:`ValueStore`).

    An entry is named by the file's path, the loader's arguments and the file's content
    (SHA-256), in the folder of this program's :func:`code_fingerprint`, so a changed file or
    a changed program never reads an old parse; storing the parse of a file's new content
    removes the old one. Only what ``keep`` accepts is stored (parses without problems: a
    file's problems are always found and logged again). Anything unusual (no app, no folder,
    a damaged entry) falls back to parsing.
    """

    values = ValueStore("parsed")

    def __init__(self, name: str, keep: Callable[[object], bool]) -> None:
        self.name = name
        self.keep = keep

    def get(self, path: Path, args: tuple[Hashable, ...], load: Callable[[], V]) -> V:
        """The stored parse of ``path`` as it is now, else ``load()`` (stored when kept)."""
        try:
            content = path.read_bytes()
        except OSError:
            return load()
        group = repr((self.name, str(path.resolve()), args))
        key = hashlib.sha256(content).hexdigest()
        stored = self.values.get(group, key)
        if stored is not None:
            return stored  # type: ignore[no-any-return]
        value = load()
        try:
            unchanged = path.read_bytes() == content
        except OSError:
            unchanged = False
        if unchanged and self.keep(value):
            self.values.put(group, key, value)
        return value


class FileCache(Generic[V]):
    """``load(path)`` kept per path and done again when the file's signature changes.

    With ``store``, a parse this process has not made yet is first looked for on disk.
    """

    def __init__(
        self, load: Callable[..., V], maxsize: int = 64, *, store: ParseStore | None = None
    ) -> None:
        self._load = load
        self._store = store
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
        if self._store is not None and signature is not None:
            value = self._store.get(path, args, lambda: self._load(path, *args))
        else:
            value = self._load(path, *args)
        self._cache.put(key, (signature, value))
        return value

    def clear(self) -> None:
        self._cache.clear()
