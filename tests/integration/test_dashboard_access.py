"""Dashboard access: only the organisation's own viewers see its campaigns; others get 404."""

from __future__ import annotations

from flask import Flask

from tests.integration.test_dashboard_fixtures import (
    LEGAL,
    build_campaign,
    build_world,
    executive_client,
    make_org,
)
from tests.integration.workspace_support import make_client


def _pages(campaign_id: int, department_id: int) -> list[str]:
    base = f"/dashboard/campaigns/{campaign_id}"
    return [
        base,
        f"{base}/overview.csv",
        f"{base}/departments",
        f"{base}/departments.csv",
        f"{base}/departments/{department_id}",
        f"{base}/departments/{department_id}.csv",
        f"{base}/roles",
        f"{base}/roles.csv",
        f"{base}/dimensions/vision",
        f"{base}/dimensions/vision.csv",
        f"{base}/trend",
        f"{base}/trend.csv",
        f"{base}/benchmark",
    ]


def test_executive_of_a_gets_404_on_every_page_of_b(app: Flask) -> None:
    a = build_world("org-a")
    org_b, departments_b = make_org("org-b", "ビー物産")
    campaign_b = build_campaign(org_b, departments_b, name="B社診断", seed=3)
    client = executive_client(app, a)

    for url in _pages(a.campaign.id, a.departments["営業部"].id):
        assert client.get(url).status_code == 200, url
    for url in _pages(campaign_b.id, departments_b["営業部"].id):
        assert client.get(url).status_code == 404, url
    # B's department inside A's campaign is not A's either.
    url = f"/dashboard/campaigns/{a.campaign.id}/departments/{departments_b[LEGAL].id}"
    assert client.get(url).status_code == 404
    listing = client.get("/dashboard/").get_data(as_text=True)
    assert "B社診断" not in listing
    assert "ビー物産" not in listing


def test_anonymous_visitors_are_sent_to_the_login_page(app: Flask) -> None:
    world = build_world("org-a")
    client = make_client(app)
    for url in _pages(world.campaign.id, world.departments["営業部"].id):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]
