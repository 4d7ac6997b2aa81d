"""Run every benchmark module and print one JSON document.

Usage: python -m tests.benchmarks [NAME ...]   (NAME: a module such as ``bench_results``)
Each module's ``run()`` returns a dict of measurements; medians and ratios against a baseline
measured in the same run are what to track, since machines are noisy. The document is also
written to ``bench-results/latest.json``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
import time
from pathlib import Path

import tests.benchmarks as package

OUT = Path(__file__).resolve().parent.parent.parent / "bench-results"


def main(selected: list[str]) -> int:
    names = sorted(
        m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("bench_")
    )
    if selected:
        names = [n for n in names if n in selected]
    document: dict[str, object] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "benchmarks": {},
    }
    failed = False
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        module = importlib.import_module(f"tests.benchmarks.{name}")
        try:
            document["benchmarks"][name] = module.run()
        except Exception as exc:  # one broken benchmark must not hide the others
            failed = True
            document["benchmarks"][name] = {"error": f"{type(exc).__name__}: {exc}"}
    OUT.mkdir(exist_ok=True)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    (OUT / "latest.json").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
