"""Small caches: one bounded, thread-safe LRU, and files parsed again when changed.

Every in-process cache of the app is one of these, so none grows without bound and none
keeps a stale parse of a file that changed on disk. A :class:`FileCache` given a
:class:`ParseStore` also keeps its clean parses on disk, so a fresh process (a CLI command, a
report job, a new web worker) reads the questionnaires and report rules in milliseconds
instead of parsing them again.
"""

from __future__ import annotations

import copyreg
import hashlib
import logging
import os
import pickle
import shutil
import stat
import sys
import tempfile
import threading
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

    def put(self, group: str, key: str, value: object) -> None:
        folder = private_cache_folder(self.name)
        if folder is None:
            return
        prefix = self._digest(group)
        entry = folder / f"{prefix}-{self._digest(key)}.pickle"
        _write(entry, value)
        for other in folder.glob(f"{prefix}-*.pickle"):
            if other != entry:
                other.unlink(missing_ok=True)

    def clear(self) -> None:
        """Remove every stored value."""
        folder = private_cache_folder(self.name)
        if folder is not None:
            for entry in folder.glob("*.pickle"):
                entry.unlink(missing_ok=True)


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
