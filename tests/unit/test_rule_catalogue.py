"""The shipped rule catalogue, rule by rule: planted data it fires on, a flat profile it ignores.

Every rule id of ``reports/rules.yaml`` must have an entry in :data:`PLANTED`, so a rule added
without a test fails here. Each rule is tried in every scope it lists (organisation,
department). A flat profile (every dimension equal, no gaps, no trends, no targets, the cycle
without a bottleneck) silences every rule except ``flat_cycle``, which is that profile's message.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from app.analysis.actions import HORIZONS
from app.analysis.bottleneck import stage_bottleneck
from app.analysis.findings import (
    SCOPES,
    DimensionFact,
    DontKnowFact,
    Facts,
    FiredRule,
    RuleSet,
    load_rules,
)
from app.analysis.gaps import Gap, ItemGap, Trend
from app.analysis.unanswered import UnansweredRate
from tests.unit.test_findings_conditions import CAPABILITIES, LABELS, STAGES, TITLES
from tests.unit.test_findings_conditions import trend as base_trend
from tests.unit.test_recommendation_catalogue import (
    OWNERS,
    assert_consultancy_register,
    assert_fits_a_table_cell,
    levels,
)

ROOT = Path(__file__).resolve().parent.parent.parent
RULES = ROOT / "reports/rules.yaml"
RULE_IDS = [rule["id"] for rule in yaml.safe_load(RULES.read_text(encoding="utf-8"))["rules"]]

LEVELS = LABELS
ROLES = {
    "executive": {"ja": "経営層", "en": "Executives"},
    "middle_manager": {"ja": "ミドルマネジメント", "en": "Middle management"},
    "frontline": {"ja": "現場", "en": "Front line"},
}
SALES = {"ja": "営業部", "en": "Sales"}
REST = {"ja": "その他の部署", "en": "Rest of the organisation"}

#: Things only the organisation can do: never in what one department is told to do itself.
ORGANISATION_ONLY = {
    "ja": (
        "CXO",
        "任命",
        "役員評価",
        "人事評価",
        "経営会議",
        "取締役会",
        "予算",
        "投資",
        "中期経営計画",
        "全社KPI",
        "全社目標",
        "経営指標",
        "ガバナンス",
        "組織体制",
        "推進体制を整",
        "全社ビジョン",
    ),
    "en": (
        "CXO",
        "appoint",
        "executive evaluation",
        "performance review",
        "board",
        "budget",
        "invest",
        "mid-term plan",
        "company-wide KPI",
        "company KPI",
        "governance",
        "management meeting",
    ),
}
HEADLINE_MAX_JA = 40


# Facts -------------------------------------------------------------------------------------


def fact(dimension: str, score: float, agreement: float = 0.8, target: float | None = None):
    level = min(5, max(1, int(score + 0.5)))
    ja, en = TITLES[dimension]
    return DimensionFact(
        id=dimension,
        kind="capability" if dimension in CAPABILITIES else "stage",
        title={"ja": ja, "en": en},
        score=score,
        level=level,
        level_label={"ja": LEVELS[level], "en": f"Level {level}"},
        agreement=agreement,
        n=40,
        target=target,
    )


def stage_scores(means: dict[str, float], n: int = 40, noise: float = 0.2) -> dict:
    """Per-respondent stage scores around the given means (respondent effect plus noise)."""
    rng = np.random.default_rng(11)
    person = rng.normal(0, 0.5, n)
    return {
        stage: np.clip(mean + person + rng.normal(0, noise, n), 1, 5)
        for stage, mean in means.items()
    }


def profile(scope: str = "organisation", **scores: float) -> Facts:
    """Every dimension at 3.0 unless given; the cycle flat, no gaps, trends or targets."""
    values = dict.fromkeys((*CAPABILITIES, *STAGES), 3.0) | scores
    stages = {stage: values[stage] for stage in STAGES}
    # Equal stages: every respondent gives each stage the same score, so no stage stands out.
    equal = len(set(stages.values())) == 1
    per_respondent = stage_scores(stages, noise=0.0 if equal else 0.2)
    return Facts(
        {d: fact(d, v) for d, v in values.items()},
        bottleneck=stage_bottleneck(per_respondent, 5),
        scope=scope,
    )


def flat(scope: str = "organisation") -> Facts:
    facts = profile(scope)
    assert facts.bottleneck.verdict == "flat"
    return facts


def with_bottleneck(stage: str, scope: str) -> Facts:
    means = dict.fromkeys(STAGES, 3.2) | {stage: 2.5}
    facts = profile(scope, **means)
    assert facts.bottleneck.verdict == "bottleneck"
    assert facts.bottleneck.stage == stage
    return facts


def gap(
    dimension: str,
    difference: float,
    *,
    a: str = "executive",
    b: str = "frontline",
    significant: bool = True,
    direction: str | None = None,
    breakdown: str = "role",
) -> Gap:
    p = 0.01 if significant else 0.3
    if direction is None:
        direction = "aligned"
        if difference >= 0.5:
            direction = "blind_spot_at_the_top"
        elif difference <= -0.5:
            direction = "hidden_strength_below"
    if breakdown == "department":
        groups = ({"department": "sales"}, {"department": "rest"}, SALES, REST)
    else:
        groups = ({"role": a}, {"role": b}, ROLES[a], ROLES[b])
    return Gap(
        dimension=dimension,
        a=groups[0],
        b=groups[1],
        n_a=20,
        n_b=20,
        mean_a=3.0 + difference,
        mean_b=3.0,
        difference=difference,
        hedges_g=difference / 0.7,
        t=None,
        df=38.0,
        p_value=p,
        p_adjusted=p,
        significant=significant,
        notable=abs(difference) >= 0.5,
        direction=direction,
        breakdown=breakdown,
        a_label=groups[2],
        b_label=groups[3],
        se=0.1 if significant else 0.45,
    )


def trend(dimension: str, change: float, *, breakdown: str = "organization", group=None) -> Trend:
    """A significant change (notable from half a point) of the scope or of a group."""
    return base_trend(dimension, change, True, abs(change) >= 0.5, breakdown=breakdown, label=group)


def middle_layer(scope: str) -> Facts:
    means = {"executive": 3.5, "middle_manager": 2.8, "frontline": 3.4}
    gaps = []
    for higher, lower in (
        ("executive", "middle_manager"),
        ("executive", "frontline"),
        ("middle_manager", "frontline"),
    ):
        gaps.append(
            gap("org_behavior", means[higher] - means[lower], a=higher, b=lower, direction=None)
        )
    return replace(profile(scope), gaps=tuple(gaps))


ITEM = {
    "ja": "経営層はCXビジョンを自らの言葉で繰り返し発信しています。",
    "en": "Executives repeatedly communicate the CX vision in their own words.",
}


def item_gap(scope: str) -> Facts:
    found = ItemGap("ob_vision_voice", gap("org_behavior", 1.1))
    assert found.gap.verdict == "clear"
    return replace(profile(scope), item_gaps=(found,), items={"ob_vision_voice": ITEM})


def targets(scope: str) -> Facts:
    facts = profile(scope, design=2.8, operations=3.1)
    dimensions = dict(facts.dimensions)
    dimensions["design"] = replace(dimensions["design"], target=3.5)
    dimensions["operations"] = replace(dimensions["operations"], target=3.4)
    return replace(facts, dimensions=dimensions)


def trends(scope: str, *found: Trend) -> Facts:
    return replace(profile(scope), trends=found)


def gaps(scope: str, *found: Gap) -> Facts:
    return replace(profile(scope), gaps=found)


def low_agreement(scope: str) -> Facts:
    facts = profile(scope)
    dimensions = dict(facts.dimensions)
    dimensions["design"] = replace(dimensions["design"], agreement=0.3)
    return replace(facts, dimensions=dimensions)


def with_companion(scope: str, **scores: float) -> Facts:
    """The capabilities of this campaign with the stages of its companion campaign."""
    facts = profile(scope, **{d: v for d, v in scores.items() if d in CAPABILITIES})
    stages = {d: replace(fact(d, scores.get(d, 3.0)), companion=True, n=40) for d in STAGES}
    return replace(facts, dimensions={**facts.dimensions, **stages})


def front_line_dont_know(scope: str) -> Facts:
    group = (
        {"role": "frontline"} if scope == "organisation" else {"department": 3, "role": "frontline"}
    )
    seen = DontKnowFact(
        "frontline",
        group,
        {"ja": "現場", "en": "Front line"},
        {
            "ob_vision_voice": UnansweredRate("ob_vision_voice", "ok", 40, 14, 0),
            "ob_budget_case": UnansweredRate("ob_budget_case", "ok", 40, 3, 0),
        },
    )
    return replace(
        profile(scope),
        dont_know=(seen,),
        items={"ob_vision_voice": ITEM, "ob_budget_case": ITEM},
        item_dimensions={"ob_vision_voice": "org_behavior", "ob_budget_case": "org_behavior"},
    )


MANAGERS = ROLES["middle_manager"]
RISES_CAPABILITIES = (0.36, 0.42, 0.38, 0.40, 0.37)
RISES_STAGES = (0.30, 0.45, 0.33, 0.41)

#: For each rule: Facts in the given scope on which it fires.
PLANTED: dict[str, Callable[[str], Facts]] = {
    "digital_ahead_of_org_behavior": lambda s: profile(s, digital=3.6, org_behavior=2.7),
    "org_behavior_ahead_of_operations": lambda s: profile(s, org_behavior=3.6, operations=2.8),
    "capability_spread": lambda s: profile(s, digital=3.9, design=2.8),
    "low_org_behavior": lambda s: profile(s, org_behavior=2.2),
    "low_design": lambda s: profile(s, design=2.2),
    "low_operations": lambda s: profile(s, operations=2.2),
    "low_digital": lambda s: profile(s, digital=2.2),
    "low_unlearning": lambda s: profile(s, unlearning=2.2),
    "vision_blind_spot_at_the_top": lambda s: gaps(s, gap("org_behavior", 1.2)),
    "largest_role_gap": lambda s: gaps(s, gap("design", 0.8)),
    "possible_role_gap": lambda s: gaps(s, gap("design", 0.7, significant=False)),
    "middle_layer_wall": middle_layer,
    "rollout_held_back_by_org_behavior": lambda s: with_companion(s, org_behavior=2.3, rollout=2.2),
    "monitoring_without_operations": lambda s: with_companion(s, operations=2.4, monitoring=2.3),
    "strategy_without_customer_insight": lambda s: with_companion(s, design=2.4, strategy=2.2),
    "front_line_cannot_see": front_line_dont_know,
    "low_agreement": low_agreement,
    "bottleneck_strategy": lambda s: with_bottleneck("strategy", s),
    "bottleneck_planning": lambda s: with_bottleneck("planning", s),
    "bottleneck_rollout": lambda s: with_bottleneck("rollout", s),
    "bottleneck_monitoring": lambda s: with_bottleneck("monitoring", s),
    "flat_cycle": flat,
    "furthest_from_target": targets,
    "significant_decline": lambda s: trends(s, trend("design", -0.4)),
    "role_decline": lambda s: trends(
        s, trend("operations", -0.5, breakdown="role", group=MANAGERS)
    ),
    "every_capability_rose": lambda s: trends(
        s, *(trend(d, c) for d, c in zip(CAPABILITIES, RISES_CAPABILITIES, strict=True))
    ),
    "every_stage_rose": lambda s: trends(
        s, *(trend(d, c) for d, c in zip(STAGES, RISES_STAGES, strict=True))
    ),
    "significant_rise": lambda s: trends(s, trend("design", 0.4)),
    "item_gap_top_and_front_line": item_gap,
    "department_below_rest": lambda s: gaps(
        s, gap("operations", -0.8, breakdown="department", direction="below_rest")
    ),
    "department_ahead_of_rest": lambda s: gaps(
        s, gap("design", 0.7, breakdown="department", direction="above_rest")
    ),
}


@functools.cache
def shipped() -> RuleSet:
    return load_rules(RULES)


def scoped_ids() -> list[tuple[str, str]]:
    return [(rule.id, scope) for rule in shipped().rules for scope in rule.scopes]


def fired(facts: Facts) -> dict[str, FiredRule]:
    return {finding.rule: finding for finding in shipped().evaluate(facts)}


# Every rule fires on its planted data and stays silent on a flat profile -------------------


def test_the_file_ids_are_the_loaded_rules() -> None:
    assert [rule.id for rule in shipped().rules] == RULE_IDS
    assert len(set(RULE_IDS)) == len(RULE_IDS)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_planted_data(rule_id: str) -> None:
    assert rule_id in PLANTED, f"add planted data for the new rule {rule_id!r} to PLANTED"


@pytest.mark.parametrize(("rule_id", "scope"), scoped_ids())
def test_fires_on_planted_data(rule_id: str, scope: str) -> None:
    found = fired(PLANTED[rule_id](scope))
    assert rule_id in found
    finding = found[rule_id]
    rule = shipped().rule(rule_id)
    assert finding.severity == rule.severity
    assert finding.headline is not None
    assert set(finding.headline) == {"ja", "en"}
    assert set(finding.recommendation) == set(rule.recommendation)
    everything = [*finding.text.values(), *finding.headline.values()]
    everything += [
        text
        for action in finding.recommendation.values()
        for text in (*action.text.values(), *action.measure.values())
    ]
    for text in everything:
        assert text.strip()
        assert "{" not in text
        assert "}" not in text
        assert "None" not in text
    assert len(finding.headline["ja"]) <= HEADLINE_MAX_JA


@pytest.mark.parametrize(("rule_id", "scope"), scoped_ids())
def test_silent_on_a_flat_profile(rule_id: str, scope: str) -> None:
    found = fired(flat(scope))
    if rule_id == "flat_cycle":
        assert rule_id in found
    else:
        assert rule_id not in found


@pytest.mark.parametrize("scope", SCOPES)
def test_a_flat_profile_gives_only_the_flat_cycle_message(scope: str) -> None:
    assert set(fired(flat(scope))) == {"flat_cycle"}


@pytest.mark.parametrize("scope", SCOPES)
def test_flat_cycle_is_silent_on_a_clear_bottleneck(scope: str) -> None:
    found = fired(with_bottleneck("rollout", scope))
    assert "flat_cycle" not in found
    assert "bottleneck_rollout" in found


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_silent_in_a_scope_it_does_not_list(rule_id: str) -> None:
    rule = shipped().rule(rule_id)
    for scope in set(SCOPES) - set(rule.scopes):
        assert rule_id not in fired(PLANTED[rule_id](scope))


def test_scopes() -> None:
    department_only = {r.id for r in shipped().rules if r.scopes == ("department",)}
    organisation_only = {r.id for r in shipped().rules if r.scopes == ("organisation",)}
    assert department_only == {"department_below_rest", "department_ahead_of_rest"}
    assert organisation_only == {"item_gap_top_and_front_line"}
    for rule_id in ("largest_role_gap", "vision_blind_spot_at_the_top", "middle_layer_wall"):
        assert shipped().rule(rule_id).scopes == SCOPES
    for rule in shipped().rules:
        if rule.id.startswith("bottleneck_") or rule.id.endswith("_ahead_of_org_behavior"):
            assert rule.scopes == SCOPES


# What the findings say ----------------------------------------------------------------------


def test_the_new_rules_fill_in_their_figures() -> None:
    rose = fired(PLANTED["every_capability_rose"]("organisation"))["every_capability_rose"]
    assert "+0.36〜+0.42" in rose.text["ja"]
    assert "+0.36 to +0.42" in rose.text["en"]
    assert "「組織行動の力」" in rose.text["ja"]
    stages = fired(PLANTED["every_stage_rose"]("organisation"))["every_stage_rose"]
    assert "+0.30〜+0.45" in stages.text["ja"]
    target = fired(targets("organisation"))["furthest_from_target"]
    assert target.dimension == "design"
    assert "目標の3.50に0.70ポイント" in target.text["ja"]
    assert "「デザインの力」" in target.headline["ja"]
    item = fired(item_gap("organisation"))["item_gap_top_and_front_line"]
    assert ITEM["ja"] in item.text["ja"]
    assert ITEM["en"] in item.text["en"]
    assert "1.10" in item.text["ja"]
    below = fired(PLANTED["department_below_rest"]("department"))["department_below_rest"]
    assert "営業部の評価はほかの部署より0.80ポイント低く" in below.text["ja"]
    ahead = fired(PLANTED["department_ahead_of_rest"]("department"))["department_ahead_of_rest"]
    assert ahead.severity == "low"
    assert "0.70ポイント高く" in ahead.text["ja"]


def test_a_possible_role_gap_is_never_called_aligned_or_confirmed() -> None:
    found = fired(PLANTED["possible_role_gap"]("organisation"))
    assert "largest_role_gap" not in found
    finding = found["possible_role_gap"]
    assert "too few answers to confirm" in finding.text["en"]
    assert "回答数が限られている" in finding.text["ja"]
    assert "認識が一致しています" not in finding.text["ja"]
    assert "are aligned" not in finding.text["en"]


def test_department_rules_need_a_significant_gap_the_right_way_round() -> None:
    ahead = gap("design", 0.7, breakdown="department", direction="above_rest")
    assert "department_below_rest" not in fired(gaps("department", ahead))
    unconfirmed = replace(
        gap("operations", -0.8, breakdown="department", direction="below_rest"),
        significant=False,
    )
    assert "department_below_rest" not in fired(gaps("department", unconfirmed))


def test_all_trends_need_every_dimension_to_rise() -> None:
    mixed = [trend(d, c) for d, c in zip(CAPABILITIES, RISES_CAPABILITIES, strict=True)]
    mixed[2] = trend("operations", -0.3)
    assert "every_capability_rose" not in fired(trends("organisation", *mixed))
    unconfirmed = [replace(t, significant=False) for t in mixed[:2]]
    assert "every_capability_rose" not in fired(trends("organisation", *unconfirmed))


# The texts themselves -----------------------------------------------------------------------


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_a_headline_and_an_organisation_recommendation(rule_id: str) -> None:
    rule = shipped().rule(rule_id)
    assert rule.headline is not None
    assert set(rule.headline) == {"ja", "en"}
    assert "organisation" in rule.recommendation
    for scope, action in rule.recommendation.items():
        assert action.scope == scope
        assert action.owner in OWNERS
        assert action.horizon in HORIZONS
        for text in (action.text, action.measure):
            assert set(text) == {"ja", "en"}
            assert all(value.strip() for value in text.values())
    if "department" in rule.recommendation:
        assert rule.recommendation["department"].owner == "department_head"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_register(rule_id: str) -> None:
    # Findings in です/ます; actions in the plain form of a deliverable; headlines are titles.
    rule = shipped().rule(rule_id)
    assert re.search(r"(ます|です|ません)。$", rule.text["ja"]), rule.text["ja"]
    assert "ましょう" not in rule.text["ja"], "the instruction belongs in the recommendation"
    for action in rule.recommendation.values():
        assert_consultancy_register(action)
    assert not rule.headline["ja"].endswith("。")
    assert not rule.headline["en"].endswith(".")


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_recommendations_are_short_enough_for_a_table_cell(rule_id: str) -> None:
    for action in shipped().rule(rule_id).recommendation.values():
        assert_fits_a_table_cell(action)


def test_rule_recommendations_are_specific_to_their_finding() -> None:
    # Two clients with different findings get different first actions, never the level text.
    actions = [
        action.text["ja"] for rule in shipped().rules for action in rule.recommendation.values()
    ]
    assert len(set(actions)) == len(actions)
    level_texts = {
        action.text["ja"]
        for by_level in levels().entries.values()
        for found in by_level.values()
        for action in found
    }
    assert not level_texts & set(actions)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_headlines_are_short(rule_id: str) -> None:
    # Placeholders count as the longest title they can take (CX施策企画・体制立ち上げ).
    headline = shipped().rule(rule_id).headline
    longest = max(len(ja) for ja, _ in TITLES.values())
    assert len(re.sub(r"\{[^{}]*\}", "x" * longest, headline["ja"])) <= HEADLINE_MAX_JA
    assert len(re.sub(r"\{[^{}]*\}", "x" * 30, headline["en"])) <= 100


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_department_recommendations_hold_nothing_only_the_organisation_can_do(rule_id):
    advice = shipped().rule(rule_id).recommendation.get("department")
    if advice is None:
        return
    for locale, words in ORGANISATION_ONLY.items():
        said = f"{advice.text[locale]} {advice.measure[locale]}".lower()
        found = [word for word in words if word.lower() in said]
        assert found == [], f"{rule_id}: {found} in recommendation.department.{locale}"


def test_the_organisation_only_check_catches_such_words() -> None:
    assert any(word in "CXOを任命しましょう。" for word in ORGANISATION_ONLY["ja"])
    assert any(w in "set the budget for cx" for w in ORGANISATION_ONLY["en"])


def test_the_visibility_gap_names_the_item_the_front_line_most_often_cannot_judge() -> None:
    found = fired(front_line_dont_know("organisation"))["front_line_cannot_see"]
    assert "35%" in found.text["ja"]
    assert "現場" in found.text["ja"]
    assert found.binding.item == "ob_vision_voice"
    assert found.dimension == "org_behavior"
    # Below a fifth, or for another role, nothing is said.
    facts = front_line_dont_know("organisation")
    quiet = replace(
        facts.dont_know[0],
        rates={"ob_vision_voice": UnansweredRate("ob_vision_voice", "ok", 40, 7, 0)},
    )
    assert "front_line_cannot_see" not in fired(replace(facts, dont_know=(quiet,)))
    executives = replace(facts.dont_know[0], role="executive")
    assert "front_line_cannot_see" not in fired(replace(facts, dont_know=(executives,)))
