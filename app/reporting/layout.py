"""How full each page of a typeset report is, read from WeasyPrint's own layout.

A page is as full as the lowest thing drawn on it: a line of text, a chart, a table row, the
background or border of a card. Its fill is that depth as a share of the page area (the page
less its margins, where the running header and footer sit). A page may be short where a
chapter ends before the next one starts on a new page, and on the report's last page; any
other short page is wasted paper, a page the reader turns for nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

#: Below this share of the page area, a page is under-filled (unless it ends a chapter).
MINIMUM_FILL = 0.40

#: The class of the heading that opens every chapter (``chapter_head`` in the macros).
CHAPTER_HEAD = "chapter-head"


@dataclass(frozen=True)
class PageFill:
    """One page: its number (from 1), how full it is and what follows it."""

    number: int
    fill: float
    #: The page opens a chapter (its heading is on it).
    opens_chapter: bool
    #: The page is the report's last, or the next page opens a chapter.
    ends_chapter: bool

    @property
    def wasted(self) -> bool:
        """Under :data:`MINIMUM_FILL` although the text could have gone on on it."""
        return self.fill < MINIMUM_FILL and not self.ends_chapter


def _classes(box: Any) -> set[str]:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) is None:
        return set()
    return set((element.get("class") or "").split())


def _drawn(box: Any) -> bool:
    """Whether ``box`` puts something on paper by itself (not only through its children)."""
    name = type(box).__name__
    if name in {"LineBox", "TextBox", "BlockReplacedBox", "InlineReplacedBox", "TableRowBox"}:
        return True
    style = box.style
    has_border = any(
        style[f"border_{side}_width"] and style[f"border_{side}_style"] != "none"
        for side in ("top", "bottom")
    )
    background = style["background_color"]
    return has_border or (background is not None and background.alpha > 0)


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def page_fills(pages: Sequence[Any]) -> tuple[PageFill, ...]:
    """The fill of each of a laid-out WeasyPrint document's ``pages``."""
    measured: list[tuple[float, bool]] = []
    for page in pages:
        page_box = page._page_box
        top = page_box.content_box_y()
        height = page_box.height
        bottom, opens = top, False
        for child in page_box.children:
            if type(child).__name__ == "MarginBox":
                continue
            for box in _walk(child):
                if CHAPTER_HEAD in _classes(box) and "top" not in box.remove_decoration_sides:
                    opens = True
                if _drawn(box) and box.height:
                    bottom = max(bottom, box.position_y + box.margin_height() - box.margin_bottom)
        measured.append((min(1.0, max(0.0, (bottom - top) / height)), opens))
    fills = []
    for index, (fill, opens) in enumerate(measured):
        last = index == len(measured) - 1
        fills.append(
            PageFill(
                number=index + 1,
                fill=round(fill, 3),
                opens_chapter=opens,
                ends_chapter=last or measured[index + 1][1],
            )
        )
    return tuple(fills)
