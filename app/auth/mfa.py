"""Two-factor login for password logins: TOTP codes (RFC 6238) and one-time recovery codes.

Shared by the web (enrolment on the account page, the second step of the login) and the CLI
(``flask user mfa EMAIL --require|--reset``). What is stored, and why a database dump alone
gives away no code:

* the TOTP secret is sealed (``app.platform.sealing``: Fernet under a key derived from
  ``SECRET_KEY``), so changing ``SECRET_KEY`` makes every enrolled account enrol again
  (``--reset``);
* recovery codes are kept as HMAC-SHA256 of the account and the normalised code under a key
  derived from ``SECRET_KEY``; each works once;
* the time step of the last code accepted, so that a code seen once (over a shoulder, in a
  proxy's log) cannot be entered again.

Single sign-on logins rely on the identity provider's own second factor:
:func:`requires_second_factor` says so for ``via="oidc"``.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import re
import secrets
import time
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from app.auth import access
from app.auth.accounts import organizations_of
from app.auth.passwords import verify_password
from app.models import RecoveryCode, User, utcnow
from app.operations import audit
from app.operations.errors import N_, OperationError
from app.platform.extensions import db
from app.platform.lazy import lazy_module
from app.platform.sealing import SealError, seal, unseal

pyotp = lazy_module("pyotp")
segno = lazy_module("segno")

log = logging.getLogger(__name__)

#: The name authenticator apps show above the account's codes.
ISSUER = "CX maturity assessment"
STEP_SECONDS = 30
#: Codes of the step before and after the current one are accepted too (clock drift).
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
#: No 0/o, 1/l/i: a code read from paper is typed back without doubt.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_HALF = 4
#: Login methods whose provider is trusted with the second factor.
SINGLE_SIGN_ON = frozenset({"oidc"})

_TOTP_RE = re.compile(r"\d{6}")


class CodeCheck(enum.Enum):
    """The outcome of a code entered at the second step of a login."""

    ACCEPTED = "accepted"
    RECOVERY = "recovery"
    WRONG = "wrong"
    REPLAYED = "replayed"


# Keys and storage ---------------------------------------------------------------------------


#: What the TOTP secret is sealed for (``app.platform.sealing``): its own key.
SEAL_PURPOSE = "two-factor secret"


def encrypt_secret(secret: str) -> str:
    """The TOTP secret as stored: sealed with a key derived from SECRET_KEY."""
    return seal(secret, SEAL_PURPOSE)


def decrypt_secret(stored: str | None) -> str | None:
    """The TOTP secret back, or None when there is none or SECRET_KEY has changed since."""
    if not stored:
        return None
    try:
        return unseal(stored, SEAL_PURPOSE)
    except SealError:
        log.error("mfa.secret_unreadable: SECRET_KEY changed since enrolment; reset the account")
        return None


def normalise_recovery_code(code: str) -> str:
    """Lower case, without spaces and hyphens: ``ABCD-EFGH`` and ``abcdefgh`` are one code."""
    return re.sub(r"[\s\-]", "", code or "").lower()


def _recovery_hash(user_id: int, code: str) -> str:
    secret_key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    key = hmac.new(secret_key, b"cx-maturity recovery code", hashlib.sha256).digest()
    message = f"{user_id}:{normalise_recovery_code(code)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _random_text(length: int) -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(length))


def new_recovery_code() -> str:
    """A random code such as ``k7m2-x9qh`` (about 40 bits)."""
    return f"{_random_text(RECOVERY_HALF)}-{_random_text(RECOVERY_HALF)}"


# Who needs what -----------------------------------------------------------------------------


def is_enabled(user: User) -> bool:
    """Whether the account's password logins ask for a code."""
    return user.mfa_enabled_at is not None and bool(user.mfa_secret)


def enrolment_required(user: User) -> bool:
    """Whether the account must use two-factor login: flagged for it, or a consultant or admin
    while ``CX_MFA_REQUIRED`` is on (executives only when flagged)."""
    if user.mfa_required:
        return True
    return bool(current_app.config.get("CX_MFA_REQUIRED")) and not access.is_executive_viewer(user)


def requires_second_factor(user: User, via: str) -> bool:
    """Whether a login through ``via`` (``password`` or ``oidc``) must pass a second factor
    before the account can work: a code when two-factor login is on, else enrolment first
    when it is required. Single sign-on relies on the identity provider: never."""
    if via in SINGLE_SIGN_ON:
        return False
    return is_enabled(user) or enrolment_required(user)


def enrolment_due(user: User) -> bool:
    """Required but not set up yet: the account may reach nothing but enrolment and logout."""
    return not is_enabled(user) and enrolment_required(user)


