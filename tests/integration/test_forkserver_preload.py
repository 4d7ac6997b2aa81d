"""Report renders start from a fork server that has already imported the report pipeline and
its libraries (``app.reporting.preload``): a child spends its time rendering, not importing.
A process running a single thread (the CLI) starts them as copies of itself instead."""

from __future__ import annotations

import subprocess
import sys

from app.platform.children import _preload
from app.platform.hardening import run_limited
from app.reporting import service  # noqa: F401  (registers the preload, as the app does)
from tests.conftest import REPO_ROOT

HEAVY = ("weasyprint", "matplotlib", "matplotlib.figure", "scipy.special", "app.reporting.jobs")
PROBE = f"sorted(m for m in {HEAVY!r} if m in __import__('sys').modules)"


def test_the_report_pipeline_is_preloaded_for_the_fork_server() -> None:
    assert "app.reporting.preload" in _preload


def test_a_render_child_starts_with_the_libraries_already_imported(app) -> None:
    # ``eval`` is a builtin: unpickling it in the child imports nothing of its own.
    with app.app_context():
        loaded = run_limited(eval, PROBE, timeout=60, memory_mb=0)
    assert loaded == sorted(HEAVY)


def test_children_copy_a_process_only_while_it_runs_a_single_thread() -> None:
    # A copy of a process with threads could inherit a lock another thread holds: such a
    # process (a web server, pytest's workers) starts its children from the fork server.
    probe = (
        "import threading\n"
        "from app.platform.children import inheriting_context, threads_running\n"
        "print(threads_running(), inheriting_context().get_start_method())\n"
        # numpy's linear algebra keeps to the calling thread: a batch that computed the
        # campaign's figures still copies itself.
        "from app.reporting.libraries import load_report_libraries, numpy\n"
        "load_report_libraries()\n"
        "numpy.ones((400, 400)) @ numpy.ones((400, 400))\n"
        "print(threads_running(), inheriting_context().get_start_method())\n"
        "stop = threading.Event()\n"
        "threading.Thread(target=stop.wait).start()\n"
        "print(threads_running(), inheriting_context().get_start_method())\n"
        "stop.set()\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert completed.stdout.split("\n")[:3] == ["1 fork", "1 fork", "2 forkserver"]
