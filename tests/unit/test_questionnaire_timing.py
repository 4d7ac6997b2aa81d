"""The time estimate is computed from the text read and the items answered."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.questionnaire import Estimate, estimate, load_questionnaire, parse_questionnaire
from app.questionnaire.timing import read_texts
from tests import versions_support

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "questionnaires").glob("*.yaml"))

TINY = """\
id: tiny
version: "1.0.0"
locales: [ja, en]
title: {ja: あいう, en: One two}
scale:
  min: 1
  max: 2
  labels:
    1: {ja: いいえ, en: No}
    2: {ja: はい, en: Yes}
dimensions:
  - id: d
    kind: capability
    title: {ja: えお, en: Three}
    description: {ja: かき く, en: Four five}
    items:
      - id: a
        text: {ja: さしすせ, en: Six seven eight}
        levels:
          2: {ja: たち, en: Nine}
      - id: b
        text: {ja: なに, en: Ten}
        audience: [executive]
open_questions:
  - id: c
    text: {ja: はひふ, en: Eleven twelve}
"""


def test_japanese_counts_characters_read_without_spaces() -> None:
    tiny = parse_questionnaire(TINY)
    # title 3, dimension 2 + 3 (the space is not read), item a 4 + its labels "いいえ" 3 and
    # its anchor "たち" 2, item b 2 + "いいえ" 3 + "はい" 2, open question 3.
    found = estimate(tiny, "ja")
    assert (found.amount, found.characters, found.items, found.questions) == (27, True, 2, 3)
    assert found.seconds == pytest.approx(27 / 500 * 60 + 2 * 5)
    assert found.minutes == 1


def test_english_counts_words_and_the_role_limits_the_items() -> None:
    tiny = parse_questionnaire(TINY)
    found = estimate(tiny, "en", "frontline")
    # "One two" 2, "Three" 1, "Four five" 2, item a 3 + "No" 1 + "Nine" 1, question 2.
    assert (found.amount, found.characters, found.items, found.questions) == (12, False, 1, 2)
    assert found.seconds == pytest.approx(12 / 230 * 60 + 5)


def test_the_outcome_item_is_read_and_answered_by_every_role() -> None:
    with_outcome = TINY.replace(
        "open_questions:\n",
        """  - id: o
    kind: outcome
    title: {ja: まみ, en: Thirteen}
    scale:
      min: 0
      max: 10
      labels:
        0: {ja: むめ, en: Fourteen}
        10: {ja: もや, en: Fifteen sixteen}
    items:
      - id: r
        text: {ja: ゆよら, en: Seventeen}
open_questions:
""",
    )
    tiny = estimate(parse_questionnaire(TINY), "ja", "frontline")
    found = estimate(parse_questionnaire(with_outcome), "ja", "frontline")
    # Its dimension's title 2, its statement 3 and its two end labels 2 + 2.
    assert found.amount == tiny.amount + 9
    assert (found.items, found.outcomes, found.questions) == (1, 1, tiny.questions + 1)
    assert found.seconds == pytest.approx(found.amount / 500 * 60 + 2 * 5)


def test_a_locale_not_offered_falls_back_to_the_default() -> None:
    tiny = parse_questionnaire(TINY)
    assert estimate(tiny, "fr") == estimate(tiny, "ja")


def test_the_typed_estimate_is_not_used() -> None:
    old = versions_support.old()
    assert old.estimated_minutes == 30
    assert estimate(old, "ja").minutes == 1


@given(
    st.lists(st.text(alphabet="あいうえおカキクケコ漢字 ", min_size=1, max_size=80), min_size=1),
    st.integers(min_value=0, max_value=200),
)
def test_minutes_round_the_formula_up(texts: list[str], items: int) -> None:
    characters = sum(len(text.replace(" ", "")) for text in texts)
    seconds = characters / 500 * 60 + items * 5
    found = Estimate(amount=characters, characters=True, items=items, open_questions=0)
    assert found.minutes == max(1, math.ceil(round(seconds, 6) / 60))
    assert found.minutes * 60 >= seconds - 1e-6


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_each_shipped_questionnaire_has_an_estimate_from_its_text(path: Path) -> None:
    questionnaire = load_questionnaire(path)
    for locale in questionnaire.locales:
        found = estimate(questionnaire, locale)
        texts = read_texts(questionnaire, locale)
        characters = locale == "ja"
        amount = sum(
            len("".join(text.split())) if characters else len(text.split()) for text in texts
        )
        assert found.amount == amount
        assert found.items == len(questionnaire.items)
        assert found.outcomes == len(questionnaire.outcomes)
        asked = [*questionnaire.items, *questionnaire.outcomes, *questionnaire.open_questions]
        assert found.questions == len(asked)
        rate = 500 if characters else 230
        answered = found.items + found.outcomes
        assert found.minutes == math.ceil((amount / rate * 60 + 5 * answered) / 60)
