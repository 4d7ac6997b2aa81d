"""The report's documents as HTML: the methodology (``docs/methodology.md``, for the technical
note) and the reading guide (``docs/reading-guide.md``, for the client's appendix), each in
its translation where there is one."""

from __future__ import annotations

import re
from pathlib import Path

from markupsafe import Markup

from app.platform.cache import FileCache
from app.platform.config import PROJECT_ROOT
from app.platform.lazy import lazy_module

markdown_it = lazy_module("markdown_it")

DOCS_DIR = PROJECT_ROOT / "docs"

_HEADING = re.compile(r"<(/?)h([1-5])>")
#: Sections meant for the people running the application, not for the client's report.
ADMIN_MARKERS = ("(for administrators)", "（管理者向け）")


def methodology_path(locale: str, directory: Path = DOCS_DIR, name: str = "methodology") -> Path:
    """``<name>.<locale>.md`` when it exists, else the English ``<name>.md``."""
    translated = directory / f"{name}.{locale}.md"
    return translated if translated.is_file() else directory / f"{name}.md"


def reading_guide_html(locale: str, directory: Path = DOCS_DIR) -> Markup:
    """How to read a report (``docs/reading-guide.md`` or its translation), for the client's
    appendix: the maturity scale, the verdicts, the anonymity threshold."""
    return _documents.get(methodology_path(locale, directory, "reading-guide"))


def methodology_html(locale: str, directory: Path = DOCS_DIR) -> Markup:
    """The methodology document as HTML for the appendix.

    Raw HTML in the Markdown is not passed through (the document is text, not markup), the
    document's own title is dropped (the appendix has one) and headings move one level down
    so they nest under it.
    """
    return _documents.get(methodology_path(locale, directory))


def markdown_to_html(text: str) -> Markup:
    """Convert report Markdown (CommonMark with tables, no raw HTML) to appendix HTML.

    Level-2 sections whose heading says they are for administrators are left out.
    """
    body = markdown_it.MarkdownIt("js-default").render(_without_admin_sections(text))
    body = re.sub(r"^<h1>.*?</h1>\n", "", body, count=1)
    body = _HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}>", body)
    return Markup(body)  # noqa: S704 - markdown-it escapes the text and refuses raw HTML


def _document_html(path: Path) -> Markup:
    return markdown_to_html(path.read_text(encoding="utf-8"))


_documents = FileCache(_document_html, maxsize=8)


def _without_admin_sections(text: str) -> str:
    kept: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            skipping = any(marker in line for marker in ADMIN_MARKERS)
        elif line.startswith("# "):
            skipping = False
        if not skipping:
            kept.append(line)
    return "".join(kept)
