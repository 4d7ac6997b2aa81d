"""A labelled set of open answers written for the tests: leaders' answers to "what most gets
in the way of improving the customer experience?", each on a known theme.

Eight themes, each with the ways people write about it (spelling variants included: お客さま,
お客様, 顧客; 問い合わせ, 問合せ), said in different sentence frames. About one answer in eight
also touches a second theme; its label stays the first. The same seed gives the same set.
"""

from __future__ import annotations

import random

#: Theme -> the phrases an answer on it uses.
THEMES: dict[str, tuple[str, ...]] = {
    "silos": (
        "部門間の連携",
        "縦割り組織",
        "部署間の情報共有",
        "他部署との調整",
        "部門をまたぐ連携",
        "組織の縦割り",
    ),
    "voice": (
        "お客さまの声",
        "お客様の声",
        "顧客の声",
        "VOCの分析",
        "顧客アンケートの結果",
        "お客さまからの問い合わせ内容",
        "お客様からの問合せ内容",
    ),
    "staffing": (
        "人手不足",
        "人員不足",
        "業務量の多さ",
        "慢性的な残業",
        "要員の不足",
        "日々の業務の多忙さ",
    ),
    "systems": (
        "システムの老朽化",
        "顧客データの統合",
        "データ基盤の整備",
        "CRMの使い勝手",
        "基幹システムの制約",
        "顧客データの分断",
    ),
    "leadership": (
        "経営層の関与",
        "トップのコミットメント",
        "経営陣の理解",
        "役員会での優先順位",
        "経営層のメッセージ",
        "トップダウンの方針",
    ),
    "incentives": (
        "評価制度",
        "KPIの設定",
        "人事評価の仕組み",
        "目標管理の指標",
        "数値目標の偏り",
        "評価指標",
    ),
    "skills": (
        "研修の機会",
        "教育プログラム",
        "スキルの習得",
        "ノウハウの継承",
        "研修制度",
        "育成の仕組み",
    ),
    "budget": (
        "予算の確保",
        "投資判断",
        "費用対効果の説明",
        "予算配分",
        "投資の承認",
        "コスト削減の圧力",
    ),
}

FRAMES = (
    "{a}が進まず、{b}も不十分です。",
    "{a}が最大の壁で、{b}にも手が回らない。",
    "一番の障害は{a}だと思う。{b}も見直すべきです。",
    "{a}について議論されないまま、{b}が後回しになっている。",
    "正直に言えば{a}です。加えて{b}が弱い。",
    "{a}がないため、{b}まで話が進まない。",
    "現状では{a}と{b}の両方が足りない。",
)


def labelled_answers(per_theme: int = 26, seed: int = 2026) -> list[tuple[str, str]]:
    """``(answer, theme)`` pairs: ``per_theme`` answers on each theme, in a shuffled order."""
    rng = random.Random(seed)
    names = sorted(THEMES)
    found = []
    for theme in names:
        for index in range(per_theme):
            a, b = rng.sample(THEMES[theme], 2)
            if index % 8 == 7:  # one answer in eight touches another theme too
                other = names[(names.index(theme) + 1 + index) % len(names)]
                if other == theme:
                    other = names[(names.index(theme) + 1) % len(names)]
                b = rng.choice(THEMES[other])
            found.append((rng.choice(FRAMES).format(a=a, b=b), theme))
    rng.shuffle(found)
    return found


def adjusted_rand_index(truth: list[str], found: list[object]) -> float:
    """Hubert and Arabie's adjusted Rand index of two labellings of the same items."""

    def pairs(count: int) -> float:
        return count * (count - 1) / 2

    table: dict[tuple[str, object], int] = {}
    for a, b in zip(truth, found, strict=True):
        table[(a, b)] = table.get((a, b), 0) + 1
    rows: dict[str, int] = {}
    columns: dict[object, int] = {}
    for (a, b), count in table.items():
        rows[a] = rows.get(a, 0) + count
        columns[b] = columns.get(b, 0) + count
    index = sum(pairs(c) for c in table.values())
    expected_rows = sum(pairs(c) for c in rows.values())
    expected_columns = sum(pairs(c) for c in columns.values())
    expected = expected_rows * expected_columns / pairs(len(truth))
    maximum = (expected_rows + expected_columns) / 2
    return (index - expected) / (maximum - expected) if maximum != expected else 1.0
