"""Answers fit to quote: addresses, phone numbers and names taken out, and said so."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis.scrub import Scrubbed, quotable, scrub

PEOPLE = ["山田 太郎", "佐藤\u3000花子", "John Smith"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("山田太郎さんに相談した", "［氏名］さんに相談した"),
        ("山田 太郎さんと佐藤さんが担当", "［氏名］さんと［氏名］さんが担当"),
        ("tanaka@example.co.jp まで連絡を", "［メールアドレス］ まで連絡を"),
        ("電話（090-1234-5678）で相談", "電話（［電話番号］）で相談"),
        ("窓口は０３－１２３４－５６７８です", "窓口は［電話番号］です"),
        ("フリーダイヤル0120-123-456へ", "フリーダイヤル［電話番号］へ"),
        ("Ask john smith at +81 3 1234 5678", "Ask [name] at [phone]"),
        ("Write to a.b+cx@mail.example.com", "Write to [e-mail]"),
    ],
)
def test_what_points_at_a_person_is_replaced_in_the_answers_language(answer, expected) -> None:
    found = scrub(answer, people=PEOPLE)
    assert found == Scrubbed(expected, True)


def test_figures_dates_and_ordinary_words_are_kept() -> None:
    for answer in (
        "2026-12-07に顧客満足度が1,000,000円分上がった",
        "顧客数は12345678人、NPSは+12",
        "太田さんではなく部長が決める",
    ):
        found = scrub(answer, people=PEOPLE)
        assert found == Scrubbed(answer, False)
    # A family name is taken out wherever it stands, a place named like it included: a
    # quote loses a word rather than point at someone.
    assert scrub("山田町の店舗では", people=PEOPLE).text == "［氏名］町の店舗では"


def test_names_of_groups_below_the_threshold_are_hidden() -> None:
    found = scrub("法務部の会議が形骸化している", hidden_groups=["法務部"])
    assert found == Scrubbed("［非表示］の会議が形骸化している", True)
    assert scrub("Legal never joins", hidden_groups=["Legal"], locale="en").text == (
        "[hidden] never joins"
    )


def test_an_answer_that_was_only_a_name_or_an_address_is_not_quoted() -> None:
    assert not quotable(scrub("山田 太郎", people=PEOPLE))
    assert not quotable(scrub("tanaka@example.co.jp 090-1234-5678"))
    assert quotable(scrub("山田さんの部署は顧客の声を集めている", people=PEOPLE))
    assert not quotable(scrub("😀"))


_ADDRESS = st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(com|jp|co\.jp)", fullmatch=True)


@settings(max_examples=80, deadline=None)
@given(before=st.text(max_size=40), address=_ADDRESS, after=st.text(max_size=40))
def test_no_address_survives_and_scrubbing_twice_changes_nothing_more(
    before: str, address: str, after: str
) -> None:
    answer = f"{before} {address} {after}"
    found = scrub(answer, people=PEOPLE)
    assert not re.search(re.escape(address), found.text)
    assert found.changed
    again = scrub(found.text, people=PEOPLE)
    assert again.text == found.text
