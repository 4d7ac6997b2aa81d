"""Themes in open answers: recovered from a labelled set, deterministic, named, with examples."""

from __future__ import annotations

from collections import Counter

from app.analysis.themes import EXAMPLES, find_themes, theme_count
from tests.open_answers_support import THEMES, adjusted_rand_index, labelled_answers

QUESTION = "あなたの職場で、顧客体験の向上を最も妨げていることは何ですか。"


def _found(texts: list[str]) -> list[object]:
    themes = find_themes(texts, question=QUESTION)
    of = themes.theme_of()
    return [of.get(index, "none") for index in range(len(texts))]


def test_the_themes_recover_the_labelled_set() -> None:
    answers = labelled_answers()
    assert len(answers) >= 200
    texts = [text for text, _label in answers]
    truth = [label for _text, label in answers]
    score = adjusted_rand_index(truth, _found(texts))
    assert score >= 0.7, score
    # And on another draw of the same kind of answers.
    again = labelled_answers(per_theme=30, seed=11)
    other = adjusted_rand_index([label for _t, label in again], _found([t for t, _ in again]))
    assert other >= 0.7, other


def test_the_same_answers_give_the_same_themes() -> None:
    texts = [text for text, _label in labelled_answers()]
    assert find_themes(texts) == find_themes(list(texts))


def test_spelling_variants_fall_in_one_theme() -> None:
    answers = labelled_answers()
    texts = [text for text, _label in answers]
    of = find_themes(texts, question=QUESTION).theme_of()
    written = {
        variant: Counter(of.get(i) for i, text in enumerate(texts) if variant in text)
        for variant in ("お客さまの声", "お客様の声")
    }
    assert all(written.values())
    assert {counts.most_common(1)[0][0] for counts in written.values()} != {None}
    first, second = (written[v].most_common(1)[0][0] for v in ("お客さまの声", "お客様の声"))
    assert first == second


def test_a_theme_is_named_by_its_terms_and_shows_its_strongest_answers() -> None:
    answers = labelled_answers()
    texts = [text for text, _label in answers]
    themes = find_themes(texts, question=QUESTION)
    assert 2 <= len(themes.themes) <= 8
    assert [theme.number for theme in themes.themes] == list(range(1, len(themes.themes) + 1))
    assert [theme.count for theme in themes.themes] == sorted(
        (theme.count for theme in themes.themes), reverse=True
    )
    phrases = " ".join(phrase for listed in THEMES.values() for phrase in listed)
    for theme in themes.themes:
        assert len(theme.labels) == 3
        assert all(label in phrases for label in theme.labels), theme.labels
        assert 1 <= len(theme.examples) <= EXAMPLES
        assert set(theme.examples) <= set(theme.members)
    assert sum(theme.count for theme in themes.themes) + len(themes.unthemed) == len(texts)


def test_the_questions_own_words_are_not_a_theme() -> None:
    texts = [f"顧客体験の向上には{phrase}が要る" for phrase in THEMES["budget"] * 3] + [
        f"顧客体験の向上には{phrase}が要る" for phrase in THEMES["skills"] * 3
    ]
    themes = find_themes(texts, question=QUESTION)
    assert themes.themes
    for theme in themes.themes:
        assert "顧客体験" not in theme.terms


def test_too_few_or_empty_answers_give_no_theme() -> None:
    assert find_themes([]).themes == ()
    few = find_themes(["予算が足りない", "研修がない", "経営層が無関心"])
    assert few.themes == ()
    assert few.unthemed == (0, 1, 2)
    empty = find_themes(["", "   ", "😀", "。。。"] * 5)
    assert empty.themes == ()
    assert len(empty.unthemed) == 20


def test_english_answers_have_themes_too() -> None:
    topics = {
        "budget": ["budget approval", "investment decision", "budget allocation"],
        "training": ["training programme", "coaching skills", "training budget time"],
        "data": ["customer data silos", "CRM data quality", "data platform"],
    }
    texts, truth = [], []
    for topic, phrases in topics.items():
        for index in range(12):
            texts.append(f"The {phrases[index % 3]} holds us back; {phrases[(index + 1) % 3]}.")
            truth.append(topic)
    assert adjusted_rand_index(truth, _found(texts)) >= 0.5


def test_the_number_of_themes_grows_with_the_answers() -> None:
    assert theme_count(10) == 2
    assert theme_count(50) == 4
    assert theme_count(200) == 8
    assert theme_count(10_000) == 8


def test_a_theme_one_role_raises_and_another_does_not_is_stated() -> None:
    from app.dashboard.comments import Segment, ThemeBar, contrasts

    def bar(label: str, front: int, executives: int) -> ThemeBar:
        segments = (
            Segment("frontline", "現場", "#000", front, 0.0, 10.0),
            Segment("executive", "経営層", "#111", executives, 10.0, 10.0),
        )
        return ThemeBar(label, label, front + executives, 20.0, segments, 0, ())

    found = contrasts((bar("システム", 30, 2), bar("戦略", 5, 15), bar("声", 15, 3)))
    # Shares of each role's answers: front line 30/50, 5/50, 15/50; executives 2/20, 15/20, 3/20.
    assert [(c.theme, c.higher, round(c.higher_share)) for c in found] == [
        ("戦略", "経営層", 75),
        ("システム", "現場", 60),
    ]
    assert contrasts((bar("声", 15, 3),)) == ()  # one theme: every share is 100
