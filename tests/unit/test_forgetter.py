"""Taking given people out of stored free text: only their names and addresses change."""

from __future__ import annotations

from app.analysis.scrub import Forgetter, Scrubber


def test_names_and_addresses_become_the_quotes_placeholders():
    forget = Forgetter(names=["山田 太郎"], emails=["taro@example.jp"])
    cleaned = forget("山田さんと太郎さん（TARO@Example.JP）に相談、03-1234-5678 まで")
    assert (
        cleaned.text == "［氏名］さんと［氏名］さん（［メールアドレス］）に相談、03-1234-5678 まで"
    )
    assert cleaned.changed
    english = forget("Ask Yamada Taro at taro@example.jp", locale="en")
    assert english.text == "Ask Yamada Taro at [e-mail]"


def test_latin_names_as_whole_words_and_other_text_untouched():
    forget = Forgetter(names=["Anna Berg"], emails=[])
    assert (
        forget("anna said Bergen is far, ask BERG").text == "[name] said Bergen is far, ask [name]"
    )
    untouched = forget("nothing about anyone, other@example.jp")
    assert (untouched.text, untouched.changed) == ("nothing about anyone, other@example.jp", False)


def test_nobody_to_forget():
    forget = Forgetter()
    assert not forget
    assert forget("山田さん").text == "山田さん"


def test_forgotten_text_reads_as_the_output_scrubber_shows_it():
    text = "山田 太郎さんに相談しました"
    stored = Forgetter(names=["山田 太郎"])(text).text
    assert Scrubber(people=[])(stored).text == Scrubber(people=["山田 太郎"])(text).text
