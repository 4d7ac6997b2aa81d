"""Charts are set in the located Japanese font; a font without Japanese glyphs is an error.

pytest turns warnings into errors (``filterwarnings = error``), so matplotlib's "Glyph ...
missing from font(s)" warning fails any chart drawn with the wrong font.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

from app.presentation import charts
from app.presentation.charts import ScaleSpec, Series
from app.presentation.fonts import ReportFonts, font_face_css, locate_fonts

SCALE = ScaleSpec(1, 5, ("未着手", "部分的", "途上", "定着", "先進的"))
#: matplotlib ships DejaVu Sans, a font without kana, so this test needs nothing installed.
DEJAVU = Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf"


def test_located_font_has_japanese_glyphs_and_a_real_bold() -> None:
    fonts = locate_fonts()
    assert fonts.regular.is_file()
    assert "CJK" in fonts.family or "Gothic" in fonts.family
    assert fonts.bold is not None
    assert fonts.bold != fonts.regular


def test_css_points_weasyprint_at_the_same_files() -> None:
    fonts = locate_fonts()
    css = font_face_css(fonts)
    assert fonts.regular.as_uri() in css
    assert fonts.bold.as_uri() in css
    assert f'font-family: "{fonts.family}"' in css
    assert "font-weight: 700" in css


def test_a_latin_only_font_makes_japanese_labels_fail() -> None:
    latin = ReportFonts(regular=DEJAVU, bold=None, family="DejaVu Sans")
    with pytest.raises(UserWarning, match="missing from font"):
        charts.radar_chart(
            ("組織", "デザイン", "運用"),
            [Series("全体", (3, 3, 3), charts.ORGANIZATION_COLOR)],
            SCALE,
            fonts=latin,
        )
