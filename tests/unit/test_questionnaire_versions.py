"""The 2.0 format: don't know apart from not applicable, audiences, ``was`` links between
versions and the previous version they name."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models import DEFAULT_ROLES
from app.questionnaire import (
    AUDIENCE_ROLES,
    Questionnaire,
    QuestionnaireError,
    discover,
    lineage_problems,
    load_questionnaire,
    parse_questionnaire,
)

OLD = """\
id: mini
version: "1.0.0"
locales: [ja, en]
title: {ja: ミニ, en: Mini}
estimated_minutes: 5
scale:
  min: 1
  max: 3
  labels:
    1: {ja: 低, en: Low}
    2: {ja: 中, en: Mid}
    3: {ja: 高, en: High}
  not_applicable: {ja: わからない・該当しない, en: Don't know / not applicable}
dimensions:
  - id: org
    kind: capability
    title: {ja: 組織, en: Org}
    items:
      - id: org_a
        text: {ja: あ, en: A}
      - id: org_b
        text: {ja: い, en: B}
"""

NEW = """\
id: mini
version: "2.0.0"
previous_version: "1.0.0"
locales: [ja, en]
title: {ja: ミニ, en: Mini}
scale:
  min: 1
  max: 3
  labels:
    1: {ja: 低, en: Low}
    2: {ja: 中, en: Mid}
    3: {ja: 高, en: High}
  dont_know: {ja: わからない, en: Don't know}
  not_applicable: {ja: 該当しない, en: Not applicable}
dimensions:
  - id: org
    kind: capability
    title: {ja: 組織, en: Org}
    items:
      - id: org_a2
        text: {ja: あ, en: A}
        was: org_a
      - id: org_c
        text: {ja: う, en: C}
        audience: [executive, middle_manager]
        reverse: true
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        parse_questionnaire(text, "q.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_audience_roles_are_the_default_roles_of_an_organisation() -> None:
    assert tuple(key for key, _labels in DEFAULT_ROLES) == AUDIENCE_ROLES


def test_new_fields_parse() -> None:
    questionnaire = parse_questionnaire(NEW)
    assert questionnaire.previous_version == "1.0.0"
    assert questionnaire.scale.allows_dont_know
    assert questionnaire.scale.dont_know is not None
    assert questionnaire.scale.dont_know["en"] == "Don't know"
    assert questionnaire.item("org_a2").was == "org_a"
    assert questionnaire.item("org_a2").audience == ()
    assert questionnaire.item("org_c").audience == ("executive", "middle_manager")
    assert questionnaire.has_reverse_items


def test_items_are_asked_by_audience() -> None:
    assert [item.id for item in parse_questionnaire(NEW).items_for("specialist")] == [
        "org_a2",
        "org_c",
    ]
    questionnaire = parse_questionnaire(NEW)
    assert [item.id for item in questionnaire.items_for("frontline")] == ["org_a2"]
    assert [item.id for item in questionnaire.items_for("executive")] == ["org_a2", "org_c"]
    assert [item.id for item in questionnaire.items_for(None)] == ["org_a2", "org_c"]


def test_old_files_keep_working_and_their_hash() -> None:
    questionnaire = parse_questionnaire(OLD)
    assert questionnaire.scale.allows_not_applicable
    assert not questionnaire.scale.allows_dont_know
    assert questionnaire.previous_version is None
    assert not questionnaire.has_reverse_items
    content = questionnaire.content_dict()
    assert "dont_know" not in content["scale"]
    assert "previous_version" not in content
    assert all(
        "audience" not in item and "was" not in item for item in content["dimensions"][0]["items"]
    )
    assert content["estimated_minutes"] == 5


def test_round_trip_through_frozen_data() -> None:
    questionnaire = parse_questionnaire(NEW)
    again = Questionnaire.from_json(questionnaire.to_json())
    assert again == questionnaire
    assert again.content_hash == questionnaire.content_hash


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "        audience: [executive, middle_manager]",
            "        audience: [executive, frontliner]",
            "q.yaml:25:31: dimensions[0].items[1].audience[1]: unknown role 'frontliner' "
            "(did you mean 'frontline'?); expected one of: executive, middle_manager, frontline",
        ),
        (
            "        audience: [executive, middle_manager]",
            "        audience: []",
            "q.yaml:25:19: dimensions[0].items[1].audience: must not be empty",
        ),
        (
            "        audience: [executive, middle_manager]",
            "        audience: [executive, executive]",
            "q.yaml:25:31: dimensions[0].items[1].audience[1]: duplicate role 'executive' "
            "(first defined at line 25, column 20, "
            "dimensions[0].items[1].audience[0])",
        ),
        (
            "        audience: [executive, middle_manager]",
            "        audience: executive",
            "q.yaml:25:19: dimensions[0].items[1].audience: expected a list, got string "
            "'executive'",
        ),
        (
            'previous_version: "1.0.0"',
            'previous_version: "2.0.0"',
            "q.yaml:3:19: previous_version: must be lower than this file's version '2.0.0', "
            "got '2.0.0'",
        ),
        (
            'previous_version: "1.0.0"',
            "previous_version: 1.0",
            "q.yaml:3:19: previous_version: expected a string, got number 1.0; quote the "
            'version, e.g. "1.0.0"',
        ),
        (
            "        was: org_a",
            "        was: Org-A",
            "q.yaml:22:14: dimensions[0].items[0].was: invalid value 'Org-A'",
        ),
        (
            'previous_version: "1.0.0"',
            "# no previous version",
            "q.yaml:22:14: dimensions[0].items[0].was: names an item of the previous version, "
            "but the file declares "
            'no previous_version; add e.g. previous_version: "1.0.0" at the top level',
        ),
        (
            "  dont_know: {ja: わからない, en: Don't know}",
            "  dont_know: {ja: わからない}",
            "q.yaml:13:14: scale.dont_know: missing locale 'en'",
        ),
    ],
)
def test_new_fields_problems_point_at_file_line_col(old: str, new: str, expected: str) -> None:
    assert old in NEW
    found = problems_of(NEW.replace(old, new))
    assert any(problem.startswith(expected) for problem in found), found