# Codes --------------------------------------------------------------------------------------


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """The QR code of ``uri`` as an inline SVG element, drawn here (no outside service)."""
    qr = segno.make(uri, error="m")
    return qr.svg_inline(scale=4, border=4, dark="#000", light="#fff", title=title)


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code is ``code`` (the current one first, then its neighbours)."""
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_SECONDS)
    found = None
    for step in (current, current - DRIFT_STEPS, current + DRIFT_STEPS):
        # Every candidate is compared, in constant time, whatever matched before.
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


def _consume_step(user: User, step: int) -> bool:
    """Record ``step`` as used unless it, or a later one, already was (one atomic UPDATE, so
    two requests with the same code cannot both pass)."""
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.mfa_last_step.is_(None), User.mfa_last_step < step))
        .values(mfa_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    user.mfa_last_step = step
    return True


def _check_totp(user: User, secret: str | None, code: str) -> CodeCheck:
    compact = re.sub(r"\s", "", code or "")
    if secret is None or not _TOTP_RE.fullmatch(compact):
        return CodeCheck.WRONG
    step = _matching_step(secret, compact, time.time())
    if step is None:
        return CodeCheck.WRONG
    return CodeCheck.ACCEPTED if _consume_step(user, step) else CodeCheck.REPLAYED


def _use_recovery_code(user: User, code: str) -> bool:
    """Mark the recovery code used (atomically); False when unknown or used before."""
    normalised = normalise_recovery_code(code)
    if len(normalised) != 2 * RECOVERY_HALF:
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(user.id, normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def remaining_recovery_codes(user: User) -> int:
    """How many of the account's recovery codes are still unused."""
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def check_login_code(user: User, code: str) -> CodeCheck:
    """Check a code entered at the second step of a login: a current TOTP code, or one of the
    account's unused recovery codes (which is then used up). The caller throttles and
    commits."""
    if not is_enabled(user):
        return CodeCheck.WRONG
    if _TOTP_RE.fullmatch(re.sub(r"\s", "", code or "")):
        return _check_totp(user, decrypt_secret(user.mfa_secret), code)
    if _use_recovery_code(user, code):
        _record(
            "user.mfa_recovery_used", user, actor=user, remaining=remaining_recovery_codes(user)
        )
        return CodeCheck.RECOVERY
    return CodeCheck.WRONG


# Writes -------------------------------------------------------------------------------------


def _record(action: str, user: User, *, actor: User | None, **detail: Any) -> None:
    """Audit an account's two-factor event in each organisation it has access to; an account
    with none (an administrator, a new consultant) is logged instead. Never a secret or code."""
    organizations = organizations_of(user)
    if not organizations:
        current_app.logger.info(
            action,
            extra={"account_id": user.id, "actor_id": actor.id if actor else None, **detail},
        )
        return
    for organization in organizations:
        audit.record(action, organization=organization, user=actor, account_id=user.id, **detail)


def start_enrolment(user: User) -> str:
    """A new secret for the account, kept (encrypted) until a code confirms it; returned for
    the QR code and manual entry."""
    if is_enabled(user):
        raise OperationError(N_("Two-factor login is already on for this account."))
    secret = pyotp.random_base32()
    user.mfa_secret = encrypt_secret(secret)
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    db.session.flush()
    return secret


def enrolment_secret(user: User) -> str | None:
    """The secret of an enrolment started and not confirmed yet, or None."""
    if is_enabled(user):
        return None
    return decrypt_secret(user.mfa_secret)


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user.id, code)) for code in codes
    )
    db.session.flush()
    return codes


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Turn two-factor login on once ``code`` matches the enrolment's secret; the account's
    recovery codes, returned in clear this once."""
    secret = enrolment_secret(user)
    if secret is None:
        raise OperationError(N_("Start the set-up again: no secret is waiting to be confirmed."))
    outcome = _check_totp(user, secret, code)
    if outcome is CodeCheck.REPLAYED:
        raise OperationError(N_("This code has already been used. Wait for the next one."))
    if outcome is not CodeCheck.ACCEPTED:
        raise OperationError(
            N_("The code is not correct. Check the time on your phone and try again.")
        )
    user.mfa_enabled_at = utcnow()
    codes = _replace_recovery_codes(user)
    _record("user.mfa_enabled", user, actor=user)
    return codes


def _check_proof(user: User, proof: str) -> None:
    """A current code or the account's password, asked before turning the protection down."""
    if _TOTP_RE.fullmatch(re.sub(r"\s", "", proof or "")):
        outcome = _check_totp(user, decrypt_secret(user.mfa_secret), proof)
        if outcome is CodeCheck.REPLAYED:
            raise OperationError(N_("This code has already been used. Wait for the next one."))
        if outcome is CodeCheck.ACCEPTED:
            return
    elif verify_password(user.password_hash, proof or ""):
        return
    raise OperationError(N_("Neither a current code nor your password: nothing was changed."))


def disable(user: User, proof: str) -> None:
    """Turn two-factor login off (a current code or the password confirms it)."""
    if not is_enabled(user):
        raise OperationError(N_("Two-factor login is not on for this account."))
    if enrolment_required(user):
        raise OperationError(N_("Two-factor login is required for your account."))
    _check_proof(user, proof)
    _clear(user)
    _record("user.mfa_disabled", user, actor=user)


def renew_recovery_codes(user: User, proof: str) -> list[str]:
    """New recovery codes in place of all earlier ones (a current code or the password
    confirms it); returned in clear this once."""
    if not is_enabled(user):
        raise OperationError(N_("Two-factor login is not on for this account."))
    _check_proof(user, proof)
    codes = _replace_recovery_codes(user)
    _record("user.mfa_recovery_renewed", user, actor=user)
    return codes


def _clear(user: User) -> None:
    user.mfa_secret = None
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def reset(user: User, *, actor: User | None = None) -> None:
    """Remove the account's secret and recovery codes (a lost phone): it enrols again at its
    next login if two-factor login is required for it."""
    _clear(user)
    _record("user.mfa_reset", user, actor=actor)


def set_required(user: User, required: bool, *, actor: User | None = None) -> None:
    """Require two-factor login for this one account (or stop requiring it)."""
    if user.mfa_required != required:
        user.mfa_required = required
        db.session.flush()
        _record("user.mfa_required", user, actor=actor, required=required)
