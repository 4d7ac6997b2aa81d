"""The caches: a bounded LRU mapping, files parsed again when they change, and clean parses
kept on disk for the next process."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from app.platform.cache import (
    BoundedCache,
    FileCache,
    ParseStore,
    ValueStore,
    clean_parse,
    code_fingerprint,
    file_signature,
    private_cache_folder,
)


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now more recent than "b"
    cache.put("c", 3)
    assert "b" not in cache
    assert cache.get("a") == 1
    assert cache.get("c") == 3
    assert len(cache) == 2


def test_putting_a_key_again_refreshes_it() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)
    assert cache.get("a") == 10
    assert cache.get("b") is None


def test_get_or_create_calls_the_factory_only_on_a_miss() -> None:
    cache: BoundedCache[str, list[int]] = BoundedCache(4)
    calls: list[str] = []

    def make(key: str) -> list[int]:
        calls.append(key)
        return [len(calls)]

    first = cache.get_or_create("x", lambda: make("x"))
    assert cache.get_or_create("x", lambda: make("x")) is first
    assert calls == ["x"]
    cache.clear()
    assert len(cache) == 0
    assert cache.get_or_create("x", lambda: make("x")) == [2]


def test_a_missing_key_gives_the_default() -> None:
    cache: BoundedCache[str, int] = BoundedCache(1)
    assert cache.get("nothing") is None
    assert cache.get("nothing", 7) == 7


def test_a_cache_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BoundedCache(0)


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.integers(1, 5),
    st.lists(st.tuples(st.sampled_from(["get", "put"]), st.integers(0, 8)), max_size=60),
)
def test_it_behaves_like_a_reference_lru(maxsize: int, operations: list[tuple[str, int]]) -> None:
    cache: BoundedCache[int, int] = BoundedCache(maxsize)
    reference: list[int] = []  # keys, least recently used first
    for step, (operation, key) in enumerate(operations):
        if operation == "put":
            cache.put(key, step)
            if key in reference:
                reference.remove(key)
            reference.append(key)
            del reference[:-maxsize]
        else:
            found = cache.get(key)
            assert (found is not None) == (key in reference)
            if key in reference:
                reference.remove(key)
                reference.append(key)
        assert len(cache) == len(reference) <= maxsize
        assert all(key in cache for key in reference)


def test_threads_never_push_it_over_its_bound() -> None:
    cache: BoundedCache[int, int] = BoundedCache(8)

    def work(offset: int) -> None:
        for key in range(offset, offset + 500):
            cache.put(key % 50, key)
            cache.get((key * 7) % 50)

    threads = [threading.Thread(target=work, args=(n * 1000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 8


def _touch(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_a_file_is_parsed_once_until_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    _touch(path, "one", 1_000_000_000)
    loads: list[str] = []

    def load(found: Path) -> str:
        loads.append(found.read_text(encoding="utf-8"))
        return loads[-1].upper()

    files = FileCache(load)
    assert files.get(path) == "ONE"
    assert files.get(path) == "ONE"
    assert loads == ["one"]
    # Same size, new modification time: parsed again.
    _touch(path, "two", 2_000_000_000)
    assert files.get(path) == "TWO"
    # Same modification time, new size: parsed again.
    _touch(path, "three", 2_000_000_000)
    assert files.get(path) == "THREE"
    assert files.get(path) == "THREE"
    assert loads == ["one", "two", "three"]
    files.clear()
    assert files.get(path) == "THREE"
    assert len(loads) == 4


def test_a_missing_file_is_never_cached(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    calls: list[Path] = []

    def load(found: Path) -> str | None:
        calls.append(found)
        return found.read_text(encoding="utf-8") if found.exists() else None

    files = FileCache(load)
    assert file_signature(path) is None
    assert files.get(path) is None
    assert files.get(path) is None
    assert len(calls) == 2
    _touch(path, "here", 3_000_000_000)
    assert files.get(path) == "here"
    assert files.get(path) == "here"
    assert len(calls) == 3


def test_a_file_cache_keeps_at_most_maxsize_files(tmp_path: Path) -> None:
    paths = [tmp_path / f"{n}.md" for n in range(3)]
    for path in paths:
        _touch(path, path.stem, 1_000_000_000)
    loads: list[str] = []
    files = FileCache(lambda found: loads.append(found.stem) or found.stem, maxsize=2)
    for path in paths:
        files.get(path)
    files.get(paths[0])  # evicted by the third file: parsed again
    assert loads == ["0", "1", "2", "0"]


# Parses kept on disk between processes ---------------------------------------------------


def _parse(found: Path) -> tuple[str | None, list[str]]:
    """A loader in the shape of the app's: (parsed, problems)."""
    text = found.read_text(encoding="utf-8")
    return (None, [f"{found}: 'bad' is not allowed"]) if "bad" in text else (text.upper(), [])


