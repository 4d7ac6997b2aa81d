"""Loading and validating questionnaire YAML: exact problem positions and messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.questionnaire import (
    Questionnaire,
    QuestionnaireError,
    check_file,
    discover,
    latest,
    left_out_notice,
    load_questionnaire,
    parse_questionnaire,
    validate_file,
    version_key,
)

# Line numbers below are stable: variants replace text within a line or append after the
# last line, so the expected positions can be read off this listing.
VALID = """\
id: mini
version: "1.0.0"
locales: [ja, en]
title: {ja: ミニ, en: Mini}
scale:
  min: 1
  max: 3
  labels:
    1: {ja: 低, en: Low}
    2: {ja: 中, en: Mid}
    3: {ja: 高, en: High}
dimensions:
  - id: org
    kind: capability
    title: {ja: 組織, en: Org}
    items:
      - id: org_a
        text: {ja: あ, en: A}
"""

FULL = """\
# A comment that must not matter.
id: cx-sample
version: "2.1.0"
locales: [ja, en]
title: {ja: サンプル診断, en: Sample assessment}
description:
  ja: 説明文
  en: |
    A description
    on two lines.
estimated_minutes: 10
scale:
  min: 1
  max: 4
  labels:
    1: {ja: できていない, en: Not at all}
    2: {ja: 一部, en: Partly}
    3: {ja: おおむね, en: Mostly}
    4: {ja: 完全に, en: Fully}
  not_applicable: {ja: わからない・該当しない, en: Don't know / not applicable}
dimensions:
  - id: org_behavior
    kind: capability
    title: {ja: 組織行動の力, en: Organisational behaviour}
    description: {ja: 組織の説明, en: About the organisation}
    items:
      - id: ob_vision
        text: {ja: ビジョンがある, en: There is a vision}
        levels:
          1: {ja: ない, en: None}
          4: {ja: 浸透している, en: Shared by everyone}
      - id: ob_silo
        text: {ja: 部門の壁がある, en: Departments work in silos}
        reverse: true
        weight: 1.5
  - id: stage_awareness
    kind: stage
    title: {ja: 認識段階, en: Awareness stage}
    items:
      - id: st_aware
        text: {ja: 認識している, en: We are aware}
open_questions:
  - id: comments
    text: {ja: ご意見, en: Comments}
    max_length: 500
  - id: wishes
    text: {ja: 要望, en: Wishes}
"""


def variant(old: str, new: str, base: str = VALID) -> str:
    """``base`` with the single occurrence of ``old`` replaced by ``new``."""
    assert base.count(old) == 1, f"{old!r} must occur exactly once"
    return base.replace(old, new)


def problems_of(text: str, filename: str = "q.yaml") -> list[str]:
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(text, filename)
    return [str(problem) for problem in info.value.problems]


def test_minimal_file_is_valid() -> None:
    questionnaire = parse_questionnaire(VALID, "q.yaml")
    assert questionnaire.id == "mini"
    assert [item.id for item in questionnaire.items] == ["org_a"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "  max: 3\n",
            "  max: 3: 4\n",
            ["q.yaml:7:9: YAML syntax error: mapping values are not allowed here"],
            id="yaml-syntax",
        ),
        pytest.param(
            "title: {ja: ミニ, en: Mini}",
            "title: {ja: ミニ, en: Mini",
            [
                "q.yaml:5:6: YAML syntax error: while parsing a flow mapping "
                "expected ',' or '}', but got ':'"
            ],
            id="yaml-unclosed-flow-mapping",
        ),
        pytest.param(
            "  max: 3\n",
            "  min: 3\n",
            [
                'q.yaml:7:3: YAML error: found duplicate key "min" with value "3" '
                '(original value: "1"); a key may appear only once in a mapping'
            ],
            id="duplicate-yaml-key",
        ),
        pytest.param(
            "        text: {ja: あ, en: A}\n",
            "        text: {ja: あ, en: A}\n        revrse: true\n",
            ["q.yaml:19:9: dimensions[0].items[0]: unknown key 'revrse' (did you mean 'reverse'?)"],
            id="unknown-key",
        ),
        pytest.param(
            "dimensions:\n",
            "dimension:\n",
            [
                "q.yaml:1:1: top level: missing required key 'dimensions'",
                "q.yaml:12:1: top level: unknown key 'dimension' (did you mean 'dimensions'?)",
            ],
            id="misspelt-top-level-key",
        ),
        pytest.param(
            "    kind: capability\n",
            "    description: {ja: 説明, en: About}\n",
            ["q.yaml:13:5: dimensions[0]: missing required key 'kind'"],
            id="missing-key",
        ),
        pytest.param(
            "  min: 1\n",
            "  min: one\n",
            ["q.yaml:6:8: scale.min: expected an integer, got string 'one'"],
            id="wrong-type-string-for-int",
        ),
        pytest.param(
            "  min: 1\n",
            "  min: true\n",
            ["q.yaml:6:8: scale.min: expected an integer, got boolean true"],
            id="wrong-type-bool-is-not-int",
        ),
        pytest.param(
            "        text: {ja: あ, en: A}\n",
            "        text: {ja: あ, en: A}\n        reverse: yes\n",
            [
                "q.yaml:19:18: dimensions[0].items[0].reverse: expected a boolean "
                "(true or false), got string 'yes'"
            ],
            id="wrong-type-bool",
        ),
        pytest.param(
            "    title: {ja: 組織, en: Org}\n",
            "    title: Org\n",
            [
                "q.yaml:15:12: dimensions[0].title: expected a mapping of locale to text "
                "(e.g. {ja: ..., en: ...}), got string 'Org'"
            ],
            id="wrong-type-text",
        ),
        pytest.param(
            "dimensions:\n  - id: org\n    kind: capability\n    title: {ja: 組織, en: Org}\n"
            "    items:\n      - id: org_a\n        text: {ja: あ, en: A}\n",
            "dimensions: {org: 1}\n",
            ["q.yaml:12:13: dimensions: expected a list, got a mapping"],
            id="wrong-type-list",
        ),
        pytest.param(
            "      - id: org_a\n",
            "      - id: org\n",
            [
                "q.yaml:17:13: dimensions[0].items[0].id: duplicate id 'org' "
                "(first defined at line 13, column 9, dimensions[0].id)"
            ],
            id="duplicate-id",
        ),
        pytest.param(
            "        text: {ja: あ, en: A}\n",
            "        text: {ja: あ}\n",
            ["q.yaml:18:15: dimensions[0].items[0].text: missing locale 'en'"],
            id="missing-locale",
        ),
        pytest.param(
            "title: {ja: ミニ, en: Mini}",
            "title: {ja: ミニ, en: Mini, eng: Mini}",
            [
                "q.yaml:4:27: title: unknown locale 'eng' (did you mean 'en'?); "
                "declared locales: ja, en"
            ],
            id="unknown-locale",
        ),
        pytest.param(
            "title: {ja: ミニ, en: Mini}",
            "title: {ja: ミニ, en: '  '}",
            ["q.yaml:4:21: title.en: must not be empty"],
            id="blank-text",
        ),
        pytest.param(
            "        text: {ja: あ, en: A}\n",
            "        text: {ja: あ, en: A}\n"
            "        levels: {0: {ja: x, en: x}, 3: {ja: y, en: y}}\n",
            ["q.yaml:19:18: dimensions[0].items[0].levels: level key 0 is outside the scale 1..3"],
            id="level-outside-scale",
        ),
        pytest.param(
            "        text: {ja: あ, en: A}\n",
            "        text: {ja: あ, en: A}\n        levels: {one: {ja: x, en: x}}\n",
            [
                "q.yaml:19:18: dimensions[0].items[0].levels: keys must be integers, "
                "got string 'one'"
            ],
            id="level-key-not-integer",
        ),
        pytest.param(
            "    3: {ja: 高, en: High}",
            "    4: {ja: 高, en: High}",
            [
                "q.yaml:9:5: scale.labels: missing label for scale point 3",
                "q.yaml:11:5: scale.labels: label key 4 is outside the scale 1..3",
            ],
            id="scale-label-outside-and-missing",
        ),
        pytest.param(
            "  max: 3\n",
            "  max: 1\n",
            ["q.yaml:7:8: scale.max: must be greater than min (1), got 1"],
            id="min-not-below-max",
        ),
        pytest.param(
            "    items:\n      - id: org_a\n        text: {ja: あ, en: A}\n",
            "    items: []\n",
            [
                "q.yaml:16:12: dimensions[0].items: dimension 'org' has no items; "
                "add at least one item"
            ],
            id="empty-dimension",
        ),
        pytest.param(
            "dimensions:\n  - id: org\n    kind: capability\n    title: {ja: 組織, en: Org}\n"
            "    items:\n      - id: org_a\n        text: {ja: あ, en: A}\n",
            "dimensions: []\n",
            ["q.yaml:12:13: dimensions: must list at least one dimension"],
            id="no-dimensions",
        ),
        pytest.param(
            "    kind: capability\n",
            "    kind: capabilities\n",
            [
                "q.yaml:14:11: dimensions[0].kind: unknown kind 'capabilities' (did you mean "
                "'capability'?); expected one of: capability, stage, outcome"
            ],
            id="unknown-kind",
        ),
        pytest.param(
            "  - id: org\n",
            "  - id: Org-1\n",
            [
                "q.yaml:13:9: dimensions[0].id: invalid value 'Org-1' (use lowercase letters, "
                "digits and underscores, starting with a letter)"
            ],
            id="bad-entry-id",
        ),
        pytest.param(
            "id: mini\n",
            "id: mini_q\n",
            [
                "q.yaml:1:5: id: invalid value 'mini_q' (use lowercase letters, digits and "
                "hyphens, starting with a letter)"
            ],
            id="bad-questionnaire-id",
        ),
        pytest.param(
            'version: "1.0.0"',
            'version: "1.0"',
            [
                "q.yaml:2:10: version: invalid value '1.0' (use a semantic version "
                'MAJOR.MINOR.PATCH such as "1.0.0")'
            ],
            id="bad-version",
        ),
        pytest.param(
            'version: "1.0.0"',
            "version: 1.0",
            [
                "q.yaml:2:10: version: expected a string, got number 1.0; "
                'quote the version, e.g. "1.0.0"'
            ],
            id="unquoted-version",
        ),
        pytest.param(
            "        text: {ja: あ, en: A}\n",
            "        text: {ja: あ, en: A}\n        weight: 0\n",
            ["q.yaml:19:17: dimensions[0].items[0].weight: must be a positive number, got 0"],
            id="zero-weight",
        ),
        pytest.param(
            "        text: {ja: あ, en: A}\n",
            "        text: {ja: あ, en: A}\n        weight: -0.5\n",
            ["q.yaml:19:17: dimensions[0].items[0].weight: must be a positive number, got -0.5"],
            id="negative-weight",
        ),
        pytest.param(
            "        text: {ja: あ, en: A}\n",
            "        text: {ja: あ, en: A}\n        weight: .inf\n",
            ["q.yaml:19:17: dimensions[0].items[0].weight: expected a number, got number inf"],
            id="infinite-weight",
        ),
        pytest.param(
            "locales: [ja, en]",
            "locales: [ja, en, ja]",
            [
                "q.yaml:3:19: locales[2]: duplicate locale 'ja' "
                "(first defined at line 3, column 11, locales[0])"
            ],
            id="duplicate-locale",
        ),
        pytest.param(
            "locales: [ja, en]",
            "locales: []",
            ["q.yaml:3:10: locales: must not be empty"],
            id="no-locales",
        ),
        pytest.param(
            "id: mini\n",
            "id: mini\nestimated_minutes: '15'\n",
            ["q.yaml:2:20: estimated_minutes: expected an integer, got string '15'"],
            id="estimated-minutes-type",
        ),
        pytest.param(
            "        text: {ja: あ, en: A}\n",
            "        text: {ja: あ, en: A}\nopen_questions:\n  - id: note\n"
            "    text: {ja: メモ, en: Note}\n    max_length: 0\n",
            ["q.yaml:22:17: open_questions[0].max_length: must be at least 1, got 0"],
            id="open-question-max-length",
        ),
        pytest.param(
            "    title: {ja: 組織, en: Org}\n",
            "    title:\n",
            [
                "q.yaml:15:5: dimensions[0].title: expected a mapping of locale to text "
                "(e.g. {ja: ..., en: ...}), got an empty value"
            ],
            id="empty-value-points-at-key",
        ),
    ],
)
def test_problem_position_and_message(old: str, new: str, expected: list[str]) -> None:
    assert problems_of(variant(old, new)) == expected


def test_every_problem_is_reported_at_once() -> None:
    text = variant("    kind: capability\n", "    kind: stag\n")
    text = variant("        text: {ja: あ, en: A}\n", "        text: {en: A}\n", text)
    text = variant("  max: 3\n", "  max: 3\n  not_aplicable: {ja: -, en: n/a}\n", text)
    assert problems_of(text) == [
        "q.yaml:8:3: scale: unknown key 'not_aplicable' (did you mean 'not_applicable'?)",
        "q.yaml:15:11: dimensions[0].kind: unknown kind 'stag' (did you mean 'stage'?); "
        "expected one of: capability, stage, outcome",
        "q.yaml:19:15: dimensions[0].items[0].text: missing locale 'ja'",
    ]


def test_problems_are_sorted_by_position() -> None:
    text = variant("id: mini\n", "id: Mini\n")
    text = variant("        text: {ja: あ, en: A}\n", "        text: {ja: あ}\n", text)
    lines = [int(problem.split(":")[1]) for problem in problems_of(text)]
    assert lines == sorted(lines)
    assert len(lines) == 2


def test_problems_without_valid_locales_still_check_text_shape() -> None:
    text = variant("locales: [ja, en]", "locales: [JA]")
    text = variant("    title: {ja: 組織, en: Org}\n", "    title: Org\n", text)
    problems = problems_of(text)
    assert problems[0].startswith("q.yaml:3:11: locales[0]: invalid value 'JA'")
    assert problems[1] == (
        "q.yaml:15:12: dimensions[0].title: expected a mapping of locale to text, got string 'Org'"
    )
    assert len(problems) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "q.yaml:1:1: the file is empty; expected a questionnaire mapping"),
        ("# only a comment\n", "q.yaml:1:1: the file is empty; expected a questionnaire mapping"),
        ("- a\n- b\n", "q.yaml:1:1: top level: expected a mapping, got a list"),
        ("just text\n", "q.yaml:1:1: top level: expected a mapping, got string 'just text'"),
    ],
)
def test_documents_that_are_not_mappings(text: str, expected: str) -> None:
    assert problems_of(text) == [expected]


def test_error_string_joins_problem_lines() -> None:
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(variant("id: mini\n", "id: 9\n"), "bad.yaml")
    assert str(info.value) == "bad.yaml:1:5: id: expected a string, got integer 9"
    assert [problem.line for problem in info.value.problems] == [1]


def test_full_file_parses_to_expected_objects() -> None:
    questionnaire = parse_questionnaire(FULL, "full.yaml")
    assert questionnaire.id == "cx-sample"
    assert questionnaire.version == "2.1.0"
    assert questionnaire.locales == ("ja", "en")
    assert questionnaire.default_locale == "ja"
    assert questionnaire.title.get("en") == "Sample assessment"
    assert questionnaire.title.get("fr") == "サンプル診断"
    assert questionnaire.description is not None
    assert questionnaire.description.get("en") == "A description\non two lines."
    assert questionnaire.estimated_minutes == 10

    scale = questionnaire.scale
    assert (scale.min, scale.max, scale.points) == (1, 4, (1, 2, 3, 4))
    assert scale.label(3, "en") == "Mostly"
    assert scale.label(3) == "おおむね"
    assert scale.not_applicable is not None
    assert scale.not_applicable.get("en") == "Don't know / not applicable"
    assert scale.allows_not_applicable

    assert [d.id for d in questionnaire.dimensions] == ["org_behavior", "stage_awareness"]
    assert questionnaire.kinds == ("capability", "stage")
    assert [d.id for d in questionnaire.dimensions_of_kind("stage")] == ["stage_awareness"]
    assert [i.id for i in questionnaire.items] == ["ob_vision", "ob_silo", "st_aware"]

    vision = questionnaire.item("ob_vision")
    assert vision.dimension_id == "org_behavior"
    assert (vision.reverse, vision.weight) == (False, 1.0)
    assert vision.level(4, "en") == "Shared by everyone"
    assert vision.level(2, "en") is None
    silo = questionnaire.item("ob_silo")
    assert (silo.reverse, silo.weight) == (True, 1.5)
    assert questionnaire.scored_value("ob_silo", 1) == 4
    assert questionnaire.scored_value("ob_vision", 1) == 1

    dimension = questionnaire.dimension("org_behavior")
    assert dimension.description is not None
    assert dimension.description.get("ja") == "組織の説明"
    assert questionnaire.dimension("stage_awareness").description is None

    assert [(q.id, q.max_length) for q in questionnaire.open_questions] == [
        ("comments", 500),
        ("wishes", 2000),
    ]
    assert questionnaire.open_question("wishes").text.get("en") == "Wishes"


def test_lookups_reject_ids_of_other_kinds() -> None:
    questionnaire = parse_questionnaire(FULL, "full.yaml")
    with pytest.raises(KeyError):
        questionnaire.item("org_behavior")
    with pytest.raises(KeyError):
        questionnaire.dimension("ob_vision")
    with pytest.raises(KeyError):
        questionnaire.open_question("nope")


def test_optional_fields_default() -> None:
    questionnaire = parse_questionnaire(VALID, "q.yaml")
    assert questionnaire.description is None
    assert questionnaire.estimated_minutes is None
    assert questionnaire.scale.not_applicable is None
    assert questionnaire.open_questions == ()
    assert questionnaire.item("org_a").levels == ()


def test_hash_ignores_comments_and_formatting() -> None:
    reformatted = """\
# Same content, different layout.
id: mini   # trailing comment
version: '1.0.0'
locales:
  - ja
  - en
title:
  ja: ミニ
  en: "Mini"
scale:
  labels: {3: {ja: 高, en: High}, 1: {ja: 低, en: Low}, 2: {ja: 中, en: Mid}}
  max: 3
  min: 1
dimensions:
- title: {en: Org, ja: 組織}
  kind: capability
  id: org
  items:
  - text:
      ja: あ
      en: >-
        A
    id: org_a
    weight: 1.0
    reverse: false
"""
    original = parse_questionnaire(VALID, "a.yaml")
    again = parse_questionnaire(reformatted, "b.yaml")
    assert again == original
    assert again.content_hash == original.content_hash


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('version: "1.0.0"', 'version: "1.0.1"'),
        ("title: {ja: ミニ, en: Mini}", "title: {ja: ミニ, en: Mini!}"),
        ("    3: {ja: 高, en: High}", "    3: {ja: 高, en: Very high}"),
        ("    kind: capability\n", "    kind: stage\n"),
        ("        text: {ja: あ, en: A}\n", "        text: {ja: あ, en: A}\n        weight: 2\n"),
        (
            "        text: {ja: あ, en: A}\n",
            "        text: {ja: あ, en: A}\n        reverse: true\n",
        ),
    ],
)
def test_hash_changes_with_content(old: str, new: str) -> None:
    original = parse_questionnaire(VALID, "q.yaml")
    changed = parse_questionnaire(variant(old, new), "q.yaml")
    assert changed.content_hash != original.content_hash
    assert len(changed.content_hash) == 64


def test_load_validate_and_check_file(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(FULL, encoding="utf-8")
    bad = tmp_path / "bad.yml"
    bad.write_text(variant("id: mini\n", "id: Mini\n"), encoding="utf-8")

    assert load_questionnaire(good).id == "cx-sample"
    assert validate_file(good) == []
    assert check_file(good)[0] == load_questionnaire(str(good))

    problems = validate_file(bad)
    assert [str(problem) for problem in problems] == [
        f"{bad}:1:5: id: invalid value 'Mini' (use lowercase letters, digits and hyphens, "
        "starting with a letter)"
    ]
    with pytest.raises(QuestionnaireError):
        load_questionnaire(bad)
    assert check_file(bad) == (None, problems)


def test_unreadable_files_become_problems(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    problems = validate_file(missing)
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"{missing}:1:1: cannot read file:")
    with pytest.raises(FileNotFoundError):
        load_questionnaire(missing)

    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"id: mini\ntitle: caf\xe9\n")
    assert [str(problem) for problem in validate_file(latin1)] == [
        f"{latin1}:2:11: file is not valid UTF-8: invalid continuation byte"
    ]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode("utf-8"))
    assert load_questionnaire(path).id == "mini"


def test_discover_sorts_and_reports_per_file(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(FULL, encoding="utf-8")
    (tmp_path / "a.yml").write_text(VALID, encoding="utf-8")
    (tmp_path / "c.yaml").write_text("id: [\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    (tmp_path / "sub.yaml").mkdir()

    found = discover(tmp_path)
    assert [path.name for path, _, _ in found] == ["a.yml", "b.yaml", "c.yaml"]
    (_, first, first_problems), (_, second, _), (_, third, third_problems) = found
    assert isinstance(first, Questionnaire)
    assert first_problems == []
    assert second is not None
    assert second.id == "cx-sample"
    assert third is None
    assert len(third_problems) == 1
    assert "YAML syntax error" in third_problems[0].message


def test_discover_offers_neither_file_of_a_repeated_id_and_version(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("# copy\n" + VALID, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(variant('"1.0.0"', '"1.1.0"'), encoding="utf-8")

    found = discover(tmp_path)
    assert [q is not None for _, q, _ in found] == [False, False, True]
    (first, _, first_problems), (second, _, second_problems) = found[:2]
    assert [str(problem) for problem in first_problems] == [
        f"{first}:1:5: id: questionnaire 'mini' version '1.0.0' is also defined in b.yaml; "
        "neither file is offered until each id and version pair is unique"
    ]
    assert [str(problem) for problem in second_problems] == [
        f"{second}:2:5: id: questionnaire 'mini' version '1.0.0' is also defined in a.yaml; "
        "neither file is offered until each id and version pair is unique"
    ]
    assert left_out_notice(second, second_problems) == (
        "b.yaml:2:5: id: questionnaire 'mini' version '1.0.0' is also defined in a.yaml; "
        "neither file is offered until each id and version pair is unique"
    )


def test_discover_checks_each_file_with_the_given_check(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("id: [\n", encoding="utf-8")
    seen: list[str] = []

    def check(path: Path):
        seen.append(path.name)
        return check_file(path)

    found = discover(tmp_path, check=check)
    assert seen == ["a.yaml", "b.yaml"]
    assert found[0][1] is not None
    assert left_out_notice(found[1][0], found[1][2]).startswith("b.yaml:")


def test_latest_picks_the_highest_version_or_the_one_asked_for() -> None:
    low = parse_questionnaire(VALID)
    high = parse_questionnaire(variant('"1.0.0"', '"1.10.0"'))
    middle = parse_questionnaire(variant('"1.0.0"', '"1.9.0"'))
    assert latest([low, high, middle], "mini") is high
    assert latest([low, high, middle], "mini", "1.9.0") is middle
    assert latest([low, high], "mini", "2.0.0") is None
    assert latest([low], "other") is None
    assert version_key("1.10.0-beta.1") == (1, 10, 0)
