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

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")


def is_japanese(text: str) -> bool:
    """Whether ``text`` holds kana or kanji."""
    return bool(_JAPANESE.search(text))


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


_KANJI = re.compile(r"[\u3400-\u9fff]")


def _whole_kanji_runs(pieces: list[str]) -> list[str]:
    """Join two phrases where a run of kanji would be cut (体 / 制立ち上げ): such a run is
    one word in practice, and the model sometimes cuts a compound it does not know."""
    joined: list[str] = []
    for piece in pieces:
        if joined and _KANJI.fullmatch(joined[-1][-1]) and _KANJI.fullmatch(piece[0]):
            joined[-1] += piece
        else:
            joined.append(piece)
    return joined


def phrase_html(text: str, *, joiner: str = "wbr") -> Markup:
    """``text`` as HTML that breaks only between phrases.

    ``joiner="wbr"`` (browsers, with ``word-break: keep-all``) puts ``<wbr>`` between phrases;
    ``joiner="span"`` (the PDF renderer, which has no keep-all) wraps each phrase in a
    ``<span class="ph">`` the stylesheet keeps on one line.
    """
    pieces = phrases(str(text))
    if len(pieces) < 2:
        return escape(text)
    if joiner == "span":
        return Markup("").join(
            Markup('<span class="ph">{}</span>').format(piece) for piece in pieces
        )
    return Markup("<wbr>").join(escape(piece) for piece in pieces)


_TEXT_NODE = re.compile(r">([^<>]+)<")
_SKIPPED = re.compile(r"<(style|script|title)\b[^>]*>.*?</\1>", re.S | re.I)


def keep_phrases_whole(html: str) -> str:
    """Every Japanese text of an HTML document (labels, table cells, cards, headings, prose)
    kept from breaking inside a phrase, for the PDF renderer (``.ph`` spans)."""

    def text_node(match: re.Match[str]) -> str:
        text = match.group(1)
        if not is_japanese(text) or "&" in text:
            return match.group(0)
        pieces = phrases(text)
        return ">" + "".join(f'<span class="ph">{piece}</span>' for piece in pieces) + "<"

    kept: list[str] = []
    position = 0
    for skipped in _SKIPPED.finditer(html):
        kept.append(_TEXT_NODE.sub(text_node, html[position : skipped.start()]))
        kept.append(skipped.group(0))
        position = skipped.end()
    kept.append(_TEXT_NODE.sub(text_node, html[position:]))
    return "".join(kept)


__all__ = [
    "is_japanese",
    "keep_phrases_whole",
    "phrase_html",
    "phrases",
]
