"""The cross-client benchmark: who joins it (both ways), which pool an organisation is
compared with (its industry and size band, else wider), the minimum of five, the percentile
ranks, what the page says when it shows nothing, and where the settings are made."""

from __future__ import annotations

import csv
import io
import re
import statistics

import pytest
from flask import Flask
from sqlalchemy import inspect, select, text

from app import create_app
from app.analysis.benchmark import Scope
from app.models import AuditEvent, Campaign, Organization
from app.operations.errors import OperationError
from app.operations.organizations import set_benchmark
from app.platform.extensions import db
from app.questionnaire import parse_questionnaire
from app.results import campaign_results
from app.results.benchmark import Unavailable, campaign_benchmark, pool_candidates
from tests.conftest import make_config
from tests.factories import grant, make_campaign, make_user
from tests.integration.test_dashboard_fixtures import (
    QUESTIONNAIRE,
    build_campaign,
    build_world,
    executive_client,
    make_org,
)
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

DIMENSIONS = ("vision", "design", "operations")


def _peer(
    slug: str,
    *,
    industry: str | None = None,
    size: str | None = None,
    opt_in: bool = True,
    shift: float = 0.0,
) -> Campaign:
    """Another organisation with one closed campaign on the test questionnaire."""
    org, departments = make_org(slug, f"{slug} 株式会社")
    set_benchmark(org, industry=industry, size_band=size, opt_in=opt_in)
    seed = sum(map(ord, slug))
    return build_campaign(org, departments, name="診断", seed=seed, shift=shift, small_groups=False)


def _join(org: Organization, industry: str | None = None, size: str | None = None) -> None:
    set_benchmark(org, industry=industry, size_band=size, opt_in=True)
    db.session.commit()


def _leave(campaign: Campaign) -> None:
    org = campaign.organization
    set_benchmark(org, industry=org.industry, size_band=org.size_band, opt_in=False)
    db.session.commit()


def _means(campaigns: list[Campaign], dimension: str) -> list[float]:
    return [campaign_results(c).organization.scores[dimension].mean for c in campaigns]


def _check_figures(found, own: Campaign, pool: list[Campaign]) -> None:
    """The benchmark's figures are those of exactly ``pool``, worked out directly."""
    assert found.available
    assert found.pool_size == len(pool)
    mine = campaign_results(own).organization
    for dimension in DIMENSIONS:
        means = _means(pool, dimension)
        figures = found.dimensions[dimension]
        assert figures.contributors == len(pool)
        assert figures.median == pytest.approx(statistics.median(means))
        assert figures.top_quartile == pytest.approx(
            statistics.quantiles(means, n=4, method="inclusive")[2]
        )
        value = mine.scores[dimension].mean
        lower = sum(1 for mean in means if mean < value)
        level = sum(1 for mean in means if mean == value)
        assert figures.percentile_rank == pytest.approx((lower + level / 2) / len(means))


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# Who joins -----------------------------------------------------------------------------------


def test_only_organisations_that_joined_contribute(app: Flask) -> None:
    world = build_world("org-main")
    _join(world.org)
    joined = [_peer(f"peer-{i}", shift=0.1 * i) for i in range(5)]
    outsider = _peer("outsider", opt_in=False, shift=1.0)

    assert {c.id for c in pool_candidates(world.campaign)} == {c.id for c in joined}
    _check_figures(campaign_benchmark(world.campaign), world.campaign, joined)

    # One of the five leaves: four are too few, whoever else has results.
    _leave(joined[0])
    found = campaign_benchmark(world.campaign)
    assert (found.available, found.pool_size, found.reason) == (False, 4, Unavailable.TOO_FEW)
    assert found.dimensions == {}
    # The outsider joins: five again, with it.
    _join(outsider.organization)
    _check_figures(campaign_benchmark(world.campaign), world.campaign, [*joined[1:], outsider])