class _Counting:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, found: Path) -> tuple[str | None, list[str]]:
        self.calls.append(found.name)
        return _parse(found)


@pytest.fixture
def cache_app(tmp_path: Path) -> Iterator[Flask]:
    app = Flask(__name__)
    app.config["CX_CACHE_DIR"] = str(tmp_path / "cache")
    with app.app_context():
        yield app


def _process(load: _Counting) -> FileCache:
    """What a new process has: an empty in-memory cache over the same folder."""
    return FileCache(load, store=ParseStore("rules", clean_parse))


def test_a_new_process_reads_a_clean_parse_from_disk(cache_app, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("one", encoding="utf-8")
    first, second = _Counting(), _Counting()
    assert _process(first).get(path) == ("ONE", [])
    assert _process(second).get(path) == ("ONE", [])
    assert first.calls == ["rules.yaml"]
    assert second.calls == []
    folder = private_cache_folder("parsed")
    assert folder is not None
    assert len(list(folder.glob("*.pickle"))) == 1
    assert stat.S_IMODE(Path(cache_app.config["CX_CACHE_DIR"]).stat().st_mode) == 0o700


def test_a_changed_file_is_parsed_again_even_with_the_same_signature(
    cache_app, tmp_path: Path
) -> None:
    path = tmp_path / "rules.yaml"
    _touch(path, "one", 1_000_000_000)
    _process(_Counting()).get(path)
    # Same size and modification time, other content: the content names the entry.
    _touch(path, "two", 1_000_000_000)
    load = _Counting()
    assert _process(load).get(path) == ("TWO", [])
    assert load.calls == ["rules.yaml"]
    # The parse of the old content is gone with it.
    folder = private_cache_folder("parsed")
    assert folder is not None
    assert len(list(folder.glob("*.pickle"))) == 1


def test_problems_are_never_stored(cache_app, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("bad", encoding="utf-8")
    for _ in range(2):
        load = _Counting()
        parsed, problems = _process(load).get(path)
        assert parsed is None
        assert "rules.yaml" in problems[0]
        assert load.calls == ["rules.yaml"]


def test_the_same_text_in_another_file_is_that_files_own_parse(cache_app, tmp_path: Path) -> None:
    one, other = tmp_path / "a.yaml", tmp_path / "b.yaml"
    one.write_text("same", encoding="utf-8")
    other.write_text("same", encoding="utf-8")
    _process(_Counting()).get(one)
    load = _Counting()
    _process(load).get(other)
    assert load.calls == ["b.yaml"]


def test_a_damaged_entry_is_parsed_again_and_replaced(cache_app, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("one", encoding="utf-8")
    _process(_Counting()).get(path)
    folder = private_cache_folder("parsed")
    assert folder is not None
    (entry,) = folder.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    load = _Counting()
    assert _process(load).get(path) == ("ONE", [])
    assert load.calls == ["rules.yaml"]
    assert _process(_Counting()).get(path) == ("ONE", [])
    assert entry.read_bytes() != b"not a pickle"


def test_a_folder_others_may_write_to_is_not_used(cache_app, tmp_path: Path, caplog) -> None:
    root = Path(cache_app.config["CX_CACHE_DIR"])
    root.mkdir()
    root.chmod(0o777)
    path = tmp_path / "rules.yaml"
    path.write_text("one", encoding="utf-8")
    for _ in range(2):
        load = _Counting()
        assert _process(load).get(path) == ("ONE", [])
        assert load.calls == ["rules.yaml"]
    assert "not private" in caplog.text
    assert list(root.iterdir()) == []


def test_without_an_app_or_with_the_setting_off_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("one", encoding="utf-8")
    assert private_cache_folder("parsed") is None
    app = Flask(__name__)
    app.config["CX_CACHE_DIR"] = None
    with app.app_context():
        assert private_cache_folder("parsed") is None
        load = _Counting()
        _process(load).get(path)
        _process(load).get(path)
        assert load.calls == ["rules.yaml", "rules.yaml"]


def test_a_new_version_of_the_program_removes_the_entries_of_older_ones(
    cache_app, tmp_path: Path
) -> None:
    root = Path(cache_app.config["CX_CACHE_DIR"])
    older = root / "0123456789abcdef"
    (older / "parsed").mkdir(parents=True)
    root.chmod(0o700)
    kept = root / "notes"
    kept.mkdir()
    folder = private_cache_folder("parsed")
    assert folder is not None
    assert folder.parent.name == code_fingerprint()[:16]
    assert not older.exists()
    assert kept.exists()


def test_a_value_store_keeps_the_latest_value_of_each_group(cache_app) -> None:
    store = ValueStore("values")
    store.put("campaign 1", "version a", {"mean": MappingProxyType({"x": 3.5})})
    store.put("campaign 2", "version a", "other")
    assert store.get("campaign 1", "version a") == {"mean": {"x": 3.5}}
    assert isinstance(store.get("campaign 1", "version a")["mean"], MappingProxyType)
    store.put("campaign 1", "version b", "newer")
    assert store.get("campaign 1", "version a") is None
    assert store.get("campaign 1", "version b") == "newer"
    assert store.get("campaign 2", "version a") == "other"
    folder = private_cache_folder("values")
    assert folder is not None
    assert len(list(folder.glob("*.pickle"))) == 2
    for entry in folder.glob("*.pickle"):
        entry.write_bytes(b"damaged")
    assert store.get("campaign 2", "version a") is None
    store.clear()
    assert list(folder.glob("*.pickle")) == []


def test_the_latest_value_of_a_group_is_read_once_per_write(cache_app) -> None:
    store = ValueStore("values")
    assert store.latest("campaign 1") is None
    stamp = store.put("campaign 1", "version a", "first")
    found = store.latest("campaign 1")
    assert found == (stamp, "first")
    assert store.latest("campaign 1", since=stamp) is None  # nothing new since
    newer = store.put("campaign 1", "version b", "second")
    assert newer != stamp
    assert store.latest("campaign 1", since=stamp) == (newer, "second")
    assert store.latest("campaign 2") is None


def _try_lock(folder: str, group: str, answer: multiprocessing.Queue) -> None:
    app = Flask(__name__)
    app.config["CX_CACHE_DIR"] = folder
    with app.app_context():
        lock = ValueStore("values").lock(group)
        taken = lock.acquire(wait=False)
        answer.put(taken)
        if taken:
            lock.release()


def test_a_group_lock_is_held_by_one_process_at_a_time(cache_app) -> None:
    store = ValueStore("values")
    held = store.lock("campaign 1")
    assert held.acquire(wait=False)
    # Another thread of this process, or another process, does not get it meanwhile.
    assert not store.lock("campaign 1").acquire(wait=False)
    assert not store.lock("campaign 1").acquire(wait=True, timeout=0.1)
    context = multiprocessing.get_context("fork")
    answer = context.Queue()
    child = context.Process(
        target=_try_lock, args=(cache_app.config["CX_CACHE_DIR"], "campaign 1", answer)
    )
    child.start()
    assert answer.get(timeout=30) is False
    child.join(30)
    other = store.lock("campaign 2")  # another group is another lock
    assert other.acquire(wait=False)
    other.release()
    held.release()
    again = store.lock("campaign 1")
    assert again.acquire(wait=False)
    again.release()


def test_without_a_folder_the_group_lock_holds_within_the_process(cache_app) -> None:
    cache_app.config["CX_CACHE_DIR"] = None
    store = ValueStore("values")
    held = store.lock("campaign 1")
    assert held.path is None
    assert held.acquire(wait=False)
    assert not store.lock("campaign 1").acquire(wait=False)
    held.release()
    again = store.lock("campaign 1")
    assert again.acquire(wait=False)
    again.release()
