"""The report-rule condition language: each condition, bindings, texts and the shipped rules."""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis.bottleneck import Bottleneck, stage_bottleneck
from app.analysis.findings import (
    AllOf,
    AnyOf,
    Binding,
    BottleneckCondition,
    Difference,
    DimensionFact,
    DimensionValue,
    Extreme,
    Facts,
    LargestGap,
    Not,
    Rule,
    RulesError,
    RuleSet,
    Spread,
    TrendCondition,
    load_rules,
    parse_rules,
    render,
)
from app.analysis.gaps import Gap, Trend

ROOT = Path(__file__).resolve().parent.parent.parent
RULES = ROOT / "reports/rules.yaml"
CAPABILITIES = ("org_behavior", "design", "operations", "digital", "unlearning")
STAGES = ("strategy", "planning", "rollout", "monitoring")
TITLES = {
    "org_behavior": ("組織行動の力", "Organisation & leadership"),
    "design": ("デザインの力", "Design"),
    "operations": ("オペレーションの力", "Operations"),
    "digital": ("デジタルの力", "Digital"),
    "unlearning": ("脱学習の力", "Unlearning"),
    "strategy": ("CX戦略策定", "CX strategy"),
    "planning": ("CX施策企画・体制立ち上げ", "Initiative planning and set-up"),
    "rollout": ("CX施策の展開・浸透", "Roll-out and embedding"),
    "monitoring": ("モニタリング・評価", "Monitoring and evaluation"),
}
LABELS = {1: "未着手", 2: "部分的・属人的", 3: "仕組み化の途上", 4: "組織的に定着", 5: "先進的"}


def fact(dimension: str, score: float | None, agreement: float | None = None) -> DimensionFact:
    kind = "capability" if dimension in CAPABILITIES else "stage"
    level = None if score is None else min(5, max(1, int(score + 0.5)))
    ja, en = TITLES[dimension]
    return DimensionFact(
        id=dimension,
        kind=kind,
        title={"ja": ja, "en": en},
        score=score,
        level=level,
        level_label=None if level is None else {"ja": LABELS[level], "en": f"L{level}"},
        agreement=agreement,
    )


def gap(dimension: str, difference: float, *, significant: bool = True, **extra) -> Gap:
    direction = "blind_spot_at_the_top" if difference >= 0.5 else "aligned"
    if difference <= -0.5:
        direction = "hidden_strength_below"
    p = 0.01 if significant else 0.3
    values = {
        "breakdown": "role",
        "dimension": dimension,
        "a": {"role": "executive"},
        "b": {"role": "frontline"},
        "a_label": {"ja": "経営層", "en": "Executive"},
        "b_label": {"ja": "現場", "en": "Front line"},
        "n_a": 12,
        "n_b": 30,
        "mean_a": 3.0 + difference,
        "mean_b": 3.0,
        "difference": difference,
        "hedges_g": difference / 0.7,
        "t": None,
        "df": None,
        "p_value": p,
        "p_adjusted": p,
        "significant": significant,
        "notable": abs(difference) >= 0.5,
        "direction": direction,
    }
    values.update(extra)
    return Gap(**values)


def trend(
    dimension: str,
    change: float,
    significant: bool,
    notable: bool,
    *,
    breakdown: str = "organization",
    label: dict[str, str] | None = None,
) -> Trend:
    everyone = label or {"ja": "全体", "en": "All"}
    p = 0.01 if significant else 0.3
    return Trend(
        dimension=dimension,
        a={},
        b={},
        n_a=40,
        n_b=38,
        mean_a=3.0 + change,
        mean_b=3.0,
        difference=change,
        hedges_g=None,
        t=None,
        df=None,
        p_value=p,
        p_adjusted=p,
        significant=significant,
        notable=notable,
        direction=None,
        breakdown=breakdown,
        a_label=everyone,
        b_label=everyone,
    )


