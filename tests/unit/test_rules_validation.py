"""Validation of report rules and recommendations: every problem at its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.analysis.actions import check_owners_file, load_owners, parse_owners
from app.analysis.findings import RulesError, check_rules_file, load_rules, parse_rules
from app.analysis.recommendations import (
    check_recommendations_file,
    load_recommendations,
    parse_recommendations,
)
from app.questionnaire import discover

ROOT = Path(__file__).resolve().parent.parent.parent
KNOWN = {
    dimension.id: dimension.kind
    for _, questionnaire, _ in discover(ROOT / "questionnaires")
    if questionnaire is not None
    for dimension in questionnaire.dimensions
}


OWNERS = tuple(load_owners(ROOT / "reports/owners.yaml").owners)


def problems(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "rules.yaml", KNOWN, OWNERS)
    return [(p.line, p.col, p.message) for p in caught.value.problems]


def at(text: str, token: str) -> tuple[int, int]:
    """The 1-based line and column where ``token`` first appears in ``text``."""
    offset = text.index(token)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def one(text: str) -> tuple[int, int, str]:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


RULE = """rules:
  - id: r
    when: {when}
    text:
      ja: "{ja}"
      en: "{en}"
"""


def rule(when: str = "{score: digital, op: '<', value: 3}", ja: str = "x", en: str = "y") -> str:
    return RULE.replace("{when}", when).replace("{ja}", ja).replace("{en}", en)


def test_shipped_files_are_valid_against_the_questionnaire_library() -> None:
    rules = load_rules(ROOT / "reports/rules.yaml", KNOWN, OWNERS)
    ids = {r.id for r in rules.rules}
    required = {
        "digital_ahead_of_org_behavior",
        "org_behavior_ahead_of_operations",
        "largest_role_gap",
        "low_agreement",
        *(f"low_{c}" for c in ("org_behavior", "design", "operations", "digital", "unlearning")),
        *(f"bottleneck_{s}" for s in ("strategy", "planning", "rollout", "monitoring")),
    }
    assert required <= ids
    for shipped in rules.rules:
        assert set(shipped.text) == {"ja", "en"}
    catalogue = load_recommendations(
        ROOT / "reports/recommendations.yaml", KNOWN, known_owners=OWNERS
    )
    assert set(catalogue.entries) == set(KNOWN)
    for levels in catalogue.entries.values():
        assert sorted(levels) == [1, 2, 3, 4, 5]
        for actions in levels.values():
            assert all(set(a.text) == set(a.measure) == {"ja", "en"} for a in actions)


def test_yaml_syntax_errors_point_at_the_mark() -> None:
    line, _, message = one("rules:\n  - id: r\n    when: {score: digital\n")
    assert line == 4
    assert "syntax error" in message


def test_duplicate_keys_are_reported() -> None:
    line, _, message = one("rules: []\nrules: []\n")
    assert line == 2
    assert "only once" in message


def test_empty_file_and_unknown_top_level_key() -> None:
    assert one("") == (1, 1, "the file is empty; expected a mapping with 'rules:'")
    line, col, message = one("rules: []\nrule: []\n")
    assert (line, col) == (2, 1)
    assert "unknown key 'rule' (did you mean 'rules'?)" in message
    line, _, message = one("version: 3\nrules: []\n")
    assert line == 1
    assert "unsupported version 3; expected 2" in message


def test_version_1_rules_are_refused_with_what_changed() -> None:
    line, col, message = one("version: 1\nrules: []\n")
    assert (line, col) == (1, 10)
    assert "version 1 is no longer read" in message
    assert "{action, owner, horizon, measure}" in message


ACTION_RULE = """rules:
  - id: r
    when: {score: digital, op: '<', value: 3}
    text: {ja: "x", en: "y"}
    recommendation:
      organisation:
        action: {ja: "「{dimension}」の計画を定める", en: "Plan {dimension}"}
        owner: cx_ofice
        horizon: "0-12"
        measure: {ja: "計画の承認（{score}）", en: "Plan approved ({score})"}
