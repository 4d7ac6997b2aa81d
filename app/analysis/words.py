"""The terms of a free-text answer, in Japanese and in English, found on this server.

Japanese text is cut by SudachiPy with the core dictionary that ships inside its wheel
(nothing is downloaded): split mode C (the longest units), then runs of nouns joined into
compound nouns (顧客 + 満足度 -> 顧客満足度). Each term is keyed by Sudachi's normalised
forms, so spelling variants meet (お客さま and お客様 share one key), and remembers the surface
form it was written in, for showing. Numbers, symbols, pronouns and the boilerplate every
survey answer carries (当社, 現場, 必要, ...: :data:`JAPANESE_STOP_WORDS`) are not terms.

English text (an answer without kana or kanji, or the Latin words inside a Japanese one)
gives lower-case words, plural ``-s`` removed, without :data:`ENGLISH_STOP_WORDS`.

The tokeniser is made once per process, on first use: commands and pages that read no
free text never import SudachiPy.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app.platform.lazy import lazy_module

sudachi_dictionary = lazy_module("sudachipy.dictionary")
sudachi_tokenizer = lazy_module("sudachipy.tokenizer")

_ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]")
#: SudachiPy refuses an input longer than about 49,000 bytes: longer text is cut at line and
#: sentence ends into pieces of at most this many characters (three bytes each at most).
_PIECE_CHARS = 4000
_SENTENCE_END = re.compile(r"(?<=[。．！？!?\n])")


#: Words of survey answers that say nothing of their theme: who writes (当社, 自分), where
#: (現場), hedges and connectors (必要, 今後, 対応, 部分), the nouns every sentence leans
#: on (こと, ため, まま) and the words of any answer about an obstacle (障害, 壁, 一番,
#: 後回し). Keys are Sudachi's normalised forms.
def _word_list(text: str) -> frozenset[str]:
    return frozenset(text.split())


JAPANESE_STOP_WORDS = _word_list(
    """
    当社 弊社 自社 我が社 会社 現場 必要 今後 現状 状況 対応 部分 感じ 自分 我々 私 私達 皆
    全体 場合 以上 以下 等 他 様 的 化 性 際 中 上 下 前 後 時 点 方 事 物 為 所 訳 筈 様々
    色々 一部 特 各 毎 度 回 件 つ 個 人 者 員 目 これ それ あれ どれ ここ そこ 何 皆様 皆さん
    御客様方 ところ もの こと ため よう とき 辺 旨 由 感 気 面 的確 実際 本当 非常 大変 少し
    多く 全て 全部 一つ 今 今回 現在 以前 最近 まだ もっと 更 ほか 以外 可能 不足 問題 課題
    改善 強化 向上 推進 実施 検討 取り組み 取組 活動 意識 理解 共有 まま 一番 最大 両方 障害
    壁 妨げ 原因 理由 正直 加え 後回し 議論 話 見直し 手 不十分 十分
    """
)

ENGLISH_STOP_WORDS = _word_list(
    """
    a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just me more most my no nor not now of off on once only or other our ours out over own
    same she should so some such than that the their theirs them then there these they this
    those through to too under until up very was we were what when where which while who whom
    why will with would you your yours need needs needed must more much many lot lots really
    company our team teams people thing things way ways make makes made get gets got also
    still well even every one two three next month months year years currently today
    """
)

#: The most morphemes a compound noun joins: a longer run of nouns is cut into several.
MAX_COMPOUND = 4
#: Sudachi's parts of speech that never make a term, even inside a compound (pronouns are
#: not nouns to Sudachi either).
_NOT_TERMS = {("名詞", "数詞")}


@dataclass(frozen=True)
class Term:
    """One term of an answer: ``key`` (normalised, for counting) and ``surface`` (as written,
    for showing)."""

    key: str
    surface: str


@functools.cache
def _japanese() -> re.Pattern[str]:
    """Kana and kanji (CJK unified ideographs and the iteration mark): text holding any is
    Japanese. Compiled when first used: compiling a class over the CJK blocks visits every
    code point of its ranges, a few milliseconds every process would pay at start-up."""
    return re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u3005\uff66-\uff9f]")


def is_japanese(text: str) -> bool:
    """Whether ``text`` holds kana or kanji."""
    return _japanese().search(text) is not None


def terms(text: str) -> list[Term]:
    """The terms of one answer, in the order written (repeats kept); none for empty text,
    whitespace, emoji or punctuation only."""
    if not text or not text.strip():
        return []
    if is_japanese(text):
        return [term for piece in _pieces(text) for term in _japanese_terms(piece)]
    return _english_terms(text)


def _pieces(text: str) -> Iterator[str]:
    """``text`` in pieces SudachiPy accepts, cut after sentence ends where it can."""
    piece = ""
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > _PIECE_CHARS:
            if piece:
                yield piece
                piece = ""
            yield sentence[:_PIECE_CHARS]
            sentence = sentence[_PIECE_CHARS:]
        if len(piece) + len(sentence) > _PIECE_CHARS:
            yield piece
            piece = ""
        piece += sentence
    if piece:
        yield piece


_state = threading.local()


def _tokenizer() -> Any:
    """This thread's SudachiPy tokeniser (a tokeniser must not be shared across threads);
    the dictionary is loaded once per thread, some 50 ms."""
    found = getattr(_state, "tokenizer", None)
    if found is None:
        found = sudachi_dictionary.Dictionary(dict="core").tokenizer()
        _state.tokenizer = found
    return found


def _noun(part_of_speech: tuple[str, ...]) -> bool:
    if part_of_speech[0] == "名詞":
        return (part_of_speech[0], part_of_speech[1]) not in _NOT_TERMS
    # A suffix or prefix that makes nouns (顧客満足"度", "各"部署) belongs to the compound.
    return part_of_speech[0] in {"接尾辞", "接頭辞"} and part_of_speech[1] in {"名詞的", "*"}


def _japanese_terms(text: str) -> list[Term]:
    mode = sudachi_tokenizer.Tokenizer.SplitMode.C
    found: list[Term] = []
    keys: list[str] = []
    surfaces: list[str] = []

    def close() -> None:
        if keys:
            key = "".join(keys)
            if not _stop(key, keys):
                found.append(Term(key, "".join(surfaces)))
        keys.clear()
        surfaces.clear()

    for morpheme in _tokenizer().tokenize(text, mode):
        part_of_speech = tuple(morpheme.part_of_speech())
        surface = morpheme.surface()
        if not is_japanese(surface) and _ENGLISH_WORD.fullmatch(surface):
            close()
            found += _english_terms(surface)
            continue
        if _noun(part_of_speech):
            if len(keys) == MAX_COMPOUND:
                close()
            keys.append(morpheme.normalized_form())
            surfaces.append(surface)
        else:
            close()
    close()
    return found


def _stop(key: str, parts: list[str]) -> bool:
    """Whether a (compound) noun is boilerplate: itself a stop word, or a prefix or suffix
    alone, or made only of stop words (現場対応)."""
    if key in JAPANESE_STOP_WORDS or len(key) == 0:
        return True
    if not is_japanese(key):
        return True  # symbols that Sudachi calls nouns
    return all(part in JAPANESE_STOP_WORDS for part in parts)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _english_terms(text: str) -> list[Term]:
    found = []
    for match in _ENGLISH_WORD.finditer(text):
        surface = match.group(0)
        word = surface.lower().removesuffix("'s").strip("'-")
        if len(word) < 2 or word in ENGLISH_STOP_WORDS:
            continue
        key = _singular(word)
        if key in ENGLISH_STOP_WORDS:
            continue
        found.append(Term(key, surface))
    return found