def test_a_was_naming_no_item_of_the_previous_version_is_reported(tmp_path: Path) -> None:
    (tmp_path / "mini-1.0.0.yaml").write_text(OLD, encoding="utf-8")
    (tmp_path / "mini.yaml").write_text(NEW.replace("was: org_a", "was: org_aa"), encoding="utf-8")
    found = {
        path.name: (questionnaire, problems) for path, questionnaire, problems in discover(tmp_path)
    }
    assert found["mini-1.0.0.yaml"][0] is not None
    questionnaire, problems = found["mini.yaml"]
    assert questionnaire is None
    assert [str(problem) for problem in problems] == [
        f"{tmp_path / 'mini.yaml'}:22:14: dimensions.items.was: item 'org_a2' names 'org_aa', "
        "which is no item "
        "of mini 1.0.0 (did you mean 'org_a'?)"
    ]


def test_both_versions_of_one_questionnaire_live_side_by_side(tmp_path: Path) -> None:
    (tmp_path / "mini-1.0.0.yaml").write_text(OLD, encoding="utf-8")
    (tmp_path / "mini.yaml").write_text(NEW, encoding="utf-8")
    offered = [q for _path, q, _problems in discover(tmp_path) if q is not None]
    assert sorted(q.version for q in offered) == ["1.0.0", "2.0.0"]


def test_a_was_is_not_checked_without_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(NEW.replace("was: org_a", "was: org_aa"), encoding="utf-8")
    questionnaire = load_questionnaire(path)
    assert lineage_problems(path, questionnaire, [questionnaire]) == []
