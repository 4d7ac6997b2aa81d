"""Key messages: ranked by severity, confidence and size; one per fact; scoped advice."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis.findings import Facts, parse_rules
from app.analysis.messages import MAX_MESSAGES, RAISE_WITH_MANAGEMENT, key_messages
from tests.unit.test_findings_conditions import CAPABILITIES, fact, gap, trend

RULES = parse_rules(
    """
rules:
  - id: blind_spot
    severity: high
    when: {largest_gap: {breakdown: role, dimension: org_behavior, significant: true}}
    headline: {ja: "ビジョンを現場の言葉に翻訳する", en: "Translate the vision"}
    text: {ja: "差は{gap}です。", en: "The gap is {gap}."}
    recommendation:
      organisation:
        action: {ja: "経営層と現場の対話会を開く", en: "Hold executive dialogues"}
        owner: executive_team
        horizon: "0-6"
        measure: {ja: "対話会の開催（差{gap}）", en: "Dialogues held (gap {gap})"}
      department:
        action: {ja: "部署で対話の場を設ける", en: "Talk in the department"}
        owner: department_head
        horizon: "0-6"
        measure: {ja: "月1回の開催", en: "Monthly"}
  - id: largest_gap
    severity: high
    when: {largest_gap: {breakdown: role, significant: true}}
    headline: {ja: "最大のギャップを共有する", en: "Share the largest gap"}
    text: {ja: "「{dimension}」の差は{gap}です。", en: "{dimension}: {gap}."}
  - id: low_ob
    severity: medium
    when: {score: org_behavior, op: "<", value: 2.5}
    headline: {ja: "CXビジョンを定める", en: "Set a CX vision"}
    text: {ja: "{score}です。", en: "{score}."}
    recommendation:
      organisation:
        action: {ja: "CX推進の担当役員を任命する", en: "Appoint a CX owner"}
        owner: executive_team
        horizon: "6-18"
        measure: {ja: "任命の完了", en: "Appointed"}
  - id: low_any
    severity: medium
    when: {score: any, op: "<", value: 2.5}
    headline: {ja: "弱い力を底上げする", en: "Lift the weakest"}
    text: {ja: "「{dimension}」は{score}です。", en: "{dimension} is {score}."}
  - id: rise
    severity: low
    when: {trend: any, op: ">", value: 0, significant: true}
    headline: {ja: "成果を共有する", en: "Share what worked"}
    text: {ja: "{change}上がりました。", en: "Rose by {change}."}
  - id: decline
    severity: high
    when: {trend: any, op: "<", value: 0, significant: true}
    headline: {ja: "勢いを取り戻す", en: "Regain momentum"}
    text: {ja: "{change}変化しました。", en: "Changed by {change}."}
  - id: department_only
    severity: low
    scopes: [department]
    when: {score: any, op: ">=", value: 4.0}
    headline: {ja: "強みを広げる", en: "Spread the strength"}
    text: {ja: "{score}です。", en: "{score}."}
