"""File names of reports and their archives, safe on every system and in every browser, and
the folder the archives are kept in."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from flask import current_app

from app.models import Campaign, Department, display_name

#: The archives' folder under the instance folder, without CX_REPORT_ARCHIVE_DIR.
ARCHIVE_DIR = "reports"


def archive_dir() -> Path:
    """Where finished zips are kept: ``CX_REPORT_ARCHIVE_DIR``, else ``instance/reports``."""
    configured = current_app.config.get("CX_REPORT_ARCHIVE_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / ARCHIVE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def safe_filename(text: str) -> str:
    """``text`` usable as a file name on every system (Japanese kept, separators removed)."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text).strip(" ._")
    return cleaned[:80] or "report"


def report_filename(campaign: Campaign, department: Department | None, locale: str) -> str:
    """The download name of a report, e.g. ``2026年度…-organization-ja.pdf`` (in English, the
    English names where there are some)."""
    scope = (
        "organization" if department is None else safe_filename(display_name(department, locale))
    )
    return f"{safe_filename(display_name(campaign, locale))}-{scope}-{locale}.pdf"


def archive_filename(campaign: Campaign, locale: str) -> str:
    """The download name of a batch's zip."""
    return f"{safe_filename(display_name(campaign, locale))}-reports-{locale}.zip"


def content_disposition(filename: str) -> str:
    """An attachment header that carries a Japanese file name to every browser."""
    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "pdf"
    fallback = filename if filename.isascii() else f"report.{suffix}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
