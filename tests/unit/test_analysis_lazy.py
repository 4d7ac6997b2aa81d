"""The lazily filled read-only mapping the results hold their per-item cells in."""

from __future__ import annotations

import pytest

from app.analysis.lazy import LazyMapping


def test_values_are_made_once_when_first_read() -> None:
    made: list[str] = []

    def make(key: str) -> str:
        made.append(key)
        return key.upper()

    mapping = LazyMapping(["b", "a", "c"], make)
    assert made == []
    assert list(mapping) == ["b", "a", "c"]
    assert len(mapping) == 3
    assert "a" in mapping
    assert "z" not in mapping
    assert mapping["a"] == "A"
    assert mapping.get("a") == "A"
    assert made == ["a"]
    assert dict(mapping) == {"b": "B", "a": "A", "c": "C"}
    assert made == ["a", "b", "c"]
    assert mapping == {"a": "A", "b": "B", "c": "C"}


def test_only_the_given_keys_exist_and_nothing_can_be_set() -> None:
    mapping = LazyMapping(["a"], str.upper)
    with pytest.raises(KeyError):
        mapping["z"]
    assert mapping.get("z") is None
    with pytest.raises(TypeError):
        mapping["b"] = "B"  # type: ignore[index]
    assert list(mapping) == ["a"]
