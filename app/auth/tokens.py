"""Personal API tokens: shown once at creation, stored only as a SHA-256 hash."""

from __future__ import annotations

from sqlalchemy import select

from app.models import ApiToken, User, utcnow
from app.platform.extensions import db
from app.platform.security import hash_token, new_token


def create_api_token(user: User, name: str | None = None) -> str:
    """Create a token for ``user`` and return it in clear; only its hash is kept.

    The caller commits. The returned string cannot be recovered later, so it must be shown
    to the user right away.
    """
    token = new_token()
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), name=name or None))
    db.session.flush()
    return token


def user_for_api_token(token: str | None) -> User | None:
    """The active user a token belongs to, or None for unknown, revoked or inactive.

    Records the time of use (flushed, committed with the request's own commit if any).
    """
    if not token:
        return None
    api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if api_token is None or api_token.revoked_at is not None:
        return None
    user = api_token.user
    if user is None or not user.active:
        return None
    api_token.last_used_at = utcnow()
    db.session.flush()
    return user


def revoke_api_token(api_token: ApiToken) -> None:
    """Stop a token from working; the row stays for the record."""
    api_token.revoked_at = utcnow()
    db.session.flush()
