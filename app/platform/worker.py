"""The background worker: ``python -m app.platform.worker [QUEUE ...]`` (queue: ``default``).

Runs RQ's forking worker inside an application context, so jobs use the same configuration,
database and logging as the web nodes. Each job runs in a fresh child process; the database
connections inherited from the parent are discarded there, never shared.

Both worker classes here stop listening for RQ's commands at once when they shut down; RQ's
own can wait a minute for it (see :class:`PromptShutdown`).
"""

from __future__ import annotations

import logging
import os
import sys
import time

from app import create_app
from app.platform.extensions import db
from app.platform.lazy import lazy_module
from app.platform.queue import DEFAULT_QUEUE, redis_connection

rq = lazy_module("rq")
redis_exceptions = lazy_module("redis.exceptions")

log = logging.getLogger(__name__)

#: The longest pause between two attempts to reach Redis again.
MAX_RECONNECT_DELAY_S = 30.0
#: How long a shutdown waits for the command listener once it has been told to stop.
LISTENER_STOP_TIMEOUT_S = 5.0


class PromptShutdown:
    """Ends an RQ worker's command listener (a redis-py pubsub thread) without a minute's wait.

    RQ unsubscribes first and then stops the thread, and redis-py's ``stop()`` waits for it.
    When the unsubscribe reply reaches the thread before ``stop()`` has cleared its running
    flag, the thread goes round again and waits for a subscription (up to RQ's ``sleep_time``,
    60 s) that never comes: about one shutdown or burst run in two took a minute. Clearing
    the flag first lets that same reply end the thread at once.
    """

    def unsubscribe(self) -> None:
        """Stop the listener thread, then leave the worker's command channel."""
        thread, pubsub = self.pubsub_thread, self.pubsub
        if thread is None or pubsub is None:
            return
        thread.stop(timeout=0)  # only clears the flag: the reply below wakes the thread
        pubsub.unsubscribe()
        thread.join(timeout=LISTENER_STOP_TIMEOUT_S)
        pubsub.close()


class Worker(PromptShutdown, rq.Worker):
    """RQ's forking worker: each job in a child process (``main`` runs this one)."""


class SimpleWorker(PromptShutdown, rq.SimpleWorker):
    """RQ's worker that runs jobs in its own process: for tests and one-off burst runs."""


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
                queues = [rq.Queue(name, connection=connection) for name in queue_names]
                worker = Worker(queues, connection=connection)
                log.info("worker starting", extra={"queues": ",".join(queue_names)})
                # logging_level=None keeps RQ from adding its own handler next to ours.
                worker.work(logging_level=None, with_scheduler=False)
                return 0  # a warm shutdown (SIGTERM): the running job was finished
            except redis_exceptions.ConnectionError as exc:
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
