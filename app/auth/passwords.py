"""Password hashing with argon2id, and the password policy for staff accounts."""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.operations.errors import N_, OperationError
from app.platform.cache import BoundedCache

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

#: Shorter passwords are refused: length matters more than character classes.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")

#: A hash made with the current parameters, verified when an account does not exist so that
#: a failed login takes the same time whether or not the email is known.
_dummy: BoundedCache[PasswordHasher, str] = BoundedCache(1)


def _dummy_hash() -> str:
    return _dummy.get_or_create(_hasher, lambda: _hasher.hash(secrets.token_urlsafe(16)))


class PasswordPolicyError(OperationError):
    """A password the policy refuses; the message is fit to show the user."""


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``, with a fresh salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; an account without a hash still costs one verification."""
    if not password_hash:
        _safe_verify(_dummy_hash(), password)
        return False
    return _safe_verify(password_hash, password)


def _safe_verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with older parameters and should be replaced at next login."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords (lower case), read once from the shipped list."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_password_policy(password: str, *, email: str | None = None) -> None:
    """Raise PasswordPolicyError unless ``password`` is long enough and not a common one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            N_("The password must be at least %(n)d characters long."), n=MIN_PASSWORD_LENGTH
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            N_("The password must be at most %(n)d characters long."), n=MAX_PASSWORD_LENGTH
        )
    lowered = password.lower()
    # "password2024!" is as weak as "password": compare without the digits and symbols
    # people append to a common word to pass a length rule.
    stem = lowered.rstrip("0123456789!@#$%^&*?.-_ ")
    common = common_passwords()
    if lowered in common or (len(stem) >= 4 and stem in common) or len(set(password)) < 4:
        raise PasswordPolicyError(
            N_("This password is too common or too easy to guess; choose another one.")
        )
    if email and lowered == email.strip().lower():
        raise PasswordPolicyError(N_("The password must not be the email address."))
