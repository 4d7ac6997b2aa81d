"""Audit the installed Python packages for known vulnerabilities with pip-audit.

Usage: python scripts/audit.py [--strict]

Fails (exit 1) when any installed package has a known vulnerability. When the vulnerability
service cannot answer for some packages (no network, or an index mirror without PyPI's
per-version JSON API), pip-audit itself reports "No known vulnerabilities found" after
skipping them; this script says so loudly instead and, with --strict (or AUDIT_STRICT=1),
fails. Without --strict an incomplete audit passes so that an offline CI is not blocked by a
service it cannot reach; run it with --strict where the service is reachable (a release job).

Where only PyPI's per-project JSON is reachable (some index proxies refuse the per-version
documents pip-audit asks for), a package pip-audit skipped is still audited when it is installed
at its latest release: that document lists the latest release's known vulnerabilities, the
same advisory data pip-audit reads.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")
#: A blocked network must not stall the test run: give up and say so.
TIMEOUT_S = 180
PROJECT_JSON = "https://pypi.org/pypi/{name}/json"


def fetch_project(name: str) -> dict[str, Any] | None:
    """PyPI's JSON document of project ``name``, or None when it cannot be had."""
    try:
        with urllib.request.urlopen(PROJECT_JSON.format(name=name), timeout=10) as answer:  # noqa: S310
            return json.load(answer)
    except (urllib.error.URLError, TimeoutError, ValueError, OSError):
        return None


def audit_at_latest(
    dependency: dict[str, Any], fetch: Callable[[str], dict[str, Any] | None] = fetch_project
) -> dict[str, Any]:
    """``dependency`` (a pip-audit entry it skipped) audited from the project's JSON document.

    Audited only when the installed version is the latest release; the entry comes back with
    ``vulns`` and without ``skip_reason``, or unchanged.
    """
    version = dependency.get("version") or _installed_version(dependency["name"])
    document = fetch(dependency["name"])
    if not version or not document or document.get("info", {}).get("version") != version:
        return {**dependency, "version": version or ""}
    vulns = [
        {"id": v.get("id", "?"), "fix_versions": list(v.get("fixed_in") or [])}
        for v in document.get("vulnerabilities") or []
        if not v.get("withdrawn")
    ]
    return {"name": dependency["name"], "version": version, "vulns": vulns}


def _installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def main(argv: list[str]) -> int:
    strict = "--strict" in argv or os.environ.get("AUDIT_STRICT") == "1"
    command = [
        str(PIP_AUDIT),
        "--local",
        "--skip-editable",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        "10",
    ]
    try:
        run = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=False, timeout=TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        message = f"pip-audit did not finish within {TIMEOUT_S} s (network unreachable?)"
        return 2 if strict else _incomplete(message)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit could not run (exit {run.returncode}):\n{run.stderr.strip()}")
        return 2 if strict else _incomplete("the vulnerability service was not reachable")
    # This project itself is installed editable: it is the code under audit, not a dependency.
    dependencies = [
        d for d in report.get("dependencies", []) if "editable" not in (d.get("skip_reason") or "")
    ]
    dependencies = complete_from_latest(dependencies)
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(
                f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} ({fixed})"
            )
    print(f"pip-audit: {audited} audited, {len(skipped)} skipped, {len(vulnerable)} vulnerable")
    if vulnerable:
        return 1
    if skipped:
        reasons = sorted({d["skip_reason"].split(":")[0] for d in skipped})
        names = ", ".join(f"{d['name']} {d.get('version') or ''}".strip() for d in skipped)
        message = (
            f"{len(skipped)} of {len(dependencies)} packages not audited: {names} "
            f"({'; '.join(reasons)}; not the latest release either)"
        )
        return 2 if strict else _incomplete(message)
    return 0


def complete_from_latest(
    dependencies: list[dict[str, Any]],
    fetch: Callable[[str], dict[str, Any] | None] = fetch_project,
) -> list[dict[str, Any]]:
    """Audit what pip-audit skipped from the project JSON documents, where that is possible."""
    skipped = [i for i, d in enumerate(dependencies) if d.get("skip_reason")]
    if not skipped:
        return dependencies
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda i: audit_at_latest(dependencies[i], fetch), skipped))
    completed = list(dependencies)
    for index, dependency in zip(skipped, done, strict=True):
        completed[index] = dependency
    return completed


def _incomplete(message: str) -> int:
    banner = "!" * 78
    print(f"{banner}\nAUDIT INCOMPLETE: {message}.")
    print(f"Run `make audit AUDIT_STRICT=1` where PyPI's JSON API is reachable.\n{banner}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