def test_an_organisation_sees_the_benchmark_only_when_it_has_joined_too(app: Flask) -> None:
    world = build_world("org-main")
    peers = [_peer(f"peer-{i}") for i in range(6)]
    found = campaign_benchmark(world.campaign)
    assert found.reason is Unavailable.NOT_OPTED_IN
    assert (found.available, found.pool_size, found.dimensions) == (False, 0, {})
    # Nor does it contribute: the others' pool holds five, not six.
    assert world.campaign.id not in {c.id for c in pool_candidates(peers[0])}
    assert campaign_benchmark(peers[0]).pool_size == 5
    _join(world.org)
    assert campaign_benchmark(peers[0]).pool_size == 6
    _check_figures(campaign_benchmark(world.campaign), world.campaign, peers)


def test_an_organisation_counts_with_its_latest_campaign_and_only_when_it_is_shown(
    app: Flask,
) -> None:
    world = build_world("org-main")
    _join(world.org)
    peers = [_peer(f"peer-{i}") for i in range(5)]
    assert campaign_benchmark(world.campaign).available
    # A newer campaign of one peer, opened but unanswered: its results show nothing, so that
    # peer no longer counts.
    make_campaign(peers[0].organization, questionnaire=parse_questionnaire(QUESTIONNAIRE))
    found = campaign_benchmark(world.campaign)
    assert (found.available, found.pool_size) == (False, 4)
    # Another questionnaire version is another benchmark.
    other = parse_questionnaire(QUESTIONNAIRE.replace('version: "1.0.0"', 'version: "1.1.0"'))
    alone = make_campaign(world.org, name="新版", questionnaire=other)
    found = campaign_benchmark(alone)
    assert (found.available, found.pool_size, found.reason) == (False, 0, Unavailable.NO_PEERS)


# Which pool ----------------------------------------------------------------------------------


def test_the_pool_is_the_narrowest_band_with_five_and_widens_otherwise(app: Flask) -> None:
    world = build_world("org-main")
    _join(world.org, "banking", "1000-4999")
    same_both = [_peer(f"bank-mid-{i}", industry="banking", size="1000-4999") for i in range(2)]
    same_industry = [
        _peer(f"bank-{i}", industry="banking", size=size, shift=0.2)
        for i, size in enumerate(("100-999", "5000+", None))
    ]
    same_size = [_peer(f"shop-{i}", industry="retail", size="1000-4999") for i in range(3)]
    unbanded = _peer("plain", shift=-0.3)

    # Two of the same industry and size: too few; five of the same industry: that pool.
    found = campaign_benchmark(world.campaign)
    assert found.scope is Scope.INDUSTRY
    assert found.widened
    _check_figures(found, world.campaign, same_both + same_industry)

    # Four banks: the same size (two banks, three retailers) is next.
    _leave(same_industry[0])
    found = campaign_benchmark(world.campaign)
    assert found.scope is Scope.SIZE
    _check_figures(found, world.campaign, same_both + same_size)

    # Four of the same size too: everyone who has joined.
    _leave(same_size[0])
    found = campaign_benchmark(world.campaign)
    assert found.scope is Scope.ALL
    _check_figures(
        found, world.campaign, same_both + same_industry[1:] + same_size[1:] + [unbanded]
    )

    # Five of the same industry and size: the narrowest pool.
    more = [_peer(f"bank-mid-{i}", industry="banking", size="1000-4999") for i in range(2, 5)]
    found = campaign_benchmark(world.campaign)
    assert found.scope is Scope.INDUSTRY_AND_SIZE
    assert not found.widened
    _check_figures(found, world.campaign, same_both + more)


def test_an_organisation_without_bands_is_compared_with_everyone(app: Flask) -> None:
    world = build_world("org-main")
    _join(world.org)
    peers = [_peer(f"bank-{i}", industry="banking", size="5000+") for i in range(5)]
    found = campaign_benchmark(world.campaign)
    assert (found.scope, found.widened) == (Scope.ALL, False)
    _check_figures(found, world.campaign, peers)


