"""Secrets kept in the database, sealed with a key derived from SECRET_KEY.

A database dump alone does not give them: an identity provider's client secret, a
two-factor secret, a webhook's signing secret are stored sealed (Fernet: AES-128-CBC with an
HMAC-SHA256) and opened only by an application holding the same SECRET_KEY. Each purpose
derives its own key (HKDF-SHA256 with the purpose as context), so one sealed value cannot be
opened as another kind.
"""

from __future__ import annotations

import base64

from flask import current_app

from app.platform.lazy import lazy_module

fernet = lazy_module("cryptography.fernet")
hkdf = lazy_module("cryptography.hazmat.primitives.kdf.hkdf")
hashes = lazy_module("cryptography.hazmat.primitives.hashes")


class SealError(ValueError):
    """A sealed value that cannot be opened: another SECRET_KEY, or altered."""


def _fernet(purpose: str) -> object:
    secret = current_app.config["SECRET_KEY"]
    key = hkdf.HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"cx-maturity-sealing",
        info=purpose.encode("utf-8"),
    ).derive(secret.encode("utf-8") if isinstance(secret, str) else secret)
    return fernet.Fernet(base64.urlsafe_b64encode(key))


def seal(value: str, purpose: str) -> str:
    """``value`` sealed for ``purpose`` (text safe to store)."""
    return _fernet(purpose).encrypt(value.encode("utf-8")).decode("ascii")


def unseal(sealed: str, purpose: str) -> str:
    """The value :func:`seal` sealed for ``purpose``; :class:`SealError` when it cannot be."""
    try:
        return _fernet(purpose).decrypt(sealed.encode("ascii")).decode("utf-8")
    except (fernet.InvalidToken, ValueError) as exc:
        raise SealError("the sealed value cannot be opened with this SECRET_KEY") from exc
