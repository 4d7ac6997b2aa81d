"""A read-only mapping whose values are made when first read."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LazyMapping(Mapping[K, V], Generic[K, V]):
    """``{key: make(key)}`` for the given keys, each value made on first read and kept.

    A results computation holds thousands of per-item cells (distributions of every item in
    every group) of which a page or a report reads a few; making them when read spares the
    rest. The keys are fixed when the mapping is made, so what it holds is decided then.
    """

    __slots__ = ("_keys", "_known", "_made", "_make")

    def __init__(self, keys: Iterable[K], make: Callable[[K], V]) -> None:
        self._keys = tuple(keys)
        self._known = frozenset(self._keys)
        self._make = make
        self._made: dict[K, V] = {}

    def __getitem__(self, key: K) -> V:
        try:
            return self._made[key]
        except KeyError:
            if key not in self._known:
                raise
        value = self._made[key] = self._make(key)
        return value

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._known

    def __repr__(self) -> str:
        return f"LazyMapping({dict(self)!r})"
