"""A score withheld inside a shown department is greyed and labelled in the report, not "–".

The results engine withholds a single dimension of a department that is shown as a whole
when too few of its people scored that dimension (they answered "not applicable"). The
organisation report's department heatmap and table must mark that cell as suppressed, greyed
and labelled like the departments below the threshold, and keep "–" for a dimension nobody
in a department scored (no data), in both languages.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from app.models import Campaign
from app.operations.responses import NOT_APPLICABLE
from app.presentation import charts
from app.reporting import service
from app.results import campaign_results
from tests.factories import invite, make_campaign, make_org, submit
from tests.integration.svg_support import embedded_svgs, svg_text

#: (department, respondents, dimension answered "not applicable" by how many of them).
LAYOUT = (
    ("営業部", 6, None, 0),
    # Three of five answer "not applicable" to every digital item: two digital scores.
    ("開発部", 5, "digital", 3),
    # Nobody answers the unlearning items: no data, nothing to withhold.
    ("人事部", 4, "unlearning", 4),
    ("総務部", 4, None, 0),
    # Below the threshold of three as a whole (two of them, so no shown department has to
    # be withheld to protect a single hidden one).
    ("法務部", 2, None, 0),
    ("広報部", 1, None, 0),
)
LABELS = {"ja": "非表示", "en": "suppressed"}
DIMENSIONS = {
    "ja": {"digital": "デジタルの力", "unlearning": "脱学習の力"},
    "en": {"digital": "Digital", "unlearning": "Unlearning"},
}


def _build() -> Campaign:
    org = make_org("withheld-bank", [name for name, *_ in LAYOUT], name="保留信用金庫")
    campaign = make_campaign(org, name="2026年度 CX診断", threshold=3)
    roles = [role.key for role in org.roles]
    for department_index, (name, count, skipped, skipping) in enumerate(LAYOUT):
        for index in range(count):
            participant, _token = invite(
                campaign, department=name, role=roles[index % len(roles)], name=f"{name}{index}"
            )
            answers = {}
            for dimension in campaign.questionnaire.dimensions:
                for position, item in enumerate(dimension.items):
                    if dimension.id == skipped and index < skipping:
                        answers[item.id] = NOT_APPLICABLE
                    else:
                        answers[item.id] = 2 + (department_index + index + position) % 3
            submit(participant, answers=answers)
    return campaign


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _department_table(html: str) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
    """The department table: its header, and per department its cells as (class, text)."""
    table = re.search(r'<table class="departments">(.*?)</table>', html, re.S)
    assert table, "no department table"
    header = [_text(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", table.group(1), re.S)]
    rows: dict[str, list[tuple[str, str]]] = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S):
        cells = re.findall(r'<td(?: class="([^"]*)")?>(.*?)</td>', row, re.S)
        if cells:
            rows[_text(cells[0][1])] = [(css, _text(text)) for css, text in cells]
    return header, rows


def _heatmap(html: str) -> tuple[str, list[str]]:
    """The department heatmap (the one chart that names the suppressed departments): its
    SVG, and its text, one entry per text node."""
    found = [svg for svg in embedded_svgs(html) if "法務部" in svg]
    assert len(found) == 1, len(found)
    return found[0], svg_text(found[0]).splitlines()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_withheld_cell_is_greyed_and_labelled_not_shown_as_no_data(app, language) -> None:
    campaign = _build()
    results = campaign_results(campaign)
    groups = {
        department.name: results.group("department", department=department.id)
        for department in campaign.organization.departments
    }
    # Preconditions, from the results engine: which cells are withheld and which are empty.
    assert groups["法務部"].status == "suppressed"
    development = groups["開発部"]
    assert development.shown
    assert development.n == 5
    assert development.scores["digital"].status == "suppressed"
    assert development.scores["org_behavior"].shown
    assert groups["人事部"].shown
    assert not groups["人事部"].scores["unlearning"].shown
    assert groups["人事部"].scores["unlearning"].status != "suppressed"
    withheld = {
        (name, dimension)
        for name, group in groups.items()
        if group.shown
        for dimension, cell in group.scores.items()
        if cell.status == "suppressed"
    }
    assert withheld == {("開発部", "digital")}
    hidden_rows = sum(not group.shown for group in groups.values())
    assert hidden_rows == 2

    html = service.render_html(campaign, locale=language).html
    label = LABELS[language]

    # The heatmap: the withheld cell greyed and labelled, the suppressed departments' rows
    # labelled in all five cells, and "–" only for the one cell without data.
    svg, heatmap = _heatmap(html)
    greyed = 5 * hidden_rows + len(withheld)
    assert heatmap.count(label) == greyed
    assert heatmap.count("–") == 1
    assert svg.lower().count(charts.SUPPRESSED_FILL.lower()) == greyed

    # The department table: the withheld cells say so and carry the greyed class; the cell
    # without data keeps "–"; no withheld cell carries a number.
    header, rows = _department_table(html)
    digital = header.index(DIMENSIONS[language]["digital"])
    unlearning = header.index(DIMENSIONS[language]["unlearning"])
    for name, group in groups.items():
        if not group.shown:
            assert name not in rows
            continue
        for dimension, column in (("digital", digital), ("unlearning", unlearning)):
            css, text = rows[name][column]
            if (name, dimension) in withheld:
                assert (css, text) == ("num suppressed", label), (name, dimension)
            elif not group.scores[dimension].shown:
                assert text == "–", (name, dimension)
                assert "suppressed" not in css
            else:
                assert re.fullmatch(r"\d\.\d\d", text), (name, dimension, text)
    # The caption under the heatmap explains the grey cells.
    captions = {"ja": "灰色のセル：回答数が少ないため非表示", "en": "Grey cells: suppressed"}
    assert captions[language] in _text(html)
