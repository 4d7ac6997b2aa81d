"""A trend between rounds on different questionnaire versions compares the items the versions
share, both rounds' scores recomputed over them; a dimension sharing none is not comparable."""

from __future__ import annotations

import csv
import io
import itertools
import re
import subprocess

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.platform.extensions import db as database
from app.questionnaire import parse_questionnaire
from app.reporting import service
from app.results import campaign_results
from app.results.serialize import results_document
from tests import factories, versions_support
from tests.integration.test_api_v1 import validate
from tests.integration.test_results_audience_gaps import _hand_mean
from tests.integration.workspace_support import login, make_client

_orgs = itertools.count()
FAST = settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Per dimension of 2.0.0, its items compared and the 1.0.0 items they keep.
COMPARED = {
    "org": (["org_vision_daily", "org_owner_seen"], ["org_vision", "org_owner"]),
    "ops": (["ops_metrics_seen"], ["ops_metrics"]),
}


def _people(questionnaire, role: str):
    items = [item.id for item in questionnaire.items_for(role)]
    unanswered = "dk" if questionnaire.scale.allows_dont_know else "na"
    answer = st.integers(1, 5) | st.just(unanswered)
    return st.lists(st.fixed_dictionaries(dict.fromkeys(items, answer)), min_size=3, max_size=5)


def _rounds(old_answers, new_answers, new_questionnaire=None):
    org = factories.make_org(f"trend-{next(_orgs)}", ("営業部",))
    rounds = []
    for name, questionnaire, people in (
        ("2025", versions_support.old(), old_answers),
        ("2026", new_questionnaire or versions_support.new(), new_answers),
    ):
        campaign = factories.make_campaign(org, name=name, questionnaire=questionnaire)
        for person, answers in zip(
            factories.add_people(campaign, len(people), role="executive"), people, strict=True
        ):
            factories.submit(person, answers=answers)
        rounds.append(campaign)
    rounds[1].previous_campaign_id = rounds[0].id
    database.session.commit()
    return rounds[1]


@FAST
@given(data=st.data())
def test_a_trend_across_versions_equals_the_hand_computation_on_the_common_items(db, data) -> None:
    old, new = versions_support.old(), versions_support.new()
    old_answers = data.draw(_people(old, "executive"))
    new_answers = data.draw(_people(new, "executive"))
    results = campaign_results(_rounds(old_answers, new_answers))
    trends = {t.dimension: t for t in results.trends if t.breakdown == "organization"}
    for dimension, (new_items, old_items) in COMPARED.items():
        comparability = results.comparability(dimension)
        assert comparability.comparable
        assert comparability.recomputed
        assert comparability.items == tuple(zip(new_items, old_items, strict=True))
        current, n_current = _hand_mean(new, new_answers, new_items)
        previous, n_previous = _hand_mean(old, old_answers, old_items)
        if n_current < 3 or n_previous < 3:
            assert dimension not in trends
            continue
        trend = trends[dimension]
        assert (trend.n_current, trend.n_previous) == (n_current, n_previous)
        assert abs(trend.current_mean - current) < 1e-9
        assert abs(trend.previous_mean - previous) < 1e-9
        assert abs(trend.change - (current - previous)) < 1e-9


def test_a_dimension_sharing_no_item_is_not_comparable(app, db) -> None:
    text = versions_support.NEW.replace("        was: ops_metrics\n", "")
    questionnaire = parse_questionnaire(text, "mini.yaml")
    old_answers = [dict.fromkeys((i.id for i in versions_support.old().items), 3)] * 4
    new_answers = [dict.fromkeys((i.id for i in questionnaire.items), 4)] * 4
    campaign = _rounds(old_answers, new_answers, questionnaire)
    results = campaign_results(campaign)
    assert {t.dimension for t in results.trends if t.breakdown == "organization"} == {"org"}
    ops = results.comparability("ops")
    assert not ops.comparable
    assert ops.items == ()
    document = results.to_dict()
    assert {c["dimension"]: c["comparable"] for c in document["trend_comparability"]} == {
        "org": True,
        "ops": False,
    }


def test_rounds_on_the_same_version_compare_every_item(app, db) -> None:
    org = factories.make_org("same-version", ("営業部",))
    rounds = []
    for name, value in (("2025", 2), ("2026", 4)):
        campaign = factories.make_campaign(org, name=name, questionnaire=versions_support.new())
        for person in factories.add_people(campaign, 3, role="executive"):
            factories.submit(person, value)
        rounds.append(campaign)
    rounds[1].previous_campaign_id = rounds[0].id
    database.session.commit()
    results = campaign_results(rounds[1])
    ops = results.comparability("ops")
    assert ops.comparable
    assert not ops.recomputed
    assert ops.items == (("ops_metrics_seen", "ops_metrics_seen"), ("ops_new", "ops_new"))
    trend = next(
        t for t in results.trends if t.breakdown == "organization" and t.dimension == "org"
    )
    # org_blame is reverse-worded: 2025 scores (2 + 2 + 4) / 3, 2026 (4 + 4 + 2) / 3.
    assert abs(trend.change - (10 / 3 - 8 / 3)) < 1e-9


