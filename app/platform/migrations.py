"""Database migrations (Flask-Migrate over Alembic), loaded when first used.

Alembic, with the template engine and the syntax highlighter it brings, takes a fifth of a
second to import: the web app and every other command start without it. ``flask db ...``
binds Flask-Migrate to the app on first use (:func:`init_migrations`), as do scripts that
migrate a database themselves.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext

from app.platform.config import PROJECT_ROOT
from app.platform.extensions import db
from app.platform.lazy import lazy_module

flask_migrate = lazy_module("flask_migrate")
flask_migrate_cli = lazy_module("flask_migrate.cli")

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def init_migrations(app: Flask) -> None:
    """Bind Flask-Migrate to ``app`` (once), for ``flask db`` and ``flask_migrate.upgrade()``."""
    if "migrate" not in app.extensions:
        flask_migrate.Migrate(app, db, directory=str(MIGRATIONS_DIR))


class MigrationCommands(click.Group):
    """``flask db``: Flask-Migrate's commands, imported when one of them runs. The group's
    options are Flask-Migrate's own (``-d``, ``-x``)."""

    def _commands(self) -> Any:
        init_migrations(current_app._get_current_object())  # type: ignore[attr-defined]
        return flask_migrate_cli.db

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self._commands().list_commands(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command: click.Command | None = self._commands().get_command(ctx, cmd_name)
        return command


@click.group("db", cls=MigrationCommands)
@click.option(
    "-d", "--directory", default=None, help='Migration script directory (default is "migrations")'
)
@click.option(
    "-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts"
)
@with_appcontext
def db_cli(directory: str | None, x_arg: tuple[str, ...]) -> None:
    """Perform database migrations."""
    # Flask-Migrate's own group does this with the same options; its commands read them.
    g.directory = directory
    g.x_arg = x_arg