@pytest.fixture
def facts() -> Facts:
    scores = {
        "org_behavior": (2.6, 0.7),
        "design": (3.1, 0.45),
        "operations": (2.4, 0.8),
        "digital": (3.6, 0.3),
        "unlearning": (2.9, None),
    }
    return Facts(
        dimensions={d: fact(d, score, agreement) for d, (score, agreement) in scores.items()},
        gaps=(
            gap("org_behavior", 1.2),
            gap("digital", -1.4, significant=False),
            gap("design", 0.6),
            gap("operations", 0.8, breakdown="department"),
        ),
        trends=(
            trend("design", -0.4, True, False),
            trend("digital", -0.7, False, True),
            trend("operations", 0.5, True, True),
        ),
    )


def test_score_comparisons_bind_the_dimension(facts: Facts) -> None:
    assert DimensionValue("score", "digital", ">=", 3.5).evaluate(facts) == Binding("digital")
    assert DimensionValue("score", "digital", "<", 3.5).evaluate(facts) is None
    assert DimensionValue("score", "missing", "<", 5).evaluate(facts) is None
    assert DimensionValue("level", "operations", "==", 2).evaluate(facts) is not None
    assert DimensionValue("level", "operations", "!=", 2).evaluate(facts) is None


def test_any_picks_the_dimension_that_meets_the_condition_most_clearly(facts: Facts) -> None:
    lowest = DimensionValue("score", "any", "<", 3.0).evaluate(facts)
    assert lowest == Binding("operations")
    highest = DimensionValue("score", "any", ">", 2.0, kind="capability").evaluate(facts)
    assert highest == Binding("digital")
    assert DimensionValue("score", "any", ">", 2.0, kind="stage").evaluate(facts) is None
    # Dimensions without an agreement figure (too few people) are never selected.
    weakest_agreement = DimensionValue("agreement", "any", "<", 0.5).evaluate(facts)
    assert weakest_agreement == Binding("digital")


def test_difference_weakest_strongest_and_spread(facts: Facts) -> None:
    found = Difference("digital", "org_behavior", ">=", 0.9).evaluate(facts)
    assert found == Binding("digital", "org_behavior", difference=pytest.approx(1.0))
    assert Difference("digital", "org_behavior", ">=", 1.1).evaluate(facts) is None
    assert Extreme("weakest", "capability").evaluate(facts) == Binding("operations")
    assert Extreme("weakest", "capability", "design").evaluate(facts) is None
    assert Extreme("strongest", "capability", "digital").evaluate(facts) == Binding("digital")
    assert Extreme("weakest", "stage").evaluate(facts) is None
    spread = Spread("capability", ">=", 1.0).evaluate(facts)
    assert spread == Binding("operations", "digital", spread=pytest.approx(1.2))
    assert Spread("capability", ">=", 1.3).evaluate(facts) is None


def test_a_single_dimension_of_a_kind_is_neither_weakest_nor_strongest() -> None:
    facts = Facts({"strategy": fact("strategy", 2.0), "digital": fact("digital", 3.0)})
    assert Extreme("weakest", "stage").evaluate(facts) is None
    assert Spread("stage", ">=", 0).evaluate(facts) is None


def test_largest_gap_filters(facts: Facts) -> None:
    any_role = LargestGap().evaluate(facts)
    assert any_role.gap.dimension == "digital"
    significant = LargestGap(significant=True).evaluate(facts)
    assert significant.gap.dimension == "org_behavior"
    assert significant.dimension == "org_behavior"
    below = LargestGap(direction="hidden_strength_below", significant=True).evaluate(facts)
    assert below is None
    department = LargestGap(breakdown="department").evaluate(facts)
    assert department.gap.dimension == "operations"
    assert LargestGap(significant=True, op=">=", value=1.5).evaluate(facts) is None
    assert LargestGap(dimension="design").evaluate(facts).gap.difference == 0.6


