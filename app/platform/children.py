"""Child processes never outlive the process that started them.

PDF renders run in child processes (``run_limited``, the local report pool and a batch's
worker pool), started from multiprocessing's fork server. Such a child's parent is the fork
server, not the web server, and it holds a pipe that keeps the fork server (and the resource
tracker) running: when the web server stopped (Ctrl-C or SIGTERM on ``flask run``, a gunicorn
worker ending) while a render or a batch was running, three processes were left behind.

Two measures, one for each side:

- ``exit_with_parent`` in every child: a daemon thread waits on a pidfd of the process that
  asked for the child and ends the child at once when that process ends, however it ended
  (even SIGKILL). The fork server and the resource tracker then see their pipes close and
  exit too.
- ``stop_children_at_exit`` in the parent: when the interpreter shuts down normally (SIGINT
  on the development server, a gunicorn worker's graceful exit), the running children are
  terminated first, so the shutdown does not wait for a batch to finish.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import threading
import time

log = logging.getLogger(__name__)

#: The exit status of a child whose parent ended.
ORPHANED_EXIT = 70
#: How long a terminated child may take to end before it is killed.
TERMINATE_GRACE_S = 3.0
#: How often the fallback watch (no pidfd on this kernel) looks at the parent.
POLL_S = 0.5

_registered = False
_register_lock = threading.Lock()

#: Modules the fork server imports when it starts, so that every child forked from it starts
#: with them loaded (``add_forkserver_preload``).
_preload: list[str] = []


def add_forkserver_preload(module: str) -> None:
    """Have the fork server import ``module`` when it starts (before its first child)."""
    if module not in _preload:
        _preload.append(module)


def forkserver_context() -> multiprocessing.context.BaseContext:
    """The context child processes start from: the fork server, a clean single-threaded
    process that never holds a web worker's threads or connections, with the modules of
    :func:`add_forkserver_preload` already imported (a render then skips a second and a
    half of imports); ``spawn`` where there is no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    multiprocessing.set_forkserver_preload(list(_preload))
    return multiprocessing.get_context("forkserver")


def threads_running() -> int | None:
    """How many threads this process runs, counted by the kernel (those of C libraries
    included, which :mod:`threading` does not see); None where that cannot be read."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def inheriting_context() -> multiprocessing.context.BaseContext:
    """The context for children that should start as copies of this process: ``fork`` when
    this process runs a single thread, so that a child inherits everything it has loaded and
    computed (a lock held by another thread would be copied held, so a process with threads,
    such as a web server or one whose thread count is unknown, gets
    :func:`forkserver_context`)."""
    if "fork" in multiprocessing.get_all_start_methods() and threads_running() == 1:
        return multiprocessing.get_context("fork")
    return forkserver_context()


def _parent_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return state in ("Z", "X")


def _watch(pidfd: int | None, parent_pid: int) -> None:
    if pidfd is not None:
        # A pidfd becomes readable when the process ends.
        select.select([pidfd], [], [])
    else:
        while not _parent_gone(parent_pid):
            time.sleep(POLL_S)
    os._exit(ORPHANED_EXIT)


def exit_with_parent(parent_pid: int) -> None:
    """In a child process: end this process as soon as ``parent_pid`` ends.

    ``parent_pid`` is the process that asked for this child (the fork server is the child's
    real parent, so ``os.getppid()`` says nothing about it). Call it first thing in the child.
    """
    if _parent_gone(parent_pid):
        os._exit(ORPHANED_EXIT)
    pidfd: int | None
    try:
        pidfd = os.pidfd_open(parent_pid)
    except ProcessLookupError:
        os._exit(ORPHANED_EXIT)
    except (AttributeError, OSError):
        pidfd = None
    threading.Thread(
        target=_watch, args=(pidfd, parent_pid), name="exit-with-parent", daemon=True
    ).start()


def stop_children() -> None:
    """Terminate this process's running multiprocessing children; kill those that linger."""
    children = multiprocessing.active_children()
    if not children:
        return
    log.info("stopping child processes", extra={"children": len(children)})
    for child in children:
        child.terminate()
    deadline = time.monotonic() + TERMINATE_GRACE_S
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join(1)


def stop_children_at_exit() -> None:
    """Terminate the running children when the interpreter shuts down (registered once).

    ``threading._register_atexit`` runs before the interpreter joins the threads of a
    ``ProcessPoolExecutor``, which would wait for every running task to finish; ``atexit``
    would run only after that wait.
    """
    global _registered
    with _register_lock:
        if not _registered:
            threading._register_atexit(stop_children)  # type: ignore[attr-defined]
            _registered = True
