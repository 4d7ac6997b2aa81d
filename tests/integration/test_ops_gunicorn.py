"""gunicorn.conf.py for real: one gunicorn on loopback and its JSON access log.

Killing workers under load is covered by ``make loadtest`` (scripts/loadtest.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO_ROOT, TEST_SECRET_KEY

GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "SECRET_KEY": TEST_SECRET_KEY,
        "LOG_FORMAT": "json",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    }
    env.pop("TEST_DATABASE_URL", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                pytest.fail("gunicorn did not start:\n" + log_path.read_text())
            yield base, process, log_path
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _access_lines(log_path: Path) -> list[dict]:
    lines = []
    for line in log_path.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            document = json.loads(line)
            if document.get("logger") == "gunicorn.access":
                lines.append(document)
    return lines


def test_gunicorn_serves_and_writes_a_redacted_json_access_log(server):
    base, master, log_path = server
    token = "PersonalLinkToken_" + "x" * 24
    response = httpx.get(f"{base}/r/{token}", headers={"X-Request-ID": "probe-000000001"})
    assert response.headers["X-Request-ID"] == "probe-000000001"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")

    assert httpx.get(f"{base}/healthz").status_code == 200
    assert len(_workers(master.pid)) == 1

    time.sleep(0.5)  # the access line is written after the response
    lines = _access_lines(log_path)
    link = next(line for line in lines if line.get("request_id") == "probe-000000001")
    assert link["path"] == "/r/[redacted]"
    assert link["method"] == "GET"
    assert isinstance(link["duration_ms"], float)
    assert token not in log_path.read_text(encoding="utf-8")
    assert any(line["path"] == "/healthz" and line["status"] == 200 for line in lines)
