"""Locating the Japanese font files that both matplotlib and WeasyPrint are pointed at.

Both tools get the same files explicitly rather than a fontconfig family name: WeasyPrint
draws empty boxes for glyphs it cannot find without any warning, and matplotlib's font cache
goes stale when fonts are installed after it first ran.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from flask import current_app, has_app_context

from app.platform.config import font_paths
from app.platform.lazy import lazy_module

#: fontconfig patterns tried when no font file is configured.
REGULAR_PATTERN = "Noto Sans CJK JP:style=Regular"
BOLD_PATTERN = "Noto Sans CJK JP:style=Bold"
#: Characters every report needs; a font lacking them would print boxes.
REQUIRED_SAMPLE = "組織行動の力エグゼクティブサマリー"

_register_lock = threading.Lock()
_registered: set[Path] = set()


def _set_up_matplotlib(matplotlib: ModuleType) -> None:
    """Run once when matplotlib is first imported, before any chart: the charts are drawn
    without a screen (SVG through the Agg canvas), so no GUI backend is ever looked for."""
    matplotlib.use("Agg")


# Imported with the first chart or the first font check (see app.platform.lazy).
matplotlib = lazy_module("matplotlib", setup=_set_up_matplotlib)
font_manager = lazy_module("matplotlib.font_manager")
ft2font = lazy_module("matplotlib.ft2font")


class FontNotFoundError(RuntimeError):
    """No usable Japanese font: the report would print boxes instead of text."""


@dataclass(frozen=True)
class ReportFonts:
    """The font files of a report: a regular face and, when available, a real bold one."""

    regular: Path
    bold: Path | None
    #: The family name read from the regular file, used in CSS and matplotlib alike.
    family: str

    @property
    def files(self) -> tuple[Path, ...]:
        """Every font file the renderer may read."""
        return (self.regular,) if self.bold is None else (self.regular, self.bold)


def _fc_match(pattern: str) -> Path | None:
    """The file fontconfig picks for ``pattern``, if it really is a Japanese font."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        found = subprocess.run(  # noqa: S603 - fixed executable, no shell, constant pattern
            [fc_match, "-f", "%{file}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not found:
        return None
    path = Path(found)
    # fontconfig answers with its best substitute (often DejaVu) when nothing matches.
    return path if path.is_file() and _covers_japanese(path) else None


def _covers_japanese(path: Path) -> bool:
    try:
        font = ft2font.FT2Font(str(path))
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(char)) for char in REQUIRED_SAMPLE)


def _family_name(path: Path) -> str:
    return ft2font.FT2Font(str(path)).family_name


@lru_cache(maxsize=8)
def _locate(regular_setting: str | None, bold_setting: str | None) -> ReportFonts:
    if regular_setting:
        regular = Path(regular_setting).expanduser()
        if not regular.is_file():
            raise FontNotFoundError(f"CX_FONT_PATH points to a missing file: {regular}")
        if not _covers_japanese(regular):
            raise FontNotFoundError(f"CX_FONT_PATH has no Japanese glyphs: {regular}")
    else:
        found = _fc_match(REGULAR_PATTERN)
        if found is None:
            raise FontNotFoundError(
                "No Japanese font found: install Debian's fonts-noto-cjk (make system-deps) "
                "or set CX_FONT_PATH to a Japanese .otf/.ttf/.ttc file."
            )
        regular = found
    bold: Path | None
    if bold_setting:
        bold = Path(bold_setting).expanduser()
        if not bold.is_file():
            raise FontNotFoundError(f"CX_FONT_BOLD_PATH points to a missing file: {bold}")
    elif regular_setting:
        # A configured regular font may have no bold sibling; headings then stay regular
        # rather than borrowing a bold from a different family.
        bold = None
    else:
        bold = _fc_match(BOLD_PATTERN)
        if bold == regular:
            bold = None
    return ReportFonts(
        regular=regular.resolve(),
        bold=None if bold is None else bold.resolve(),
        family=_family_name(regular),
    )


def locate_fonts(regular: str | None = None, bold: str | None = None) -> ReportFonts:
    """Find the report fonts: explicit paths, then ``CX_FONT_PATH`` settings, then fontconfig.

    Inside an application context the app's ``CX_FONT_PATH`` / ``CX_FONT_BOLD_PATH`` settings
    are used; otherwise :func:`app.platform.config.font_paths` reads them. Raises
    :class:`FontNotFoundError` when no font with Japanese glyphs is available.
    """
    if regular is None and bold is None:
        regular, bold = _settings()
    return _locate(regular or None, bold or None)


def _settings() -> tuple[str | None, str | None]:
    if has_app_context():
        return current_app.config["CX_FONT_PATH"], current_app.config["CX_FONT_BOLD_PATH"]
    return font_paths()


def register_with_matplotlib(fonts: ReportFonts) -> str:
    """Add the font files to matplotlib's font manager once; return the family name to use."""
    with _register_lock:
        for path in fonts.files:
            if path not in _registered:
                font_manager.fontManager.addfont(str(path))
                _registered.add(path)
    return fonts.family


def font_face_css(fonts: ReportFonts) -> str:
    """``@font-face`` rules pointing WeasyPrint at the font files through ``file://`` URLs."""
    rules = [_face(fonts.family, fonts.regular, 400)]
    if fonts.bold is not None:
        rules.append(_face(fonts.family, fonts.bold, 700))
    # Appended after the report's own stylesheet, so the located family wins over the
    # fallback list the stylesheet gives browsers for the HTML preview.
    rules.append(f'html {{ font-family: "{fonts.family}", sans-serif; }}')
    return "\n".join(rules) + "\n"


def _face(family: str, path: Path, weight: int) -> str:
    return (
        f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); '
        f"font-weight: {weight}; font-style: normal; }}"
    )
