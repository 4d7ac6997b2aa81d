"""URL converters: what a path segment may be before any view (or the database) sees it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import IntegerConverter, Map, Rule

#: The id columns are 32-bit integers (PostgreSQL ``integer``): a larger number names nothing,
#: and PostgreSQL refuses to compare it with them (NumericValueOutOfRange).
MAX_DATABASE_INT = 2**31 - 1


def digits_at_most(limit: int) -> str:
    """A regular expression matching the decimal numbers from 0 to ``limit`` (leading zeros
    allowed, as Werkzeug's ``int`` converter allows them), and no larger one."""
    text = str(limit)
    options = [rf"\d{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for position, digit in enumerate(text):
        rest = len(text) - position - 1
        if rest == 0:
            options.append(f"{text[:position]}[0-{digit}]")
            break
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            options.append(rf"{text[:position]}[{lowest}-{int(digit) - 1}]\d{{{rest}}}")
    return "0*(?:" + "|".join(options) + ")"


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:...>`` limited to what an id column holds.

    A larger number does not match the rule at all, like a word would not: the request goes
    on to the next rule (the API's own "not found" for unknown paths) or ends in a 404,
    instead of reaching a view that would send it to the database.
    """

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        bounded = digits_at_most(MAX_DATABASE_INT)
        self.regex = rf"-?{bounded}" if self.signed else bounded


class LazyBuilderRule(Rule):
    """A URL rule that compiles its URL builders when it first builds a URL.

    Werkzeug compiles two small Python functions for each rule as it is added, to build its
    URL with and without extra query arguments: for the app's hundred-odd rules, tens of
    milliseconds of the start-up of every worker and CLI command, though a process builds few
    of those URLs and ``url_for`` only ever uses the first kind. Matching a request uses
    neither.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_builder = super()._compile_builder
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:  # two threads may both compile it: the same function
                compiled = compile_builder(append_unknown)
            return compiled(rule, **values)

        return build
