"""The background worker: ``python -m app.platform.worker [QUEUE ...]`` (queue: ``default``).

Runs RQ's forking worker inside an application context, so jobs use the same configuration,
database and logging as the web nodes. Each job runs in a fresh child process; the database
connections inherited from the parent are discarded there, never shared.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue, Worker

from app import create_app
from app.platform.extensions import db
from app.platform.queue import DEFAULT_QUEUE, redis_connection

log = logging.getLogger(__name__)

#: The longest pause between two attempts to reach Redis again.
MAX_RECONNECT_DELAY_S = 30.0


def main(argv: list[str] | None = None) -> int:
    """Start a worker on the named queues; returns the process exit status."""
    queue_names = (argv if argv is not None else sys.argv[1:]) or [DEFAULT_QUEUE]
    app = create_app()
    url = app.config.get("REDIS_URL")
    if not url:
        print("REDIS_URL is not set: background jobs run in-process without a worker.")
        return 2
    with app.app_context():
        engines = list(db.engines.values())

        def _forget_parent_connections() -> None:
            for engine in engines:
                engine.dispose(close=False)

        os.register_at_fork(after_in_child=_forget_parent_connections)
        connection = redis_connection(url)
        delay = 1.0
        while True:
            started = time.monotonic()
            try:
                queues = [Queue(name, connection=connection) for name in queue_names]
                worker = Worker(queues, connection=connection)
                log.info("worker starting", extra={"queues": ",".join(queue_names)})
                # logging_level=None keeps RQ from adding its own handler next to ours.
                worker.work(logging_level=None, with_scheduler=False)
                return 0  # a warm shutdown (SIGTERM): the running job was finished
            except RedisConnectionError as exc:
                # RQ gives up after a few seconds without Redis; a job already running
                # keeps its progress in the database. Wait for Redis instead of exiting.
                log.warning(
                    "redis unreachable, worker restarts in %.0f s: %s", delay, type(exc).__name__
                )
                if time.monotonic() - started > MAX_RECONNECT_DELAY_S:
                    delay = 1.0  # it had been working: this is a new outage
                time.sleep(delay)
                delay = min(delay * 2, MAX_RECONNECT_DELAY_S)


if __name__ == "__main__":
    sys.exit(main())
