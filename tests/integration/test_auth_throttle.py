"""Login throttling: guessing is slowed per account, per address and overall, without lockout."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from app import create_app
from app.auth import throttle
from tests.conftest import make_config
from tests.factories import PASSWORD, make_user
from tests.integration.workspace_support import csrf_token, fast_password_hashing, make_client

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

#: Documentation addresses (RFC 5737): they only label requests, nothing is sent to them.
OFFICE = "192.0.2.10"
ATTACKERS = [f"198.51.100.{n}" for n in range(1, 60)]


def _attempt(app, address: str, email: str, password: str) -> int:
    client = make_client(app)
    client.environ_base["REMOTE_ADDR"] = address
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    return response.status_code


def test_five_failures_block_that_account_from_that_address_only(app):
    make_user("c@example.com")
    for _ in range(5):
        assert _attempt(app, ATTACKERS[0], "c@example.com", "wrong-password-guess") == 200
    # Even the right password is not checked while the pair is blocked.
    assert _attempt(app, ATTACKERS[0], "c@example.com", PASSWORD) == 429
    assert _attempt(app, OFFICE, "c@example.com", PASSWORD) == 302


def test_refusal_says_when_to_retry(app):
    make_user("c@example.com")
    for _ in range(5):
        _attempt(app, ATTACKERS[0], "c@example.com", "wrong-password-guess")
    client = make_client(app)
    client.environ_base["REMOTE_ADDR"] = ATTACKERS[0]
    response = client.post(
        "/login",
        data={"email": "c@example.com", "password": "x", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_one_address_spraying_many_accounts_is_stopped(app):
    make_user("c@example.com")
    app.config["LOGIN_ADDRESS_LIMIT"] = "6/hour"
    for n in range(6):
        assert _attempt(app, ATTACKERS[1], f"user{n}@example.com", "wrong-password-guess") == 200
    assert _attempt(app, ATTACKERS[1], "c@example.com", PASSWORD) == 429
    assert _attempt(app, OFFICE, "c@example.com", PASSWORD) == 302


def test_distributed_guessing_cannot_lock_the_real_user_out(app, caplog):
    make_user("c@example.com")
    app.config["LOGIN_ACCOUNT_LIMIT"] = "6/hour"
    with caplog.at_level(logging.WARNING, logger="app.auth.throttle"):
        for address in ATTACKERS[:8]:
            assert _attempt(app, address, "c@example.com", "wrong-password-guess") == 200
    # Over the account-wide count the operator is warned, with the account...
    warnings = [r for r in caplog.records if r.getMessage() == "login.account_under_attack"]
    assert len(warnings) == 3  # the 6th, 7th and 8th failures use up and exceed the limit
    assert warnings[0].account == "c@example.com"
    # ...but nobody is refused for it: the real user logs in from an address never seen
    # before (a new laptop, a trip), and each attacking address keeps its own small budget.
    assert _attempt(app, ATTACKERS[30], "c@example.com", PASSWORD) == 302
    assert _attempt(app, ATTACKERS[31], "c@example.com", "another-guess-here") == 200


def test_success_forgives_earlier_failures_of_the_pair(app):
    make_user("c@example.com")
    for _ in range(4):
        _attempt(app, OFFICE, "c@example.com", "typo-in-password")
    assert _attempt(app, OFFICE, "c@example.com", PASSWORD) == 302
    for _ in range(4):
        assert _attempt(app, OFFICE, "c@example.com", "typo-in-password") == 200
    assert _attempt(app, OFFICE, "c@example.com", PASSWORD) == 302


def test_storage_is_redis_when_redis_url_is_set_else_a_file_the_workers_share(
    monkeypatch, tmp_path
):
    from app.platform.config import from_environment

    monkeypatch.delenv("CX_RATE_LIMIT_FILE", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/0")
    assert from_environment(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6390/0"
    monkeypatch.delenv("REDIS_URL")
    shared = from_environment(str(tmp_path))["RATELIMIT_STORAGE_URI"]
    assert shared == f"cx-file://{tmp_path.resolve()}/rate-limits.sqlite3"
    monkeypatch.setenv("CX_RATE_LIMIT_FILE", str(tmp_path / "elsewhere.sqlite3"))
    assert from_environment(str(tmp_path))["RATELIMIT_STORAGE_URI"].endswith("/elsewhere.sqlite3")


def test_tests_count_in_memory_unless_they_name_a_store(database_url, tmp_path):
    url, options = database_url
    assert create_app(make_config(url, options)).config["RATELIMIT_STORAGE_URI"] == "memory://"
    named = f"cx-file://{tmp_path}/limits.sqlite3"
    config = make_config(url, options, RATELIMIT_STORAGE_URI=named)
    assert create_app(config).config["RATELIMIT_STORAGE_URI"] == named


def test_counters_are_shared_through_the_file(database_url, tmp_path):
    """Two app instances (as two workers) on the same file see the same failures."""
    url, options = database_url
    shared = f"cx-file://{tmp_path}/rate-limits.sqlite3"
    first = create_app(make_config(url, options, RATELIMIT_STORAGE_URI=shared))
    with first.app_context():
        for _ in range(5):
            assert throttle.begin_attempt("c@example.com", ATTACKERS[5]).allowed
            throttle.record_failure("c@example.com", ATTACKERS[5])
    second = create_app(make_config(url, options, RATELIMIT_STORAGE_URI=shared))
    with second.app_context():
        decision = throttle.begin_attempt("c@example.com", ATTACKERS[5])
        assert not decision.allowed
        assert decision.reason == "pair"
        assert 1 <= decision.retry_after <= 61
        assert throttle.check("c@example.com", OFFICE).allowed


def test_attempts_sent_at_once_are_counted_before_their_passwords_are_checked(
    database_url, tmp_path
):
    url, options = database_url
    shared = f"cx-file://{tmp_path}/rate-limits.sqlite3"
    app = create_app(make_config(url, options, RATELIMIT_STORAGE_URI=shared))

    def attempt(_n: int) -> bool:
        with app.app_context():
            return throttle.begin_attempt("c@example.com", ATTACKERS[6]).allowed

    with ThreadPoolExecutor(max_workers=8) as pool:
        allowed = list(pool.map(attempt, range(20)))
    assert allowed.count(True) == 5
    # Refused attempts are not counted: the address still has 15 of its 20 an hour.
    with app.app_context():
        for n in range(15):
            assert throttle.begin_attempt(f"user{n}@example.com", ATTACKERS[6]).allowed
        decision = throttle.begin_attempt("other@example.com", ATTACKERS[6])
        assert (decision.allowed, decision.reason) == (False, "address")


def test_a_success_gives_its_attempt_back_to_the_address(app):
    make_user("c@example.com")
    app.config["LOGIN_ADDRESS_LIMIT"] = "3/hour"
    for _ in range(5):
        assert _attempt(app, OFFICE, "c@example.com", PASSWORD) == 302
    assert _attempt(app, OFFICE, "c@example.com", "typo-in-password") == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing (Debian package redis-server)")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=5)


def test_counters_are_shared_through_redis(database_url, redis_url):
    """Two app processes (here: two app instances) see the same failures."""
    url, options = database_url
    first = create_app(make_config(url, options, RATELIMIT_STORAGE_URI=redis_url))
    with first.app_context():
        for _ in range(5):
            assert throttle.begin_attempt("c@example.com", ATTACKERS[5]).allowed
            throttle.record_failure("c@example.com", ATTACKERS[5])
    second = create_app(make_config(url, options, RATELIMIT_STORAGE_URI=redis_url))
    with second.app_context():
        decision = throttle.check("c@example.com", ATTACKERS[5])
        assert not decision.allowed
        assert decision.reason == "pair"
        assert throttle.check("c@example.com", OFFICE).allowed
        from app.platform.extensions import limiter

        limiter.reset()
