"""Claiming a request against several rate limits at once, and giving it back.

``claim`` counts a request before the work it limits (checking a password, registering a
respondent), atomically in the store (``rate_limit_store``: Redis, or a file shared by the
workers of the machine), so that concurrent requests cannot all pass a check made before any
of them was counted.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from limits import RateLimitItem, parse_many

from app.platform.extensions import limiter


@cache
def parse_limits(text: str) -> tuple[RateLimitItem, ...]:
    """``"10/minute;100/hour"`` as limit items (settings are validated at start-up)."""
    return tuple(parse_many(text))


@dataclass(frozen=True)
class Refusal:
    """A request over a limit: which one (the caller's name for it) and when to retry."""

    name: str
    retry_after: int


def claim(limits: Sequence[tuple[str, str, tuple[str, ...]]]) -> Refusal | None:
    """Count one request against every ``(name, limits text, key)``; None when all allow it.

    When one is exceeded, nothing is counted (the increments are given back) and the
    refusal says which limit refused and in how many seconds its window ends.
    """
    strategy = limiter.limiter
    storage = limiter.storage
    taken: list[tuple[RateLimitItem, tuple[str, ...]]] = []
    refusal: Refusal | None = None
    for name, text, key in limits:
        for item in parse_limits(text):
            taken.append((item, key))
            if not strategy.hit(item, *key):
                reset = strategy.get_window_stats(item, *key).reset_time
                refusal = Refusal(name, max(1, int(reset - time.time()) + 1))
                break
        if refusal is not None:
            break
    if refusal is not None:
        for item, key in taken:
            storage.incr(item.key_for(*key), item.get_expiry(), amount=-1)
    return refusal


def give_back(text: str, *key: str) -> None:
    """Uncount one request ``claim`` counted under ``key`` (it turned out not to count)."""
    for item in parse_limits(text):
        if limiter.storage.get(item.key_for(*key)) > 0:
            limiter.storage.incr(item.key_for(*key), item.get_expiry(), amount=-1)
