"""The guess estimate: each pattern people build passwords from is found and priced."""

from __future__ import annotations

import pytest

from app.auth.password_strength import estimate

#: A tiny ranked list standing in for the 10,000 common passwords.
COMMON = {"password": 2, "qwerty": 4, "dragon": 9, "summer": 300, "harbour": 8000}
YEAR = 2026


def _estimate(password: str, context: tuple[str, ...] = ()):
    return estimate(password, COMMON, context, reference_year=YEAR)


@pytest.mark.parametrize(
    ("password", "kind"),
    [
        ("abcdefghijkl", "sequence"),
        ("lkjihgfedcba", "sequence"),
        ("123456789012", "sequence"),
        ("qwertyuiopas", "sequence"),
        ("passwordpassword", "repeat"),
        ("abcabcabcabc", "repeat"),
        ("p@ssw0rdDragon", "common"),
        ("drowssapdragon", "common"),
        ("summer19870412", "date"),
    ],
)
def test_patterns_are_found_and_cheap(password, kind):
    result = _estimate(password)
    assert kind in result.kinds
    assert result.log_guesses < 10


def test_the_users_own_words_are_what_an_attacker_tries_first():
    context = ("tanaka.hiroshi", "tanaka", "hiroshi", "minatobank")
    doubled = _estimate("tanaka.hiroshitanaka.hiroshi", context)
    assert {"repeat", "context"} <= doubled.kinds
    assert doubled.log_guesses < 3
    assert "context" in _estimate("Minatobank2026!", context).kinds
    # Without the context, the same password is random letters to the estimate.
    assert (
        _estimate("hiroshi-minatobank", ()).log_guesses
        > _estimate("hiroshi-minatobank", context).log_guesses
    )


def test_random_and_long_passphrases_are_strong():
    assert _estimate("xk3!Mq9#Lp2$").log_guesses >= 12
    assert _estimate("quiet-harbour-lantern-47").log_guesses >= 10
    assert _estimate("correct horse battery staple").log_guesses >= 10


def test_more_pieces_cost_more_guesses():
    assert _estimate("dragon").log_guesses < _estimate("dragon2026").log_guesses
    assert _estimate("dragon2026").log_guesses < _estimate("dragon2026harbour!").log_guesses


def test_long_passwords_are_estimated_quickly():
    import time

    started = time.perf_counter()
    for password in ("x" * 256, "ab" * 128, "k7Rt9pQ2xZ4m" * 21):
        _estimate(password)
    assert time.perf_counter() - started < 5
