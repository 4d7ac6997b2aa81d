"""The results engine on a real database, checked against a pure-Python computation.

A campaign with known answers is built through the write operations; every figure the
engine derives from GROUP BY sums is recomputed here from the raw answers with the standard
library and scipy, group by group.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import current_app
from scipy import stats as scipy_stats
from sqlalchemy import event, select, update

from app import create_app
from app.models import Answer, Campaign, Department, Response
from app.operations.campaigns import close_campaign, create_campaign, open_campaign
from app.operations.organizations import add_department, create_organization
from app.operations.participants import invite_participant
from app.operations.responses import save_answers, start_response, submit_response
from app.platform.extensions import db as _db
from app.questionnaire import parse_questionnaire
from app.results import campaign_results, clear_cache, open_text_answers
from tests.conftest import empty_tables, make_config

QUESTIONNAIRE = """
id: results-test
version: "1.0.0"
locales: [ja, en]
title: {ja: テスト診断, en: Test assessment}
scale:
  min: 1
  max: 5
  labels:
    1: {ja: 未着手, en: Not started}
    2: {ja: 部分的, en: Ad hoc}
    3: {ja: 途上, en: Developing}
    4: {ja: 定着, en: Established}
    5: {ja: 先進的, en: Leading}
  not_applicable: {ja: 該当しない, en: Not applicable}
dimensions:
  - id: alpha
    kind: capability
    title: {ja: アルファ, en: Alpha}
    items:
      - {id: a1, text: {ja: a1, en: a1}}
      - {id: a2, text: {ja: a2, en: a2}, reverse: true}
      - {id: a3, text: {ja: a3, en: a3}, weight: 2}
  - id: beta
    kind: capability
    title: {ja: ベータ, en: Beta}
    items:
      - {id: b1, text: {ja: b1, en: b1}}
      - {id: b2, text: {ja: b2, en: b2}}
  - id: gamma
    kind: stage
    title: {ja: ガンマ, en: Gamma}
    items:
      - {id: g1, text: {ja: g1, en: g1}}
      - {id: g2, text: {ja: g2, en: g2}, weight: 0.5}
open_questions:
  - id: comment
    text: {ja: コメント, en: Comment}