def test_a_band_shows_nothing_below_five_even_when_wider_pools_do(app: Flask) -> None:
    """The floor holds for the pool used: with four in every pool, nothing is shown."""
    world = build_world("org-main")
    _join(world.org, "insurance", "100-999")
    for i in range(4):
        _peer(f"ins-{i}", industry="insurance", size="100-999")
    found = campaign_benchmark(world.campaign)
    assert (found.available, found.pool_size, found.reason) == (False, 4, Unavailable.TOO_FEW)
    assert found.dimensions == {}


# The page and its CSV ------------------------------------------------------------------------


def test_the_page_says_why_there_is_no_benchmark_and_offers_no_csv(app: Flask) -> None:
    world = build_world("org-main")
    base = f"/dashboard/campaigns/{world.campaign.id}/benchmark"
    executive = executive_client(app, world, "en")

    html = executive.get(base).get_data(as_text=True)
    page = _text(html)
    assert "This organisation has not joined the benchmark." in page
    assert "A consultant can opt in in the organisation settings" in page
    assert "CSV of this table" not in page
    assert 'class="data"' not in html
    assert "/workspace/orgs/" not in html  # the settings link is for consultants
    assert executive.get(base + ".csv").status_code == 404

    consultant = make_user("consultant@example.jp")
    grant(consultant, world.org, "consultant")
    consulting = make_client(app, "en")
    login(consulting, consultant.email)
    html = consulting.get(base).get_data(as_text=True)
    assert f'href="/workspace/orgs/{world.org.slug}/settings#benchmark"' in html

    _join(world.org)
    page = _text(executive.get(base).get_data(as_text=True))
    assert (
        "No other organisation that has joined the benchmark has results on this "
        "questionnaire version yet."
    ) in page
    assert "CSV of this table" not in page
    assert executive.get(base + ".csv").status_code == 404

    for i in range(3):
        _peer(f"peer-{i}")
    page = _text(executive.get(base).get_data(as_text=True))
    assert "Other organisations in the pool: 3; at least 5 are needed." in page
    assert "CSV of this table" not in page
    assert executive.get(base + ".csv").status_code == 404

    japanese = executive_client(app, world, "ja")
    assert japanese.get(base).status_code == 200
    assert japanese.get(base + ".csv").status_code == 404


def test_the_page_and_the_csv_name_the_pool_and_the_percentile_ranks(app: Flask) -> None:
    world = build_world("org-main")
    _join(world.org, "banking", "1000-4999")
    peers = [_peer(f"bank-{i}", industry="banking", shift=0.3 * i - 0.6) for i in range(5)]
    _peer("shop", industry="retail", size="1000-4999")
    found = campaign_benchmark(world.campaign)
    client = executive_client(app, world, "en")
    base = f"/dashboard/campaigns/{world.campaign.id}/benchmark"

    html = client.get(base).get_data(as_text=True)
    page = _text(html)
    assert "Pool: same industry (Banking), all sizes, 5 organisations." in page
    assert "Narrower pools (the same industry or size) have fewer than 5 organisations" in page
    assert "CSV of this table" in page
    assert "Percentile rank" in page
    for peer in peers:
        assert peer.organization.slug not in html
        assert peer.organization.name not in html
    ranks = {d: f"{found.dimensions[d].percentile_rank * 100:.0f}%" for d in DIMENSIONS}
    assert f"Vision {campaign_results(world.campaign).organization.scores['vision'].mean:.2f}" in (
        page
    )
    assert ranks["vision"] in page

    rows = _csv(client.get(base + ".csv"))
    assert rows[0][-2:] == ["Percentile rank", "Pool"]
    by_title = {row[0]: row for row in rows[1:]}
    assert by_title["Vision"][-2:] == [
        ranks["vision"],
        "same industry (Banking), all sizes, 5 organisations",
    ]
    assert by_title["Operations"][-2] == ranks["operations"]

    # In Japanese too, where a heading holds a literal "%" (上位25%水準).
    japanese = executive_client(app, world, "ja")
    html = japanese.get(base).get_data(as_text=True)
    assert "比較母集団の上位25%水準" in html
    assert _csv(japanese.get(base + ".csv"))[0][3] == "比較母集団の上位25%水準"

    # Another organisation's executive gets neither.
    stranger = build_world("org-b")
    outsider = executive_client(app, stranger, "en")
    assert outsider.get(base).status_code == 404
    assert outsider.get(base + ".csv").status_code == 404