"""
)


def _facts(**scores: float) -> dict:
    values = dict.fromkeys(CAPABILITIES, 3.0)
    values.update(scores)
    return {d: replace(fact(d, v), n=40) for d, v in values.items()}


def _messages(facts: Facts):
    return key_messages(RULES.evaluate(facts), facts)


def test_two_rules_about_one_gap_make_one_message_the_better_ranked() -> None:
    facts = Facts(dimensions=_facts(), gaps=(gap("org_behavior", 1.2),))
    fired = {f.rule for f in RULES.evaluate(facts)}
    assert {"blind_spot", "largest_gap"} <= fired
    messages = _messages(facts)
    assert [m.rule for m in messages] == ["blind_spot"]
    message = messages[0]
    assert message.headline["ja"] == "ビジョンを現場の言葉に翻訳する"
    assert message.detail["ja"] == "差は1.20です。"
    # The evidence names both groups with their sizes.
    assert [(dict(e.group), e.value, e.n) for e in message.evidence] == [
        ({"role": "executive"}, 4.2, 12),
        ({"role": "frontline"}, 3.0, 30),
    ]
    action = message.recommendation
    assert action is not None
    assert action.text == {"ja": "経営層と現場の対話会を開く", "en": "Hold executive dialogues"}
    assert (action.owner, action.horizon, action.scope) == ("executive_team", "0-6", "organisation")
    # The measure's placeholders are filled in like the finding's.
    assert "{" not in action.measure["ja"]
    assert action.measure["en"].startswith("Dialogues held (gap ")


def test_a_score_bound_by_two_rules_is_told_once() -> None:
    facts = Facts(dimensions=_facts(org_behavior=2.0))
    assert [m.rule for m in _messages(facts)] == ["low_ob"]


def test_ranking_puts_severity_then_confidence_then_size_first() -> None:
    facts = Facts(
        dimensions=_facts(org_behavior=2.2, design=1.6),
        gaps=(gap("operations", 0.9, se=0.2, df=40.0),),
        trends=(trend("digital", 0.5, True, True), trend("unlearning", -0.4, True, False)),
    )
    rules = [m.rule for m in _messages(facts)]
    # high (a clear gap of 0.9 and a significant decline of 0.4: the larger first), then
    # medium, then low.
    assert rules[:2] == ["largest_gap", "decline"]
    assert set(rules[2:4]) == {"low_ob", "low_any"}
    assert rules[-1] == "rise"
    # The weaker dimension (design 1.6) is the one the "any" rule names.
    assert [m.dimension for m in _messages(facts) if m.rule == "low_any"] == ["design"]
    # An unconfirmed gap ranks after a confirmed change of the same severity.
    unconfirmed = replace(facts, gaps=(gap("operations", 0.9),))
    assert [m.rule for m in _messages(unconfirmed)][:2] == ["decline", "largest_gap"]


def test_at_most_five_messages() -> None:
    extra = parse_rules(
        "rules:\n"
        + "".join(
            f"  - id: r{i}\n    when: {{score: {d}, op: '<', value: 2.5}}\n"
            f"    text: {{ja: 'x{{score}}', en: 'x{{score}}'}}\n"
            for i, d in enumerate(CAPABILITIES)
        )
        + "  - id: rise\n    when: {trend: any, op: '>', value: 0}\n"
        "    text: {ja: '{change}', en: '{change}'}\n"
    )
    facts = Facts(
        dimensions=_facts(**dict.fromkeys(CAPABILITIES, 2.0)),
        trends=(trend("design", 0.3, True, False),),
    )
    fired = extra.evaluate(facts)
    assert len(fired) == 6
    assert len(key_messages(fired, facts)) == MAX_MESSAGES


def test_a_department_is_never_told_what_only_the_organisation_can_do() -> None:
    department = Facts(
        dimensions=_facts(org_behavior=2.0, digital=4.2),
        gaps=(gap("org_behavior", 1.2),),
        scope="department",
        group={"department": 7},
    )
    messages = {m.rule: m for m in _messages(department)}
    # A department recommendation of its own.
    assert messages["blind_spot"].recommendation.text["ja"] == "部署で対話の場を設ける"
    assert messages["blind_spot"].recommendation.scope == "department"
    assert messages["blind_spot"].recommendation.owner == "department_head"
    # Only the organisation can appoint a CX owner: the department raises it instead.
    assert messages["low_ob"].recommendation == RAISE_WITH_MANAGEMENT
    # Raised by the department head, first thing, for the organisation to act on.
    raised = messages["low_ob"].recommendation
    assert (raised.owner, raised.horizon) == ("department_head", "0-6")
    assert raised.scope == "organisation"
    assert "経営会議" in raised.measure["ja"]
    assert "担当役員" not in raised.text["ja"]
    # A rule scoped to departments applies there, and not to the organisation.
    assert "department_only" in messages
    organisation = replace(department, scope="organisation", group={})
    assert "department_only" not in {m.rule for m in _messages(organisation)}
    # Score evidence names the scope's group.
    assert dict(messages["low_ob"].evidence[0].group) == {"department": 7}


def test_a_flat_profile_has_no_message() -> None:
    assert _messages(Facts(dimensions=_facts())) == ()


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.floats(1.0, 5.0), min_size=5, max_size=5),
    changes=st.lists(st.floats(-1.0, 1.0), min_size=5, max_size=5),
    differences=st.lists(st.floats(-2.0, 2.0), min_size=5, max_size=5),
)
def test_messages_never_repeat_a_fact_nor_contradict_each_other(scores, changes, differences):
    facts = Facts(
        dimensions=_facts(**dict(zip(CAPABILITIES, scores, strict=True))),
        gaps=tuple(gap(d, x) for d, x in zip(CAPABILITIES, differences, strict=True) if x),
        trends=tuple(
            trend(d, c, abs(c) > 0.2, abs(c) > 0.4)
            for d, c in zip(CAPABILITIES, changes, strict=True)
            if c
        ),
    )
    messages = _messages(facts)
    assert len(messages) <= MAX_MESSAGES
    seen: set = set()
    for message in messages:
        assert not (message.facts & seen)
        seen |= message.facts
        assert message.evidence, message.rule
        assert all(e.n for e in message.evidence)
    # A dimension is never said to rise and to fall in the same scope.
    rose = {m.dimension for m in messages if m.rule == "rise"}
    fell = {m.dimension for m in messages if m.rule == "decline"}
    assert not rose & fell