def test_trends(facts: Facts) -> None:
    decline = TrendCondition("any", "<", 0, significant=True).evaluate(facts)
    assert decline.trend.dimension == "design"
    steepest = TrendCondition("any", "<", 0).evaluate(facts)
    assert steepest.trend.dimension == "digital"
    assert TrendCondition("operations", ">", 0.6).evaluate(facts) is None
    assert TrendCondition("any", "<", 0, breakdown="role").evaluate(facts) is None


def test_all_any_not_combine_and_merge_bindings(facts: Facts) -> None:
    both = AllOf(
        (
            DimensionValue("score", "digital", ">=", 3.5),
            DimensionValue("score", "org_behavior", "<", 2.8),
        )
    )
    assert both.evaluate(facts) == Binding("org_behavior")
    assert AllOf((both, Not(both))).evaluate(facts) is None
    first = AnyOf(
        (DimensionValue("score", "design", ">", 4), DimensionValue("score", "design", ">", 3))
    )
    assert first.evaluate(facts) == Binding("design")
    assert Not(DimensionValue("score", "design", ">", 4)).evaluate(facts) == Binding()
    merged = AllOf((LargestGap(significant=True), Extreme("weakest", "capability")))
    found = merged.evaluate(facts)
    assert found.dimension == "operations"
    assert found.gap.dimension == "org_behavior"
    assert merged.binds() == {"dimension", "gap"}
    assert AnyOf((LargestGap(), Extreme("weakest", "stage"))).binds() == {"dimension"}
    assert Not(LargestGap()).binds() == set()


def test_texts_are_filled_per_language(facts: Facts) -> None:
    binding = AllOf(
        (LargestGap(significant=True), Difference("digital", "org_behavior", ">", 0))
    ).evaluate(facts)
    template = "{dimension} {score} {level_label} {gap} {group_a}/{group_b} {direction} {other}"
    assert render(template, binding, facts, "ja") == (
        "デジタルの力 3.60 組織的に定着 1.20 経営層/現場 経営層の盲点 組織行動の力"
    )
    assert render("{score:design} {title:design} {level:design}", binding, facts, "en") == (
        "3.10 Design 3"
    )
    assert render("{difference}", binding, facts, "en") == "1.00"
    assert render("{change}", binding, facts, "en") is None
    assert render("{score:unknown}", binding, facts, "en") is None


def test_a_rule_does_not_fire_when_a_placeholder_has_no_value(facts: Facts) -> None:
    missing = replace(facts.dimensions["unlearning"], agreement=None)
    rule = Rule(
        "r",
        DimensionValue("score", "unlearning", "<", 3),
        {"ja": "{agreement}", "en": "{agreement}"},
    )
    assert rule.evaluate(replace(facts, dimensions={"unlearning": missing})) is None
    fired = Rule(
        "r", DimensionValue("score", "design", ">", 3), {"ja": "{agreement}", "en": "x"}
    ).evaluate(facts)
    assert fired.text == {"ja": "0.45", "en": "x"}
    assert fired.dimension == "design"


def _capabilities(**scores: float) -> Facts:
    values = dict.fromkeys(CAPABILITIES, 3.0)
    values.update(scores)
    return Facts({d: fact(d, v, 0.8) for d, v in values.items()})


@functools.cache
def shipped() -> RuleSet:
    return load_rules(RULES)


def _fired(facts: Facts) -> set[str]:
    return {finding.rule for finding in shipped().evaluate(facts)}


def test_shipped_balance_rules_follow_seed_002() -> None:
    technology_first = _fired(_capabilities(digital=3.6, org_behavior=2.7))
    assert "digital_ahead_of_org_behavior" in technology_first
    assert "org_behavior_ahead_of_operations" not in technology_first
    intentions_only = _fired(_capabilities(org_behavior=3.6, operations=2.8))
    assert "org_behavior_ahead_of_operations" in intentions_only
    assert "digital_ahead_of_org_behavior" not in intentions_only
    assert "digital_ahead_of_org_behavior" not in _fired(_capabilities(digital=3.6))


