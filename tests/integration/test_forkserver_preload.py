"""Report renders start from a fork server that has already imported the report pipeline and
its libraries (``app.reporting.preload``): a child spends its time rendering, not importing."""

from __future__ import annotations

from app.platform.children import _preload
from app.platform.hardening import run_limited
from app.reporting import service  # noqa: F401  (registers the preload, as the app does)

HEAVY = ("weasyprint", "matplotlib", "matplotlib.figure", "scipy.special", "app.reporting.jobs")
PROBE = f"sorted(m for m in {HEAVY!r} if m in __import__('sys').modules)"


def test_the_report_pipeline_is_preloaded_for_the_fork_server() -> None:
    assert "app.reporting.preload" in _preload


def test_a_render_child_starts_with_the_libraries_already_imported(app) -> None:
    # ``eval`` is a builtin: unpickling it in the child imports nothing of its own.
    with app.app_context():
        loaded = run_limited(eval, PROBE, timeout=60, memory_mb=0)
    assert loaded == sorted(HEAVY)
