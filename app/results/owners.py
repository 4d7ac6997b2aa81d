"""The owner functions every recommended action names (``CX_REPORTS_DIR/owners.yaml``).

One cached reading of the file for the results, the API, the dashboard and the reports, so
an action's owner reads the same wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

from flask import current_app

from app.analysis.actions import OwnerCatalogue, OwnersError, load_owners
from app.platform.cache import FileCache, ParseStore, clean_parse
from app.results.report_files import read_report_file

OWNERS_FILE = "owners.yaml"

Localized = Mapping[str, str]


_files = FileCache(
    partial(read_report_file, load_owners, OwnersError),
    maxsize=8,
    store=ParseStore("owners", clean_parse),
)


def owner_files(directory: Path) -> tuple[OwnerCatalogue | None, list[str]]:
    """The owners file of a reports directory (reloaded when changed), with its problems."""
    return _files.get(directory / OWNERS_FILE)


def owner_functions() -> Mapping[str, Localized]:
    """The owner functions of ``CX_REPORTS_DIR``: ``{key: {locale: name}}`` (empty without a
    valid file)."""
    owners, _ = owner_files(Path(current_app.config["CX_REPORTS_DIR"]))
    return {} if owners is None else owners.owners


def owner_label(key: str) -> Localized:
    """An owner function's name in every report language (the key itself when unknown)."""
    return owner_functions().get(key) or {"ja": key, "en": key}


__all__ = ["OWNERS_FILE", "owner_files", "owner_functions", "owner_label"]
