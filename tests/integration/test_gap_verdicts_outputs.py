"""The three gap verdicts reach the dashboard's role table and the results API alike."""

from __future__ import annotations

import re

from flask import Flask

from app.auth.tokens import create_api_token
from app.platform.extensions import db
from app.results import campaign_results
from tests.integration.test_dashboard_fixtures import build_world, executive_client

LABELS = {
    "clear": "明確な差",
    "possible": "差の可能性（回答数が少なく確認できない）",
    "small": "差は小さい",
}


def _gap_rows(html: str) -> list[list[str]]:
    table = html[html.index('id="gaps-title"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)
        ]
        for r in rows
    ]


def test_dashboard_and_api_show_the_same_verdicts(app: Flask) -> None:
    world = build_world()
    results = campaign_results(world.campaign)
    gaps = results.gaps_of("role")
    assert gaps
    assert {gap.verdict for gap in gaps} >= {"clear", "possible"}

    client = executive_client(app, world)
    response = client.get(f"/dashboard/campaigns/{world.campaign.id}/roles")
    assert response.status_code == 200
    # Dimension, roles, difference, verdict, reading: the statistics are in the tooltips.
    html = response.get_data(as_text=True)
    rows = [row for row in _gap_rows(html) if len(row) == 5]
    assert len(rows) == len(gaps)
    assert "Effect size" not in html[html.index('id="gaps-title"') :].split("</table>")[0]
    verdicts = sorted(row[3] for row in rows)
    assert verdicts == sorted(LABELS[gap.verdict] for gap in gaps)
    for row in rows:
        # An unconfirmed gap is never read as aligned.
        if row[3] != LABELS["small"]:
            assert row[4] != "認識が一致"

    token = create_api_token(world.executive, "verdicts")
    db.session.commit()
    document = client.get(
        f"/api/v1/campaigns/{world.campaign.id}/results?group_by=role",
        headers={"Authorization": f"Bearer {token}"},
    ).json
    api_gaps = document["gaps"]
    assert len(api_gaps) == len(gaps)
    for api_gap, gap in zip(api_gaps, gaps, strict=True):
        assert api_gap["verdict"] == gap.verdict
        low, high = api_gap["ci95"]
        assert low <= api_gap["difference"] <= high
        assert (api_gap["verdict"] == "clear") == (low > 0 or high < 0)
        assert (api_gap["verdict"] == "clear") == api_gap["significant"]
