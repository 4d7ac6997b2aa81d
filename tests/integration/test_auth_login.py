"""Staff login: passwords, sessions (rotation, logout everywhere, idle timeout), API tokens."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from app.auth import sessions
from app.auth.accounts import create_user, set_password
from app.auth.passwords import PasswordPolicyError, check_password_policy, common_passwords
from app.auth.tokens import create_api_token, revoke_api_token, user_for_api_token
from app.models import ApiToken, User
from app.operations.errors import OperationError
from app.platform import config as config_module
from app.platform.extensions import db
from tests.factories import PASSWORD, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


def test_common_password_list_is_the_real_top_ten_thousand():
    words = common_passwords()
    assert len(words) == 10_000
    assert {"123456", "password", "qwerty", "iloveyou"} <= words


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pass", "at least 12 characters"),
        ("123456654321", "too common"),
        ("LeaveMeAlone", "too common"),
        ("baseball2024!!", "too common"),
        ("aaaaaaaaaaaaaa", "too common"),
        ("x" * 257, "at most 256"),
    ],
)
def test_weak_passwords_are_refused(password, reason):
    with pytest.raises(PasswordPolicyError, match=reason):
        check_password_policy(password)


def test_password_equal_to_the_email_is_refused():
    with pytest.raises(PasswordPolicyError, match="email"):
        check_password_policy("someone@example.com", email="Someone@Example.com")


def test_accounts_store_argon2id_hashes_and_lowercase_emails(app):
    user = create_user(" Consultant@Example.COM ", PASSWORD)
    db.session.commit()
    assert user.email == "consultant@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    with pytest.raises(OperationError, match="already exists"):
        create_user("consultant@example.com", PASSWORD)
    with pytest.raises(OperationError, match="not a valid email"):
        create_user("not-an-email", PASSWORD)


def test_login_and_logout(app):
    make_user("c@example.com")
    client = make_client(app)
    response = login(client, "C@Example.com")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/workspace/")
    assert client.get("/workspace/").status_code == 200
    logout = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert logout.status_code == 302
    assert client.get("/workspace/").status_code == 302


def test_wrong_password_and_unknown_account_look_the_same(app):
    make_user("c@example.com")
    client = make_client(app)
    wrong = login(client, "c@example.com", "not-the-right-password")
    unknown = login(client, "nobody@example.com", "not-the-right-password")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "The email or password is incorrect." in response.get_data(as_text=True)
    assert client.get("/workspace/").status_code == 302


def test_inactive_account_cannot_log_in(app):
    user = make_user("c@example.com")
    user.active = False
    db.session.commit()
    assert login(make_client(app), "c@example.com").status_code == 200


def test_session_is_reset_at_login(app):
    make_user("c@example.com")
    client = make_client(app)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "c@example.com")
    with client.session_transaction() as session:
        assert "planted" not in session
        first_nonce = session[sessions.NONCE_KEY]
        assert session.permanent
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, "c@example.com")
    with client.session_transaction() as session:
        assert session[sessions.NONCE_KEY] != first_nonce


def test_logout_voids_a_copied_session_cookie(app):
    make_user("c@example.com")
    client = make_client(app)
    login(client, "c@example.com")
    stolen = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    thief = make_client(app)
    thief.set_cookie("session", stolen)
    assert thief.get("/workspace/").status_code == 302


def test_password_change_ends_other_sessions(app):
    user = make_user("c@example.com")
    laptop, phone = make_client(app), make_client(app)
    login(laptop, "c@example.com")
    login(phone, "c@example.com")
    set_password(db.session.get(User, user.id), "another-long-passphrase-91")
    db.session.commit()
    assert laptop.get("/workspace/").status_code == 302
    assert phone.get("/workspace/").status_code == 302


def test_change_password_in_the_browser_keeps_this_session(app):
    make_user("c@example.com")
    client = make_client(app)
    login(client, "c@example.com")
    token = csrf_token(client, "/account")
    response = client.post(
        "/account",
        data={
            "pw-csrf_token": token,
            "pw-current_password": PASSWORD,
            "pw-new_password": "password123456",
            "pw-confirm": "password123456",
        },
    )
    assert "too common" in response.get_data(as_text=True)
    response = client.post(
        "/account",
        data={
            "pw-csrf_token": token,
            "pw-current_password": PASSWORD,
            "pw-new_password": "brand-new-harbour-light-8",
            "pw-confirm": "brand-new-harbour-light-8",
        },
    )
    assert response.status_code == 302
    assert client.get("/workspace/").status_code == 200
    assert login(make_client(app), "c@example.com", "brand-new-harbour-light-8").status_code == 302


def test_idle_session_expires_after_eight_hours(app):
    make_user("c@example.com")
    client = make_client(app)
    login(client, "c@example.com")
    assert app.permanent_session_lifetime.total_seconds() == 8 * 3600
    with client.session_transaction() as session:
        session[sessions.LAST_SEEN_KEY] = int(time.time()) - 7 * 3600
    assert client.get("/workspace/").status_code == 200
    with client.session_transaction() as session:
        assert session[sessions.LAST_SEEN_KEY] >= int(time.time()) - 5
        session[sessions.LAST_SEEN_KEY] = int(time.time()) - 8 * 3600 - 60
    assert client.get("/workspace/").status_code == 302


def test_session_cookie_flags(app, monkeypatch):
    make_user("c@example.com")
    client = make_client(app)
    response = login(client, "c@example.com")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
    # Served over HTTPS, the cookie is Secure without any setting, and the form works without
    # a Referer header (browsers send none: the pages ask for no-referrer).
    over_https = make_client(app)
    https = "https://cx.example"
    form = over_https.get("/login", base_url=https).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    answer = over_https.post(
        "/login",
        base_url=https,
        data={"email": "c@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert answer.status_code == 302
    assert "; Secure" in answer.headers["Set-Cookie"]
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    assert config_module.from_environment(app.instance_path)["SESSION_COOKIE_SECURE"] is True
    app.config["SESSION_COOKIE_SECURE"] = True
    secure = login(make_client(app), "c@example.com")
    assert "Secure" in secure.headers["Set-Cookie"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_never_redirects_off_site(app, target):
    make_user("c@example.com")
    client = make_client(app)
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "c@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/workspace/")


def test_login_follows_a_local_next(app):
    make_user("c@example.com")
    client = make_client(app)
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": "/account"},
        data={"email": "c@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/account")


def test_api_tokens_are_stored_hashed_and_can_be_revoked(app):
    user = make_user("c@example.com")
    token = create_api_token(user, "reporting")
    db.session.commit()
    stored = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token not in stored.token_hash
    assert len(token) >= 43
    assert user_for_api_token(token).id == user.id
    assert stored.last_used_at is not None
    assert user_for_api_token(token + "x") is None
    assert user_for_api_token("") is None
    revoke_api_token(stored)
    assert user_for_api_token(token) is None


def test_api_token_of_an_inactive_user_is_refused(app):
    user = make_user("c@example.com")
    token = create_api_token(user)
    user.active = False
    db.session.commit()
    assert user_for_api_token(token) is None


def test_account_page_shows_a_new_token_once(app):
    make_user("c@example.com")
    client = make_client(app)
    login(client, "c@example.com")
    token = csrf_token(client, "/account")
    page = client.post("/account", data={"token-csrf_token": token, "token-name": "BI tool"})
    html = page.get_data(as_text=True)
    stored = db.session.scalar(select(ApiToken))
    assert stored.name == "BI tool"
    shown = html.split('id="api-token" type="text" value="')[1].split('"')[0]
    assert user_for_api_token(shown) is not None
    assert shown not in client.get("/account").get_data(as_text=True)
    revoke = client.post(f"/account/tokens/{stored.id}/revoke", data={"csrf_token": token})
    assert revoke.status_code == 302
    db.session.expire_all()
    assert user_for_api_token(shown) is None
