"""The PDF renderer reads only the report's own assets: no network, no other files."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from app.presentation.fonts import locate_fonts
from app.reporting.rendering import (
    RefusedURLError,
    RenderedReport,
    ReportURLFetcher,
    html_to_pdf,
    reports_dir,
)


@pytest.fixture
def fetcher(app) -> ReportURLFetcher:
    return ReportURLFetcher([reports_dir()], locate_fonts().files)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/style.css",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "file://remote-host/share/file.css",
    ],
)
def test_everything_else_is_refused_and_logged(fetcher, caplog, url) -> None:
    with (
        caplog.at_level(logging.ERROR, logger="app.reporting.rendering"),
        pytest.raises(RefusedURLError),
    ):
        fetcher.fetch(url)
    assert any("refused" in record.getMessage() for record in caplog.records)


def test_a_path_climbing_out_of_the_reports_folder_is_refused(fetcher) -> None:
    escape = (reports_dir() / "organization" / ".." / ".." / "pyproject.toml").as_uri()
    with pytest.raises(RefusedURLError):
        fetcher.fetch(escape)


def test_report_assets_fonts_and_data_uris_are_served(fetcher) -> None:
    css = fetcher.fetch((reports_dir() / "organization" / "style.css").as_uri())
    assert b"@import" in css.read()
    assert css.content_type == "text/css"
    font = fetcher.fetch(locate_fonts().regular.as_uri())
    assert len(font.read(4)) == 4
    data = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert data.read() == b"hello"


def test_rendering_never_opens_a_connection(app, monkeypatch, caplog) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the renderer tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    html = (
        '<html lang="ja"><body><p>組織行動の力</p>'
        '<img src="http://example.com/tracker.png">'
        '<link rel="stylesheet" href="https://example.com/x.css">'
        '<img src="file:///etc/hostname"></body></html>'
    )
    base = (reports_dir() / "organization").as_uri() + "/"
    with caplog.at_level(logging.ERROR, logger="app.reporting.rendering"):
        pdf = html_to_pdf(RenderedReport("organization", html, base))
    assert pdf.startswith(b"%PDF")
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any("example.com/tracker.png" in message for message in refused)
    assert any("/etc/hostname" in message for message in refused)


def test_configured_font_path_wins_over_fontconfig(app, tmp_path: Path) -> None:
    from app.presentation.fonts import FontNotFoundError

    regular = locate_fonts().regular
    assert locate_fonts(str(regular)).regular == regular
    with pytest.raises(FontNotFoundError, match="missing file"):
        locate_fonts(str(tmp_path / "nowhere.otf"))
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if latin.is_file():
        with pytest.raises(FontNotFoundError, match="no Japanese glyphs"):
            locate_fonts(str(latin))


def test_a_configured_font_is_the_one_embedded(app, tmp_path: Path) -> None:
    import subprocess

    serif = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc")
    if not serif.is_file():
        pytest.fail("fonts-noto-cjk is missing its serif collection")
    fonts = locate_fonts(str(serif))
    assert fonts.family == "Noto Serif CJK JP"
    base = (reports_dir() / "organization").as_uri() + "/"
    html = (
        '<html lang="ja"><head><link rel="stylesheet" href="style.css"></head>'
        "<body><p>組織行動の力</p></body></html>"
    )
    path = tmp_path / "serif.pdf"
    path.write_bytes(html_to_pdf(RenderedReport("organization", html, base), fonts=fonts))
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "Noto-Serif-CJK-JP" in listing
    assert "Noto-Sans" not in listing
