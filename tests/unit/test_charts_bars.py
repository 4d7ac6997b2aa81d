"""Bar-type charts: stages, role gaps, the department heatmap and answer distributions."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.presentation import charts
from app.presentation.charts import DistributionRow, GapBar, HeatmapRow, ScaleSpec, Series

SCALE = ScaleSpec(1, 5, ("未着手", "部分的・属人的", "仕組み化の途上", "組織的に定着", "先進的"))
DIMENSIONS = ("組織行動の力", "デザインの力", "オペレーションの力", "デジタルの力", "脱学習の力")


def _texts(svg: str) -> list[str]:
    # Our own chart output, not untrusted input.
    root = ET.fromstring(svg)  # noqa: S314
    return ["".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")]


def test_stage_bars_mark_the_bottleneck_and_draw_the_scale_labels() -> None:
    stages = ("CX戦略策定", "CX施策企画・体制立ち上げ", "CX施策の展開・浸透", "モニタリング・評価")
    svg = charts.bar_chart(
        stages,
        [
            Series("組織全体", (3.1, 2.6, 2.9, 3.0), charts.ORGANIZATION_COLOR, n=150),
            Series("目標", (4, None, 3.5, None), charts.TARGET_COLOR, linestyle="dashed"),
        ],
        SCALE,
        highlight=1,
        highlight_label="ボトルネック",
    )
    texts = _texts(svg)
    assert any("ボトルネック" in text for text in texts)
    assert "2.60" in texts
    assert any("組織的に定着" in text for text in texts)
    assert "組織全体 (n=150)" in texts
    assert "目標" in texts


def test_gap_chart_signs_values_and_marks_significance() -> None:
    svg = charts.gap_chart(
        [
            GapBar("組織行動の力: 経営層 − 現場", 1.12, notable=True, significant=True),
            GapBar("デジタルの力: ミドル − 現場", -0.62, notable=True),
        ],
        left_caption="下位の階層の評価が高い",
        right_caption="上位の階層の評価が高い",
    )
    texts = _texts(svg)
    assert "+1.12*" in texts
    assert "-0.62" in texts
    with pytest.raises(ValueError, match="no gaps"):
        charts.gap_chart([], left_caption="", right_caption="")


def test_heatmap_greys_out_suppressed_rows_without_a_number() -> None:
    svg = charts.heatmap(
        [
            HeatmapRow("営業部", (0.3, -0.2, 0.1, 0.0, -0.4)),
            HeatmapRow("人事部", suppressed=True),
            HeatmapRow("開発部", (0.1, None, 0.2, 0.9, -0.7)),
        ],
        DIMENSIONS,
        suppressed_label="非表示",
    )
    texts = _texts(svg)
    assert texts.count("非表示") == len(DIMENSIONS)
    assert "+0.30" in texts
    assert "-0.70" in texts
    assert "–" in texts
    assert charts.SUPPRESSED_FILL.lower() in svg.lower()


def test_a_suppressed_row_cannot_carry_numbers() -> None:
    with pytest.raises(ValueError, match="cannot carry values"):
        HeatmapRow("人事部", (3.2, 3.1), suppressed=True)


def test_heatmap_labels_a_withheld_cell_of_a_shown_row_apart_from_no_data() -> None:
    svg = charts.heatmap(
        [
            HeatmapRow("営業部", (0.3, -0.2, 0.1, 0.0, -0.4)),
            HeatmapRow("開発部", (0.1, None, None, 0.9, -0.7), withheld=frozenset({2})),
        ],
        DIMENSIONS,
        suppressed_label="非表示",
    )
    texts = _texts(svg)
    # Column 2 of 開発部 is withheld (greyed and labelled); column 1 has no data ("–").
    assert texts.count("非表示") == 1
    assert texts.count("–") == 1
    assert "+0.90" in texts
    assert charts.SUPPRESSED_FILL.lower() in svg.lower()
    with pytest.raises(ValueError, match="cannot carry a value"):
        HeatmapRow("開発部", (0.1, 0.2), withheld=frozenset({1}))


def test_distributions_stack_shares_with_level_labels() -> None:
    rows = [
        DistributionRow("2.1.1", (0.1, 0.2, 0.3, 0.3, 0.1), 140),
        DistributionRow("2.1.2", (0.05, 0.35, 0.3, 0.2, 0.1), 139),
    ]
    texts = _texts(charts.distribution_chart(rows, SCALE))
    assert "1 未着手" in texts
    assert "5 先進的" in texts
    assert "35" in texts
    assert "n=139" in texts
    quiet = _texts(charts.distribution_chart(rows, SCALE, show_values=False))
    assert "35" not in quiet
    assert "2.1.2" in quiet


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        # Between Japanese phrases only: never オペレ / ーショ / ンの力.
        ("組織行動の力", 8, "組織行動の\n力"),
        ("オペレーションの力", 10, "オペレーションの\n力"),
        ("仕組み化の途上", 6, "仕組み化の\n途上"),
        ("クロンバックのα係数", 10, "クロンバックの\nα係数"),
        # A run of kanji stays whole even where the model would cut it.
        ("CX施策企画・体制立ち上げ", 12, "CX施策企画・体制立ち上げ"),
        ("Organisation & leadership", 14, "Organisation &\nleadership"),
        ("オペレーションの力", 40, "オペレーションの力"),
    ],
)
def test_labels_wrap_by_display_width(text: str, width: int, expected: str) -> None:
    assert charts.wrap_label(text, width) == expected


def test_long_labels_are_cut_with_an_ellipsis() -> None:
    wrapped = charts.wrap_label("当社のCXビジョンは経営層から現場の担当者まで共有されている", 10, 2)
    assert wrapped.count("\n") == 1
    assert wrapped.endswith("…")