"""

ITEMS = {
    "alpha": [("a1", False, 1.0), ("a2", True, 1.0), ("a3", False, 2.0)],
    "beta": [("b1", False, 1.0), ("b2", False, 1.0)],
    "gamma": [("g1", False, 1.0), ("g2", False, 0.5)],
}
KINDS = {"alpha": "capability", "beta": "capability", "gamma": "stage"}

#: (department, role, respondents)
LAYOUT = [
    ("HQ", "executive", 6),
    ("HQ", "middle_manager", 6),
    ("HQ", "frontline", 8),
    ("Sales", "executive", 5),
    ("Retail", "executive", 2),
    ("Retail", "middle_manager", 6),
    ("Retail", "frontline", 12),
    ("Corporate", "middle_manager", 5),
    ("Corporate", "frontline", 9),
    ("Support", "executive", 1),
    ("Support", "middle_manager", 5),
    ("Support", "frontline", 10),
]
ROLE_SHIFT = {"executive": 0.9, "middle_manager": 0.2, "frontline": -0.4}


@dataclass
class Built:
    campaign: Campaign
    departments: dict[str, Department]
    #: (department name, role key, {item: value or "na"; missing = skipped})
    respondents: list[tuple[str, str, dict[str, int | str]]] = field(default_factory=list)

    def department_id(self, name: str) -> int:
        return self.departments[name].id


def _answers(rng: random.Random, role: str, na_beta: bool) -> dict[str, int | str]:
    person = rng.gauss(3.0 + ROLE_SHIFT[role], 0.6)
    answers: dict[str, int | str] = {}
    for dimension, items in ITEMS.items():
        for item, reverse, _weight in items:
            if dimension == "beta" and na_beta:
                answers[item] = "na"
                continue
            roll = rng.random()
            if roll < 0.05:
                answers[item] = "na"
                continue
            if roll < 0.08:
                continue  # skipped
            value = max(1, min(5, round(person + rng.gauss(0, 0.8))))
            answers[item] = 6 - value if reverse else value
    if rng.random() < 0.5:
        answers["comment"] = f"comment {rng.randint(1, 999)}"
    return answers


def build(
    db,
    *,
    slug: str = "acme",
    seed: int = 1,
    previous: Campaign | None = None,
    organization=None,
    departments: dict[str, Department] | None = None,
    layout=LAYOUT,
    na_beta_in: tuple[str, str, int] | None = ("Support", "frontline", 6),
    questionnaire_text: str = QUESTIONNAIRE,
) -> Built:
    """A campaign with the LAYOUT's respondents, answered at random through the operations."""
    if organization is None:
        organization = create_organization(slug, "Acme")
        departments = {"HQ": add_department(organization, "HQ")}
        departments["Sales"] = add_department(organization, "Sales")
        departments["Retail"] = add_department(organization, "Retail", departments["Sales"])
        departments["Corporate"] = add_department(organization, "Corporate", departments["Sales"])
        departments["Support"] = add_department(organization, "Support")
    assert departments is not None
    roles = {role.key: role for role in organization.roles}
    questionnaire = parse_questionnaire(questionnaire_text)
    campaign = create_campaign(organization, questionnaire, f"round {seed}", previous=previous)
    open_campaign(campaign)
    built = Built(campaign, departments)
    rng = random.Random(seed)
    for department, role, count in layout:
        for index in range(count):
            na_beta = na_beta_in is not None and (department, role) == na_beta_in[:2]
            na_beta = na_beta and index < na_beta_in[2]
            answers = _answers(rng, role, na_beta)
            participant, _ = invite_participant(campaign, departments[department], roles[role])
            response = start_response(participant)
            save_answers(response, questionnaire, answers)
            submit_response(response)
            built.respondents.append((department, role, answers))
        # Committing per group keeps the session small, so each flush stays cheap.
        db.session.commit()
    # Invited but never answered: counts, not scores.
    invite_participant(campaign, departments["HQ"], roles["frontline"])
    db.session.commit()
    return built


# Reference computation ----------------------------------------------------------------


def respondent_score(
    answers: dict[str, int | str], dimension: str, weighted: bool = True
) -> float | None:
    items = [(item, rev, w if weighted else 1.0) for item, rev, w in ITEMS[dimension]]
    answered = [(item, rev, w) for item, rev, w in items if isinstance(answers.get(item), int)]
    if len(answered) * 2 < len(items):
        return None
    total = sum(w * (6 - answers[item] if rev else answers[item]) for item, rev, w in answered)
    return total / sum(w for _, _, w in answered)


def overall(answers: dict[str, int | str], kind: str) -> float | None:
    scores = [respondent_score(answers, d) for d, k in KINDS.items() if k == kind]
    present = [s for s in scores if s is not None]
    return sum(present) / len(present) if present else None


def members(built: Built, department: str | None = None, role: str | None = None):
    subtree = {"Sales": {"Sales", "Retail", "Corporate"}}
    wanted = None if department is None else subtree.get(department, {department})
    return [
        answers
        for dept, rl, answers in built.respondents
        if (wanted is None or dept in wanted) and (role is None or rl == role)
    ]


def reference_stats(values: list[float]) -> dict[str, float | None]:
    n = len(values)
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if n >= 2 else None
    half = None
    if sd is not None:
        half = scipy_stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    return {
        "n": n,
        "mean": mean,
        "sd": sd,
        "median": statistics.median(values),
        "ci_low": None if half is None else mean - half,
        "ci_high": None if half is None else mean + half,
    }


