"""Staff login sessions on top of Flask's signed-cookie session.

Flask keeps the whole session in a signed cookie, so there is no server-side session id to
rotate. What rotation protects against is a session fixed *before* login (an attacker plants
a cookie, the victim logs in, the attacker's cookie becomes authenticated) and a cookie that
keeps working after logout. Both are handled here:

* at login the session is cleared before ``login_user`` and a fresh random nonce is stored,
  so the authenticated cookie shares nothing with the cookie the browser had before;
* the cookie records the account's ``session_generation``. Logout and password changes
  increment that counter in the database, and a cookie carrying an older value is refused on
  its next request. A signed cookie cannot be revoked individually, so logout ends every
  session of the account: the safe choice for a consultant's data;
* a session idle for more than ``PERMANENT_SESSION_LIFETIME`` (8 hours) is ended: the time of
  the last request is kept in the cookie and checked on each request, in addition to the
  cookie's own expiry (refreshed on every response);
* an account with two-factor login is not logged in by its password: the fresh session only
  names it, with its session generation and a deadline five minutes away, until its code is
  entered (``start_pending_login``; :mod:`app.auth.two_factor`).
"""

from __future__ import annotations

import secrets
import time

from flask import current_app, session
from flask_login import current_user, login_user, logout_user

from app.models import User
from app.platform.extensions import db

GENERATION_KEY = "_cx_gen"
LAST_SEEN_KEY = "_cx_seen"
NONCE_KEY = "_cx_nonce"
#: How the session's user logged in: ``password`` or ``oidc`` (single sign-on).
VIA_KEY = "_cx_via"
#: A password login waiting for its second factor: the account, its session generation and
#: until when (epoch seconds) the code may be entered.
PENDING_KEY = "_cx_mfa_pending"
PENDING_SECONDS = 5 * 60


def _idle_limit_seconds() -> float:
    return current_app.permanent_session_lifetime.total_seconds()


def _fresh_session() -> None:
    # The language choice is a preference, not a credential: it survives the reset.
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def start_session(user: User, *, via: str = "password") -> None:
    """Log ``user`` in on a brand-new session (see the module docstring); ``via`` names how
    they proved who they are (``password`` or ``oidc``)."""
    _fresh_session()
    login_user(user, remember=False)
    session.permanent = True
    session[GENERATION_KEY] = user.session_generation or 0
    session[NONCE_KEY] = secrets.token_urlsafe(16)
    session[LAST_SEEN_KEY] = int(time.time())
    session[VIA_KEY] = via


def end_other_sessions(user: User) -> None:
    """Void every other cookie issued to the account, keeping this one. The caller commits."""
    user.session_generation = (user.session_generation or 0) + 1
    session[GENERATION_KEY] = user.session_generation


def login_method() -> str:
    """How the current session's user logged in (``password`` for sessions from before the
    method was recorded)."""
    return str(session.get(VIA_KEY) or "password")


def start_pending_login(user: User) -> None:
    """After a right password, on a brand-new session: the account is not logged in yet, its
    second factor is awaited for ``PENDING_SECONDS``."""
    _fresh_session()
    session[PENDING_KEY] = {
        "user": user.id,
        "generation": user.session_generation or 0,
        "until": int(time.time()) + PENDING_SECONDS,
    }


def pending_login_user() -> User | None:
    """The account whose password was right and whose second factor is awaited, or None when
    there is none, it took too long, or the account changed (logout elsewhere, new password,
    deactivated)."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    user_id = pending.get("user")
    until = pending.get("until")
    if not isinstance(user_id, int) or not isinstance(until, int) or time.time() > until:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if pending.get("generation") != (user.session_generation or 0):
        return None
    return user


def clear_pending_login() -> None:
    session.pop(PENDING_KEY, None)


def end_session(user: User | None) -> None:
    """Log out and void every cookie issued to the account so far. The caller commits."""
    if user is not None and getattr(user, "id", None) is not None:
        user.session_generation = (user.session_generation or 0) + 1
        db.session.flush()
    logout_user()
    session.clear()


def enforce_session() -> None:
    """Before each request: end stale, idle or superseded staff sessions."""
    if "_user_id" not in session:
        return
    now = int(time.time())
    last_seen = session.get(LAST_SEEN_KEY)
    user = current_user._get_current_object() if current_user.is_authenticated else None
    stale = (
        user is None
        or not isinstance(last_seen, int)
        or now - last_seen > _idle_limit_seconds()
        or session.get(GENERATION_KEY) != (user.session_generation or 0)
    )
    if stale:
        logout_user()
        session.clear()
        return
    session[LAST_SEEN_KEY] = now
