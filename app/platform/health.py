"""Readiness: can this process serve real requests right now?

``/healthz`` only says the process is up (for a supervisor's restart decision); ``/readyz``
checks what a request needs: the database answers, its schema is at the migrations' head, and
Redis answers when ``REDIS_URL`` is set (for a load balancer's routing decision).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from app.platform.extensions import db
from app.platform.lazy import lazy_module
from app.platform.migrations import MIGRATIONS_DIR

#: Read once per process, by the first readiness check.
alembic_config = lazy_module("alembic.config")
alembic_script = lazy_module("alembic.script")
redis = lazy_module("redis")

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def migration_heads(directory: Path = MIGRATIONS_DIR) -> frozenset[str]:
    """The head revisions of the migration scripts shipped with this code."""
    settings = alembic_config.Config()
    settings.set_main_option("script_location", str(directory))
    return frozenset(alembic_script.ScriptDirectory.from_config(settings).get_heads())


def check_database() -> tuple[bool, str, set[str] | None]:
    """(reachable, detail, the database's alembic revisions or None when it has none)."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            try:
                rows = connection.execute(text("SELECT version_num FROM alembic_version"))
                revisions = {row[0] for row in rows}
            except Exception:
                connection.rollback()
                revisions = None
    except Exception as exc:
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        return False, f"unreachable ({type(exc).__name__})", None
    return True, "ok", revisions


def check_redis(url: str) -> tuple[bool, str]:
    """Whether Redis at ``url`` answers a PING within a second."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except Exception as exc:
        log.warning("readiness: redis unreachable: %s", type(exc).__name__)
        return False, f"unreachable ({type(exc).__name__})"
    finally:
        client.close()
    return True, "ok"


def readiness(app: Flask) -> tuple[bool, dict[str, str]]:
    """(ready, {check: "ok" or what failed}) for the database, migrations and Redis."""
    checks: dict[str, str] = {}
    reachable, detail, revisions = check_database()
    checks["database"] = detail
    if not reachable:
        checks["migrations"] = "unknown (database unreachable)"
    else:
        heads = migration_heads()
        if revisions is None:
            checks["migrations"] = "not migrated (no alembic_version table): run `flask db upgrade`"
        elif revisions != heads:
            checks["migrations"] = (
                f"database at {', '.join(sorted(revisions)) or 'none'}, code expects "
                f"{', '.join(sorted(heads))}: run `flask db upgrade`"
            )
        else:
            checks["migrations"] = "ok"
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        checks["redis"] = check_redis(redis_url)[1]
    return all(value == "ok" for value in checks.values()), checks
