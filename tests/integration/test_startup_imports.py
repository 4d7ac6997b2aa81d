"""CLI commands that draw, print and compute nothing never import the heavy libraries.

Each command runs as ``flask --app wsgi ...`` does, in a fresh interpreter on an empty SQLite
database; when the command has ended, the interpreter reports which of WeasyPrint, matplotlib,
scipy, numpy, openpyxl, Alembic, Redis and RQ it imported. A bare ``create_app()`` (a web
worker starting) imports none of them either. ``make bench`` (``bench_startup``) measures
what it saves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TEST_SECRET_KEY

#: The heavy libraries (SudachiPy with its dictionary too).
HEAVY = (
    "weasyprint",
    "matplotlib",
    "scipy",
    "numpy",
    "openpyxl",
    "alembic",
    "redis",
    "rq",
    "sudachipy",
)
#: ``flask`` as its console script runs it, then the heavy libraries found in ``sys.modules``
#: after a marker, whatever the command's exit status.
PROBE = f"""
import json, sys
from flask.cli import main
sys.argv[0] = "flask"
try:
    main()
finally:
    print("\\nimported:", json.dumps(sorted(n for n in {HEAVY!r} if n in sys.modules)))
"""


def _python(database: Path, *arguments: str, stdin: str = "") -> str:
    """Run ``python ARGUMENTS`` in a fresh interpreter on ``database``; what it printed."""
    env = {
        **os.environ,
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{database}",
        "PYTHONPATH": str(REPO_ROOT),
    }
    env.pop("FLASK_APP", None)
    completed = subprocess.run(
        [sys.executable, *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def heavy_libraries_loaded(database: Path, *command: str, stdin: str = "") -> list[str]:
    """Run ``flask --app wsgi COMMAND`` on ``database``; the heavy libraries it imported."""
    output = _python(database, "-c", PROBE, "--app", "wsgi", *command, stdin=stdin)
    return json.loads(output.rpartition("\nimported:")[2])


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    """An empty database with the schema, made by ``flask db upgrade``, the one command here
    that loads Alembic."""
    path = tmp_path_factory.mktemp("startup") / "empty.sqlite3"
    assert heavy_libraries_loaded(path, "db", "upgrade") == ["alembic"]
    return path


@pytest.mark.parametrize(
    "command",
    [
        ("--help",),
        ("campaign", "list"),
        ("org", "list"),
        ("questionnaire", "list"),
        ("report", "render", "--help"),
    ],
    ids=" ".join,
)
def test_a_command_that_renders_nothing_imports_no_heavy_library(database, command) -> None:
    assert heavy_libraries_loaded(database, *command) == []


def test_the_probe_sees_the_libraries_a_command_uses(database) -> None:
    # The same probe around ``flask shell`` given a confidence interval to compute and the
    # report fonts to find (read with matplotlib): what it reports is what the process
    # really imported, and the lazy modules do import when used.
    code = (
        "from app.analysis.stats import mean_ci\n"
        "from app.presentation.fonts import locate_fonts\n"
        "print(mean_ci(10, 3.0, 1.0), locate_fonts().family)\n"
    )
    assert heavy_libraries_loaded(database, "shell", stdin=code) == [
        "matplotlib",
        "numpy",
        "scipy",
    ]


def test_a_bare_app_imports_no_heavy_library(database) -> None:
    code = (
        "import json, sys\n"
        "from app import create_app\n"
        "create_app()\n"
        f"print(json.dumps(sorted(n for n in {HEAVY!r} if n in sys.modules)))\n"
    )
    output = _python(database, "-c", code)
    assert json.loads(output.strip().splitlines()[-1]) == []