def test_shipped_low_score_rules_cover_every_capability() -> None:
    for capability in CAPABILITIES:
        fired = _fired(_capabilities(**{capability: 2.2}))
        assert f"low_{capability}" in fired
        assert fired - {f"low_{capability}", "capability_spread"} == set()
    findings = shipped().evaluate(_capabilities(digital=2.2))
    low = next(f for f in findings if f.rule == "low_digital")
    assert low.text["ja"].startswith("デジタルの力が2.20（部分的・属人的）")


def _planted(means: dict[str, float], n: int = 40, seed: int = 7) -> dict[str, np.ndarray]:
    """Per-respondent stage scores around the given means (respondent effect plus noise)."""
    rng = np.random.default_rng(seed)
    person = rng.normal(0, 0.5, n)
    return {
        stage: np.clip(mean + person + rng.normal(0, 0.2, n), 1, 5) for stage, mean in means.items()
    }


def _stage_facts(per_respondent: dict[str, np.ndarray], threshold: int = 5) -> Facts:
    return Facts(
        {d: fact(d, float(np.nanmean(v)), 0.8) for d, v in per_respondent.items()},
        bottleneck=stage_bottleneck(per_respondent, threshold),
    )


def test_shipped_bottleneck_rules_fire_on_a_stage_that_stands_out() -> None:
    for stage in STAGES:
        means = dict.fromkeys(STAGES, 3.2)
        means[stage] = 2.5
        facts = _stage_facts(_planted(means))
        assert facts.bottleneck.verdict == "bottleneck"
        findings = shipped().evaluate(facts)
        assert [f.rule for f in findings] == [f"bottleneck_{stage}"]
        assert findings[0].dimension == stage
        assert TITLES[stage][0] in findings[0].text["ja"]


def test_shipped_bottleneck_rules_stay_silent_on_a_flat_profile() -> None:
    # Stages within 0.1 of each other: the lowest is the weakest, but not a bottleneck.
    flat = _stage_facts(
        _planted({"strategy": 2.74, "planning": 2.72, "rollout": 2.67, "monitoring": 2.77})
    )
    assert flat.bottleneck.verdict == "flat"
    findings = shipped().evaluate(flat)
    assert [f.rule for f in findings] == ["flat_cycle"]
    assert findings[0].severity == "low"
    assert findings[0].text["ja"].startswith("サイクルの段階間に目立った差はありません")
    assert findings[0].text["en"].startswith("No stage of the cycle stands out")
    # Too few respondents for a verdict: neither a bottleneck nor a flat profile.
    few = _stage_facts(_planted(dict.fromkeys(STAGES, 3.2) | {"rollout": 2.0}, n=4))
    assert few.bottleneck.verdict == "none"
    assert _fired(few) == set()


def test_bottleneck_condition_validates_its_verdict_and_stage() -> None:
    known = {d: ("capability" if d in CAPABILITIES else "stage") for d in TITLES}
    text = '    text: {ja: "x", en: "x"}\n'
    with pytest.raises(RulesError, match="unknown bottleneck verdict 'flatt'"):
        parse_rules("rules:\n  - id: x\n    when: {bottleneck: flatt}\n" + text, "r", known)
    with pytest.raises(RulesError, match="only applies with the 'bottleneck' verdict"):
        parse_rules(
            "rules:\n  - id: x\n    when: {bottleneck: flat, dimension: rollout}\n" + text,
            "r",
            known,
        )
    with pytest.raises(RulesError, match="'design' is a capability, not a stage"):
        parse_rules(
            "rules:\n  - id: x\n    when: {bottleneck: bottleneck, dimension: design}\n" + text,
            "r",
            known,
        )
    with pytest.raises(RulesError, match=r"placeholder \{score\} needs a condition"):
        parse_rules(
            'rules:\n  - id: x\n    when: {bottleneck: flat}\n    text: {ja: "{score}", en: "x"}\n',
            "r",
            known,
        )
    facts = Facts({}, bottleneck=Bottleneck("bottleneck", "rollout", 0.4, 0.001))
    assert BottleneckCondition("bottleneck").evaluate(facts) == Binding("rollout")
    assert BottleneckCondition("bottleneck", "strategy").evaluate(facts) is None
    assert BottleneckCondition("flat").evaluate(facts) is None
    assert BottleneckCondition("none").evaluate(Facts({})) == Binding()


