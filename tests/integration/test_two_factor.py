"""Two-factor login: enrolment with a QR code, the second step of the login, recovery codes,
throttling and replays, accounts that must enrol, and what is stored and audited."""

from __future__ import annotations

import json
import logging
import re
import time

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from app.auth import mfa
from app.models import AuditEvent, RecoveryCode, User
from app.platform import config as config_module
from app.platform.extensions import db
from tests.factories import grant, make_org, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7]{32})<')
RECOVERY_RE = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4})</code>")


def _code(secret: str, offset: int) -> str:
    """The code of the time step ``offset`` steps from now: each use in a test takes a later
    offset than the one before, so no use replays an earlier one (the window is one step
    either side)."""
    return pyotp.TOTP(secret).at(time.time() + offset * mfa.STEP_SECONDS)


def _post(client: FlaskClient, path: str, data: dict[str, str] | None = None, page: str = ""):
    token = csrf_token(client, page or "/account")
    return client.post(path, data={**(data or {}), "csrf_token": token})


def _enrol(client: FlaskClient, offset: int = -1) -> tuple[str, list[str], str]:
    """Enrol the logged-in account as a person would; its secret, recovery codes and the
    enrolment page's HTML."""
    assert _post(client, "/account/two-factor/start", page="/account/two-factor").status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    match = SECRET_RE.search(page)
    assert match, "no secret on the enrolment page"
    secret = match.group(1)
    response = _post(
        client,
        "/account/two-factor/confirm",
        {"confirm-code": _code(secret, offset)},
        "/account/two-factor",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    codes = RECOVERY_RE.findall(html)
    return secret, codes, page


def _logout(client: FlaskClient) -> None:
    assert _post(client, "/logout", page="/account").status_code == 302


def _verify(client: FlaskClient, code: str, path: str = "/login/verify"):
    token = csrf_token(client, path)
    return client.post(path, data={"code": code, "csrf_token": token})


def _enrolled(app: Flask, email: str = "c@example.com") -> tuple[str, list[str]]:
    client = make_client(app)
    login(client, email)
    secret, codes, _ = _enrol(client)
    _logout(client)
    return secret, codes


def _user(email: str = "c@example.com") -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_enrolment_shows_a_local_qr_code_and_the_key_then_asks_for_a_code(app):
    make_user("c@example.com")
    client = make_client(app)
    login(client, "c@example.com")
    account = client.get("/account").get_data(as_text=True)
    assert "Two-factor login" in account
    assert "Set up two-factor login" in account
    secret, codes, page = _enrol(client)
    # The QR code is drawn here as inline SVG: no image from another site, no script.
    assert re.search(r"<div class=\"qr-code\"><svg [^>]*>", page)
    assert "<img" not in page.split('class="qr-code"')[1].split("</div>")[0]
    assert len(codes) == mfa.RECOVERY_CODE_COUNT == len(set(codes))
    user = _user()
    assert mfa.is_enabled(user)
    assert mfa.provisioning_uri(user, secret).startswith(
        "otpauth://totp/CX%20maturity%20assessment:c%40example.com?secret="
    )
    # Shown once: the page does not show them again.
    again = client.get("/account/two-factor").get_data(as_text=True)
    assert RECOVERY_RE.findall(again) == []
    assert "Recovery codes left: 10" in again
    assert "two-factor" in client.get("/account").get_data(as_text=True)


def test_turning_it_on_ends_the_other_sessions_of_the_account(app):
    make_user("c@example.com")
    elsewhere = make_client(app)
    login(elsewhere, "c@example.com")
    client = make_client(app)
    login(client, "c@example.com")
    _enrol(client)
    assert client.get("/workspace/").status_code == 200
    assert elsewhere.get("/workspace/").headers["Location"].startswith("/login")


def test_a_wrong_code_does_not_turn_it_on(app):
    make_user("c@example.com")
    client = make_client(app)
    login(client, "c@example.com")
    _post(client, "/account/two-factor/start")
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1)
    wrong = next(c for c in ("123456", "654321", "111111") if c != _code(secret, 0))
    response = _post(
        client, "/account/two-factor/confirm", {"confirm-code": wrong}, "/account/two-factor"
    )
    assert "The code is not correct" in response.get_data(as_text=True)
    assert not mfa.is_enabled(_user())