def reference_rwg(group: list[dict[str, int | str]], dimension: str) -> float | None:
    scored = [a for a in group if respondent_score(a, dimension) is not None]
    if len(scored) < 3:
        return None
    variances = []
    for item, _, _ in ITEMS[dimension]:
        values = [a[item] for a in group if isinstance(a.get(item), int)]
        if len(values) >= 2:
            variances.append(statistics.variance(values))
    ratio = statistics.fmean(variances) / 2.0  # (5 * 5 - 1) / 12
    if ratio >= 1:
        return 0.0
    j = len(variances)
    return j * (1 - ratio) / (j * (1 - ratio) + ratio)


def check_cell(cell, group: list[dict[str, int | str]], dimension: str) -> None:
    values = [s for a in group if (s := respondent_score(a, dimension)) is not None]
    expected = reference_stats(values)
    assert cell.status == "ok"
    assert cell.n == expected["n"]
    for name in ("mean", "sd", "median", "ci_low", "ci_high"):
        assert getattr(cell, name) == pytest.approx(expected[name], abs=1e-9), name
    assert cell.level == min(5, max(1, math.floor(expected["mean"] + 0.5)))
    assert cell.agreement == pytest.approx(reference_rwg(group, dimension), abs=1e-9)


# Tests --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rounds(database_url) -> Iterator[tuple[Built, Built]]:
    """Two rounds of the same organisation, built once: these tests only read them."""
    url, options = database_url
    app = create_app(make_config(url, options))
    with app.app_context():
        clear_cache()
        first = build(_db, seed=11)
        close_campaign(first.campaign)
        _db.session.commit()
        second = build(
            _db,
            seed=12,
            previous=first.campaign,
            organization=first.campaign.organization,
            departments=first.departments,
        )
        second.campaign.targets = {"alpha": 4, "beta": 3.5}
        _db.session.commit()
        yield first, second
        _db.session.rollback()
        _db.session.remove()
        empty_tables(_db.engine)
        _db.engine.dispose()


@pytest.fixture
def built(rounds: tuple[Built, Built]) -> Built:
    return rounds[1]


def test_every_shown_cell_matches_the_raw_answer_computation(built: Built) -> None:
    results = campaign_results(built.campaign)
    everyone = members(built)
    assert results.organization.n == len(everyone) == 75
    for dimension in ITEMS:
        check_cell(results.organization.scores[dimension], everyone, dimension)
    for kind in ("capability", "stage"):
        values = [s for a in everyone if (s := overall(a, kind)) is not None]
        assert results.organization.overall[kind].mean == pytest.approx(statistics.fmean(values))
    checked = 0
    for breakdown in ("role", "department", "role_department"):
        for group in results.groups(breakdown):
            if group.status != "ok":
                continue
            department = None
            if "department" in group.key:
                department = next(
                    name for name, d in built.departments.items() if d.id == group.key["department"]
                )
            answers = members(built, department, group.key.get("role"))
            assert group.n == len(answers)
            for dimension, cell in group.scores.items():
                if cell.status == "ok":
                    check_cell(cell, answers, dimension)
                    checked += 1
    assert checked > 30


def test_level_labels_and_distributions_come_from_the_questionnaire(built: Built) -> None:
    results = campaign_results(built.campaign)
    cell = results.organization.scores["alpha"]
    labels = {1: "未着手", 2: "部分的", 3: "途上", 4: "定着", 5: "先進的"}
    assert cell.level_label["ja"] == labels[cell.level]
    assert results.dimension("alpha").level_label == cell.level_label
    distribution = results.organization.distributions["a2"]
    # Answers as given (not reverse coded), not-applicable and skipped ones left out.
    raw = [a["a2"] for a in members(built) if isinstance(a.get("a2"), int)]
    assert distribution.n == len(raw)
    assert distribution.counts == tuple(raw.count(point) for point in range(1, 6))
    assert sum(distribution.proportions) == pytest.approx(1.0)


