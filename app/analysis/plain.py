"""Plain JSON-able forms of the frozen result classes.

A result class that is a plain record inherits :class:`PlainFields` and gets a ``to_dict()``
giving each of its fields, in declaration order, converted by :func:`plain`. Classes whose
form is not a plain record (combined, renamed or computed keys) write their own.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import fields
from enum import Enum
from typing import Any, ClassVar

_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """Return ``value`` in JSON-able form.

    Enums give their value, objects with a ``to_dict()`` what it returns, mappings a dict
    (same keys, values converted), tuples and lists a list (items converted); anything else
    is returned as it is.
    """
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Enum):
        return value.value
    to_dict = getattr(value, "to_dict", None)
    if to_dict is not None:
        return to_dict()
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    return value


class PlainFields:
    """A dataclass whose ``to_dict()`` gives its fields in declaration order, via :func:`plain`.

    ``plain_keys`` names the attributes to give instead, in order, where the form differs
    from the declaration (another order, or a property such as a share added).
    """

    plain_keys: ClassVar[tuple[str, ...] | None] = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {name: plain(getattr(self, name)) for name in _keys(type(self))}


@functools.cache
def _keys(cls: type[PlainFields]) -> tuple[str, ...]:
    if cls.plain_keys is not None:
        return cls.plain_keys
    return tuple(item.name for item in fields(cls))
