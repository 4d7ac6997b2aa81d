"""Password hashing with argon2id, and the password policy for staff accounts."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.auth.password_strength import estimate
from app.operations.errors import N_, OperationError
from app.platform.cache import BoundedCache

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

#: Shorter passwords are refused: length matters more than character classes.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")
#: Passwords that would take fewer guesses (10**10, zxcvbn's strongest score) are refused:
#: a leaked argon2id hash of a staff account must stay out of reach of offline guessing.
MIN_LOG10_GUESSES = 10.0
#: Words of the site itself: an attacker who targets it tries them first.
SITE_WORDS = ("cxmaturity", "maturity", "assessment", "selfassessment", "shindan")
#: Domain labels that say nothing about the user.
GENERIC_DOMAIN_LABELS = frozenset(
    {"com", "net", "org", "info", "biz", "edu", "gov", "co", "ne", "or", "ac", "go", "jp"}
)
#: What to say about a guessable password, by the pattern that makes it guessable (the first
#: one found in this order).
WEAKNESS_MESSAGES = (
    (
        "context",
        N_(
            "This password is built from your email address or your organisation's name, "
            "which others can guess. Use three or four unrelated words instead, or a "
            "password manager."
        ),
    ),
    (
        "repeat",
        N_(
            "This password repeats itself (like “abcabc” or “passwordpassword”), which is "
            "easy to guess. Use three or four unrelated words instead, or a password manager."
        ),
    ),
    (
        "sequence",
        N_(
            "This password contains a sequence (like “abcd”, “1234” or “qwerty”), which is "
            "easy to guess. Use three or four unrelated words instead, or a password manager."
        ),
    ),
    (
        "date",
        N_(
            "This password is built around a year or a date, which is easy to guess. Use "
            "three or four unrelated words instead, or a password manager."
        ),
    ),
    (
        "common",
        N_(
            "This password is made of common words or passwords, which are easy to guess. "
            "Use three or four unrelated words instead, or a password manager."
        ),
    ),
)
GENERIC_WEAKNESS = N_(
    "This password is too easy to guess. Use three or four unrelated words instead, or a "
    "password manager."
)

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
def common_password_ranks() -> dict[str, int]:
    """The 10,000 most common passwords (lower case) and their ranks (1 the most common),
    read once from the shipped list."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    words = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    ranks: dict[str, int] = {}
    for word in words:
        ranks.setdefault(word, len(ranks) + 1)
    return ranks


@cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords (lower case)."""
    return frozenset(common_password_ranks())


def personal_words(email: str | None, others: Iterable[str] = ()) -> list[str]:
    """Words an attacker knows about an account: its email address and the parts of it, the
    ``others`` (such as its organisations' names) with their parts, and the site's words."""
    words: list[str] = list(SITE_WORDS)
    for text in (email or "", *others):
        text = text.strip().lower()
        if not text:
            continue
        words.append(text)
        local, _, domain = text.partition("@")
        pieces = [local, *(domain.split(".") if domain else [])]
        for piece in pieces:
            if piece in GENERIC_DOMAIN_LABELS:
                continue
            words.append(piece)
            parts = [p for p in re.split(r"[\W_\d]+", piece) if p]
            words.append("".join(parts))
            words.extend(parts)
    return [word for word in dict.fromkeys(words) if len(word) >= 3]


def check_password_policy(
    password: str, *, email: str | None = None, context: Iterable[str] = ()
) -> None:
    """Raise PasswordPolicyError unless ``password`` is long enough and hard to guess.

    Refused: common passwords and common words with digits or symbols appended, passwords
    an attacker would find in fewer than 10**10 guesses (``password_strength``: sequences,
    repeats, years and dates, common words, and the ``email`` and ``context`` words such as
    the organisations' names), the email address itself.
    """
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
    strength = estimate(password, common_password_ranks(), personal_words(email, context))
    if strength.log_guesses < MIN_LOG10_GUESSES:
        kinds = strength.kinds
        message = next((text for kind, text in WEAKNESS_MESSAGES if kind in kinds), None)
        raise PasswordPolicyError(message or GENERIC_WEAKNESS)
