"""Report HTML (Jinja2, autoescaped) and PDF (WeasyPrint, sandboxed) rendering.

Report templates live in ``reports/<name>/template.html`` with their ``style.css`` beside
them; partials shared by several reports live in ``reports/shared/``. WeasyPrint only ever
reads what :class:`ReportURLFetcher` allows: files under the reports folder, the located
font files and ``data:`` URIs. Anything else (http, https, other paths) is refused and
logged, so a report can never reach the network or read arbitrary files.
"""

from __future__ import annotations

import atexit
import base64
import logging
import mimetypes
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import flask_babel
from flask import current_app
from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup

from app.platform.cache import BoundedCache, private_cache_folder
from app.platform.lazy import lazy_module
from app.platform.memory import gc_paused
from app.presentation import formatting
from app.presentation.fonts import ReportFonts, font_face_css, locate_fonts
from app.reporting.linebreaks import phrases_kept_whole

#: Imported with the first PDF: loading Pango takes most of a second and the web app and
#: most CLI commands never render one.
weasyprint = lazy_module("weasyprint")
weasyprint_fonts = lazy_module("weasyprint.text.fonts")

logger = logging.getLogger(__name__)
# WeasyPrint reports every layout step at INFO; a server log needs only its warnings.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

REPORT_NAMES = ("organization", "department", "individual", "technical")
#: File types the HTML preview may serve from the reports folder.
ASSET_SUFFIXES = (".css", ".svg", ".png")


class RefusedURLError(ValueError):
    """The renderer was asked for something outside the report's own assets."""


def reports_dir() -> Path:
    """The folder holding the report templates (``CX_REPORTS_DIR``)."""
    return Path(current_app.config["CX_REPORTS_DIR"]).resolve()


class ReportURLFetcher:
    """Serves the report's own assets to WeasyPrint and refuses everything else."""

    #: Read by WeasyPrint: a refused URL is logged and skipped, it does not stop the report.
    _fail_on_errors = False

    def __init__(self, roots: Sequence[Path], files: Sequence[Path] = ()) -> None:
        self.roots = tuple(root.resolve() for root in roots)
        self.files = frozenset(path.resolve() for path in files)

    def allows(self, url: str) -> Path | None:
        """The local file ``url`` names if it may be read, else None."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path)).resolve()
        if path in self.files:
            return path
        if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
            return path
        return None

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
        """Return WeasyPrint's response for an allowed URL; raise for any other."""
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return weasyprint.urls.URLFetcher(allowed_protocols=("data",)).fetch(url, headers)
        path = self.allows(url)
        if path is None:
            logger.error("report renderer refused to fetch %s", url[:200])
            raise RefusedURLError(f"not a report asset: {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".css":
            content_type = "text/css; charset=utf-8"
        return weasyprint.urls.URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )

    def __call__(self, url: str) -> Any:
        return self.fetch(url)


def _gettext(string: str, **variables: Any) -> str:
    return flask_babel.gettext(string, **variables)


def _ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    return flask_babel.ngettext(singular, plural, num, **variables)


@lru_cache(maxsize=4)
def _environment(directory: str, compiled: str | None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        # Templates compiled by an earlier process are read back instead of compiled again
        # (Jinja checks each against its source).
        bytecode_cache=None if compiled is None else FileSystemBytecodeCache(compiled),
        # Every report template is HTML: escape everything, whatever the file is called.
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)
    env.filters.update(formatting.FILTERS)
    return env


def report_environment() -> Environment:
    """The Jinja2 environment of the report templates (autoescape on, i18n installed)."""
    compiled = private_cache_folder("templates")
    return _environment(str(reports_dir()), None if compiled is None else str(compiled))


@dataclass(frozen=True)
class RenderedReport:
    """A report's HTML and the base URL its relative links resolve against."""

    name: str
    html: str
    base_url: str


def render_html(
    name: str,
    context: Mapping[str, Any],
    locale: str,
    *,
    asset_url: Callable[[str], str] | None = None,
) -> RenderedReport:
    """Render ``reports/<name>/template.html`` in ``locale``.

    ``asset_url`` maps a path inside the reports folder to the URL the page links to; by
    default it is the file's ``file://`` URL, which the PDF fetcher serves.
    """
    if name not in REPORT_NAMES:
        raise ValueError(f"unknown report {name!r}")
    root = reports_dir()

    def file_url(relative: str) -> str:
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise ValueError(f"asset outside the reports folder: {relative}")
        return path.as_uri()

    template = report_environment().get_template(f"{name}/template.html")
    with flask_babel.force_locale(locale):
        html = template.render(
            **context,
            locale=locale,
            asset_url=asset_url or file_url,
            svg_img=_svg_img,
        )
    return RenderedReport(name=name, html=html, base_url=(root / name).as_uri() + "/")