def test_parent_departments_include_their_sub_departments(built: Built) -> None:
    results = campaign_results(built.campaign)
    sales = results.group("department", department=built.department_id("Sales"))
    retail = results.group("department", department=built.department_id("Retail"))
    assert sales.n == 5 + 20 + 14
    assert retail.n == 20
    assert retail.parent_department_id == built.department_id("Sales")
    assert retail.depth == 1
    check_cell(sales.scores["beta"], members(built, "Sales"), "beta")
    cell = results.group(
        "role_department", department=built.department_id("Sales"), role="middle_manager"
    )
    assert cell.n == 6 + 5


def _hidden(results, breakdown: str, keys: list[dict]) -> list[dict]:
    """The keys among ``keys`` whose groups are suppressed."""
    return [key for key in keys if results.group(breakdown, **key).status == "suppressed"]


def test_small_groups_are_suppressed_with_their_complements(built: Built) -> None:
    results = campaign_results(built.campaign)
    retail = built.department_id("Retail")
    small = results.group("role_department", department=retail, role="executive")
    assert small.status == "suppressed"
    assert small.n is None
    assert not small.scores
    assert not small.distributions
    assert small.to_dict()["scores"] == {}
    empty = results.group(
        "role_department", department=built.department_id("Corporate"), role="executive"
    )
    assert empty.status == "no_data"
    assert empty.n == 0
    reasons = {
        (c.key.get("department"), c.key.get("role"), c.level): c.reason
        for c in results.suppressed_cells
    }
    assert reasons[(retail, "executive", "group")] == "below_threshold"
    # Every shown total has either no hidden part or at least two: none can be worked out
    # by subtracting the shown parts from the total.
    roles = ["executive", "middle_manager", "frontline"]
    top = [built.department_id(name) for name in ("HQ", "Sales", "Support")]
    families = [("role", [{"role": r} for r in roles])]
    families.append(("department", [{"department": d} for d in top]))
    for department in built.departments.values():
        if results.group("department", department=department.id).shown:
            families.append(
                ("role_department", [{"department": department.id, "role": r} for r in roles])
            )
    for role in roles:
        if results.group("role", role=role).shown:
            families.append(("role_department", [{"department": d, "role": role} for d in top]))
    for breakdown, keys in families:
        assert len(_hidden(results, breakdown, keys)) != 1, (breakdown, keys)
    retail_roles = [results.group("role_department", department=retail, role=r) for r in roles]
    assert sum(not group.shown for group in retail_roles) >= 2
    # No comparison ever involves a suppressed cell.
    for gap in results.gaps_of("role_department"):
        for side in (gap.a, gap.b):
            cell = results.group("role_department", **side)
            assert cell.shown
            assert cell.scores[gap.dimension].shown


def test_a_dimension_too_few_people_scored_is_withheld_in_a_shown_group(built: Built) -> None:
    results = campaign_results(built.campaign)
    support = built.department_id("Support")
    group = results.group("role_department", department=support, role="frontline")
    assert group.shown
    assert group.n == 10
    # Six of the ten answered "not applicable" to every beta item: four beta scores.
    assert group.scores["beta"].status == "suppressed"
    assert group.scores["beta"].mean is None
    assert group.scores["alpha"].shown
    assert group.distributions["b1"].status == "suppressed"
    withheld = [
        c
        for c in results.suppressed_cells
        if c.level == "dimension" and c.id == "beta" and dict(c.key) == dict(group.key)
    ]
    assert [c.reason for c in withheld] == ["below_threshold"]
    # The front line's beta total is shown, so one more department's front-line beta goes.
    assert results.group("role", role="frontline").scores["beta"].shown
    hidden = [
        department
        for department in ("HQ", "Sales")
        if not results.group(
            "role_department", department=built.department_id(department), role="frontline"
        )
        .scores["beta"]
        .shown
    ]
    assert hidden


