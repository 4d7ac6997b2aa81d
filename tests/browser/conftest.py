"""Browser fixtures: the app served on loopback and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
AXE_CORE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    app.config["CX_BASE_URL"] = "http://placeholder"
    with LiveServer(app) as server:
        app.config["CX_BASE_URL"] = server.url
        yield server


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    context = chromium.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser build, pinned in tests/browser/package-lock.json."""
    if not AXE_CORE.exists():
        pytest.fail(f"{AXE_CORE} is missing: `make test` installs it (npm ci in tests/browser)")
    return AXE_CORE.read_text(encoding="utf-8")


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots are saved for people to look at after a run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