def test_shipped_gap_agreement_and_trend_rules(facts: Facts) -> None:
    fired = {f.rule: f for f in shipped().evaluate(facts)}
    assert "largest_role_gap" in fired
    assert "vision_blind_spot_at_the_top" in fired
    assert "1.2" in fired["largest_role_gap"].text["ja"]
    assert "経営層" in fired["largest_role_gap"].text["ja"]
    assert fired["low_agreement"].dimension == "digital"
    assert "0.30" in fired["low_agreement"].text["en"]
    assert fired["significant_decline"].text["en"].startswith("Design has changed by -0.4")
    severities = [f.severity for f in shipped().evaluate(facts)]
    assert severities == sorted(severities, key=["high", "medium", "low"].index)


def test_shipped_change_rules_fire_on_planted_rises_and_falls_only() -> None:
    base = _capabilities()
    rise = replace(
        base, trends=(trend("design", 0.4, True, True), trend("digital", 0.1, False, False))
    )
    fired = {f.rule: f for f in shipped().evaluate(rise)}
    assert fired["significant_rise"].text["en"].startswith("Design has risen by +0.4")
    assert "デザインの力" in fired["significant_rise"].text["ja"]
    assert "significant_decline" not in fired
    assert "role_decline" not in fired
    manager = {"ja": "管理職", "en": "Managers"}
    fall = replace(
        trend("operations", -0.5, True, True), breakdown="role", a_label=manager, b_label=manager
    )
    fired = {f.rule: f for f in shipped().evaluate(replace(base, trends=(fall,)))}
    assert "管理職の「オペレーションの力」" in fired["role_decline"].text["ja"]
    assert fired["role_decline"].severity == "medium"
    assert "significant_rise" not in fired
    assert "significant_decline" not in fired
    # A flat profile (changes that are not significant) and no previous round: silent.
    flat = replace(base, trends=tuple(trend(d, 0.05, False, False) for d in CAPABILITIES))
    change_rules = {"significant_rise", "significant_decline", "role_decline"}
    assert not _fired(flat) & change_rules
    assert not _fired(base) & change_rules


score = st.one_of(st.none(), st.floats(1, 5, allow_nan=False))


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.lists(score, min_size=9, max_size=9),
    st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=9, max_size=9),
    st.lists(st.tuples(st.sampled_from(CAPABILITIES), st.floats(-3, 3), st.booleans())),
)
def test_shipped_rules_never_fail_and_always_fill_every_placeholder(scores, agreements, gaps):
    dimensions = (*CAPABILITIES, *STAGES)
    facts = Facts(
        {d: fact(d, s, a) for d, s, a in zip(dimensions, scores, agreements, strict=True)},
        tuple(gap(d, diff, significant=sig) for d, diff, sig in gaps),
    )
    for finding in shipped().evaluate(facts):
        assert set(finding.text) == {"ja", "en"}
        for text in finding.text.values():
            assert "{" not in text
            assert "}" not in text


@settings(max_examples=60, deadline=None, database=None)
@given(st.floats(1, 5), st.floats(1, 5), st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
def test_not_holds_exactly_when_its_condition_does_not(left, right, op):
    facts = Facts({"design": fact("design", left)})
    condition = DimensionValue("score", "design", op, right)
    assert (condition.evaluate(facts) is None) == (Not(condition).evaluate(facts) is not None)


def test_conditions_are_data_never_code() -> None:
    rules = parse_rules(
        'rules:\n  - id: x\n    when: {score: "__import__(\'os\')", op: "<", value: 3}\n'
        '    text: {ja: "{dimension}", en: "{dimension}"}\n'
    )
    facts = Facts({"design": fact("design", 1.0)})
    assert rules.evaluate(facts) == []
