"""The report HTML, checked before it goes to WeasyPrint: sections, numbers, anonymity.

The snapshot of the normalised HTML lives in ``tests/snapshots/``; run with
``UPDATE_SNAPSHOTS=1`` to rewrite it after an intended change, then review the diff.
"""

from __future__ import annotations

import os
import re
from html import unescape
from pathlib import Path

import pytest

from app.models import Campaign, Department
from app.platform.extensions import db
from app.reporting import service
from app.reporting.rendering import report_environment
from app.reporting.service import ReportUnavailableError
from app.results import campaign_results
from tests.integration.svg_support import DATA_URI, embedded_svgs
from tests.integration.test_report_data import (
    ORG_NAME,
    SHOWN_DEPARTMENTS,
    SUPPRESSED_DEPARTMENTS,
    world,  # noqa: F401 - the module-scoped fixture
)

SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots"
ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S)
DECIMAL = re.compile(r"\d\.\d\d")


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _rows(html: str) -> list[str]:
    return [_text(row) for row in ROW.findall(html)]


def _charts(html: str) -> list[str]:
    return embedded_svgs(html)


@pytest.fixture(scope="module")
def rendered(world):  # noqa: F811 - the fixture imported above
    _app, built = world
    campaign = db.session.get(Campaign, built.campaign_id)
    results = campaign_results(campaign, locale="ja")
    html = service.render_html(campaign, locale="ja").html
    return results, html, built


def test_every_section_is_present_in_japanese(rendered) -> None:
    _results, html, _built = rendered
    for anchor in (
        'id="summary"',
        'id="kind-capability"',
        'id="dim-org_behavior"',
        'id="dim-unlearning"',
        'id="gaps"',
        'id="departments"',
        'id="trend"',
        'id="methods"',
    ):
        assert anchor in html, anchor
    text = _text(html)
    for heading in (
        "エグゼクティブサマリー",
        "5つの力",
        "組織行動の力",
        "認識ギャップ",
        "部署比較",
        "前回からの推移",
        "付録：このレポートの読み方",
        "強み",
        "定着が最も遅れている取り組み",
        "3つの優先施策",
    ):
        assert heading in text, heading
    # The table of contents points at every chapter, for target-counter page numbers.
    for anchor in ("#summary", "#kind-capability", "#gaps", "#departments", "#methods"):
        assert f'href="{anchor}"' in html
    assert ORG_NAME in text
    # A capability questionnaire has no stages: no improvement-cycle chapter.
    assert 'id="kind-stage"' not in html
    # The client's appendix says how to read the report, in plain words: the methodology,
    # versions, hashes, statistics and source files are the technical note's.
    assert "明確な差" in text
    assert "匿名性" in text
    for term in ("ウェルチ", "ホルム", "ヘッジス", "クロンバック", "r_wg", "SHA-256", "rules.yaml"):
        assert term not in text, term
    assert not re.search(r"資料0\d\d", text)
    assert not re.search(r"[a-z]+_[a-z_]+", text.replace("r_wg", "")), "an internal key"


def test_the_technical_note_holds_the_methods(world) -> None:  # noqa: F811 - the fixture
    _app, built = world
    campaign = db.session.get(Campaign, built.campaign_id)
    results = campaign_results(campaign, locale="ja")
    html = service.render_html(campaign, locale="ja", technical_note=True).html
    text = _text(html)
    assert "技術資料：分析方法" in text
    assert results.questionnaire.hash in text
    # The full methodology, in Japanese, without the notes meant for administrators.
    assert "ウェルチのt検定" in text
    assert "匿名性の保護" in text
    assert "管理者向け" not in text
    assert "clear_cache" not in text
    # The statistics behind every role gap's verdict.
    assert "ギャップの判定の根拠となる統計量" in text
    for gap in results.gaps_of("role"):
        if gap.hedges_g is not None:
            assert f"{gap.hedges_g:.2f}" in text
    # Not the client report: no key messages, no chapters of figures.
    assert 'id="summary"' not in html


def test_numbers_are_the_results_objects(rendered) -> None:
    results, html, _built = rendered
    rows = _rows(html)
    overall = results.organization.overall["capability"]
    assert f"{overall.mean:.2f}" in _text(html)
    for dimension in results.dimensions:
        title = results.text(dimension.title, "ja")
        mean = f"{dimension.organization.mean:.2f}"
        overview = [row for row in rows if f"{title}" in row and "レベル" in row]
        assert overview, title
        assert mean in overview[0], (title, mean)
    for group in results.by_department:
        name = results.text(group.label, "ja")
        if group.shown:
            cell = group.overall["capability"]
            department_rows = [row for row in rows if row.strip().startswith(name)]
            assert any(f"{cell.mean:.2f}" in row for row in department_rows), name
    for gap in results.gaps_of("role"):
        if gap.notable:
            assert f"{abs(gap.difference):.2f}" in _text(html)
    text = _text(html)
    assert results.questionnaire.hash not in text
    total = results.response_counts.total
    assert f"{total.submitted}" in text
    assert f"{total.invited}" in text