def _holm(p_values: list[float]) -> list[float]:
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def _hedges(a: list[float], b: list[float]) -> float:
    pooled = math.sqrt(
        ((len(a) - 1) * statistics.variance(a) + (len(b) - 1) * statistics.variance(b))
        / (len(a) + len(b) - 2)
    )
    return (
        (statistics.fmean(a) - statistics.fmean(b)) / pooled * (1 - 3 / (4 * (len(a) + len(b)) - 9))
    )


def test_role_gaps_match_welch_hedges_and_holm(built: Built) -> None:
    results = campaign_results(built.campaign)
    gaps = results.gaps_of("role")
    assert len(gaps) == 3 * 3  # three role pairs on three dimensions
    raw_p = []
    for gap in gaps:
        a = [
            s
            for x in members(built, role=gap.a["role"])
            if (s := respondent_score(x, gap.dimension)) is not None
        ]
        b = [
            s
            for x in members(built, role=gap.b["role"])
            if (s := respondent_score(x, gap.dimension)) is not None
        ]
        welch = scipy_stats.ttest_ind(a, b, equal_var=False)
        assert gap.difference == pytest.approx(statistics.fmean(a) - statistics.fmean(b))
        assert gap.p_value == pytest.approx(welch.pvalue, rel=1e-6)
        assert gap.hedges_g == pytest.approx(_hedges(a, b), rel=1e-9)
        raw_p.append(welch.pvalue)
        order = ["executive", "middle_manager", "frontline"]
        assert order.index(gap.a["role"]) < order.index(gap.b["role"])
        expected_direction = "aligned"
        if abs(gap.difference) >= 0.5:
            expected_direction = (
                "blind_spot_at_the_top" if gap.difference > 0 else "hidden_strength_below"
            )
        assert gap.direction == expected_direction
        assert set(gap.direction_label) == {"ja", "en"}
    for gap, expected in zip(gaps, _holm(raw_p), strict=True):
        assert gap.p_adjusted == pytest.approx(expected, rel=1e-6)
        assert gap.significant == (expected < 0.05)
    executive_frontline = [
        g for g in gaps if (g.a["role"], g.b["role"]) == ("executive", "frontline")
    ]
    assert any(g.direction_label["ja"] == "経営層の盲点" for g in executive_frontline)


def test_department_gaps_compare_with_the_rest_of_the_organization(built: Built) -> None:
    results = campaign_results(built.campaign)
    gaps = results.gaps_of("department")
    hq = built.department_id("HQ")
    gap = next(g for g in gaps if g.a == {"department": hq} and g.dimension == "alpha")
    assert gap.b == {"rest": True}
    assert gap.b_label["en"] == "Rest of the organisation"
    inside = [s for x in members(built, "HQ") if (s := respondent_score(x, "alpha")) is not None]
    rest = [
        s
        for dept, _, x in built.respondents
        if dept != "HQ" and (s := respondent_score(x, "alpha")) is not None
    ]
    assert gap.difference == pytest.approx(statistics.fmean(inside) - statistics.fmean(rest))
    welch = scipy_stats.ttest_ind(inside, rest, equal_var=False)
    assert gap.p_value == pytest.approx(welch.pvalue, rel=1e-6)
    assert gap.direction in ("above_rest", "below_rest", "aligned")


def test_reliability_uses_respondents_who_answered_every_item(built: Built) -> None:
    results = campaign_results(built.campaign)
    for dimension, items in ITEMS.items():
        complete = [
            [6 - a[item] if rev else a[item] for item, rev, _ in items]
            for a in members(built)
            if all(isinstance(a.get(item), int) for item, _, _ in items)
        ]
        k = len(items)
        item_variances = [statistics.variance(column) for column in zip(*complete, strict=True)]
        total_variance = statistics.variance([sum(row) for row in complete])
        alpha = k / (k - 1) * (1 - sum(item_variances) / total_variance)
        reliability = results.dimension(dimension).reliability
        assert reliability.n == len(complete)
        assert reliability.items == k
        assert reliability.alpha == pytest.approx(alpha, rel=1e-9)


