"""Guessable passwords are refused wherever a password is set, with a message that says why:
the CLI (``user create``, ``user password``), the account page, ``create_user``/``set_password``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.accounts import create_user, set_password
from app.auth.passwords import PasswordPolicyError, check_password_policy
from app.models import User
from app.platform.extensions import db
from tests.factories import PASSWORD, grant, make_org, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

EMAIL = "tanaka.hiroshi@minato-bank.example"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("abcdefghijkl", "contains a sequence"),
        ("123456789012", "contains a sequence"),
        ("passwordpassword", "repeats itself"),
        ("tanaka.hiroshitanaka.hiroshi", "your email address"),
        ("tanakahiroshitanakahiroshi", "your email address"),
        ("Hiroshi2026minato", "your email address"),
        ("19870412Sunshine", "year or a date"),
        ("dragonmonkeyshadow", "common words"),
    ],
)
def test_guessable_passwords_are_refused_with_the_reason(password, reason):
    with pytest.raises(PasswordPolicyError, match=reason) as refused:
        check_password_policy(password, email=EMAIL)
    assert "three or four unrelated words" in str(refused.value)


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "Snapshot-pass-9481!x", "xk3!Mq9#Lp2$", "brand-new-harbour-light-8"],
)
def test_hard_passwords_are_accepted(password):
    check_password_policy(password, email=EMAIL)


def test_the_organisations_names_count_for_its_members(app):
    org = make_org("kaizen-lantern")
    user = make_user(EMAIL)
    # Before the account has access, the organisation's name is just two words.
    set_password(user, "KaizenLantern-2026")
    db.session.commit()
    grant(user, org, "consultant")
    with pytest.raises(PasswordPolicyError, match="organisation's name"):
        set_password(db.session.get(User, user.id), "KaizenLantern-2026")
    with pytest.raises(PasswordPolicyError, match="organisation's name"):
        create_user("other@example.com", "kaizenlantern2026", organizations=[org])


def test_cli_user_create_and_password_explain_the_refusal(runner, app):
    result = runner.invoke(args=["user", "create", EMAIL], input="abcdefghijkl\n")
    assert result.exit_code == 1
    assert "contains a sequence" in result.output
    assert db.session.scalar(select(User)) is None
    make_user(EMAIL)
    result = runner.invoke(args=["user", "password", EMAIL], input="tanakahiroshi2026!\n")
    assert result.exit_code == 1
    assert "your email address" in result.output


def _change_password(client, new: str):
    token = csrf_token(client, "/account")
    return client.post(
        "/account",
        data={
            "pw-csrf_token": token,
            "pw-current_password": PASSWORD,
            "pw-new_password": new,
            "pw-confirm": new,
        },
    )


def test_the_account_page_explains_the_refusal_in_both_languages(app):
    make_user(EMAIL)
    client = make_client(app)
    login(client, EMAIL)
    english = _change_password(client, "passwordpassword").get_data(as_text=True)
    assert "This password repeats itself" in english
    japanese_client = make_client(app, "ja")
    login(japanese_client, EMAIL)
    japanese = _change_password(japanese_client, "123456789012").get_data(as_text=True)
    assert "連続した文字" in japanese
    assert "無関係な単語を3〜4個" in japanese
