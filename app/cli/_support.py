"""Helpers shared by the workspace CLI groups."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask_babel import force_locale

from app.operations.errors import OperationError
from app.platform.extensions import db
from app.platform.text import find_control_character

F = TypeVar("F", bound=Callable[..., Any])


class NameParam(click.ParamType):
    """A name, key or email given on the command line: control characters are refused.

    The same rule as the web forms (``app.platform.text``): what is stored from the command
    line never carries an invisible character (an escape sequence pasted from a terminal).
    """

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        found = find_control_character(value) if isinstance(value, str) else None
        if found is not None:
            self.fail(
                f"contains a control character ({found.codepoint}) at character "
                f"{found.position}; remove it",
                param,
                ctx,
            )
        return value


#: The type of every argument and option whose value is stored as a name.
NAME = NameParam()


def operation(func: F) -> F:
    """Run a command in English, commit once on success, roll back and exit 1 on failure.

    An OperationError (bad input the user can fix) becomes a one-line message on stderr.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with force_locale("en"):
            try:
                result = func(*args, **kwargs)
            except OperationError as exc:
                db.session.rollback()
                raise click.ClickException(str(exc)) from None
            db.session.commit()
            return result

    return wrapper  # type: ignore[return-value]
