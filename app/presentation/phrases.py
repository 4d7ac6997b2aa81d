"""Japanese line breaking at phrase boundaries (BudouX), for charts, the reports and pages.

Japanese has no spaces, so a renderer may break a line between any two characters:
オペレ/ーショ/ンの力 in a narrow cell. BudouX (its model ships inside the package) splits
a sentence into phrases (オペレーションの / 力); breaking only between them keeps every word
whole. Latin text keeps breaking at spaces.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import budoux
from markupsafe import Markup, escape


# The character classes over the CJK blocks are compiled when first used: compiling one visits
# every code point of its ranges (a few milliseconds each), which every process would pay at
# start-up whether it ever meets Japanese text or not.
@functools.cache
def _japanese() -> re.Pattern[str]:
    return re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")


@functools.cache
def _kanji() -> re.Pattern[str]:
    return re.compile(r"[\u3400-\u9fff]")


def is_japanese(text: str) -> bool:
    """Whether ``text`` holds kana or kanji."""
    return bool(_japanese().search(text))


@functools.cache
def _parser() -> Any:
    # The model (a few hundred kilobytes of JSON) is read on first use.
    return budoux.load_default_japanese_parser()


@functools.lru_cache(maxsize=8192)
def phrases(text: str) -> tuple[str, ...]:
    """``text`` cut where a line may break: between Japanese phrases, and at spaces.

    Joined, the pieces give ``text`` back unchanged.
    """
    if not text:
        return ()
    if not is_japanese(text):
        return tuple(re.findall(r"\S+\s*|\s+", text))
    found: list[str] = []
    for piece in _whole_kanji_runs(_parser().parse(text)):
        # A phrase may hold Latin words: they may still break at their spaces.
        found.extend(re.findall(r"\S+\s*|\s+", piece) if " " in piece.strip() else [piece])
    return tuple(found)


def _whole_kanji_runs(pieces: list[str]) -> list[str]:
    """Join two phrases where a run of kanji would be cut (体 / 制立ち上げ): such a run is
    one word in practice, and the model sometimes cuts a compound it does not know."""
    joined: list[str] = []
    kanji = _kanji()
    for piece in pieces:
        if joined and kanji.fullmatch(joined[-1][-1]) and kanji.fullmatch(piece[0]):
            joined[-1] += piece
        else:
            joined.append(piece)
    return joined


def phrase_html(text: str) -> Markup:
    """``text`` as HTML for browsers that breaks only between phrases: ``<wbr>`` between
    them, with ``word-break: keep-all`` in the stylesheet. (PDFs break between the same
    phrases inside their text layout: :mod:`app.reporting.linebreaks`.)"""
    pieces = phrases(str(text))
    if len(pieces) < 2:
        return escape(text)
    return Markup("<wbr>").join(escape(piece) for piece in pieces)


__all__ = [
    "is_japanese",
    "phrase_html",
    "phrases",
]
