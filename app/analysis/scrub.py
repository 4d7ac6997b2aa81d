"""Answers fit to quote: e-mail addresses, phone numbers and names taken out.

A free-text answer quoted as an example of a theme must not point at a person, nor at a group
too small to be shown. :func:`scrub` replaces e-mail addresses, phone numbers, the names of
the organisation's participants and the names of departments or roles whose groups are below
the threshold with a bracketed placeholder in the answer's language, and says whether it
changed anything (the page then says the answer was edited). :func:`quotable` tells whether
what is left still says something: an answer that was only a name or an address is not
quoted at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.analysis.words import is_japanese, terms

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)
#: Phone numbers as written in Japan and abroad: 03-1234-5678, 090 1234 5678, (03)1234-5678,
#: 0120-123-456, +81-90-1234-5678, 09012345678. Full-width digits are read as digits.
_PHONE = re.compile(
    r"(?<![\d])(?:\+\d{1,3}[\s\-‐－]?)?(?:\(\d{1,5}\)|\d{1,5})[\s\-‐－]?\d{1,4}[\s\-‐－]?\d{3,4}(?![\d])"
)
#: A run of digits this long at least, with its separators, is a phone number, not a figure.
_PHONE_DIGITS = 10
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９＋", "0123456789+")

PLACEHOLDERS = {
    "ja": {
        "email": "［メールアドレス］",
        "phone": "［電話番号］",
        "name": "［氏名］",
        "group": "［非表示］",
    },
    "en": {"email": "[e-mail]", "phone": "[phone]", "name": "[name]", "group": "[hidden]"},
}
#: Names shorter than this are not looked for on their own (one-character given names would
#: match inside ordinary words).
MIN_NAME_CHARS = 2


@dataclass(frozen=True)
class Scrubbed:
    """An answer with what must not be quoted replaced, and whether anything was."""

    text: str
    changed: bool


def _name_parts(names: Iterable[str]) -> list[str]:
    """Full names and their parts (family and given names, split at spaces), longest first,
    so that 山田 太郎 is replaced whole before 山田 alone."""
    found = set()
    for name in names:
        cleaned = " ".join(name.replace("\u3000", " ").split())
        if len(cleaned) >= MIN_NAME_CHARS:
            found.add(cleaned)
            found.add(cleaned.replace(" ", ""))
        for part in cleaned.split(" "):
            if len(part) >= MIN_NAME_CHARS:
                found.add(part)
    return sorted(found, key=lambda n: (-len(n), n))


def _phones(text: str) -> list[tuple[int, int]]:
    """Where the phone numbers are (start, end), full-width digits counted as digits."""
    readable = text.translate(_FULL_WIDTH_DIGITS)
    spans = []
    for match in _PHONE.finditer(readable):
        digits = sum(ch.isdigit() for ch in match.group(0))
        if digits >= _PHONE_DIGITS:
            spans.append(match.span())
    return spans


class Scrubber:
    """:func:`scrub` for many answers with the same names: the names are gathered and
    compiled once (one pattern for the Japanese names, one for the Latin names)."""

    def __init__(self, *, people: Iterable[str] = (), hidden_groups: Iterable[str] = ()):
        self._groups = _names_pattern(_name_parts(hidden_groups))
        self._people = _names_pattern(_name_parts(people))

    def __call__(self, text: str, *, locale: str | None = None) -> Scrubbed:
        words = PLACEHOLDERS[locale or ("ja" if is_japanese(text) else "en")]
        result = _EMAIL.sub(words["email"], text)
        for start, end in reversed(_phones(result)):
            result = result[:start] + words["phone"] + result[end:]
        for pattern, placeholder in ((self._groups, "group"), (self._people, "name")):
            for compiled in pattern:
                result = compiled.sub(words[placeholder], result)
        return Scrubbed(result, result != text)


def _names_pattern(names: list[str]) -> tuple[re.Pattern[str], ...]:
    """Patterns that find ``names`` (longest first): Japanese names anywhere, Latin names
    only as whole words, in any case (Tanaka, TANAKA)."""
    japanese = [re.escape(name) for name in names if is_japanese(name)]
    latin = [re.escape(name) for name in names if not is_japanese(name)]
    found = []
    if japanese:
        found.append(re.compile("|".join(japanese)))
    if latin:
        found.append(re.compile(rf"(?<![\w])(?:{'|'.join(latin)})(?![\w])", re.IGNORECASE))
    return tuple(found)


def scrub(
    text: str,
    *,
    people: Iterable[str] = (),
    hidden_groups: Iterable[str] = (),
    locale: str | None = None,
) -> Scrubbed:
    """``text`` without e-mail addresses, phone numbers, the names in ``people`` and the
    names in ``hidden_groups`` (departments or roles below the threshold); placeholders in
    ``locale``, by default the answer's own language."""
    return Scrubber(people=people, hidden_groups=hidden_groups)(text, locale=locale)


class Forgetter:
    """Takes given people out of stored free text: their names (as :func:`scrub` finds them)
    and their e-mail addresses (in any case) become the same placeholders quotes show, in the
    answer's own language. Nothing else in the text changes."""

    def __init__(self, *, names: Iterable[str] = (), emails: Iterable[str] = ()):
        self._people = _names_pattern(_name_parts(names))
        addresses = sorted({e.strip() for e in emails if e and e.strip()}, key=lambda e: -len(e))
        self._emails = (
            re.compile("|".join(re.escape(e) for e in addresses), re.IGNORECASE)
            if addresses
            else None
        )

    def __bool__(self) -> bool:
        return bool(self._people) or self._emails is not None

    def __call__(self, text: str, *, locale: str | None = None) -> Scrubbed:
        words = PLACEHOLDERS[locale or ("ja" if is_japanese(text) else "en")]
        result = self._emails.sub(words["email"], text) if self._emails is not None else text
        for compiled in self._people:
            result = compiled.sub(words["name"], result)
        return Scrubbed(result, result != text)


def quotable(scrubbed: Scrubbed) -> bool:
    """Whether the scrubbed answer still says something: some term besides placeholders."""
    text = scrubbed.text
    for words in PLACEHOLDERS.values():
        for placeholder in words.values():
            text = text.replace(placeholder, " ")
    return bool(terms(text))
