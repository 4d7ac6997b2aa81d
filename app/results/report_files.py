"""Reading the report files of ``CX_REPORTS_DIR`` (rules, recommendations, owners) the one
way every reader does: a missing file is no problem, an invalid or unreadable one is a list
of problems (and an error in the log), never an exception."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def read_report_file(
    loader: Callable[..., Any], invalid: type[Exception], path: Path, *args: Any
) -> tuple[Any, list[str]]:
    """``loader(path, *args)`` and the problems found. ``invalid`` is the loader's error for
    a file it can read but not accept; it carries the problems (``.problems``)."""
    try:
        path.stat()
    except OSError:
        return None, []
    try:
        return loader(path, *args), []
    except invalid as exc:
        log.error("invalid report file %s:\n%s", path, exc)
        return None, [str(problem) for problem in getattr(exc, "problems", [exc])]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{path}: cannot read file: {exc}"]


__all__ = ["read_report_file"]
