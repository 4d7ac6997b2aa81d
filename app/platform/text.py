"""Which characters text may carry into the application: one policy for every way in.

Control characters (Unicode category Cc: C0, DEL and C1) are invisible, nobody means to type
them, and PostgreSQL refuses NUL in text outright. Two kinds of input treat them differently:

- **Free text** a person writes (open answers): tabs and line breaks are kept (``\\r\\n`` and
  ``\\r`` become ``\\n``), every other control character is removed and the rest is saved.
  Nothing visible is lost, and the respondent's other answers are never held back by it.
- **Names and keys** (organisation, department, role and campaign names, slugs, participant
  names and emails, CSV cells that name something): any control character is refused with a
  message naming the field, so a stray byte never becomes part of a name someone has to match
  later. Fields that hold one name per line may contain line breaks.

The web forms (``app.platform.forms``), the CLI (``app.cli._support``), the CSV imports
(``app.operations.csv_input``) and the survey's open questions all apply these functions; a
URL path segment with a control character matches no route (``SegmentConverter``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from werkzeug.routing import UnicodeConverter

#: C0 controls, DEL and C1 controls.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: The same without tab and line feed, which free text keeps.
_DROPPED_FROM_FREE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: The same without carriage return and line feed, for fields of one name per line.
_CONTROL_EXCEPT_LINE_BREAKS = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class ControlCharacter:
    """The first control character found in a value: its 1-based position and code point."""

    position: int
    char: str

    @property
    def codepoint(self) -> str:
        """``U+0000``: the only way to name an invisible character to a reader."""
        return f"U+{ord(self.char):04X}"


def clean_free_text(text: str) -> str:
    """Free text as it is saved: line breaks as ``\\n``, tabs kept, other controls removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _DROPPED_FROM_FREE_TEXT.sub("", text)


def without_control_characters(text: str) -> str:
    """``text`` with every control character removed: how a refused name is shown back."""
    return _CONTROL.sub("", text)


def find_control_character(
    text: str, *, allow_line_breaks: bool = False
) -> ControlCharacter | None:
    """The first control character in a name or key, or None when it has none.

    With ``allow_line_breaks`` (a field of one name per line), ``\\r`` and ``\\n`` pass.
    """
    pattern = _CONTROL_EXCEPT_LINE_BREAKS if allow_line_breaks else _CONTROL
    match = pattern.search(text)
    if match is None:
        return None
    return ControlCharacter(match.start() + 1, match.group())


class SegmentConverter(UnicodeConverter):
    """The default URL converter (one path segment), without control characters.

    A slug or token in the path is a key like any other: ``/workspace/orgs/a%00b`` finds no
    route (404) instead of reaching a database query that PostgreSQL refuses.
    """

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f-\x9f]", 1)