"""


def test_a_rule_recommendation_is_an_action() -> None:
    good = ACTION_RULE.replace("cx_ofice", "cx_office").replace('"0-12"', '"6-18"')
    action = parse_rules(good, "rules.yaml", KNOWN, OWNERS).rule("r").recommendation["organisation"]
    assert (action.owner, action.horizon, action.scope) == ("cx_office", "6-18", "organisation")
    assert action.measure["en"] == "Plan approved ({score})"
    # A bare number for a horizon is read as written.
    assert parse_rules(good.replace('"6-18"', "6-18"), "r.yaml", KNOWN, OWNERS).rules


def test_unknown_owner_and_horizon_are_reported_at_their_value() -> None:
    found = problems(ACTION_RULE)
    assert [(line, col) for line, col, _ in found] == [
        at(ACTION_RULE, "cx_ofice"),
        at(ACTION_RULE, '"0-12"'),
    ]
    assert "unknown owner 'cx_ofice' (did you mean 'cx_office'?)" in found[0][2]
    assert "recommendation.organisation.owner" in found[0][2]
    assert "unknown horizon (months) '0-12'" in found[1][2]
    assert "0-6, 6-18, 18-36" in found[1][2]


def test_an_action_needs_a_measure_and_known_placeholders() -> None:
    text = ACTION_RULE.replace("cx_ofice", "cx_office").replace('"0-12"', '"0-6"')
    measure = '        measure: {ja: "計画の承認（{score}）", en: "Plan approved ({score})"}\n'
    without = text.replace(measure, "")
    line, col, message = one(without)
    assert (line, col) == at(without, "action:")
    assert "recommendation.organisation: missing required key 'measure'" in message
    stray = text.replace('({score})"}', '({gap})"}')
    line, _, message = one(stray)
    assert line == at(stray, "measure:")[0]
    assert "placeholder {gap} needs a condition" in message


def test_an_old_text_recommendation_says_what_an_action_needs() -> None:
    old = rule().replace(
        '      en: "y"\n',
        '      en: "y"\n    recommendation:\n      organisation: {ja: a, en: b}\n',
    )
    messages = [message for _, _, message in problems(old)]
    assert any("missing required key 'action'" in m for m in messages)
    assert any("unknown key 'ja'" in m for m in messages)


def test_owners_file_problems_have_positions(tmp_path: Path) -> None:
    path = tmp_path / "owners.yaml"
    path.write_text(
        "owners:\n  cx_office: {ja: CX推進部署}\n  Bad-Key: {ja: a, en: b}\n", encoding="utf-8"
    )
    owners, found = check_owners_file(path)
    assert owners is None
    assert [str(p) for p in found] == [
        f"{path}:2:14: owners.cx_office: missing locale 'en'",
        f"{path}:3:3: owners: invalid owner key 'Bad-Key' (use lowercase letters, digits and "
        "underscores, starting with a letter)",
    ]
    assert parse_owners("owners:\n  hr: {ja: 人事部, en: HR}\n").label("hr", "ja") == "人事部"


def test_rule_keys_ids_and_severity() -> None:
    text = "rules:\n  - id: Bad-Id\n    when: {weakest: stage}\n    severity: urgent\n"
    found = problems(text)
    assert found[1][:2] == at(text, "Bad-Id")
    assert found[1][2].startswith("rules[0].id: invalid value 'Bad-Id'")
    assert found[0][:2] == at(text, "id: Bad")
    assert "missing required key 'text'" in found[0][2]
    messages = " | ".join(m for _, _, m in found)
    assert "missing required key 'text'" in messages
    assert "unknown severity 'urgent'" in messages
    duplicate = rule().replace("rules:\n", "rules:\n" + rule().split("\n", 1)[1])
    line, _, message = one(duplicate)
    assert line == 7
    assert "duplicate rule id 'r' (first defined at line 2" in message


def test_unknown_condition_with_a_suggestion() -> None:
    line, col, message = one(rule("{scor: digital, op: '<', value: 3}"))
    assert (line, col) == (3, 11)
    assert "unknown condition 'scor' (did you mean 'score'?)" in message


def test_two_condition_kinds_in_one_mapping() -> None:
    line, _, message = one(rule("{score: digital, weakest: stage, op: '<', value: 3}"))
    assert line == 3
    assert "exactly one of" in message


def test_unknown_dimension_with_a_suggestion() -> None:
    text = rule("{score: digitl, op: '<', value: 3}")
    line, col, message = one(text)
    assert (line, col) == at(text, "digitl")
    assert "unknown dimension 'digitl' (did you mean 'digital'?)" in message


def test_operator_value_and_kind_problems() -> None:
    text = rule("{score: digital, op: '=<', value: 3}")
    line, col, message = one(text)
    assert (line, col) == at(text, "'=<'")
    assert "unknown operator '=<'" in message
    assert "expected one of: <, <=, >, >=, ==, !=" in message
    text = rule("{score: digital, op: '<', value: high}")
    line, col, message = one(text)
    assert (line, col) == at(text, "high")
    assert "expected a number, got string 'high'" in message
    line, _, message = one(rule("{score: digital, op: '<'}"))
    assert "missing required key 'value'" in message
    line, _, message = one(rule("{score: digital, op: '<', value: 3, kind: stage}"))
    assert "'kind' only applies with 'any' dimension" in message
    line, _, message = one(rule("{weakest: stages}"))
    assert "unknown kind 'stages' (did you mean 'stage'?)" in message
    line, _, message = one(rule("{weakest: stage, dimension: digital}"))
    assert "dimension 'digital' is a capability, not a stage" in message


def test_lists_and_nested_conditions() -> None:
    text = rule("{all: []}")
    line, col, message = one(text)
    assert (line, col) == at(text, "[]")
    assert "must not be empty" in message
    nested = """rules:
  - id: r
    when:
      all:
        - {score: digital, op: "<", value: 3}
        - not:
            largest_gap: {breakdown: roles}
    text: {ja: "x", en: "y"}