def _svg_img(data_uri: str | None, alt: str, css_class: str = "chart") -> Markup:
    """An ``<img>`` for a chart given as a data URI (the URI is escaped like any value)."""
    if not data_uri:
        return Markup("")
    return Markup('<img class="{}" src="{}" alt="{}">').format(css_class, data_uri, alt)


class _PdfEngine:
    """One font configuration and font stylesheet per process and font set.

    Loading a ``@font-face`` copies the font file (19 MB for Noto CJK) into a temporary
    folder; doing it once per process instead of once per report saves that on every render.
    WeasyPrint objects are not documented as thread-safe, so renders are serialised.
    """

    def __init__(self, fonts: ReportFonts) -> None:
        self.fonts = fonts
        self.lock = threading.Lock()
        self.font_config = weasyprint_fonts.FontConfiguration()
        self.fetcher_files = fonts.files
        # Linked from the document itself: stylesheets given to write_pdf() have the user
        # origin, which the report's own font-family (author origin) would override.
        encoded = base64.b64encode(font_face_css(fonts).encode("utf-8")).decode("ascii")
        self.font_link = f'<link rel="stylesheet" href="data:text/css;base64,{encoded}">'
        self._html_class = weasyprint.HTML

    def _document(self, report: RenderedReport, root: Path) -> Any:
        """WeasyPrint's document of ``report``, its assets fetched from ``root`` only."""
        fetcher = ReportURLFetcher([root], self.fetcher_files)
        html = _with_head_link(_without_indentation(report.html), self.font_link)
        return self._html_class(string=html, base_url=report.base_url, url_fetcher=fetcher)

    def write_pdf(self, report: RenderedReport, root: Path) -> bytes:
        with self.lock, gc_paused(), phrases_kept_whole():
            return self._document(report, root).write_pdf(font_config=self.font_config)

    def layout(self, report: RenderedReport, root: Path) -> Any:
        """The typeset document (WeasyPrint's pages and boxes) rather than its PDF."""
        with self.lock, gc_paused(), phrases_kept_whole():
            return self._document(report, root).render(font_config=self.font_config)


#: Block-level elements of the report templates: white space next to one of their tags
#: starts or ends a line, so it is never rendered.
_BLOCK_TAGS = (
    r"(?:address|article|aside|blockquote|body|dd|div|dl|dt|figcaption|figure|footer|h[1-6]"
    r"|head|header|hr|html|li|link|main|meta|nav|ol|p|section|style|table|tbody|td|tfoot|th"
    r"|thead|title|tr|ul)"
)
_INDENTATION = re.compile(
    rf"(?<=>)[ \t\r]*\n\s*(?=</?{_BLOCK_TAGS}[\s>/])"
    rf"|(</?{_BLOCK_TAGS}(?:\s[^<>]*)?>)[ \t\r]*\n\s*(?=<)"
)
_PREFORMATTED = re.compile(r"(<(?:pre|textarea)\b.*?</(?:pre|textarea)\s*>)", re.S | re.I)


def _without_indentation(html: str) -> str:
    """``html`` without the templates' line breaks and indentation around block-level tags.

    Such white space is never rendered, but WeasyPrint still builds, styles and lays out a
    box for every run of it (well over a thousand in an organisation report). Preformatted
    elements are left as they are.
    """
    parts = _PREFORMATTED.split(html)
    for index in range(0, len(parts), 2):
        parts[index] = _INDENTATION.sub(lambda found: found.group(1) or "", parts[index])
    return "".join(parts)


def _with_head_link(html: str, link: str) -> str:
    """``html`` with ``link`` as the last element of its head (after the report's styles)."""
    if "</head>" in html:
        return html.replace("</head>", link + "</head>", 1)
    return link + html


#: One engine per font set; a process normally only ever uses one.
_engines: BoundedCache[ReportFonts, _PdfEngine] = BoundedCache(4)
# Held while an engine is made: each costs a 19 MB font copy, never make two at once.
_engines_lock = threading.Lock()
# Release the font configurations (and their temporary folders) while the interpreter is
# still whole: WeasyPrint's own finaliser fails when it runs during shutdown.
atexit.register(_engines.clear)


def _engine(fonts: ReportFonts) -> _PdfEngine:
    with _engines_lock:
        return _engines.get_or_create(fonts, lambda: _PdfEngine(fonts))


def html_to_pdf(report: RenderedReport, fonts: ReportFonts | None = None) -> bytes:
    """Typeset a rendered report into PDF bytes, with its fonts embedded and subset, its
    Japanese lines broken between phrases (:mod:`app.reporting.linebreaks`)."""
    return _engine(fonts or locate_fonts()).write_pdf(report, reports_dir())


def typeset(report: RenderedReport, fonts: ReportFonts | None = None) -> Any:
    """The laid-out pages :func:`html_to_pdf` would write, for measuring the layout
    (:mod:`app.reporting.layout`)."""
    return _engine(fonts or locate_fonts()).layout(report, reports_dir())
