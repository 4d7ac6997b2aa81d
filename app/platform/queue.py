"""The background job queue: RQ on ``REDIS_URL``, or None in local (single-machine) mode.

Callers decide what local mode means for them (run the job inline, or refuse); every web
node and worker pointing at the same Redis shares the same queues.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from typing import TYPE_CHECKING

from flask import current_app

from app.platform.cache import BoundedCache
from app.platform.lazy import lazy_module

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue

#: Imported with the first queue or connection: the web app and most commands never use one.
redis = lazy_module("redis")
rq = lazy_module("rq")

#: The queue report jobs and other slow work go to unless a caller names another.
DEFAULT_QUEUE = "default"
#: A job running longer than this is stopped by the worker (PDF batches of large campaigns).
DEFAULT_JOB_TIMEOUT_S = 1800

#: One client per Redis URL; a process normally only ever uses one.
_connections: BoundedCache[str, Redis] = BoundedCache(4)
# Held while a client is made, so that one URL never gets two connection pools.
_lock = threading.Lock()


def redis_connection(url: str) -> Redis:
    """A shared client for ``url`` (one connection pool per process and URL)."""
    with _lock:
        # Short timeouts: a dead Redis must fail a request quickly, not hang a thread.
        return _connections.get_or_create(
            url,
            lambda: redis.Redis.from_url(
                url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30
            ),
        )


def get_queue(name: str = DEFAULT_QUEUE) -> Queue | None:
    """The RQ queue ``name`` on the app's ``REDIS_URL``, or None when no Redis is configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    return rq.Queue(name, connection=redis_connection(url), default_timeout=DEFAULT_JOB_TIMEOUT_S)


def queue_unreachable(error: BaseException) -> bool:
    """Whether ``error`` is Redis failing to answer (a connection or a timeout error).

    Redis is imported by the first connection, so an error raised while it is not imported
    cannot be one of its errors: this never imports it.
    """
    exceptions = sys.modules.get("redis.exceptions")
    return exceptions is not None and isinstance(
        error, exceptions.ConnectionError | exceptions.TimeoutError
    )


def ping() -> str:
    """A trivial job, to check end to end that a worker picks up what a web node enqueues."""
    return f"pong from {socket.gethostname()} pid {os.getpid()}"
