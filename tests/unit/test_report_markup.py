"""The report HTML as WeasyPrint receives it: the templates' indentation left out."""

from __future__ import annotations

from app.reporting.rendering import _without_indentation


def test_indentation_next_to_block_tags_goes() -> None:
    html = (
        '<section class="chapter">\n  <div class="cards">\n    <div class="card">\n'
        '      <div class="value">2.89 <small>/ 5</small></div>\n    </div>\n  </div>\n'
        "  <table>\n    <tr>\n      <td>a</td>\n      <td>b</td>\n    </tr>\n  </table>\n"
        "</section>\n"
    )
    assert _without_indentation(html) == (
        '<section class="chapter"><div class="cards"><div class="card">'
        '<div class="value">2.89 <small>/ 5</small></div></div></div>'
        "<table><tr><td>a</td><td>b</td></tr></table></section>\n"
    )


def test_white_space_between_inline_elements_and_text_stays() -> None:
    html = "<p>\n  Score <strong>2.89</strong>\n  <small>(+0.12)</small>\n  <span>n=63</span>\n</p>"
    assert _without_indentation(html) == (
        "<p>\n  Score <strong>2.89</strong>\n  <small>(+0.12)</small>\n  <span>n=63</span></p>"
    )


def test_preformatted_text_is_left_alone() -> None:
    pre = "<pre>\n  <div>kept</div>\n  <p>as is</p>\n</pre>"
    html = f"<div>\n  <p>a</p>\n  {pre}\n</div>"
    assert _without_indentation(html) == f"<div><p>a</p>\n  {pre}\n</div>"
