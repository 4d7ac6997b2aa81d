"""Recovery codes of two-factor login: their shape, and how one read back from paper matches."""

from __future__ import annotations

import re

from app.auth import mfa


def test_recovery_codes_are_two_groups_from_a_clear_alphabet():
    codes = {mfa.new_recovery_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}", code)
        assert not set(code) & set("01ilo")


def test_a_code_typed_back_differently_is_the_same_code():
    assert mfa.normalise_recovery_code(" K7M2 x9QH ") == "k7m2x9qh"
    assert mfa.normalise_recovery_code("k7m2-x9qh") == "k7m2x9qh"
    assert mfa.normalise_recovery_code("") == ""


def test_single_sign_on_is_never_asked_for_a_code():
    assert "oidc" in mfa.SINGLE_SIGN_ON
    assert "password" not in mfa.SINGLE_SIGN_ON
