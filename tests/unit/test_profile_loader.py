"""The organisation profile definition: the shipped file is valid, and every problem of a
broken one is reported as FILE:LINE:COL in one pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.questionnaire import QuestionnaireError
from app.questionnaire.profile import (
    DEFAULT_EVIDENCE_MAX_LENGTH,
    clean_answer,
    load_profile,
    parse_profile,
)

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires" / "profile" / "cx-profile.yaml"

GOOD = """\
id: sample
version: "1.0.0"
locales: [ja, en]
title: {ja: 組織プロフィール, en: Organisation profile}
facts:
  - id: owner
    text: {ja: 責任者は?, en: Owner?}
    answer: choice
    options:
      - {id: none, label: {ja: いない, en: None}}
      - {id: exec, label: {ja: 役員, en: Executive}}
  - id: size
    text: {ja: 人数, en: Size}
    answer: number
    unit: {ja: 人, en: people}
  - id: segment
    text: {ja: 顧客層別, en: By segment}
    answer: yes_no
  - id: metrics
    text: {ja: 指標, en: Metrics}
    answer: text
    max_length: 20
"""


def test_shipped_profile_is_valid_in_both_languages() -> None:
    profile = load_profile(SHIPPED)
    assert 8 <= len(profile.facts) <= 12
    assert profile.locales == ("ja", "en")
    assert {fact.answer for fact in profile.facts} == {"choice", "yes_no", "number", "text"}
    for fact in profile.facts:
        assert fact.text["ja"]
        assert fact.text["en"]
        for option in fact.options:
            assert option.label["ja"]
            assert option.label["en"]


def test_answers_are_cleaned_by_type() -> None:
    profile = parse_profile(GOOD)
    owner, size, segment, metrics = profile.facts
    assert profile.evidence_max_length == DEFAULT_EVIDENCE_MAX_LENGTH
    assert clean_answer(owner, "exec") == ("exec", None)
    assert clean_answer(owner, "boss") == (None, "option")
    assert clean_answer(owner, "  ") == (None, None)
    assert clean_answer(size, "007") == ("7", None)
    assert clean_answer(size, "-1") == (None, "number")
    assert clean_answer(size, "1.5") == (None, "number")
    assert clean_answer(segment, "yes") == ("yes", None)
    assert clean_answer(segment, "maybe") == (None, "yes_no")
    assert clean_answer(metrics, "x" * 20) == ("x" * 20, None)
    assert clean_answer(metrics, "x" * 21) == (None, "length")


def _problems(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        parse_profile(text, "p.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_every_problem_is_reported_with_its_position() -> None:
    broken = (
        GOOD.replace("answer: yes_no", "answer: yesno")
        .replace("    unit: {ja: 人, en: people}\n", "    unit: {ja: 人}\n")
        .replace("      - {id: exec,", "      - {id: none,")
        .replace("    max_length: 20", "    max_length: 20\n    options: []")
    )
    assert _problems(broken) == [
        "p.yaml:11:14: facts[0].options[1].id: duplicate option id 'none' (first defined at "
        "line 10, column 14, facts[0].options[0].id)",
        "p.yaml:15:11: facts[1].unit: missing locale 'en'",
        "p.yaml:18:13: facts[2].answer: unknown answer type 'yesno' (did you mean 'yes_no'?); "
        "expected one of: choice, yes_no, number, text",
        "p.yaml:23:14: facts[3].options: only a 'choice' fact has options, not 'text'",
    ]


def test_a_choice_without_options_and_an_unknown_key_are_named() -> None:
    problems = _problems(
        GOOD.replace("    options:\n      - {id: none", "    choices:\n      - {id: none")
    )
    assert any("unknown key 'choices'" in p for p in problems), problems
    assert any("needs 'options'" in p for p in problems), problems
