"""Rate limits hold across gunicorn's workers without Redis (``make serve``, no REDIS_URL).

Three real workers answer logins for one account from one address; their counters live in
the file store of the instance folder (here ``CX_RATE_LIMIT_FILE`` in a temporary folder).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from app import create_app
from app.auth.accounts import create_user
from app.models import Base
from app.platform.extensions import db
from tests.conftest import REPO_ROOT, TEST_SECRET_KEY, make_config

GUNICORN = Path(sys.executable).with_name("gunicorn")
EMAIL = "consultant@example.com"
PASSWORD = "quiet-harbour-lantern-47"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _make_database(url: str) -> None:
    app = create_app(make_config(url, {}))
    with app.app_context():
        Base.metadata.create_all(db.engine)
        create_user(EMAIL, PASSWORD)
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def three_workers(tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    _make_database(url)
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "LOG_FORMAT": "json",
        "PORT": str(port),
        "WEB_CONCURRENCY": "3",
        "GUNICORN_THREADS": "2",
        "CX_RATE_LIMIT_FILE": str(tmp_path / "rate-limits.sqlite3"),
    }
    for name in ("TEST_DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
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
            yield base, log_path
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _attempt(base: str, password: str) -> int:
    """One login on a connection and session of its own (any worker may take it)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        token = CSRF.search(client.get("/login").text).group(1)
        response = client.post(
            "/login", data={"email": EMAIL, "password": password, "csrf_token": token}
        )
        return response.status_code


def _login_posts_by_worker(log_path: Path) -> Counter:
    workers: Counter = Counter()
    for line in log_path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("logger") == "gunicorn.access" and entry.get("method") == "POST":
            workers[entry["pid"]] += 1
    return workers


def test_the_sixth_wrong_password_is_refused_whichever_worker_answers(three_workers):
    base, log_path = three_workers
    # Twelve guesses at once: the workers share one count, and a guess is counted before its
    # password is checked, so exactly five are checked however the attempts interleave.
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda n: _attempt(base, f"wrong-guess-{n:02d}"), range(12)))
    assert sorted(statuses) == [200] * 5 + [429] * 7, statuses
    # Then one at a time, each on a new connection: refused, even the right password.
    later = [_attempt(base, f"another-guess-{n:02d}") for n in range(8)]
    later.append(_attempt(base, PASSWORD))
    assert later == [429] * 9
    time.sleep(0.5)  # access lines are written after the responses
    workers = _login_posts_by_worker(log_path)
    assert sum(workers.values()) == 21
    assert len(workers) >= 2, f"one worker answered everything: {workers}"
