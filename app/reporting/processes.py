"""What a report worker process needs to build an application of its own.

Reports rendered in a child process (a web request's time-limited render, a batch's worker
pool, a local background job) run in a fresh application made from the parent's settings:
database connections, fonts and WeasyPrint state are never shared across processes. The
entry point (the web view, the CLI command) hands over the application factory to use, an
importable callable that pickles by reference, so this package never imports the app.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app

#: Builds an application from settings, as ``app.create_app`` does.
AppFactory = Callable[[Mapping[str, Any]], Flask]

#: Where an application keeps the factory that built it (see :func:`app_factory`).
FACTORY_EXTENSION = "cx.app_factory"

#: Settings a worker process must not inherit: they describe the parent's process only.
_NOT_INHERITED = frozenset({"SERVER_NAME", "APPLICATION_ROOT", "PREFERRED_URL_SCHEME"})


def worker_settings(app: Flask) -> dict[str, Any]:
    """The parent's settings that a worker's own app is created with (picklable ones)."""
    settings: dict[str, Any] = {}
    for key, value in app.config.items():
        if not key.isupper() or key in _NOT_INHERITED:
            continue
        try:
            pickle.dumps(value)
        except (pickle.PicklingError, TypeError, AttributeError):
            continue
        settings[key] = value
    return settings


def remember_factory(app: Flask, factory: AppFactory) -> None:
    """Keep on ``app`` the factory that built it, for the report workers it starts."""
    app.extensions[FACTORY_EXTENSION] = factory


def app_factory() -> AppFactory:
    """The factory that built the current application, to hand over to a worker process."""
    return current_app.extensions[FACTORY_EXTENSION]
