"""Role gaps on single items: planted in the data, found by the results, shown everywhere."""

from __future__ import annotations

import re
import subprocess

import pytest
from flask import Flask
from sqlalchemy import select, update

from app.auth.tokens import create_api_token
from app.models import Answer, Campaign, Response, Role
from app.platform.extensions import db
from app.reporting import service
from app.results import campaign_results
from tests.integration.test_api_v1 import validate
from tests.integration.test_dashboard_fixtures import World, build_world, executive_client

#: The item where executives and the front line are planted far apart.
PLANTED = "d2"


def planted_world() -> World:
    """The dashboard world, with executives answering 5 and the front line 1 or 2 on d2."""
    world = build_world()
    for role_key, values in (("executive", (5,)), ("frontline", (1, 2))):
        role_id = db.session.scalar(
            select(Role.id).where(Role.organization_id == world.org.id, Role.key == role_key)
        )
        response_ids = db.session.scalars(
            select(Response.id)
            .where(Response.campaign_id == world.campaign.id, Response.role_id == role_id)
            .order_by(Response.id)
        ).all()
        for index, response_id in enumerate(response_ids):
            db.session.execute(
                update(Answer)
                .where(Answer.response_id == response_id, Answer.item_id == PLANTED)
                .values(value=values[index % len(values)])
            )
    db.session.commit()
    return world


def test_the_planted_item_tops_the_item_gaps_with_a_clear_verdict(app: Flask) -> None:
    world = planted_world()
    results = campaign_results(world.campaign)
    top = results.item_gaps[0]
    assert top.item == PLANTED
    assert top.dimension == "design"
    assert dict(top.gap.a) == {"role": "executive"}
    assert dict(top.gap.b) == {"role": "frontline"}
    assert top.gap.difference > 2.5
    assert top.gap.verdict == "clear"
    differences = [abs(found.gap.difference) for found in results.item_gaps]
    assert differences == sorted(differences, reverse=True)
    # Every pair of roles is compared; Holm runs over the whole item family.
    pairs = {(found.gap.a["role"], found.gap.b["role"]) for found in results.item_gaps}
    assert ("executive", "middle_manager") in pairs
    assert ("middle_manager", "frontline") in pairs
    # Development's single executive is below the threshold and never part of a gap.
    assert all(found.gap.n_a >= 3 and found.gap.n_b >= 3 for found in results.item_gaps)


def test_the_api_lists_the_item_gaps_against_its_schema(app: Flask) -> None:
    world = planted_world()
    client = executive_client(app, world)
    token = create_api_token(world.executive, "item gaps")
    db.session.commit()
    for group_by in ("", "?group_by=role"):
        document = client.get(
            f"/api/v1/campaigns/{world.campaign.id}/results{group_by}",
            headers={"Authorization": f"Bearer {token}"},
        ).json
        validate(document, "Results")
        item_gaps = document["item_gaps"]
        assert 0 < len(item_gaps) <= 10
        assert item_gaps[0]["item"] == PLANTED
        assert item_gaps[0]["a"] == {"role": "executive"}
        assert item_gaps[0]["b"] == {"role": "frontline"}
        assert item_gaps[0]["verdict"] == "clear"
        low, high = item_gaps[0]["ci95"]
        assert 0 < low <= item_gaps[0]["difference"] <= high


def _item_gap_rows(html: str) -> list[list[str]]:
    table = html[html.index('id="item-gaps-title"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)
        ]
        for r in rows
        if "<td" in r
    ]


def test_the_roles_page_shows_the_item_gaps_in_both_languages(app: Flask) -> None:
    world = planted_world()
    url = f"/dashboard/campaigns/{world.campaign.id}/roles"
    ja = executive_client(app, world).get(url).get_data(as_text=True)
    assert "役割間で差が大きい設問" in ja
    rows = _item_gap_rows(ja)
    assert 0 < len(rows) <= 10
    assert "ジャーニーマップを使う" in rows[0][0]
    assert rows[0][1] == "経営層 − 現場"
    assert rows[0][4] == "明確な差"
    assert rows[0][3].startswith("+")
    en = executive_client(app, world, "en").get(url).get_data(as_text=True)
    rows = _item_gap_rows(en)
    assert "We use journey maps" in rows[0][0]
    assert rows[0][4] == "Clear difference"
    # Within a department the table is left out (it is computed organisation-wide).
    department = world.departments["営業部"].id
    assert 'id="item-gaps-title"' not in executive_client(app, world).get(
        f"{url}?department={department}"
    ).get_data(as_text=True)


def _pdf_text(campaign: Campaign, locale: str) -> str:
    pdf = service.render_pdf(campaign, locale=locale)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(
    ("locale", "title", "statement", "verdict"),
    [
        ("ja", "役割間で差が大きい設問", "ジャーニーマップを使う", "明確な差"),
        ("en", "Statements on which roles differ most", "Weusejourneymaps", "Clear difference"),
    ],
)
def test_the_organisation_report_shows_the_item_gaps(
    app: Flask, locale: str, title: str, statement: str, verdict: str
) -> None:
    world = planted_world()
    text = _pdf_text(world.campaign, locale)
    title, verdict = title.replace(" ", ""), verdict.replace(" ", "")
    assert title in text
    table = text[text.index(title) :]
    assert statement in table
    assert verdict in table
