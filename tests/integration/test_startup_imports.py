"""CLI commands that draw, print and compute nothing never import the heavy libraries.

Each command runs as ``flask --app wsgi ...`` does, in a fresh interpreter on an empty SQLite
database; when the command has ended, the interpreter reports which of WeasyPrint, matplotlib,
scipy, numpy, openpyxl, Alembic, Redis and RQ it imported. A bare ``create_app()`` (a web
worker starting) imports none of them either. Nor do they import the modules of the CLI
groups (``app.cli``): ``flask --help`` lists the groups from the registry alone, and a
command imports its own group's module. ``make bench`` (``bench_startup``) measures what it
saves.
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
#: Printed after a command: the heavy libraries and the modules of ``app.cli`` it imported.
REPORT = (
    "print('\\nimported:', json.dumps({"
    f"'heavy': sorted(n for n in {HEAVY!r} if n in sys.modules), "
    "'cli': sorted(n for n in sys.modules if n == 'app.cli' or n.startswith('app.cli.'))}))"
)
#: ``flask`` as its console script runs it, then the report after a marker, whatever the
#: command's exit status.
PROBE = f"""
import json, sys
from flask.cli import main
sys.argv[0] = "flask"
try:
    main()
finally:
    {REPORT}
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


def modules_loaded(database: Path, *command: str, stdin: str = "") -> dict[str, list[str]]:
    """Run ``flask --app wsgi COMMAND`` on ``database``; what it imported, as :data:`REPORT`
    prints it."""
    output = _python(database, "-c", PROBE, "--app", "wsgi", *command, stdin=stdin)
    return json.loads(output.rpartition("\nimported:")[2])


def heavy_libraries_loaded(database: Path, *command: str, stdin: str = "") -> list[str]:
    """Run ``flask --app wsgi COMMAND`` on ``database``; the heavy libraries it imported."""
    return modules_loaded(database, *command, stdin=stdin)["heavy"]


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    """An empty database with the schema, made by ``flask db upgrade``, the one command here
    that loads Alembic."""
    path = tmp_path_factory.mktemp("startup") / "empty.sqlite3"
    assert heavy_libraries_loaded(path, "db", "upgrade") == ["alembic"]
    return path


def test_the_command_list_imports_no_group_module(database) -> None:
    assert modules_loaded(database, "--help") == {"heavy": [], "cli": ["app.cli"]}


def test_a_command_imports_its_own_group_module_only(database) -> None:
    assert modules_loaded(database, "user", "list") == {
        "heavy": [],
        "cli": ["app.cli", "app.cli._support", "app.cli.user"],
    }


@pytest.mark.parametrize(
    "command",
    [
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


def test_a_bare_app_imports_no_heavy_library_and_no_group_module(database) -> None:
    code = f"import json, sys\nfrom app import create_app\ncreate_app()\n{REPORT}\n"
    output = _python(database, "-c", code)
    assert json.loads(output.rpartition("\nimported:")[2]) == {"heavy": [], "cli": ["app.cli"]}
