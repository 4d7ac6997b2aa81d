"""Fresh figures while a campaign is open: the dashboard never waits for answers just received,
and the same figures are never computed twice at once."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import pytest
from flask import Flask

from app import results as results_module
from app.models import Campaign
from app.platform.extensions import db
from app.results import campaign_results, clear_cache, kept
from tests.factories import grant, invite, make_user, submit
from tests.integration.test_dashboard_fixtures import (
    World,
    build_campaign,
    executive_client,
    make_org,
)

NOTICE = "時点の集計です"


@pytest.fixture
def world(app: Flask, monkeypatch: pytest.MonkeyPatch) -> World:
    clear_cache()
    # Every computation counts as slow: the dashboard shows the figures it has meanwhile.
    monkeypatch.setitem(app.config, "CX_RESULTS_WAIT_MS", 0)
    org, departments = make_org("org-refresh")
    campaign = build_campaign(org, departments, name="2026年度診断", seed=11, close=False)
    executive = make_user("executive@org-refresh.example")
    grant(executive, org, "executive")
    return World(org, campaign, executive, departments)


def _respondents(html: str) -> int:
    """The whole organisation's respondents, as the overview's radar legend shows them."""
    found = re.search(r"組織全体 \(n=(\d+)\)", html)
    assert found, "no respondent count on the page"
    return int(found.group(1))


def _count_computations(monkeypatch: pytest.MonkeyPatch, pause_s: float = 0.0) -> list[int]:
    """Every computation of a campaign's results from now on, by campaign id."""
    computed: list[int] = []
    real = results_module.compute_results

    def counting(info, *args, **kwargs):
        computed.append(info.id)
        time.sleep(pause_s)
        return real(info, *args, **kwargs)

    monkeypatch.setattr(results_module, "compute_results", counting)
    return computed


def _new_answers(world: World, count: int = 3) -> None:
    for _ in range(count):
        participant, _token = invite(world.campaign, department="営業部", role="frontline")
        submit(participant, 5)


def test_the_dashboard_shows_its_figures_while_the_new_answers_are_counted(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = executive_client(app, world)
    page = f"/dashboard/campaigns/{world.campaign.id}"
    first = client.get(page).get_data(as_text=True)
    assert NOTICE not in first
    before = _respondents(first)

    _new_answers(world)
    computed = _count_computations(monkeypatch, pause_s=0.5)
    started = time.perf_counter()
    meanwhile = client.get(page).get_data(as_text=True)
    waited = time.perf_counter() - started
    # The figures the page had, said to be so, without waiting for the computation.
    assert NOTICE in meanwhile
    assert _respondents(meanwhile) == before
    assert waited < 0.5
    kept.wait_for_refreshes()
    assert computed == [world.campaign.id]

    after = client.get(page).get_data(as_text=True)
    assert NOTICE not in after
    assert _respondents(after) == before + 3
    assert computed == [world.campaign.id]  # read, not computed again

    english = executive_client(app, world, "en")
    _new_answers(world, 1)
    html = english.get(page).get_data(as_text=True)
    assert "The answers received since are being counted" in html
    kept.wait_for_refreshes()


def _in_threads(app: Flask, count: int, call: Callable[[], object]) -> list[object]:
    found: list[object] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        with app.app_context():
            barrier.wait()
            found.append(call())
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return found


def test_readers_at_once_compute_the_new_figures_once(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign_id = world.campaign.id
    before = campaign_results(world.campaign)
    _new_answers(world)
    db.session.commit()
    computed = _count_computations(monkeypatch, pause_s=0.3)

    def dashboard_reader():
        campaign = db.session.get(Campaign, campaign_id)
        return campaign_results(campaign, allow_previous=True)

    shown = _in_threads(app, 6, dashboard_reader)
    assert len(shown) == 6
    assert all(r.refreshing and r.organization.n == before.organization.n for r in shown)
    kept.wait_for_refreshes()
    assert computed == [campaign_id]

    # Readers that wait (reports, exports, the API) also compute once between them.
    _new_answers(world, 2)
    db.session.commit()

    def report_reader():
        campaign = db.session.get(Campaign, campaign_id)
        return campaign_results(campaign)

    waited = _in_threads(app, 6, report_reader)
    assert computed == [campaign_id, campaign_id]
    assert {r.organization.n for r in waited} == {before.organization.n + 5}
    assert not any(r.refreshing for r in waited)


def test_a_change_that_could_hide_a_group_is_never_shown_late(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = executive_client(app, world)
    page = f"/dashboard/campaigns/{world.campaign.id}/roles"
    assert client.get(page).status_code == 200
    executives = campaign_results(world.campaign).group("role", role="executive")
    assert (executives.status, executives.n) == ("ok", 5)
    # A higher anonymity threshold hides groups: the page waits for figures that apply it.
    world.campaign.anonymity_threshold = 10
    db.session.commit()
    computed = _count_computations(monkeypatch)
    html = client.get(page).get_data(as_text=True)
    assert NOTICE not in html
    assert computed == [world.campaign.id]
    shown = campaign_results(world.campaign)
    assert shown.anonymity_threshold == 10
    assert shown.group("role", role="executive").status == "suppressed"


def test_fast_figures_are_computed_before_the_page(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "CX_RESULTS_WAIT_MS", 60_000)
    client = executive_client(app, world)
    page = f"/dashboard/campaigns/{world.campaign.id}"
    before = _respondents(client.get(page).get_data(as_text=True))
    _new_answers(world)
    html = client.get(page).get_data(as_text=True)
    assert NOTICE not in html
    assert _respondents(html) == before + 3
