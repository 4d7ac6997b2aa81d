"""Process-wide memory helpers."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a burst of allocations runs.

    Rendering a report (WeasyPrint, matplotlib) or computing a campaign's results allocates
    hundreds of thousands of short-lived objects; the collector's repeated full passes over
    the whole heap cost a sixth of a render and a fifth of a small campaign's results.
    Reference counting still frees almost everything; the rest is collected afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
