"""URL converters: what a path segment may be before any view (or the database) sees it."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

#: The id columns are 32-bit integers (PostgreSQL ``integer``): a larger number names nothing,
#: and PostgreSQL refuses to compare it with them (NumericValueOutOfRange).
MAX_DATABASE_INT = 2**31 - 1


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:...>`` limited to what an id column holds: larger numbers do not match (404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_DATABASE_INT)
        super().__init__(map, *args, **kwargs)