"""
    line, col, message = one(nested)
    assert (line, col) == at(nested, "roles")
    assert "unknown breakdown 'roles' (did you mean 'role'?)" in message
    line, _, message = one(rule("{largest_gap: {op: '>'}}"))
    assert "'op' and 'value' go together" in message
    line, _, message = one(rule("{difference: [digital], op: '>', value: 0}"))
    assert "expected two dimensions" in message
    line, _, message = one(rule("{largest_gap: {direction: up}}"))
    assert "unknown direction 'up'" in message


def test_texts_need_every_language_and_known_placeholders() -> None:
    line, col, message = one("rules:\n  - id: r\n    when: {weakest: stage}\n    text: {ja: x}\n")
    assert (line, col) == (4, 11)
    assert "missing locale 'en'" in message
    line, col, message = one(rule(ja="{dimention}"))
    assert (line, col) == (5, 11)
    assert "unknown placeholder {dimention} (did you mean 'dimension'?)" in message
    line, col, message = one(rule(en="{gap}"))
    assert (line, col) == (6, 11)
    assert (
        "placeholder {gap} needs a condition that selects a gap (largest_gap or largest_item_gap)"
        in message
    )
    line, _, message = one(rule(ja="{score:digitl}"))
    assert "unknown dimension 'digitl' (did you mean 'digital'?)" in message
    line, _, message = one(rule(ja="{gap:digital}"))
    assert "only score, title, level, level_label take a dimension" in message
    line, _, message = one(rule(ja="missing } brace"))
    assert "unbalanced" in message
    line, _, message = one(rule("{any: [{largest_gap: {}}, {weakest: stage}]}", ja="{gap}"))
    assert "needs a condition that selects a gap" in message


def test_every_problem_of_a_file_is_reported_in_one_pass() -> None:
    text = """rules:
  - id: one
    when: {scor: digital}
    text: {ja: "{x}", en: "y"}
  - id: two
    when: {weakest: stag}
    text: {ja: "a", en: "b", fr: "c"}
