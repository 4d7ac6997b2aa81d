"""Japanese lines of the PDF broken between phrases, inside the text layout itself.

WeasyPrint has no ``word-break: keep-all``: Pango may break a Japanese line between any two
characters (オペレ / ーショ / ンの力). Pango does offer the means, an *allow-breaks*
attribute that forbids breaking inside a range of text (Pango 1.44 and later), so every text
WeasyPrint lays out during a report's render gets one such range per phrase
(:func:`app.presentation.phrases.phrases`, BudouX). Lines then break only between phrases,
as browsers do with ``word-break: auto-phrase``, without a single extra element in the
document (wrapping each phrase in a no-wrap span made WeasyPrint lay out thousands of inline
boxes and cost a third of its time).

The ranges are added by wrapping WeasyPrint's ``Layout.setup`` and ``Layout.set_text``
(``weasyprint.text.line_break``), the one place every laid-out text passes through, and
only while :func:`phrases_kept_whole` is active: other WeasyPrint documents of the process
break as WeasyPrint always does. ``tests/integration/test_line_breaks.py`` checks the result
on the demo's reports and that WeasyPrint alone would have broken those words.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from app.platform.lazy import lazy_module
from app.presentation.phrases import is_japanese, phrases

line_break = lazy_module("weasyprint.text.line_break")
weasyprint_ffi = lazy_module("weasyprint.text.ffi")

_active: ContextVar[bool] = ContextVar("phrases_kept_whole", default=False)
_installed = False
_install_lock = threading.Lock()

#: Declared for WeasyPrint's cffi interface to Pango, which does not declare them itself.
_DECLARATIONS = """
    PangoAttribute * pango_attr_allow_breaks_new (gboolean allow_breaks);
    PangoAttrList * pango_attr_list_copy (PangoAttrList *list);
"""


def phrase_ranges(text: str) -> list[tuple[int, int]]:
    """The UTF-8 byte ranges of ``text`` where no line may break: each phrase of two or more
    characters (its trailing spaces left out). Empty for text without Japanese."""
    if not is_japanese(text):
        return []
    ranges: list[tuple[int, int]] = []
    position = 0
    for piece in phrases(text):
        kept = piece.rstrip()
        if len(kept) > 1:
            ranges.append((position, position + len(kept.encode("utf-8"))))
        position += len(piece.encode("utf-8"))
    return ranges


@contextmanager
def phrases_kept_whole() -> Iterator[None]:
    """Within this block (in this thread), WeasyPrint breaks Japanese lines between phrases."""
    _install()
    token = _active.set(True)
    try:
        yield
    finally:
        _active.reset(token)


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        ffi, pango = weasyprint_ffi.ffi, weasyprint_ffi.pango
        ffi.cdef(_DECLARATIONS, override=True)
        layout_class: Any = line_break.Layout
        setup, set_text = layout_class.setup, layout_class.set_text

        def setup_keeping_base(layout: Any, style: Any) -> None:
            setup(layout, style)
            # The attributes WeasyPrint gives the layout (font features), kept to start each
            # new text from: a range added for an earlier text must not outlive it.
            base = pango.pango_layout_get_attributes(layout.layout)
            layout.cx_base_attributes = (
                None
                if base == ffi.NULL
                else ffi.gc(pango.pango_attr_list_copy(base), pango.pango_attr_list_unref)
            )
            layout.cx_ranges_set = False

        def set_text_in_phrases(layout: Any, text: str, justify: bool = False) -> None:
            if getattr(layout, "cx_ranges_set", False):
                base = layout.cx_base_attributes
                fresh = (
                    pango.pango_attr_list_new()
                    if base is None
                    else pango.pango_attr_list_copy(base)
                )
                pango.pango_layout_set_attributes(layout.layout, fresh)
                pango.pango_attr_list_unref(fresh)
                layout.cx_ranges_set = False
            set_text(layout, text, justify)
            if not _active.get():
                return
            ranges = phrase_ranges(layout.text)
            if not ranges:
                return
            attributes = pango.pango_layout_get_attributes(layout.layout)
            created = attributes == ffi.NULL
            if created:
                attributes = pango.pango_attr_list_new()
            for start, end in ranges:
                attribute = pango.pango_attr_allow_breaks_new(False)
                attribute.start_index, attribute.end_index = start, end
                pango.pango_attr_list_insert(attributes, attribute)  # the list owns it
            pango.pango_layout_set_attributes(layout.layout, attributes)
            if created:
                pango.pango_attr_list_unref(attributes)
            layout.cx_ranges_set = True

        layout_class.setup = setup_keeping_base
        layout_class.set_text = set_text_in_phrases
        _installed = True


__all__ = ["phrase_ranges", "phrases_kept_whole"]