def test_the_secret_is_not_stored_in_clear(app):
    make_user("c@example.com")
    secret, codes = _enrolled(app)
    stored = db.session.execute(
        text("SELECT mfa_secret FROM user_account WHERE email = 'c@example.com'")
    ).scalar_one()
    assert stored
    assert stored != secret
    assert secret not in stored
    assert mfa.decrypt_secret(stored) == secret
    hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(hashes) == 10
    assert not set(hashes) & {c for code in codes for c in (code, code.replace("-", ""))}


def test_login_asks_for_the_code_and_only_then_logs_in(app):
    make_user("c@example.com")
    secret, _ = _enrolled(app)
    client = make_client(app)
    response = login(client, "c@example.com")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/verify")
    # Half logged in: nothing else is open yet.
    assert client.get("/workspace/").status_code == 302
    assert client.get("/account").headers["Location"].startswith("/login")
    page = client.get("/login/verify").get_data(as_text=True)
    assert "6-digit code" in page
    response = _verify(client, _code(secret, 0))
    assert response.status_code == 302
    assert response.headers["Location"] == "/workspace/"
    assert client.get("/workspace/").status_code == 200


def test_the_next_page_is_kept_through_the_second_step(app):
    make_user("c@example.com")
    secret, _ = _enrolled(app)
    client = make_client(app)
    token = csrf_token(client, "/login?next=/account")
    response = client.post(
        "/login?next=/account",
        data={
            "email": "c@example.com",
            "password": "quiet-harbour-lantern-47",
            "csrf_token": token,
        },
    )
    verify = response.headers["Location"]
    assert verify == "/login/verify?next=/account"
    response = _verify(client, _code(secret, 0), verify)
    assert response.headers["Location"] == "/account"
    # An outside address is not followed, as at the login.
    client = make_client(app)
    login(client, "c@example.com")
    response = _verify(client, _code(secret, 1), "/login/verify?next=//evil.example/")
    assert response.headers["Location"] == "/workspace/"


def test_a_code_is_accepted_once(app):
    make_user("c@example.com")
    secret, _ = _enrolled(app)
    code = _code(secret, 0)
    client = make_client(app)
    login(client, "c@example.com")
    assert _verify(client, code).status_code == 302
    _logout(client)
    login(client, "c@example.com")
    response = _verify(client, code)
    assert response.status_code == 200
    assert "This code has already been used" in response.get_data(as_text=True)
    assert client.get("/workspace/").status_code == 302


def test_five_wrong_codes_lock_the_second_step_even_for_the_right_code(app):
    make_user("c@example.com")
    secret, _ = _enrolled(app)
    valid = {_code(secret, offset) for offset in (-1, 0, 1, 2)}
    wrong = next(c for c in ("000000", "999999", "123123", "321321", "555555") if c not in valid)
    client = make_client(app)
    login(client, "c@example.com")
    for _ in range(5):
        response = _verify(client, wrong)
        assert response.status_code == 200
        assert "The code is not correct" in response.get_data(as_text=True)
    response = _verify(client, _code(secret, 0))
    assert response.status_code == 429
    assert "Too many wrong codes" in response.get_data(as_text=True)
    assert "Try again in 15 minutes" in response.get_data(as_text=True)
    # The lock holds for the account, not for this browser: a new login meets it too.
    other = make_client(app)
    login(other, "c@example.com")
    assert _verify(other, _code(secret, 0)).status_code == 429
    assert other.get("/workspace/").status_code == 302


