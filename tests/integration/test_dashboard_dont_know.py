"""The roles page lists the statements some role often could not judge, with each shown
role's don't-know rate; hidden rates stay hidden."""

from __future__ import annotations

import re

from tests import factories, versions_support
from tests.integration.workspace_support import login, make_client


def _campaign(front_line_unknowns: int):
    org = factories.make_org("unknowns", ("営業部",))
    campaign = factories.make_campaign(org, questionnaire=versions_support.new(), threshold=3)
    for index, person in enumerate(factories.add_people(campaign, 4, role="executive")):
        answers = {item.id: 4 for item in campaign.questionnaire.items_for("executive")}
        if index == 0 and front_line_unknowns:
            answers["org_owner_seen"] = "dk"
        factories.submit(person, answers=answers)
    for index, person in enumerate(factories.add_people(campaign, 5, role="frontline")):
        answers = {item.id: 3 for item in campaign.questionnaire.items_for("frontline")}
        if index < front_line_unknowns:
            answers["org_vision_daily"] = "dk"
        factories.submit(person, answers=answers)
    factories.grant(factories.make_user("reader@unknowns.example"), org, "executive")
    return campaign


def _roles_page(app, campaign, language: str) -> str:
    client = make_client(app, language)
    assert login(client, "reader@unknowns.example").status_code == 302
    response = client.get(f"/dashboard/campaigns/{campaign.id}/roles")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _table(page: str) -> str:
    return page[page.index('<table class="data dont-know">') :].split("</table>")[0]


def test_a_notable_dont_know_rate_is_listed_per_role(app, db) -> None:
    campaign = _campaign(front_line_unknowns=3)
    page = _roles_page(app, campaign, "ja")
    assert "「わからない」が多かった設問" in page
    table = _table(page)
    rows = re.findall(r"<tr><td class=\"item-text\">(.*?)</tr>", table, flags=re.S)
    # The statement the front line often could not judge: executives 0 %, front line 60 %;
    # the middle managers, with no response, have no column.
    assert re.findall(r'<th class="num">([^<]*)</th>', table) == ["経営層", "現場"]
    assert len(rows) == 2
    assert "部署の会議でビジョンが話題になる。" in rows[0]
    assert re.findall(r'<td class="num( notable)?">([^<]*)</td>', rows[0]) == [
        ("", "0%"),
        (" notable", "60%"),
    ]
    # One executive in four did not know about the owner; the front line was not asked.
    assert "責任者の動きが見える。" in rows[1]
    assert re.findall(r'<td class="num( notable)?">([^<]*)</td>', rows[1]) == [
        (" notable", "25%"),
        ("", "–"),
    ]

    english = _roles_page(app, campaign, "en")
    assert "Statements roles often could not judge" in english
    assert "60%" in _table(english)


def test_without_a_notable_rate_there_is_no_table(app, db) -> None:
    page = _roles_page(app, _campaign(front_line_unknowns=0), "ja")
    assert "dont-know" not in page
    assert "「わからない」が多かった設問" not in page
