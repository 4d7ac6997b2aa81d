"""No withheld group's figure reaches any dashboard page or CSV.

The fixture's Legal department (two respondents) and Development's single executive are
below the threshold. Every page and CSV is rendered, in both languages, and searched: no row,
list entry, option or chart description naming Legal carries a number, Legal's exact mean as
displayed appears in no table cell, and Development's executive column holds no score. Every
chart the pages embed (base64 ``data:`` SVGs in ``<img src>``, and any inline ``<svg>``) is
decoded and searched too: none names Legal or shows Legal's mean, and the charts of
Development's pages have no executive series.
"""

from __future__ import annotations

import csv
import io
import re
from html import unescape

from flask import Flask

from app.results import campaign_results
from tests.integration.svg_support import embedded_svgs, figure_pattern, svg_text
from tests.integration.test_dashboard_fixtures import (
    LEGAL,
    LEGAL_MEAN,
    build_world,
    executive_client,
)

NUMBER = re.compile(r"\d\.\d\d|\d+\s*%|n\s*=\s*\d")
BLOCKS = re.compile(r"<(tr|li|option|figure)\b.*?</\1>", flags=re.S)


def _strip(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _cells(html: str) -> list[str]:
    return [_strip(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, flags=re.S)]


def _figures(value: object) -> set[str]:
    if isinstance(value, float):
        return {f"{value:.2f}", f"{abs(value):.2f}", f"{value * 100:.2f}"}
    if isinstance(value, dict):
        return set().union(*(_figures(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_figures(v) for v in value)) if value else set()
    return set()


def _urls(world) -> list[str]:
    base = f"/dashboard/campaigns/{world.campaign.id}"
    ids = {name: department.id for name, department in world.departments.items()}
    legal, dev, sales = ids[LEGAL], ids["開発部"], ids["営業部"]
    pages = [
        base,
        f"{base}/departments",
        f"{base}/departments?sort=vision&dir=asc",
        f"{base}/departments?sort=n&dir=desc&compare={sales}&compare={dev}&compare={legal}",
        f"{base}/departments?compare={sales}&compare={dev}",
        f"{base}/roles",
        f"{base}/trend",
        f"{base}/benchmark",
    ]
    pages += [f"{base}/departments/{i}" for i in ids.values()]
    pages += [f"{base}/roles?department={i}" for i in ids.values()]
    pages += [f"{base}/dimensions/{d}" for d in ("vision", "design", "operations")]
    csvs = [
        f"{base}/overview.csv",
        f"{base}/departments.csv",
        f"{base}/roles.csv",
        f"{base}/trend.csv",
    ]
    csvs += [f"{base}/departments/{i}.csv" for i in ids.values()]
    csvs += [f"{base}/roles.csv?department={i}" for i in ids.values()]
    csvs += [f"{base}/dimensions/{d}.csv" for d in ("vision", "design", "operations")]
    return pages + csvs


#: The HTML legend under a chart (its series' names and the scale key).
LEGEND = re.compile(r'<figcaption class="chart-legend">(.*?)</figcaption>', re.S)


def _check_charts(body: str, url: str, language: str, dev_page: bool) -> list[str]:
    """Decode every chart of ``body`` and check it withholds what is suppressed; returns the
    charts' text."""
    executive = "経営層" if language == "ja" else "Executive"
    texts = []
    for svg in embedded_svgs(body):
        text = svg_text(svg)
        assert text, url  # a chart that shows no text at all was not decoded properly
        assert LEGAL not in svg, (url, text)
        assert not figure_pattern(LEGAL_MEAN).search(text), (url, text)
        if dev_page:
            # Development's charts draw its shown roles only: no executive series or legend.
            assert executive not in text, (url, text)
        texts.append(text)
    # A chart's legend and scale key are HTML under it: its series are named there.
    for legend in LEGEND.findall(body):
        text = unescape(re.sub(r"<[^>]+>", "\n", legend))
        assert LEGAL not in text, (url, text)
        assert not figure_pattern(LEGAL_MEAN).search(text), (url, text)
        if dev_page:
            assert executive not in text, (url, text)
        texts.append(text)
    return texts


def test_no_suppressed_group_figure_reaches_any_page_or_csv(app: Flask) -> None:
    world = build_world(with_previous=True)
    results = campaign_results(world.campaign)
    # Precondition: Legal's mean, as displayed, is none of the figures the results may show
    # (means, gaps, effect sizes, agreement, ...), so finding it would mean it leaked.
    assert LEGAL_MEAN not in _figures(results.to_dict())
    legal_group = results.group("department", department=world.departments[LEGAL].id)
    assert legal_group.status == "suppressed"

    dev = world.departments["開発部"].id
    for language in ("ja", "en"):
        client = executive_client(app, world, language)
        charts: dict[str, list[str]] = {}
        for url in _urls(world):
            response = client.get(url + ("&" if "?" in url else "?") + f"lang={language}")
            assert response.status_code == 200, url
            body = response.get_data(as_text=True)
            dev_page = f"/departments/{dev}" in url or f"department={dev}" in url
            charts[url] = _check_charts(body, url, language, dev_page)
            if response.mimetype == "text/csv":
                rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
                for row in rows:
                    assert LEGAL_MEAN not in row, url
                    if row and row[0] == LEGAL:
                        assert set(row[1:]) <= {"suppressed", ""}, (url, row)
                if url.endswith(f"/departments/{dev}.csv?lang={language}") or url.endswith(
                    f"/departments/{dev}.csv"
                ):
                    executive = [r for r in rows if r and r[0] in ("経営層", "Executive")]
                    assert executive, rows
                    assert set(executive[0][1:]) == {"suppressed"}, rows
                if f"roles.csv?department={dev}" in url:
                    column = rows[0].index("経営層" if language == "ja" else "Executive")
                    values = {
                        r[column]
                        for r in rows[1:]
                        if len(r) > column
                        and r[0]
                        in (
                            "ビジョン力",
                            "デザイン力",
                            "オペレーション力",
                            "Vision",
                            "Design",
                            "Operations",
                        )
                    }
                    assert values == {"suppressed"}, rows
                continue
            assert LEGAL_MEAN not in _cells(body), url
            for block in BLOCKS.finditer(body):
                text = _strip(block.group(0))
                if LEGAL in text:
                    assert not NUMBER.search(text), (url, text)
            for alt in re.findall(r'alt="([^"]*)"', body):
                assert LEGAL not in alt, url
            if f"/departments/{dev}?" in url or f"roles?department={dev}&" in url:
                executive = "経営層" if language == "ja" else "Executive"
                assert not re.search(executive + r"\s*<span class=\"muted\">\(n=", body), url
        # The search covered the charts: radars on the overview, department and role pages,
        # distributions on the dimension pages, the trend; Development's own radar among them.
        base = f"/dashboard/campaigns/{world.campaign.id}"
        assert sum(len(found) for found in charts.values()) >= 10, charts.keys()
        for url in (base, f"{base}/roles", f"{base}/trend", f"{base}/dimensions/vision"):
            assert charts[url], url
        assert any("開発部" in text for text in charts[f"{base}/departments/{dev}"])
        frontline = "現場" if language == "ja" else "Front line"
        assert any(frontline in text for text in charts[f"{base}/roles?department={dev}"])