# Settings: the form and the CLI --------------------------------------------------------------


@pytest.fixture
def consultant_client(app: Flask):
    make_user("c@example.com")
    client = make_client(app)
    login(client, "c@example.com")
    client.csrf = csrf_token(client, "/account")
    return client


def _actions(org: Organization) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.organization_id == org.id).order_by(AuditEvent.id)
        )
    )


def test_the_settings_form_files_the_organisation_and_joins_it(app: Flask, consultant_client):
    client = consultant_client
    response = client.post(
        "/workspace/orgs/new",
        data={"csrf_token": client.csrf, "name": "みなと商事", "slug": "minato"},
    )
    assert response.status_code == 302
    org = db.session.scalar(select(Organization).where(Organization.slug == "minato"))
    assert (org.industry, org.size_band, org.benchmark_opt_in) == (None, None, False)
    page = client.get("/workspace/orgs/minato/settings").get_data(as_text=True)
    assert 'id="benchmark"' in page
    assert '<option selected value="">Not set</option>' in page
    assert "Join the benchmark" in page

    settings = {"csrf_token": client.csrf, "name": "みなと商事", "slug": "minato"}
    response = client.post(
        "/workspace/orgs/minato/settings",
        data={**settings, "industry": "banking", "size_band": "1000-4999", "benchmark_opt_in": "y"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    org = db.session.get(Organization, org.id)
    assert (org.industry, org.size_band, org.benchmark_opt_in) == ("banking", "1000-4999", True)
    event = _actions(org)[-1]
    assert event.action == "organization.benchmark_set"
    assert event.detail == {"industry": "banking", "size_band": "1000-4999", "opt_in": True}
    assert event.user_id is not None
    page = client.get("/workspace/orgs/minato/settings").get_data(as_text=True)
    assert '<option selected value="banking">Banking</option>' in page
    assert '<option selected value="1000-4999">1,000-4,999 employees</option>' in page
    assert re.search(r'<input checked id="benchmark_opt_in"[^>]*type="checkbox"', page)

    # Saved again unchanged: nothing more to audit.
    count = len(_actions(org))
    client.post(
        "/workspace/orgs/minato/settings",
        data={**settings, "industry": "banking", "size_band": "1000-4999", "benchmark_opt_in": "y"},
    )
    assert [e.action for e in _actions(org)[count:]] == ["organization.updated"]

    # An industry not on the list is refused; nothing changes.
    response = client.post(
        "/workspace/orgs/minato/settings",
        data={**settings, "industry": "mining", "size_band": "", "benchmark_opt_in": ""},
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organization, org.id).industry == "banking"

    # Unticked and blank: out of the benchmark, filed under nothing.
    client.post(
        "/workspace/orgs/minato/settings", data={**settings, "industry": "", "size_band": ""}
    )
    db.session.expire_all()
    org = db.session.get(Organization, org.id)
    assert (org.industry, org.size_band, org.benchmark_opt_in) == (None, None, False)
    assert _actions(org)[-1].detail == {"industry": None, "size_band": None, "opt_in": False}


def test_executives_cannot_change_the_benchmark_settings(app: Flask) -> None:
    world = build_world("org-main")
    client = executive_client(app, world, "en")
    assert client.get(f"/workspace/orgs/{world.org.slug}/settings").status_code == 404


def test_the_operation_refuses_unknown_industries_and_bands(app: Flask) -> None:
    org, _departments = make_org("acme")
    with pytest.raises(OperationError, match="Unknown industry 'mining'"):
        set_benchmark(org, industry="mining", size_band=None, opt_in=True)
    with pytest.raises(OperationError, match="Unknown size band '10-20'"):
        set_benchmark(org, industry=None, size_band="10-20", opt_in=True)


def test_the_cli_sets_the_industry_the_size_and_the_opt_in(app: Flask, runner) -> None:
    org, _departments = make_org("acme")
    result = runner.invoke(
        args=[
            "org",
            "set-benchmark",
            "acme",
            "--industry",
            "banking",
            "--size",
            "5000+",
            "--opt-in",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "acme: Benchmark: joined; industry banking; size 5000+ employees." in result.output
    db.session.expire_all()
    org = db.session.get(Organization, org.id)
    assert (org.industry, org.size_band, org.benchmark_opt_in) == ("banking", "5000+", True)
    assert _actions(org)[-1].action == "organization.benchmark_set"
    assert _actions(org)[-1].user_id is None

    # What is left out stays; "none" unsets.
    result = runner.invoke(args=["org", "set-benchmark", "acme", "--opt-out"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["org", "set-benchmark", "acme", "--size", "none"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    org = db.session.get(Organization, org.id)
    assert (org.industry, org.size_band, org.benchmark_opt_in) == ("banking", None, False)

    shown = runner.invoke(args=["org", "show", "acme"])
    assert "Benchmark: not joined; industry banking; size none." in shown.output

    wrong = runner.invoke(args=["org", "set-benchmark", "acme", "--industry", "mining"])
    assert wrong.exit_code == 2
    assert "'mining' is not one of" in wrong.output
    missing = runner.invoke(args=["org", "set-benchmark", "nobody", "--opt-in"])
    assert missing.exit_code == 1


# Migration -----------------------------------------------------------------------------------


def _columns() -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns("organization")}


def test_migration_0015_adds_the_bands_and_the_opt_in_and_removes_them(test_database) -> None:
    url, options = test_database.new("benchmark_bands")
    migrated = create_app(make_config(url, options))
    runner = migrated.test_cli_runner()
    with migrated.app_context():
        assert runner.invoke(args=["db", "upgrade", "0014"]).exit_code == 0
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organization (id, name, slug, created_at)"
                    " VALUES (1, 'エー商事', 'acme', '2026-04-01 09:00:00+00:00')"
                )
            )
            # On SQLite the table is rebuilt: what refers to it must survive that.
            conn.execute(
                text(
                    "INSERT INTO department (id, organization_id, name, position, archived)"
                    " VALUES (1, 1, '営業部', 0, :f)"
                ),
                {"f": False},
            )
        assert {"industry", "size_band", "benchmark_opt_in"}.isdisjoint(_columns())

        upgrade = runner.invoke(args=["db", "upgrade"])
        assert upgrade.exit_code == 0, upgrade.output
        with db.engine.begin() as conn:
            rows = conn.execute(
                text("SELECT slug, industry, size_band, benchmark_opt_in FROM organization")
            ).all()
            assert [(slug, i, s, bool(o)) for slug, i, s, o in rows] == [
                ("acme", None, None, False)
            ]
            conn.execute(text("UPDATE organization SET industry = 'banking', size_band = '5000+'"))
        with pytest.raises(Exception, match=r"(?i)check"), db.engine.begin() as conn:
            conn.execute(text("UPDATE organization SET industry = 'mining'"))
        with pytest.raises(Exception, match=r"(?i)check"), db.engine.begin() as conn:
            conn.execute(text("UPDATE organization SET size_band = '10-20'"))

        downgrade = runner.invoke(args=["db", "downgrade", "0014"])
        assert downgrade.exit_code == 0, downgrade.output
        assert {"industry", "size_band", "benchmark_opt_in"}.isdisjoint(_columns())
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT slug FROM organization")).scalars().all() == ["acme"]
            assert conn.execute(text("SELECT name FROM department")).scalars().all() == ["営業部"]
        db.engine.dispose()
