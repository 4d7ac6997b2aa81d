"""Start-up time of the CLI: ``flask --app wsgi --help``, the median of ``REPEATS`` runs.

``python -m tests.benchmarks bench_startup``. Every run is a fresh process on an empty SQLite
database, reading the app's compiled bytecode as a deployed process does; the baselines,
``python -c pass`` and ``python -c "import flask, sqlalchemy"`` (the two libraries no command
can do without), are measured in the same run, in turn with it, so
``ratio`` (CLI / bare interpreter) and ``ratio_to_flask_sqlalchemy`` (the target: at most 2)
compare runs on a machine busy to different degrees.
``import_wsgi_s`` is the app factory alone (``python -c "import wsgi"``), and
``heavy_imported`` lists which of WeasyPrint, matplotlib, scipy, numpy, openpyxl, Alembic,
Redis and RQ ``--help`` imported (none: they load when a chart, a PDF, a statistic, an XLSX,
a migration or a queued job is first made).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REPEATS = 5
TARGET_RATIO = 2.0
HEAVY = ("weasyprint", "matplotlib", "scipy", "numpy", "openpyxl", "alembic", "redis", "rq")
#: What the ``flask`` console script runs, then the heavy libraries it imported.
PROBE = (
    "import json, sys\n"
    "from flask.cli import main\n"
    "sys.argv[0] = 'flask'\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    f"    print('\\nimported:', json.dumps([n for n in {HEAVY!r} if n in sys.modules]))\n"
)


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(
        command, capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    return time.perf_counter() - started, completed.stdout


def run() -> dict[str, Any]:
    """Measure the CLI, the app import and the bare interpreter in turn, ``REPEATS`` times."""
    flask = str(Path(sys.executable).with_name("flask"))
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        env = {
            **os.environ,
            "SECRET_KEY": "bench-" + "x" * 40,
            "DATABASE_URL": f"sqlite:///{scratch}/empty.sqlite3",
            "PYTHONPATH": str(ROOT),
        }
        env.pop("FLASK_APP", None)
        # The app's modules are compiled once, by the warm-up run below, as a deployed app's
        # are (the libraries' bytecode was written when they were installed); into the
        # scratch folder, so the checkout stays as it is.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = f"{scratch}/pycache"
        measures = {
            "python_pass_s": [sys.executable, "-c", "pass"],
            "import_flask_sqlalchemy_s": [sys.executable, "-c", "import flask, sqlalchemy"],
            "import_wsgi_s": [sys.executable, "-c", "import wsgi"],
            "flask_help_s": [flask, "--app", "wsgi", "--help"],
        }
        _timed(measures["flask_help_s"], env)  # warm the file system cache, compile the app
        times: dict[str, list[float]] = {name: [] for name in measures}
        for _ in range(REPEATS):
            for name, command in measures.items():
                times[name].append(_timed(command, env)[0])
        _elapsed, output = _timed([sys.executable, "-c", PROBE, "--app", "wsgi", "--help"], env)
    median = {name: statistics.median(found) for name, found in times.items()}
    return {
        "repeats": REPEATS,
        **{name: round(value, 3) for name, value in median.items()},
        "ratio": round(median["flask_help_s"] / median["python_pass_s"], 1),
        "ratio_to_flask_sqlalchemy": round(
            median["flask_help_s"] / median["import_flask_sqlalchemy_s"], 2
        ),
        "target_ratio_to_flask_sqlalchemy": TARGET_RATIO,
        "heavy_imported": json.loads(output.rpartition("\nimported:")[2]),
        "load_average": os.getloadavg(),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
