"""Stopping the server leaves no process behind, even while PDFs are being rendered.

``flask run`` is started on a file database with a closed campaign, a PDF render is started
(a report batch in the local process pool, or one report under the web's time limit), the
server is stopped with SIGINT (Ctrl-C), SIGTERM or SIGKILL, and every process of its session
must be gone: the render children, the fork server and the resource tracker.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from app import create_app
from app.models import Base
from app.platform.extensions import db
from app.reporting.jobs import is_complete_pdf
from tests.conftest import REPO_ROOT, TEST_SECRET_KEY, make_config
from tests.factories import PASSWORD, grant, make_user
from tests.integration.test_dashboard_fixtures import build_world
from tests.integration.test_ops_gunicorn import _free_port

FLASK = Path(sys.executable).with_name("flask")
GUNICORN = Path(sys.executable).with_name("gunicorn")
#: Ctrl-C reaches a server started from a script only if SIGINT is not ignored there.
LAUNCH = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    campaign_id: int
    log: Path
    clients: list[httpx.Client] = field(default_factory=list)


def seed_closed_campaign(url: str) -> int:
    """A closed campaign with departments and a consultant; returns the campaign's id."""
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    seeding = create_app(make_config(url, {}))
    with seeding.app_context():
        world = build_world()
        consultant = make_user("consultant@example.jp")
        grant(consultant, world.org, "consultant")
        campaign_id = world.campaign.id
        db.session.remove()
        db.engine.dispose()
    return campaign_id


def app_environment(url: str, **settings: str) -> dict[str, str]:
    """The environment of an app process started by a test: this one's, on the database
    ``url``, without the test run's own database, Redis or debug settings."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": TEST_SECRET_KEY, **settings}
    for name in ("TEST_DATABASE_URL", "REDIS_URL", "FLASK_DEBUG"):
        env.pop(name, None)
    return env


def _session_processes(session: int) -> list[str]:
    """``pid command`` of every live process in the server's session."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rpartition(")")[2].split()
        # state, ppid, pgrp, session
        if fields[0] not in ("Z", "X") and int(fields[3]) == session:
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
            found.append(f"{stat.parent.name} {cmdline.decode(errors='replace')[:100]}")
    return found


def _command(kind: str, port: int) -> list[str]:
    if kind == "gunicorn":
        return [str(GUNICORN), "--config", "gunicorn.conf.py", "wsgi:app"]
    return [str(FLASK), "--app", "wsgi", "run", "--port", str(port)]


@pytest.fixture(params=["flask"])
def server(request, tmp_path) -> Iterator[Server]:
    """``flask run`` (or, parametrized indirectly, gunicorn with one worker) on its own session."""
    url = f"sqlite:///{tmp_path / 'stop.sqlite3'}"
    campaign_id = seed_closed_campaign(url)
    port = _free_port()
    env = app_environment(
        url,
        CX_REPORT_ARCHIVE_DIR=str(tmp_path / "reports"),
        CX_REPORT_WORKERS="1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
    )
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, *_command(request.param, port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    clients: list[httpx.Client] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail(f"{request.param} did not start:\n" + log.read_text())
        yield Server(process, base, campaign_id, log, clients)
    finally:
        for client in clients:
            client.close()
        # Whatever the test found, leave nothing running.
        for line in _session_processes(process.pid):
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.kill(int(line.split()[0]), signal.SIGKILL)
        process.wait(10)


def _consultant(server: Server) -> httpx.Client:
    client = httpx.Client(base_url=server.base, timeout=120)
    server.clients.append(client)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"email": "consultant@example.jp", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=form).status_code == 302
    return client


def _csrf(client: httpx.Client) -> str:
    page = client.get("/account").text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _wait_for_renderer(server: Server) -> list[str]:
    """The server's processes once a render child runs (a child of the fork server)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = _session_processes(server.process.pid)
        forkservers = [line for line in found if "multiprocessing.forkserver" in line]
        # The fork server and at least one render process it started.
        if len(forkservers) >= 2 and any("resource_tracker" in line for line in found):
            return found
        time.sleep(0.2)
    pytest.fail("no render process started:\n" + server.log.read_text())


def _assert_stops_cleanly(server: Server, signum: int) -> None:
    server.process.send_signal(signum)
    server.process.wait(30)
    deadline = time.monotonic() + 15
    left = _session_processes(server.process.pid)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = _session_processes(server.process.pid)
    assert left == [], "left behind:\n" + "\n".join(left)


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"]
)
def test_stopping_during_a_report_batch_leaves_no_process(server, signum):
    client = _consultant(server)
    started = client.post(
        f"/reports/campaigns/{server.campaign_id}/batch", data={"csrf_token": _csrf(client)}
    )
    assert started.status_code == 302
    assert len(_wait_for_renderer(server)) >= 4
    _assert_stops_cleanly(server, signum)
    if signum == signal.SIGINT:
        assert server.process.returncode == 0


def test_stopping_during_a_web_pdf_render_leaves_no_process(server):
    client = _consultant(server)
    url = f"/reports/campaigns/{server.campaign_id}/organization.pdf"
    render = threading.Thread(target=_request_quietly, args=(client, url), daemon=True)
    render.start()
    _wait_for_renderer(server)
    _assert_stops_cleanly(server, signal.SIGTERM)
    render.join(30)


@pytest.mark.parametrize("server", ["gunicorn"], indirect=True)
def test_stopping_gunicorn_during_a_report_batch_leaves_no_process(server):
    client = _consultant(server)
    started = client.post(
        f"/reports/campaigns/{server.campaign_id}/batch", data={"csrf_token": _csrf(client)}
    )
    assert started.status_code == 302
    _wait_for_renderer(server)
    _assert_stops_cleanly(server, signal.SIGTERM)
    assert server.process.returncode == 0


def _request_quietly(client: httpx.Client, url: str) -> None:
    # The server stops in the middle of this request: no answer is expected.
    try:
        client.get(url)
    except httpx.HTTPError:
        return


def test_ctrl_c_during_a_command_line_batch_stops_its_workers_at_once(tmp_path):
    """Ctrl-C on ``flask report batch`` ends the command and its workers without waiting for
    the batch; the reports finished before it stay complete, for ``--resume``."""
    url = f"sqlite:///{tmp_path / 'batch.sqlite3'}"
    campaign_id = seed_closed_campaign(url)
    env = app_environment(url)
    out = tmp_path / "reports"
    command = [str(FLASK), "--app", "wsgi", "report", "batch", str(campaign_id), "-o", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, *command, "--jobs", "2"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:

        def batch_processes() -> list[str]:
            # The command and its workers, which are copies of it (not the short-lived
            # helpers a library may start while loading).
            return [line for line in _session_processes(process.pid) if "report batch" in line]

        deadline = time.monotonic() + 60
        while len(batch_processes()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(batch_processes()) == 3, "the batch's workers never started"
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
        output, _ = process.communicate(timeout=30)
    finally:
        for line in _session_processes(process.pid):
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.kill(int(line.split()[0]), signal.SIGKILL)
    assert process.returncode == 1, output
    assert "Aborted!" in output
    # The workers were stopped, not waited for.
    assert "stopping child processes children=2" in output, output
    deadline = time.monotonic() + 15
    while _session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _session_processes(process.pid) == []
    assert not list(out.glob(".*.part"))
    assert all(is_complete_pdf(path) for path in out.glob("*.pdf"))
