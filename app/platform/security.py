"""Unguessable tokens for personal links, stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets

#: 32 random bytes: 256 bits, far above the 128 bits a link must carry.
TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh URL-safe random token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """SHA-256 of a token; a fast hash is right here because tokens have full entropy."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
