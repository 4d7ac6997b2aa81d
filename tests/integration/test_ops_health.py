"""Liveness and readiness probes, and requests while the database is unreachable."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import text

from app import create_app
from app.platform.extensions import db
from app.platform.health import migration_heads
from tests.conftest import make_config


class _FakeRedis(socketserver.StreamRequestHandler):
    """Speaks just enough RESP for a readiness check: PONG to PING, OK to the rest."""

    def handle(self) -> None:
        while header := self.rfile.readline():
            if not header.startswith(b"*"):
                continue
            parts = []
            for _ in range(int(header[1:])):
                length = int(self.rfile.readline()[1:])
                parts.append(self.rfile.read(length + 2)[:-2])
            command = parts[0].upper()
            if command == b"HELLO":  # the RESP3 handshake: a map with the protocol version
                self.wfile.write(b"%2\r\n+server\r\n+redis\r\n+proto\r\n:3\r\n")
            else:
                self.wfile.write(b"+PONG\r\n" if command == b"PING" else b"+OK\r\n")


@pytest.fixture
def fake_redis() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _FakeRedis)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.server_address[1]}/0"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def migrated_app(test_database):
    url, options = test_database.new("ready")
    app = create_app(make_config(url, options))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        yield app
        db.session.remove()
        db.engine.dispose()


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(migrated_app):
    response = migrated_app.test_client().get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }


def test_readyz_reports_a_database_behind_the_code(migrated_app):
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = migrated_app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert "database at 0001" in body["checks"]["migrations"]
    assert ", ".join(sorted(migration_heads())) in body["checks"]["migrations"]


def test_readyz_reports_a_database_never_migrated(client):
    # The shared test database is built with create_all: no alembic_version table.
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "not migrated" in response.get_json()["checks"]["migrations"]


def test_readyz_checks_redis_when_configured(migrated_app, fake_redis):
    client = migrated_app.test_client()
    migrated_app.config["REDIS_URL"] = fake_redis
    assert client.get("/readyz").get_json()["checks"]["redis"] == "ok"

    migrated_app.config["REDIS_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"].startswith("unreachable")
    assert response.get_json()["checks"]["database"] == "ok"


@pytest.fixture
def app_without_database():
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/nothing"
    app = create_app(make_config(url, {}, DB_CONNECT_TIMEOUT_S=2))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_database_down_gives_503_quickly_not_a_hang(app_without_database):
    client = app_without_database.test_client()
    assert client.get("/healthz").status_code == 200

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["database"].startswith("unreachable")

    started = time.monotonic()
    page = client.get("/r/" + "A" * 43 + "?lang=en")
    assert page.status_code == 503
    assert time.monotonic() - started < 5
    assert page.headers["Retry-After"] == "5"
    html = page.get_data(as_text=True)
    assert "Temporarily unavailable" in html
    assert page.headers["X-Request-ID"] in html

    as_json = client.get("/r/" + "A" * 43, headers={"Accept": "application/json"})
    assert as_json.status_code == 503
    assert as_json.get_json()["error"]["code"] == "database_unavailable"


def test_database_down_page_is_in_japanese_by_default(app_without_database):
    page = app_without_database.test_client().get("/r/" + "B" * 43)
    assert page.status_code == 503
    assert "一時的にご利用いただけません" in page.get_data(as_text=True)


def test_redis_down_gives_503_not_500(database_url):
    # Login throttling lives in Redis once REDIS_URL is set: without it, refuse politely.
    url, options = database_url
    dead = f"redis://127.0.0.1:{_closed_port()}/0"
    app = create_app(
        make_config(
            url, options, REDIS_URL=dead, RATELIMIT_STORAGE_URI=dead, WTF_CSRF_ENABLED=False
        )
    )
    response = app.test_client().post(
        "/login",
        data={"email": "a@example.jp", "password": "x" * 12},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "not reachable right now" in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("propagate", [True, False])
def test_only_redis_errors_become_503_the_others_stay_unexpected(database_url, propagate):
    # Redis is not imported at start-up, so its errors are recognised when they happen.
    url, options = database_url
    app = create_app(make_config(url, options, PROPAGATE_EXCEPTIONS=propagate))

    @app.get("/raise/<kind>")
    def raising(kind: str):
        if kind == "redis":
            raise redis.exceptions.TimeoutError("no answer")
        raise ValueError("a bug")

    client = app.test_client()
    response = client.get("/raise/redis", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert "not reachable right now" in response.get_data(as_text=True)
    if propagate:
        with pytest.raises(ValueError, match="a bug"):
            client.get("/raise/value")
    else:
        assert client.get("/raise/value").status_code == 500
    with app.app_context():
        db.engine.dispose()
