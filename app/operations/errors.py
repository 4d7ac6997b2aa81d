"""The error every operation raises for a request the data does not allow, and ``N_``."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import gettext


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, when it is shown."""
    return message


class OperationError(ValueError):
    """A request the data does not allow, with a message fit to show the user.

    ``message`` is an English msgid with ``%(name)s`` placeholders filled from ``params``.
    It is translated when turned into text inside a request (the user's language) and left
    in English elsewhere (CLI, logs, tests).
    """

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)

    def __str__(self) -> str:
        if has_request_context():
            return gettext(self.message, **self.params)
        return self.message % self.params if self.params else self.message
