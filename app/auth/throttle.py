"""Login throttling that slows password guessing without letting anyone lock a real user out.

Failed logins are counted in the app's rate-limit store (``app.platform.rate_limit_store``:
Redis when ``REDIS_URL`` is set, else a file every worker of the machine shares), so the
limits hold whichever worker answers. Three limits apply:

1. **Account and address**: 5 failures per minute for one email from one address. This is
   the limit an ordinary guesser meets first; it only ever blocks that one address.
2. **Address**: 20 failures per hour from one address, whatever the emails. It stops one
   machine from spraying many accounts. It blocks only that address: a real user elsewhere
   is not affected.
3. **Account**: failures for one email from all addresses together are counted too (50 an
   hour), but never refuse anyone: an account-wide block is exactly what an attacker would
   use to keep the real user out, wherever they log in from (a new laptop, a trip, a first
   login). Going over it logs a warning (``login.account_under_attack``, with how many
   failures) for the operator instead; distributed guessing stays slow through limits 1 and 2
   per address, argon2id, and passwords that are long and hard to guess.

The numbers are the defaults of ``LOGIN_PAIR_LIMIT``, ``LOGIN_ADDRESS_LIMIT`` and
``LOGIN_ACCOUNT_LIMIT`` (:mod:`app.platform.config`).

An attempt is counted against limits 1 and 2 *before* its password is checked
(``begin_attempt``), in one atomic step per counter, and given back when it succeeds: twenty
guesses sent at once cannot all pass a check made before any of them was counted. A refused
attempt does not verify the password at all, so the answer ("too many attempts") says nothing
about whether the password was right, and it is not counted.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, parse

from app.platform import rate_limits
from app.platform.extensions import limiter

log = logging.getLogger(__name__)

#: How long an address where the account logged in successfully stays "known".
KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class ThrottleDecision:
    """Whether a login attempt may proceed, and if not, roughly when to retry."""

    allowed: bool
    retry_after: int = 0
    #: Which limit refused the attempt: ``pair`` or ``address``.
    reason: str | None = None


def _limits() -> dict[str, RateLimitItem]:
    config = current_app.config
    return {
        "pair": parse(config["LOGIN_PAIR_LIMIT"]),
        "address": parse(config["LOGIN_ADDRESS_LIMIT"]),
        "account": parse(config["LOGIN_ACCOUNT_LIMIT"]),
    }


def _keys(email: str, address: str) -> dict[str, tuple[str, ...]]:
    email = email.strip().lower()
    return {
        "pair": ("login-pair", email, address),
        "address": ("login-address", address),
        "account": ("login-account", email),
    }


def _known_key(email: str, address: str) -> str:
    return f"login-known/{email.strip().lower()}/{address}"


def is_known_address(email: str, address: str) -> bool:
    """Whether this account has logged in successfully from ``address`` recently."""
    return bool(limiter.storage.get(_known_key(email, address)))


def check(email: str, address: str) -> ThrottleDecision:
    """May ``address`` try a password for ``email`` now?  Does not count anything."""
    strategy = limiter.limiter
    limits = _limits()
    keys = _keys(email, address)
    for name in ("pair", "address"):
        if not strategy.test(limits[name], *keys[name]):
            stats = strategy.get_window_stats(limits[name], *keys[name])
            retry = max(1, int(stats.reset_time - time.time()))
            return ThrottleDecision(False, retry, name)
    return ThrottleDecision(True)


def begin_attempt(email: str, address: str) -> ThrottleDecision:
    """Count an attempt against the pair and address limits before its password is checked;
    refuse it (uncounted) when either is used up. ``record_success`` gives it back."""
    config = current_app.config
    keys = _keys(email, address)
    refusal = rate_limits.claim(
        [
            ("pair", config["LOGIN_PAIR_LIMIT"], keys["pair"]),
            ("address", config["LOGIN_ADDRESS_LIMIT"], keys["address"]),
        ]
    )
    if refusal is not None:
        return ThrottleDecision(False, refusal.retry_after, refusal.name)
    return ThrottleDecision(True)


def record_failure(email: str, address: str) -> None:
    """Count a failed login (begun with ``begin_attempt``) against the account-wide limit;
    warn when that is exceeded."""
    strategy = limiter.limiter
    limits = _limits()
    keys = _keys(email, address)
    strategy.hit(limits["account"], *keys["account"])
    if not strategy.test(limits["account"], *keys["account"]):
        stats = strategy.get_window_stats(limits["account"], *keys["account"])
        log.warning(
            "login.account_under_attack",
            extra={
                "account": email.strip().lower(),
                "limit": str(limits["account"]),
                "remaining": stats.remaining,
                "known_address": is_known_address(email, address),
            },
        )


def record_success(email: str, address: str) -> None:
    """Mark the address as known for this account, forgive its recent failures there and give
    back the attempt ``begin_attempt`` counted against the address."""
    limiter.storage.incr(_known_key(email, address), KNOWN_ADDRESS_SECONDS)
    limits = _limits()
    keys = _keys(email, address)
    limiter.limiter.clear(limits["pair"], *keys["pair"])
    rate_limits.give_back(current_app.config["LOGIN_ADDRESS_LIMIT"], *keys["address"])


def _code_key(user_id: int) -> tuple[str, ...]:
    return ("login-mfa", str(user_id))


def begin_code_attempt(user_id: int) -> ThrottleDecision:
    """Count a two-factor code (or recovery code) entered for the account before it is checked;
    refuse it (uncounted) once ``LOGIN_MFA_LIMIT`` is used up.

    Unlike the password limits this one is per account, from every address: whoever enters a
    code already has the password, so the account's second step is what must hold, and five
    wrong codes in a row are no accident of the real user's.
    """
    refusal = rate_limits.claim(
        [("account", current_app.config["LOGIN_MFA_LIMIT"], _code_key(user_id))]
    )
    if refusal is not None:
        log.warning("login.mfa_locked", extra={"account_id": user_id})
        return ThrottleDecision(False, refusal.retry_after, refusal.name)
    return ThrottleDecision(True)


def record_code_success(user_id: int) -> None:
    """Give back the attempt ``begin_code_attempt`` counted: a right code is no guess."""
    rate_limits.give_back(current_app.config["LOGIN_MFA_LIMIT"], *_code_key(user_id))