def test_dashboard_api_and_pdf_say_which_dimensions_are_not_comparable(app, db) -> None:
    text = versions_support.NEW.replace("        was: ops_metrics\n", "")
    questionnaire = parse_questionnaire(text, "mini.yaml")
    old_answers = [dict.fromkeys((i.id for i in versions_support.old().items), 2)] * 4
    new_answers = [dict.fromkeys((i.id for i in questionnaire.items), 4)] * 4
    campaign = _rounds(old_answers, new_answers, questionnaire)
    results = campaign_results(campaign)

    document = results_document(results)
    validate(document, "Results")
    assert document["trend_comparability"][1] == {
        "dimension": "ops",
        "comparable": False,
        "items": [],
        "recomputed": True,
    }
    assert document["trend_comparability"][0]["items"] == [
        {"item": "org_vision_daily", "was": "org_vision"},
        {"item": "org_owner_seen", "was": "org_owner"},
    ]
    assert [t["dimension"] for t in document["trends"]] == ["org"]

    factories.grant(
        factories.make_user("trend@versions.example"), campaign.organization, "executive"
    )
    for language, word in (("ja", "比較不可"), ("en", "not comparable")):
        client = make_client(app, language)
        assert login(client, "trend@versions.example").status_code == 302
        page = client.get(f"/dashboard/campaigns/{campaign.id}/trend").get_data(as_text=True)
        assert f'<td class="num muted not-comparable">{word}</td>' in page
        # One cell per group row, in the operations column only.
        assert page.count("not-comparable") == page.count('<tr><th scope="row">')

    pdf = service.render_pdf(campaign, locale="ja")
    flat = re.sub(
        r"\s+",
        "",
        subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode("utf-8"),
    )
    assert "比較不可：この領域には、前回と今回の設問票に共通する設問がありません。" in flat
    assert "前回から設問票が改訂されています。" in flat


def _rounds_in(department: str, old_answers, new_answers, new_questionnaire):
    """Two rounds of executives in one ``department``: 1.0.0, then ``new_questionnaire``."""
    org = factories.make_org(f"trend-{next(_orgs)}", (department,))
    rounds = []
    for name, questionnaire, people in (
        ("2025", versions_support.old(), old_answers),
        ("2026", new_questionnaire, new_answers),
    ):
        campaign = factories.make_campaign(org, name=name, questionnaire=questionnaire)
        for person, answers in zip(
            factories.add_people(campaign, len(people), role="executive"), people, strict=True
        ):
            factories.submit(person, answers=answers)
        rounds.append(campaign)
    rounds[1].previous_campaign_id = rounds[0].id
    database.session.commit()
    factories.grant(
        factories.make_user(f"chart@{org.slug}.example"), campaign.organization, "executive"
    )
    return rounds[1], f"chart@{org.slug}.example"


def _across_versions(department: str = "営業部"):
    text = versions_support.NEW.replace("        was: ops_metrics\n", "")
    questionnaire = parse_questionnaire(text, "mini.yaml")
    old_answers = [dict.fromkeys((i.id for i in versions_support.old().items), 2)] * 4
    # org_blame is reverse-worded: 5 scores 1, so the whole of org is 3.00 in 2026, while the
    # items the versions share (org_vision_daily, org_owner_seen) score 4.00.
    new_answers = [
        {"org_vision_daily": 4, "org_owner_seen": 4, "org_blame": 5, "ops_metrics_seen": 4}
        | {"ops_new": 4}
    ] * 4
    return _rounds_in(department, old_answers, new_answers, questionnaire)


def test_the_slope_chart_across_versions_follows_the_comparable_items(app, db) -> None:
    campaign, email = _across_versions()
    results = campaign_results(campaign)
    trend = next(
        t for t in results.trends if t.breakdown == "organization" and t.dimension == "org"
    )
    assert (trend.previous_mean, trend.current_mean) == (2.0, 4.0)
    assert results.organization.scores["org"].mean == 3.0
    for language, org_title, words in (
        ("en", "Organisation", "Not in the chart: Operations."),
        ("ja", "組織", "グラフに含めていない領域：運用。"),
    ):
        client = make_client(app, language)
        assert login(client, email).status_code == 302
        page = client.get(f"/dashboard/campaigns/{campaign.id}/trend").get_data(as_text=True)
        alt = re.search(r'<figure class="dash-chart wide"><img src="[^"]*" alt="([^"]*)"', page)
        assert alt is not None
        # The same figures as the trend table; the non-comparable dimension is left out.
        assert f"{org_title}: 2.00 → 4.00" in alt.group(1)
        assert "3.00" not in alt.group(1)
        assert alt.group(1).count("→") == 1
        assert words in page


def test_the_trend_csv_says_which_dimensions_are_comparable(app, db) -> None:
    campaign, email = _across_versions("=1+2")
    client = make_client(app, "en")
    assert login(client, email).status_code == 302
    response = client.get(f"/dashboard/campaigns/{campaign.id}/trend.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    assert header[:6] == ["Group", "Dimension", "Comparable", "Previous", "Current", "Change"]
    body = [row for row in rows[1:] if row and row[1] in ("Organisation", "Operations")]
    by_group: dict[str, dict[str, list[str]]] = {}
    for row in body:
        by_group.setdefault(row[0], {})[row[1]] = row
    assert "Whole organisation" in by_group
    # The department's name is written formula-safe.
    assert "'=1+2" in by_group
    assert "=1+2" not in by_group
    for cells in by_group.values():
        org, ops = cells["Organisation"], cells["Operations"]
        assert org[2:6] == ["yes", "2.00", "4.00", "+2.00"]
        assert ops[2] == "no"
        assert ops[3:] == [""] * (len(header) - 3)
