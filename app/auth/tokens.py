"""Personal API tokens: shown once at creation, stored only as a SHA-256 hash.

A token carries scopes: ``read`` lets it read what its user may see; ``write`` also lets it
make the API's writes (POST, PUT, PATCH, DELETE) its user may make.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.models import ApiToken, User, utcnow
from app.platform.extensions import db
from app.platform.security import hash_token, new_token

#: Every scope a token may carry; ``read`` is always one of them.
SCOPES = ("read", "write")
READ_ONLY = ("read",)
READ_WRITE = ("read", "write")


def create_api_token(user: User, name: str | None = None, scopes: Iterable[str] = READ_ONLY) -> str:
    """Create a token for ``user`` with ``scopes`` and return it in clear; only its hash is kept.

    The caller commits. The returned string cannot be recovered later, so it must be shown
    to the user right away.
    """
    wanted = set(scopes) | {"read"}
    unknown = wanted - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown token scope(s): {', '.join(sorted(unknown))}")
    token = new_token()
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=hash_token(token),
            name=name or None,
            scopes=" ".join(scope for scope in SCOPES if scope in wanted),
        )
    )
    db.session.flush()
    return token


def api_token_for(token: str | None) -> ApiToken | None:
    """The working token row for a token in clear: None for unknown or revoked ones, or one
    whose user is inactive.

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
    return api_token


def user_for_api_token(token: str | None) -> User | None:
    """The active user a token belongs to, or None for unknown, revoked or inactive."""
    api_token = api_token_for(token)
    return api_token.user if api_token is not None else None


def revoke_api_token(api_token: ApiToken) -> None:
    """Stop a token from working; the row stays for the record."""
    api_token.revoked_at = utcnow()
    db.session.flush()
