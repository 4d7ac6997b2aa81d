"""Audit the installed Python packages for known vulnerabilities with pip-audit.

Usage: python scripts/audit.py [--strict]

Fails (exit 1) when any installed package has a known vulnerability. When the vulnerability
service cannot answer for some packages (no network, or an index mirror without PyPI's
per-version JSON API), pip-audit itself reports "No known vulnerabilities found" after
skipping them; this script says so loudly instead and, with --strict (or AUDIT_STRICT=1),
fails. Without --strict an incomplete audit passes so that an offline CI is not blocked by a
service it cannot reach; run it with --strict where the service is reachable (a release job).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")
#: A blocked network must not stall the test run: give up and say so.
TIMEOUT_S = 180


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
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    # This project itself is installed editable: it is the code under audit, not a dependency.
    dependencies = [d for d in dependencies if "editable" not in (d.get("skip_reason") or "")]
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
        message = (
            f"{len(skipped)} of {len(dependencies)} packages not audited ({'; '.join(reasons)})"
        )
        return 2 if strict else _incomplete(message)
    return 0


def _incomplete(message: str) -> int:
    banner = "!" * 78
    print(f"{banner}\nAUDIT INCOMPLETE: {message}.")
    print(f"Run `make audit AUDIT_STRICT=1` where PyPI's JSON API is reachable.\n{banner}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