def test_response_counts_balance_targets_and_recommendations(built: Built) -> None:
    results = campaign_results(built.campaign)
    counts = results.response_counts
    assert counts.total.invited == 76
    assert counts.total.submitted == 75
    hq = next(
        row for row in counts.by_department if row.key == {"department": built.department_id("HQ")}
    )
    assert (hq.invited, hq.submitted) == (21, 20)
    # Counts are shown even for groups too small to show scores.
    support_exec = next(row for row in counts.by_role if row.key == {"role": "executive"})
    assert support_exec.submitted == 6 + 5 + 2 + 1
    alpha = results.organization.scores["alpha"].mean
    beta = results.organization.scores["beta"].mean
    assert results.targets.shortfalls["alpha"] == pytest.approx(max(0, 4 - alpha))
    assert results.targets.shortfalls["beta"] == pytest.approx(max(0, 3.5 - beta))
    # Progress counts from the previous round's scores (the baseline), not from zero.
    base = results.targets.baseline
    assert set(base) == {"alpha", "beta"}
    assert results.targets.progress == pytest.approx(
        (alpha - base["alpha"] + beta - base["beta"]) / (4 - base["alpha"] + 3.5 - base["beta"])
    )
    assert results.dimension("alpha").target == 4
    balance = results.balance["capability"]
    assert balance.spread == pytest.approx(abs(alpha - beta))
    assert balance.weakest == ("alpha" if alpha < beta else "beta")
    assert results.recommendations == ()  # the shipped catalogue has no test dimensions


def test_previous_round_gives_the_same_breakdowns_and_trends(rounds) -> None:
    first, second = rounds
    results = campaign_results(second.campaign)
    assert results.previous is not None
    assert results.previous.campaign_id == first.campaign.id
    assert results.previous.organization.n == 75
    organization_trends = [t for t in results.trends if t.breakdown == "organization"]
    assert {t.dimension for t in organization_trends} == set(ITEMS)
    raw_p = []
    for trend in organization_trends:
        now = [
            s for a in members(second) if (s := respondent_score(a, trend.dimension)) is not None
        ]
        before = [
            s for a in members(first) if (s := respondent_score(a, trend.dimension)) is not None
        ]
        assert trend.change == pytest.approx(statistics.fmean(now) - statistics.fmean(before))
        welch = scipy_stats.ttest_ind(now, before, equal_var=False)
        assert trend.p_value == pytest.approx(welch.pvalue, rel=1e-6)
        raw_p.append(welch.pvalue)
    for trend, expected in zip(organization_trends, _holm(raw_p), strict=True):
        assert trend.p_adjusted == pytest.approx(expected, rel=1e-6)
    breakdowns = {t.breakdown for t in results.trends}
    assert {"role", "department"} <= breakdowns
    # A group suppressed in either round has no trend.
    retail = first.department_id("Retail")
    assert not [
        t for t in results.trends if dict(t.key) == {"department": retail, "role": "executive"}
    ]