"""
    found = problems(text)
    assert [line for line, _, _ in found] == [3, 4, 6, 7]


def test_files_that_cannot_be_read_or_decoded(tmp_path: Path) -> None:
    rules, found = check_rules_file(tmp_path / "missing.yaml")
    assert rules is None
    assert "cannot read file" in found[0].message
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(b"rules:\n  - id: \xff\n")
    rules, found = check_rules_file(broken)
    assert rules is None
    assert (found[0].line, found[0].col) == (2, 9)
    assert "not valid UTF-8" in found[0].message


def _action(n: int, horizon: str = "0-6", owner: str = "cx_office") -> str:
    return (
        f"      - action: {{ja: 'j{n}', en: 'e{n}'}}\n"
        f"        owner: {owner}\n"
        f"        horizon: '{horizon}'\n"
        f"        measure: {{ja: 'm{n}', en: 'n{n}'}}\n"
        f"        scope: organisation\n"
    )


LEVELS = "".join(
    f"    {n}:\n{_action(n)}{_action(n + 10, '18-36', 'hr')}" for n in range(1, 6)
).rstrip("\n")


def recommendation_problems(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(RulesError) as caught:
        parse_recommendations(text, "recommendations.yaml", KNOWN, known_owners=OWNERS)
    return [(p.line, p.col, p.message) for p in caught.value.problems]


HEAD = "version: 2\ndimensions:\n"


def test_recommendations_validation() -> None:
    catalogue = parse_recommendations(
        f"{HEAD}  digital:\n{LEVELS}\n", known_dimensions=KNOWN, known_owners=OWNERS
    )
    actions = catalogue.for_level("digital", 3)
    assert [a.text["en"] for a in actions] == ["e3", "e13"]
    assert [(a.owner, a.horizon, a.scope) for a in actions] == [
        ("cx_office", "0-6", "organisation"),
        ("hr", "18-36", "organisation"),
    ]
    assert catalogue.for_level("digital", 6) == ()
    assert catalogue.for_level("design", 1) == ()
    found = recommendation_problems(f"{HEAD}  digitl:\n{LEVELS}\n")
    assert found[0][:2] == (3, 3)
    assert "unknown dimension 'digitl' (did you mean 'digital'?)" in found[0][2]
    found = recommendation_problems(f"{HEAD}  digital:\n    1:\n{_action(1)}{_action(2)}")
    assert found[0][0] == 4
    assert found[0][2].endswith("missing the actions for level 2")
    found = recommendation_problems(f"{HEAD}  digital:\n{LEVELS}\n    6: []\n")
    assert found[0][2].startswith("dimensions.digital: level 6 is not a maturity level")
    found = recommendation_problems(f"{HEAD}  digital:\n    one: []\n")
    assert "keys must be integers" in found[0][2]
    found = recommendation_problems("version: 2\ndimension: {}\n")
    assert any("unknown key 'dimension' (did you mean 'dimensions'?)" in p[2] for p in found)


def test_version_1_recommendations_are_refused_with_what_changed() -> None:
    text = "version: 1\ndimensions:\n  digital:\n    1: {ja: a, en: b}\n"
    assert recommendation_problems(text) == [
        (
            1,
            10,
            "version: version 1 is no longer read: since version 2 each level lists 2 to 3 "
            "actions {action, owner, horizon, measure, scope}, not a text (see "
            "reports/README.md); rewrite the levels and set 'version: 2'",
        )
    ]
    found = recommendation_problems("dimensions:\n  digital:\n    1: {ja: a, en: b}\n")
    assert found[0] == (1, 1, "top level: missing required key 'version'")


def test_level_actions_are_two_or_three_in_sequence_with_known_owners() -> None:
    one_action = f"{HEAD}  digital:\n    1:\n{_action(1)}"
    found = recommendation_problems(one_action)
    message = "dimensions.digital[1]: expected 2 to 3 actions in sequence, got 1"
    assert (*at(one_action, "- action"), message) in found
    backwards = f"{HEAD}  digital:\n    1:\n{_action(1, '6-18')}{_action(2, '0-6')}"
    second = backwards.index("- action", backwards.index("- action") + 1)
    line, col, _ = _with(recommendation_problems(backwards), "out of sequence")
    assert (line, col) == (backwards.count("\n", 0, second) + 1, 9)
    assert "horizon 0-6 comes after 6-18" in _
    wrong = f"{HEAD}  digital:\n    1:\n{_action(1, owner='exec_team')}{_action(2, '6-18')}"
    line, col, message = _with(recommendation_problems(wrong), "unknown owner")
    assert (line, col) == at(wrong, "exec_team")
    assert "unknown owner 'exec_team'" in message
    no_scope = f"{HEAD}  digital:\n    1:\n{_action(1)}{_action(2)}".replace(
        "        scope: organisation\n", "", 1
    )
    line, col, _ = _with(recommendation_problems(no_scope), "missing required key 'scope'")
    assert (line, col) == at(no_scope, "action:")
    bad_scope = f"{HEAD}  digital:\n    1:\n{_action(1)}{_action(2)}".replace(
        "scope: organisation", "scope: team", 1
    )
    line, col, _ = _with(recommendation_problems(bad_scope), "unknown scope 'team'")
    assert (line, col) == at(bad_scope, "team")


def _with(found: list[tuple[int, int, str]], words: str) -> tuple[int, int, str]:
    return next(problem for problem in found if words in problem[2])


def test_recommendation_file_problems_have_positions(tmp_path: Path) -> None:
    path = tmp_path / "recommendations.yaml"
    path.write_text(f"{HEAD}  digital:\n    1:\n{_action(1, '6-15')}", encoding="utf-8")
    catalogue, found = check_recommendations_file(path, KNOWN, OWNERS)
    assert catalogue is None
    assert str(found[0]).startswith(f"{path}:4:5: dimensions.digital")
    assert any(str(p).startswith(f"{path}:7:18: ") and "'6-15'" in str(p) for p in found)
