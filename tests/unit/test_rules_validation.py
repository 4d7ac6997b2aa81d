"""Validation of report rules and recommendations: every problem at its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def problems(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "rules.yaml", KNOWN)
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
    rules = load_rules(ROOT / "reports/rules.yaml", KNOWN)
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
    catalogue = load_recommendations(ROOT / "reports/recommendations.yaml", KNOWN)
    assert set(catalogue.entries) == set(KNOWN)
    for levels in catalogue.entries.values():
        assert sorted(levels) == [1, 2, 3, 4, 5]
        assert all(set(text) == {"ja", "en"} for text in levels.values())


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
    line, _, message = one("version: 2\nrules: []\n")
    assert line == 1
    assert "unsupported version 2" in message


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


LEVELS = "\n".join(f"    {n}: {{ja: 'j{n}', en: 'e{n}'}}" for n in range(1, 6))


def recommendation_problems(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(RulesError) as caught:
        parse_recommendations(text, "recommendations.yaml", KNOWN)
    return [(p.line, p.col, p.message) for p in caught.value.problems]


def test_recommendations_validation() -> None:
    catalogue = parse_recommendations(
        f"dimensions:\n  digital:\n{LEVELS}\n", known_dimensions=KNOWN
    )
    assert catalogue.for_level("digital", 3) == {"ja": "j3", "en": "e3"}
    assert catalogue.for_level("digital", 6) is None
    assert catalogue.for_level("design", 1) is None
    found = recommendation_problems(f"dimensions:\n  digitl:\n{LEVELS}\n")
    assert found[0][:2] == (2, 3)
    assert "unknown dimension 'digitl' (did you mean 'digital'?)" in found[0][2]
    found = recommendation_problems("dimensions:\n  digital:\n    1: {ja: a, en: b}\n")
    assert found[0][0] == 3
    assert found[0][2].endswith("missing the recommendation for level 2")
    found = recommendation_problems(f"dimensions:\n  digital:\n{LEVELS}\n    6: {{ja: a, en: b}}\n")
    assert found[0][:2] == (8, 5)
    assert "level 6 is not a maturity level" in found[0][2]
    found = recommendation_problems(
        f"dimensions:\n  digital:\n{LEVELS.replace(chr(39) + 'e3' + chr(39), chr(39) + chr(39))}\n"
    )
    assert found[0][0] == 5
    assert "must not be empty" in found[0][2]
    found = recommendation_problems("dimensions:\n  digital:\n    one: {ja: a, en: b}\n")
    assert "keys must be integers" in found[0][2]
    found = recommendation_problems("dimension: {}\n")
    assert "unknown key 'dimension' (did you mean 'dimensions'?)" in found[0][2]


def test_recommendation_file_problems_have_positions(tmp_path: Path) -> None:
    path = tmp_path / "recommendations.yaml"
    path.write_text("dimensions:\n  digital:\n    1: {ja: a}\n", encoding="utf-8")
    catalogue, found = check_recommendations_file(path, KNOWN)
    assert catalogue is None
    assert str(found[0]).startswith(f"{path}:3:")
