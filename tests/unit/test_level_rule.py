"""One level rule: the maturity level always agrees with the score printed beside it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.analysis import SCORE_DIGITS, displayed_score, maturity_level
from app.presentation import formatting

SCALE_LABELS = {1: "未着手", 2: "部分的・属人的", 3: "仕組み化の途上", 4: "定着", 5: "最適化"}


def _shown_with_label(score: float) -> str:
    level = maturity_level(score, 1, 5)
    assert level is not None
    return f"{formatting.score(score)}（{SCALE_LABELS[level]}）"


@given(st.floats(min_value=1.0, max_value=5.0, allow_nan=False))
def test_level_band_contains_the_displayed_number(score: float) -> None:
    level = maturity_level(score, 1, 5)
    shown = float(formatting.score(score))
    assert level is not None
    assert shown == displayed_score(score)
    assert level - 0.5 <= shown
    assert shown < level + 0.5 or level == 5


@given(st.floats(min_value=1.0, max_value=5.0, allow_nan=False))
def test_label_is_the_label_of_the_displayed_number(score: float) -> None:
    shown = formatting.score(score)
    # Whatever is printed, reading the printed text back gives the same label.
    assert _shown_with_label(score) == _shown_with_label(float(shown))


def test_the_displayed_precision_is_the_scores_precision() -> None:
    assert formatting.score(2.4951) == f"{2.4951:.{SCORE_DIGITS}f}" == "2.50"


@pytest.mark.parametrize(
    ("score", "text"),
    [
        (2.47, "2.47（部分的・属人的）"),
        (2.4949, "2.49（部分的・属人的）"),
        (2.4951, "2.50（仕組み化の途上）"),
        (2.50, "2.50（仕組み化の途上）"),
        (1.0, "1.00（未着手）"),
        (4.499, "4.50（最適化）"),
        (5.0, "5.00（最適化）"),
    ],
)
def test_number_and_label_agree_at_the_band_edges(score: float, text: str) -> None:
    assert _shown_with_label(score) == text
