"""The middle-layer rule: middle management below both executives and the front line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.analysis.findings import Binding, Facts, MiddleBelow, RulesError, load_rules, parse_rules
from app.analysis.gaps import Gap
from tests.unit.test_findings_conditions import CAPABILITIES, fact

ROOT = Path(__file__).resolve().parent.parent.parent
ROLES = ("executive", "middle_manager", "frontline")
ROLE_LABELS = {
    "executive": {"ja": "経営層", "en": "Executive"},
    "middle_manager": {"ja": "ミドルマネジメント", "en": "Middle management"},
    "frontline": {"ja": "現場", "en": "Front line"},
}


def role_gap(dimension: str, higher: str, lower: str, means: dict[str, float], se: float) -> Gap:
    difference = means[higher] - means[lower]
    return Gap(
        dimension=dimension,
        a={"role": higher},
        b={"role": lower},
        n_a=20,
        n_b=20,
        mean_a=means[higher],
        mean_b=means[lower],
        difference=difference,
        hedges_g=None,
        t=None,
        df=38.0,
        p_value=0.01,
        p_adjusted=0.01,
        significant=True,
        notable=abs(difference) >= 0.5,
        direction=None,
        breakdown="role",
        a_label=ROLE_LABELS[higher],
        b_label=ROLE_LABELS[lower],
        se=se,
    )


def facts_for(profile: dict[str, dict[str, float]], se: float = 0.1) -> Facts:
    """Role gaps, top role first in each pair, from each dimension's mean per shown role."""
    gaps = []
    for dimension, means in profile.items():
        shown = [role for role in ROLES if role in means]
        for i, higher in enumerate(shown):
            for lower in shown[i + 1 :]:
                gaps.append(role_gap(dimension, higher, lower, means, se))
    return Facts({d: fact(d, 3.0) for d in CAPABILITIES}, gaps=tuple(gaps))


CONDITION = MiddleBelow("middle_manager", "executive", "frontline", 0.25)
FLAT = {"executive": 3.0, "middle_manager": 3.0, "frontline": 3.0}


@pytest.fixture(scope="module")
def rule():
    return load_rules(ROOT / "reports/rules.yaml").rule("middle_layer_wall")


def test_fires_on_planted_data_and_names_every_dimension(rule) -> None:
    facts = facts_for(
        {
            "org_behavior": {"executive": 3.5, "middle_manager": 2.8, "frontline": 3.4},
            "operations": {"executive": 3.3, "middle_manager": 2.8, "frontline": 3.3},
            "design": FLAT,
        }
    )
    assert CONDITION.evaluate(facts) == Binding(
        dimension="org_behavior", dimensions=("org_behavior", "operations")
    )
    found = rule.evaluate(facts)
    assert found is not None
    assert found.severity == "high"
    assert found.text["ja"].startswith(
        "ミドルマネジメントが経営層と現場の間で壁になっている可能性があります："
        "「組織行動の力」、「オペレーションの力」で"
    )
    assert "橋渡し役" in found.text["ja"]
    assert "on Organisation & leadership, Operations, middle managers" in found.text["en"]
    assert "bridge" in found.text["en"]


def test_silent_on_a_flat_profile(rule) -> None:
    facts = facts_for(dict.fromkeys(CAPABILITIES, FLAT))
    assert CONDITION.evaluate(facts) is None
    assert rule.evaluate(facts) is None


def test_silent_when_middle_management_lies_between_the_others(rule) -> None:
    facts = facts_for(
        {
            "org_behavior": {"executive": 3.5, "middle_manager": 3.0, "frontline": 2.5},
            "design": {"executive": 2.5, "middle_manager": 3.0, "frontline": 3.5},
        }
    )
    assert rule.evaluate(facts) is None


def test_silent_when_below_only_one_side_or_by_less_than_the_margin() -> None:
    assert (
        CONDITION.evaluate(
            facts_for({"design": {"executive": 3.5, "middle_manager": 3.0, "frontline": 3.0}})
        )
        is None
    )
    assert (
        CONDITION.evaluate(
            facts_for({"design": {"executive": 3.2, "middle_manager": 3.0, "frontline": 3.5}})
        )
        is None
    )


def test_silent_when_a_gap_verdict_is_small() -> None:
    # With a 0.1-point margin, 0.12 points below each side fires only when the answers show
    # the gaps are real; when the intervals lie within ±0.3 points (verdict "small") it stays
    # silent.
    condition = MiddleBelow("middle_manager", "executive", "frontline", 0.1)
    profile = {"design": {"executive": 3.12, "middle_manager": 3.0, "frontline": 3.12}}
    clear = facts_for(profile, se=0.01)
    assert {g.verdict for g in clear.gaps if g.b == {"role": "middle_manager"}} == {"clear"}
    assert condition.evaluate(clear) == Binding(dimension="design", dimensions=("design",))
    small = facts_for(profile, se=0.07)
    assert {g.verdict for g in small.gaps if g.b == {"role": "middle_manager"}} == {"small"}
    assert condition.evaluate(small) is None


def test_a_role_below_the_anonymity_threshold_never_triggers_it(rule) -> None:
    # A suppressed role is left out of the role gaps (app.analysis.gaps.role_gaps), so its
    # pairs are missing: the rule cannot fire on them.
    facts = facts_for({"org_behavior": {"executive": 3.5, "frontline": 3.4}})
    assert rule.evaluate(facts) is None
    facts = facts_for({"org_behavior": {"executive": 3.5, "middle_manager": 2.5}})
    assert rule.evaluate(facts) is None


def _problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "rules.yaml")
    return [str(problem) for problem in caught.value.problems]


RULE = """rules:
  - id: wall
    when:
      middle_below: {role}
      above: executive
      below: {below}
      margin: {margin}
    text: {{ja: "{{dimensions}}", en: "{{dimensions}}"}}
"""


def test_validation_reports_problems_with_their_position() -> None:
    parse_rules(RULE.format(role="middle_manager", below="frontline", margin=0.25))
    problems = _problems(RULE.format(role="middle_managers", below="frontline", margin=0.25))
    assert problems[0].startswith("rules.yaml:4:21:")
    assert "middle_manager" in problems[0]
    problems = _problems(RULE.format(role="middle_manager", below="frontline", margin=-1))
    assert problems[0].startswith("rules.yaml:7:15:")
    assert "margin" in problems[0]
    problems = _problems(RULE.format(role="middle_manager", below="executive", margin=0.5))
    assert problems[0].startswith("rules.yaml:4:")
    assert "three different roles" in problems[0]
    problems = _problems(
        "rules:\n  - id: wall\n    when: {score: digital, op: '<', value: 3}\n"
        "    text: {ja: '{dimensions}', en: '{dimensions}'}\n"
    )
    assert "middle_below" in problems[0]
    assert problems[0].startswith("rules.yaml:4:")
