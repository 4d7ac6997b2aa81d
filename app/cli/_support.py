"""Helpers shared by the workspace CLI groups."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask_babel import force_locale

from app.operations.errors import OperationError
from app.platform.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


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