def test_findings_and_recommendations_from_report_files(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rules.yaml").write_text(
        """
rules:
  - id: weakest_capability
    severity: low
    when: {weakest: capability}
    text: {ja: "最も弱いのは{dimension}（{score}）", en: "Weakest: {dimension} ({score})"}
  - id: never
    when: {score: alpha, op: ">", value: 5}
    text: {ja: "なし", en: "none"}
  - id: role_gap
    when: {largest_gap: {breakdown: role}}
    text: {ja: "{group_a}と{group_b}: {gap}", en: "{group_a} vs {group_b}: {gap}"}
""",
        encoding="utf-8",
    )
    levels = "".join(
        f"    {n}:\n"
        f"      - {{action: {{ja: 'b{n}', en: 'first at {n}'}}, owner: cx_office,\n"
        f"         horizon: '0-6', measure: {{ja: 'm', en: 'm'}}, scope: department}}\n"
        f"      - {{action: {{ja: 'a{n}', en: 'alpha level {n}'}}, owner: hr, horizon: '6-18',\n"
        f"         measure: {{ja: 'm', en: 'm'}}, scope: organisation}}\n"
        for n in range(1, 6)
    )
    (tmp_path / "recommendations.yaml").write_text(
        f"version: 2\ndimensions:\n  alpha:\n{levels}", encoding="utf-8"
    )
    monkeypatch.setitem(current_app.config, "CX_REPORTS_DIR", str(tmp_path))
    results = campaign_results(built.campaign, locale="en")
    fired = {f.rule: f for f in results.findings}
    assert set(fired) == {"weakest_capability", "role_gap"}
    assert [f.rule for f in results.findings] == ["role_gap", "weakest_capability"]
    weakest = results.balance["capability"].weakest
    title = {"alpha": "Alpha", "beta": "Beta"}[weakest]
    score = results.organization.scores[weakest].mean
    assert fired["weakest_capability"].text["en"] == f"Weakest: {title} ({score:.2f})"
    assert fired["weakest_capability"].dimension == weakest
    assert "経営層" in fired["role_gap"].text["ja"] or "現場" in fired["role_gap"].text["ja"]
    level = results.dimension("alpha").level
    recommendation = results.dimension("alpha").recommendation
    assert recommendation.level == level
    # In sequence: the first steps before the building ones.
    assert [a.text["en"] for a in recommendation.actions] == [
        f"first at {level}",
        f"alpha level {level}",
    ]
    assert [a.scope for a in recommendation.actions] == ["department", "organisation"]
    plain = results.to_dict()["recommendations"][0]
    assert plain["actions"][0] == {
        "text": {"ja": f"b{level}", "en": f"first at {level}"},
        "owner": "cx_office",
        "horizon": "0-6",
        "measure": {"ja": "m", "en": "m"},
        "scope": "department",
    }
    assert results.text(fired["weakest_capability"].text).startswith("Weakest")


def test_scores_come_from_sums_without_loading_answer_objects(built: Built) -> None:
    loaded: list[object] = []

    def record(instance, *args) -> None:
        loaded.append(instance)

    _db.session.expire_all()
    event.listen(Answer, "load", record)
    event.listen(Answer, "refresh", record)
    try:
        results = campaign_results(built.campaign, cache=False)
    finally:
        event.remove(Answer, "load", record)
        event.remove(Answer, "refresh", record)
    assert results.organization.n == 75
    assert loaded == []


def test_stray_values_written_outside_the_app_are_left_out(rounds) -> None:
    """A value off the scale or an answer to an unknown item is not counted anywhere."""
    own = build(_db, slug="stray", seed=5, layout=[("HQ", "executive", 7), ("HQ", "frontline", 7)])
    close_campaign(own.campaign)
    _db.session.commit()
    responses = _db.session.scalars(
        select(Response.id).where(Response.campaign_id == own.campaign.id).order_by(Response.id)
    ).all()
    target = next(i for i, (_, _, a) in enumerate(own.respondents) if isinstance(a.get("a1"), int))
    _db.session.execute(
        update(Answer)
        .where(Answer.response_id == responses[target], Answer.item_id == "a1")
        .values(value=9)
    )
    _db.session.add(Answer(response_id=responses[0], item_id="retired", value=3))
    _db.session.commit()
    _db.session.expire_all()
    results = campaign_results(own.campaign, cache=False)
    everyone = [dict(a) for _, _, a in own.respondents]
    del everyone[target]["a1"]
    check_cell(results.organization.scores["alpha"], everyone, "alpha")
    distribution = results.organization.distributions["a1"]
    assert sum(distribution.counts) == sum(isinstance(a.get("a1"), int) for a in everyone)
    assert "retired" not in results.organization.distributions
    complete = [
        [6 - a[item] if rev else a[item] for item, rev, _ in ITEMS["alpha"]]
        for a in everyone
        if all(isinstance(a.get(item), int) for item, _, _ in ITEMS["alpha"])
    ]
    assert results.dimension("alpha").reliability.n == len(complete)


