"""The dependency audit completes what pip-audit skipped from PyPI's project documents."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit.py"
_spec = importlib.util.spec_from_file_location("cx_audit_script", SCRIPT)
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)

SKIPPED = "Dependency not found on PyPI and could not be audited: pkg (1.0)"


def _documents(**projects):
    return lambda name: projects.get(name)


def test_latest_release_with_an_advisory_is_vulnerable():
    fetch = _documents(
        jinja2={
            "info": {"version": "3.1.4"},
            "vulnerabilities": [
                {"id": "GHSA-aaaa", "fixed_in": ["3.1.5"], "withdrawn": None},
                {"id": "PYSEC-old", "fixed_in": [], "withdrawn": "2024-01-01T00:00:00"},
            ],
        }
    )
    done = audit.complete_from_latest(
        [{"name": "jinja2", "version": "3.1.4", "skip_reason": SKIPPED}], fetch
    )
    assert done == [
        {
            "name": "jinja2",
            "version": "3.1.4",
            "vulns": [{"id": "GHSA-aaaa", "fix_versions": ["3.1.5"]}],
        }
    ]


def test_latest_release_without_advisories_counts_as_audited():
    fetch = _documents(flask={"info": {"version": "3.1.3"}, "vulnerabilities": []})
    done = audit.complete_from_latest(
        [{"name": "flask", "version": "3.1.3", "skip_reason": SKIPPED}], fetch
    )
    assert done == [{"name": "flask", "version": "3.1.3", "vulns": []}]


def test_an_older_release_or_an_unreachable_index_stays_unaudited():
    fetch = _documents(numpy={"info": {"version": "9.9.9"}, "vulnerabilities": []})
    entries = [
        {"name": "numpy", "version": "2.0.0", "skip_reason": SKIPPED},
        {"name": "unknown-project", "version": "1.0", "skip_reason": SKIPPED},
    ]
    done = audit.complete_from_latest(entries, fetch)
    assert [d.get("skip_reason") for d in done] == [SKIPPED, SKIPPED]
    assert all("vulns" not in d for d in done)


def test_entries_pip_audit_answered_are_kept_as_they_are():
    answered = {"name": "click", "version": "8.1.0", "vulns": [{"id": "X", "fix_versions": []}]}

    def never(name):
        raise AssertionError(f"{name} should not be fetched")

    assert audit.complete_from_latest([answered], never) == [answered]


def test_the_installed_version_is_used_when_pip_audit_gives_none():
    from importlib.metadata import version

    installed = version("flask")
    fetch = _documents(flask={"info": {"version": installed}, "vulnerabilities": []})
    done = audit.complete_from_latest([{"name": "flask", "skip_reason": SKIPPED}], fetch)
    assert done == [{"name": "flask", "version": installed, "vulns": []}]
