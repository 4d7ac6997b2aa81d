"""The terms of free-text answers: Japanese through SudachiPy, English, mixed, and bad input."""

from __future__ import annotations

import subprocess
import sys
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis.words import JAPANESE_STOP_WORDS, Term, is_japanese, terms
from tests.conftest import REPO_ROOT


def _keys(text: str) -> list[str]:
    return [term.key for term in terms(text)]


def test_nouns_and_compound_nouns_of_a_japanese_answer() -> None:
    found = terms("部門間の情報共有が足りず、顧客満足度の改善が進まない。")
    assert [term.key for term in found] == ["部門間", "情報共有", "顧客満足度"]
    # Verbs, particles and the hedge 改善 on its own are not terms.
    assert "足りる" not in _keys("情報が足りない")


def test_spelling_variants_meet_under_one_key_and_keep_their_surface() -> None:
    written = [terms("お客さまの声を聞く"), terms("お客様の声を聞く")]
    assert written[0][0].key == written[1][0].key
    assert [found[0].surface for found in written] == ["お客さま", "お客様"]
    assert _keys("顧客接点を見直す") == _keys("顧客接点をみなおす")[:1]


def test_survey_boilerplate_is_not_a_term() -> None:
    answer = "当社の現場では今後の対応が必要だと感じる。"
    assert _keys(answer) == []
    # A compound made only of boilerplate (現場対応) is boilerplate too; one that is not
    # (業務改善) is a term.
    assert _keys("現場対応に追われる") == []
    assert _keys("業務改善を進める") == ["業務改善"]
    assert {"当社", "現場", "必要"} <= JAPANESE_STOP_WORDS


def test_numbers_symbols_and_pronouns_are_not_terms() -> None:
    assert _keys("3回、これを★で示した") == []


def test_english_answers_give_lower_case_words_without_stop_words() -> None:
    found = terms("Customers complain that the onboarding process takes too long.")
    assert [term.key for term in found] == [
        "customer",
        "complain",
        "onboarding",
        "process",
        "take",
        "long",
    ]
    assert found[0] == Term("customer", "Customers")
    assert _keys("Our policies and the company's strategies") == ["policy", "strategy"]


def test_a_mixed_answer_gives_both_kinds_of_terms() -> None:
    assert _keys("VOCの分析とCX戦略をNPSで測る") == ["voc", "分析", "cx", "戦略", "nps"]
    assert is_japanese("CXの戦略")
    assert not is_japanese("CX strategy")


def test_empty_emoji_and_punctuation_only_answers_have_no_terms() -> None:
    for text in ("", "   \n\t ", "😀🎉👍", "。。。！？", "---", "\u3000\u3000"):
        assert terms(text) == [], text


def test_an_answer_longer_than_sudachi_accepts_is_read_whole() -> None:
    sentence = "顧客体験の設計を見直す。"
    text = sentence * 3000  # 36,000 characters, over 100,000 bytes
    found = _keys(text)
    assert found.count("顧客体験") == 3000
    assert found.count("設計") == 3000
    # A single run of nouns with no sentence end at all is cut too, into compounds of at
    # most four nouns.
    found = _keys("顧客" * 30000)
    assert found
    assert set(found) <= {"顧客" * n for n in range(1, 5)}


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_terms_without_failing(text: str) -> None:
    found = terms(text)
    assert all(term.key and term.surface for term in found)
    assert terms(text) == found  # the same text, the same terms


def test_threads_each_read_with_their_own_tokeniser() -> None:
    answer = "お客さまの声を経営会議で共有する仕組みがない"
    expected = _keys(answer)
    found: list[list[str]] = []

    def read() -> None:
        for _ in range(20):
            found.append(_keys(answer))

    workers = [threading.Thread(target=read) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert found == [expected] * 80


def test_the_dictionary_comes_with_the_package_and_loads_lazily() -> None:
    code = (
        "import sys\n"
        "import app.analysis.words as words\n"
        "assert 'sudachipy' not in sys.modules\n"
        "print(words.terms('顧客体験')[0].key)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "NO_PROXY": "*"},
    ).stdout
    assert output.strip() == "顧客体験"