def test_an_unweighted_questionnaire_gives_the_raw_answer_means(rounds) -> None:
    """Without weights the scores come from the packed plain sums and counts alone."""
    text = QUESTIONNAIRE.replace(", weight: 2}", "}").replace(", weight: 0.5}", "}")
    assert "weight" not in text
    own = build(
        _db,
        slug="plain",
        seed=7,
        layout=[("HQ", "executive", 9), ("HQ", "frontline", 8)],
        questionnaire_text=text.replace('version: "1.0.0"', 'version: "1.0.1"'),
    )
    close_campaign(own.campaign)
    _db.session.commit()
    results = campaign_results(own.campaign, cache=False)
    for key, answers in (
        ({}, members(own)),
        ({"role": "frontline"}, members(own, role="frontline")),
    ):
        group = results.group("role", **key) if key else results.organization
        for dimension in ITEMS:
            values = [
                s for a in answers if (s := respondent_score(a, dimension, False)) is not None
            ]
            cell = group.scores[dimension]
            assert cell.n == len(values)
            assert cell.mean == pytest.approx(statistics.fmean(values), abs=1e-12)
            assert cell.sd == pytest.approx(statistics.stdev(values), abs=1e-12)
            assert cell.median == pytest.approx(statistics.median(values), abs=1e-12)


def test_responses_without_an_answer_on_the_scale_still_count(rounds) -> None:
    """Submitted with every answer "not applicable", or with none: counted, never scored."""
    own = build(_db, slug="blank", seed=6, layout=[("HQ", "executive", 6)], na_beta_in=None)
    campaign = own.campaign
    hq = own.departments["HQ"]
    executive = next(role for role in campaign.organization.roles if role.key == "executive")
    blank = [
        Response(
            campaign_id=campaign.id,
            department_id=hq.id,
            role_id=executive.id,
            status="submitted",
            source="import",
        )
        for _ in range(2)
    ]
    _db.session.add_all(blank)
    _db.session.flush()
    for item in ("a1", "a2", "b1"):
        _db.session.add(Answer(response_id=blank[0].id, item_id=item, not_applicable=True))
    close_campaign(campaign)
    _db.session.commit()
    results = campaign_results(campaign, cache=False)
    assert results.organization.n == 8
    everyone = [dict(a) for _, _, a in own.respondents]
    check_cell(results.organization.scores["alpha"], everyone, "alpha")
    assert results.organization.scores["alpha"].n == 6
    assert results.response_counts.total.submitted == 8
    assert results.organization.distributions["a1"].n == sum(
        isinstance(a.get("a1"), int) for a in everyone
    )


def test_open_text_is_shown_only_for_large_enough_groups(built: Built) -> None:
    results = campaign_results(built.campaign)
    everyone = open_text_answers(built.campaign, results=results)
    assert everyone.visible
    expected = sorted(a["comment"] for _, _, a in built.respondents if "comment" in a)
    assert sorted(answer.text for answer in everyone.answers) == expected
    assert [a.text for a in everyone.answers] == sorted(a.text for a in everyone.answers)
    retail = built.department_id("Retail")
    small = open_text_answers(
        built.campaign, department_id=retail, role_key="executive", results=results
    )
    assert not small.visible
    assert small.answers == ()
    assert small.n is None
    # Support has 16 people but only 1 executive: answers say "Support", never "executive".
    support = built.department_id("Support")
    support_texts = open_text_answers(built.campaign, department_id=support, results=results)
    assert support_texts.visible
    for answer in support_texts.answers:
        assert answer.department == {"ja": "Support", "en": "Support"}
        assert answer.role is None or answer.role["en"] != "Executive"
    assert support_texts.minimum == 10