def test_suppressed_departments_never_appear_next_to_a_score(rendered) -> None:
    results, html, _built = rendered
    text = _text(html)
    for name in SUPPRESSED_DEPARTMENTS:
        # Named only as "not shown", never in a row with a figure.
        assert name in text
        for row in _rows(html):
            if name in row:
                assert not DECIMAL.search(row), row
    charts = _charts(html)
    assert charts
    for name in SUPPRESSED_DEPARTMENTS:
        holding = [svg for svg in charts if name in svg]
        # Only the heatmap names them, in rows greyed out and labelled "非表示".
        assert len(holding) == 1
        assert holding[0].count("非表示") == 2 * len(results.dimensions)
    for name in SHOWN_DEPARTMENTS:
        assert sum(name in svg for svg in charts) == 2  # heatmap and small multiples


def test_a_suppressed_department_has_no_report_of_its_own(world) -> None:  # noqa: F811
    _app, built = world
    campaign = db.session.get(Campaign, built.campaign_id)
    hidden = db.session.get(Department, built.departments["人事部"])
    with pytest.raises(ReportUnavailableError, match="人事部"):
        service.render_html(campaign, department=hidden, locale="ja")


def test_department_report_compares_with_the_organization(world) -> None:  # noqa: F811
    _app, built = world
    campaign = db.session.get(Campaign, built.campaign_id)
    department = db.session.get(Department, built.departments["営業部"])
    results = campaign_results(campaign)
    html = service.render_html(campaign, department=department, locale="ja").html
    text = _text(html)
    group = results.group("department", department=department.id)
    assert f"{group.overall['capability'].mean:.2f}" in text
    assert f"{results.organization.scores['org_behavior'].mean:.2f}" in text
    assert 'id="departments"' not in html
    for name in (*SUPPRESSED_DEPARTMENTS, "開発部"):
        assert name not in text


def test_english_report(world) -> None:  # noqa: F811
    _app, built = world
    campaign = db.session.get(Campaign, built.campaign_id)
    html = service.render_html(campaign, locale="en").html
    text = _text(html)
    assert '<html lang="en">' in html
    for heading in ("Executive summary", "Organisation & leadership", "Perception gaps"):
        assert heading in text
    assert "エグゼクティブサマリー" not in text


def test_templates_escape_what_they_print(world) -> None:  # noqa: F811
    environment = report_environment()
    template = environment.from_string("{{ value }}")
    assert template.render(value="<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;"
    source = environment.get_template("organization/template.html")
    assert source.environment.autoescape


def _normalise(html: str) -> str:
    html = DATA_URI.sub("data:image/svg+xml;base64,CHART", html)
    html = re.sub(r"\d{4}年\d{1,2}月\d{1,2}日", "DATE", html)
    html = re.sub(r"\b[0-9a-f]{64}\b", "HASH", html)
    html = re.sub(r"file://[^\"']*/reports/", "file://REPORTS/", html)
    return html


def test_html_matches_the_snapshot(rendered) -> None:
    _results, html, _built = rendered
    path = SNAPSHOTS / "organization-report.ja.html"
    normalised = _normalise(html)
    if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(normalised, encoding="utf-8")
        if not os.environ.get("UPDATE_SNAPSHOTS"):
            pytest.fail(f"snapshot {path.name} did not exist; written, review and commit it")
    expected = path.read_text(encoding="utf-8")
    assert normalised == expected, (
        "report HTML changed: run with UPDATE_SNAPSHOTS=1 and review the diff of "
        f"{path.relative_to(SNAPSHOTS.parent.parent)}"
    )


def test_numbers_are_printed_the_same_way_everywhere(world) -> None:  # noqa: F811
    from datetime import UTC, datetime

    from flask_babel import force_locale

    from app.presentation import formatting

    assert formatting.score(3.456) == "3.46"
    assert formatting.score(None) == "–"
    assert formatting.signed(0.456) == "+0.46"
    assert formatting.signed(-0.456) == "−0.46"
    assert formatting.signed(0.0001) == "±0.00"
    assert formatting.percent(0.795) == "80%"
    assert formatting.p_value(0.0004) == "<0.001"
    assert formatting.p_value(0.0312) == "0.031"
    assert formatting.count(1234) == "1,234"
    # Dates are shown in Japan time: 20:00 UTC on 31 March is already 1 April in Tokyo.
    moment = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
    with force_locale("ja"):
        assert formatting.long_date(moment) == "2026年4月1日"
    with force_locale("en"):
        assert formatting.long_date(moment) == "April 1, 2026"