def test_a_right_code_gives_its_attempt_back(app):
    make_user("c@example.com")
    secret, _ = _enrolled(app)
    valid = {_code(secret, offset) for offset in (-1, 0, 1, 2)}
    wrong = next(c for c in ("000000", "999999", "123123") if c not in valid)
    client = make_client(app)
    login(client, "c@example.com")
    for _ in range(4):
        _verify(client, wrong)
    assert _verify(client, _code(secret, 0)).status_code == 302


def test_a_recovery_code_works_once(app):
    make_user("c@example.com")
    _, codes = _enrolled(app)
    client = make_client(app)
    login(client, "c@example.com")
    # Read back from paper: upper case, spaces instead of the hyphen.
    response = _verify(client, codes[3].upper().replace("-", " "))
    assert response.status_code == 302
    assert "9 are left" in client.get("/workspace/").get_data(as_text=True)
    _logout(client)
    login(client, "c@example.com")
    response = _verify(client, codes[3])
    assert response.status_code == 200
    assert "The code is not correct" in response.get_data(as_text=True)
    assert _verify(client, codes[4]).status_code == 302


def test_the_half_login_expires_after_five_minutes(app):
    make_user("c@example.com")
    secret, _ = _enrolled(app)
    client = make_client(app)
    login(client, "c@example.com")
    token = csrf_token(client, "/login/verify")
    with client.session_transaction() as session:
        pending = session["_cx_mfa_pending"]
        session["_cx_mfa_pending"] = {**pending, "until": int(time.time()) - 1}
    response = client.post("/login/verify", data={"code": _code(secret, 0), "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert "Your login expired" in client.get("/login").get_data(as_text=True)
    assert client.get("/workspace/").status_code == 302


def test_turning_it_off_needs_a_code_or_the_password(app):
    make_user("c@example.com")
    secret, _ = _enrolled(app)
    client = make_client(app)
    login(client, "c@example.com")
    _verify(client, _code(secret, 0))
    response = _post(
        client, "/account/two-factor/disable", {"off-proof": "not-my-password"}, "/account"
    )
    assert "Neither a current code nor your password" in response.get_data(as_text=True)
    assert mfa.is_enabled(_user())
    response = _post(
        client, "/account/two-factor/disable", {"off-proof": "quiet-harbour-lantern-47"}
    )
    assert response.status_code == 302
    assert not mfa.is_enabled(_user())
    assert db.session.scalar(select(RecoveryCode.id)) is None
    _logout(client)
    assert login(client, "c@example.com").headers["Location"] == "/workspace/"


def test_new_recovery_codes_replace_the_old_ones(app):
    make_user("c@example.com")
    secret, old = _enrolled(app)
    client = make_client(app)
    login(client, "c@example.com")
    _verify(client, _code(secret, 0))
    response = _post(
        client, "/account/two-factor/recovery-codes", {"renew-proof": _code(secret, 1)}
    )
    new = RECOVERY_RE.findall(response.get_data(as_text=True))
    assert len(new) == 10
    assert not set(new) & set(old)
    _logout(client)
    login(client, "c@example.com")
    assert _verify(client, old[0]).status_code == 200
    assert _verify(client, new[0]).status_code == 302


def test_require_forces_enrolment_before_anything_else(app, runner):
    make_user("c@example.com")
    result = runner.invoke(args=["user", "mfa", "c@example.com", "--require"])
    assert result.exit_code == 0, result.output
    assert "two-factor login off, required" in result.output
    client = make_client(app)
    response = login(client, "c@example.com")
    assert response.headers["Location"] == "/account/two-factor"
    for path in ("/workspace/", "/account", "/dashboard/", "/workspace/portfolio"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-factor", path
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Two-factor login is required for your account" in page
    _enrol(client)
    assert client.get("/workspace/").status_code == 200
    # Required: it cannot be turned off from the account page.
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "/account/two-factor/disable" not in page
    response = _post(
        client, "/account/two-factor/disable", {"off-proof": "quiet-harbour-lantern-47"}
    )
    assert "Two-factor login is required for your account" in response.get_data(as_text=True)
    assert mfa.is_enabled(_user())


def test_an_account_that_must_enrol_can_log_out(app, runner):
    make_user("c@example.com")
    runner.invoke(args=["user", "mfa", "c@example.com", "--require"])
    client = make_client(app)
    login(client, "c@example.com")
    token = csrf_token(client, "/account/two-factor")
    assert client.post("/logout", data={"csrf_token": token}).headers["Location"] == "/login"
    assert client.get("/account/two-factor").headers["Location"].startswith("/login")


def test_reset_removes_the_secret_and_codes_and_is_audited(app, runner):
    user = make_user("c@example.com")
    grant(user, make_org("acme"), "consultant")
    _enrolled(app)
    result = runner.invoke(args=["user", "mfa", "c@example.com", "--reset"])
    assert result.exit_code == 0, result.output
    assert "Two-factor login reset for c@example.com." in result.output
    user = _user()
    assert user.mfa_secret is None
    assert user.mfa_enabled_at is None
    assert db.session.scalar(select(RecoveryCode.id)) is None
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("user.%")).order_by(AuditEvent.id)
    ).all()
    assert actions == ["user.mfa_enabled", "user.mfa_reset"]
    client = make_client(app)
    assert login(client, "c@example.com").headers["Location"] == "/workspace/"


def test_unknown_account_is_an_error(runner):
    result = runner.invoke(args=["user", "mfa", "nobody@example.com", "--reset"])
    assert result.exit_code == 1
    assert "No account with email nobody@example.com" in result.output


@pytest.mark.parametrize(
    ("kind", "required"), [("consultant", True), ("admin", True), ("executive", False)]
)
def test_the_setting_requires_it_of_consultants_and_admins_not_executives(app, kind, required):
    app.config["CX_MFA_REQUIRED"] = True
    org = make_org("acme")
    user = make_user("c@example.com", role="admin" if kind == "admin" else "consultant")
    if kind != "admin":
        grant(user, org, kind)
    client = make_client(app)
    location = login(client, "c@example.com").headers["Location"]
    if required:
        assert location == "/account/two-factor"
        assert client.get("/workspace/").headers["Location"] == "/account/two-factor"
    else:
        assert location == "/dashboard/"
        assert client.get("/dashboard/").status_code in (200, 302)
        assert client.get("/account").status_code == 200


def test_the_setting_is_read_from_the_environment(tmp_path):
    assert config_module.from_environment(str(tmp_path), {})["CX_MFA_REQUIRED"] is False
    env = {"CX_MFA_REQUIRED": "1"}
    assert config_module.from_environment(str(tmp_path), env)["CX_MFA_REQUIRED"] is True


def test_single_sign_on_relies_on_the_provider(app):
    user = make_user("c@example.com")
    user.mfa_required = True
    assert mfa.requires_second_factor(user, "password")
    assert not mfa.requires_second_factor(user, "oidc")


def test_audit_events_carry_no_secret_and_no_code(app):
    user = make_user("c@example.com")
    grant(user, make_org("acme"), "consultant")
    secret, codes = _enrolled(app)
    client = make_client(app)
    login(client, "c@example.com")
    _verify(client, codes[0])
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("user.%")).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["user.mfa_enabled", "user.mfa_recovery_used"]
    assert events[1].detail == {"account_id": user.id, "remaining": 9}
    dumped = json.dumps([e.detail for e in events])
    for code in codes:
        assert code not in dumped
        assert code.replace("-", "") not in dumped
    assert secret not in dumped


def test_an_account_without_organisation_is_logged_not_audited(app, caplog):
    make_user("admin@example.com", role="admin")
    with caplog.at_level(logging.INFO):
        _enrolled(app, "admin@example.com")
    assert db.session.scalar(select(AuditEvent.id)) is None
    record = next(r for r in caplog.records if r.getMessage() == "user.mfa_enabled")
    assert record.account_id == _user("admin@example.com").id
