"""The reusable YAML validation toolkit, exercised on a made-up format."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app.questionnaire.yamlcheck import (
    Checker,
    Node,
    Problem,
    UniqueIds,
    child_path,
    describe,
    suggestion,
)


def load(text: str) -> tuple[Checker, Node]:
    checker = Checker("rules.yaml")
    root = checker.load(text)
    assert root is not None, checker.problems
    return checker, root


def messages(checker: Checker) -> list[str]:
    return [str(problem) for problem in checker.sorted_problems()]


def test_problem_str_and_ordering() -> None:
    first = Problem("a.yaml", 2, 5, "late")
    second = Problem("a.yaml", 1, 9, "early")
    assert str(first) == "a.yaml:2:5: late"
    assert sorted([first, second]) == [second, first]


def test_load_reports_syntax_errors_at_the_mark() -> None:
    checker = Checker("rules.yaml")
    assert checker.load("a: 1\nb: [1, 2\n") is None
    assert len(checker.problems) == 1
    problem = checker.problems[0]
    assert (problem.file, problem.line) == ("rules.yaml", 3)
    assert problem.message.startswith("YAML syntax error:")


def test_load_reports_duplicate_keys_at_the_second_key() -> None:
    checker = Checker("rules.yaml")
    assert checker.load("rules:\n  a: 1\n  b: 2\n  a: 3\n") is None
    assert [(p.line, p.col) for p in checker.problems] == [(4, 3)]
    assert 'duplicate key "a"' in checker.problems[0].message


def test_load_reports_undefined_alias() -> None:
    checker = Checker("rules.yaml")
    assert checker.load("a: 1\nb: *missing\n") is None
    assert messages(checker) == ["rules.yaml:2:4: YAML error: found undefined alias 'missing'"]


def test_mapping_checks_keys() -> None:
    checker, root = load("name: x\ncolour: red\n")
    fields = checker.mapping(root, required=("name", "threshold"), optional=("color",))
    assert fields is not None
    assert set(fields) == {"name"}
    assert messages(checker) == [
        "rules.yaml:1:1: top level: missing required key 'threshold'",
        "rules.yaml:2:1: top level: unknown key 'colour' (did you mean 'color'?)",
    ]


def test_mapping_allow_unknown_and_non_string_keys() -> None:
    checker, root = load("a: 1\n2: b\n")
    fields = checker.mapping(root, allow_unknown=True)
    assert fields is not None
    assert list(fields) == ["a"]
    assert messages(checker) == ["rules.yaml:2:1: top level: keys must be strings, got integer 2"]


def test_merge_keys_and_tags_are_refused_at_their_position() -> None:
    checker = Checker("rules.yaml")
    assert checker.load("base: &b {x: 1}\nrule:\n  <<: *b\n  y: 2\n") is None
    assert messages(checker) == [
        "rules.yaml:3:3: YAML error: merge keys (<<) are not allowed; write the keys out in "
        "this mapping (an alias such as *name may still stand for a whole value)"
    ]
    checker = Checker("rules.yaml")
    assert checker.load("rule:\n  y: !!python/name:os.system\n") is None
    assert messages(checker) == [
        "rules.yaml:2:6: YAML error: tags such as !!python/name:os.system are not allowed; "
        "write the plain value (quote text that would otherwise read as a number, date or "
        "boolean)"
    ]


def test_limits_are_per_checker() -> None:
    text = "a: [[[1]]]\nb: [1, 2, 3]\n"
    assert Checker("rules.yaml").load(text) is not None
    shallow = Checker("rules.yaml", max_depth=3)
    assert shallow.load(text) is None
    assert messages(shallow) == [
        "rules.yaml:1:6: YAML error: nested more than 3 levels deep; the format needs far "
        "fewer levels (is a bracket or an indentation out of place?)"
    ]
    small = Checker("rules.yaml", max_values=8)
    assert small.load(text) is None
    assert messages(small)[0].startswith("rules.yaml:2:5: YAML error: more than 8 values")
    tiny = Checker("rules.yaml", max_bytes=10)
    assert tiny.load(text) is None
    assert messages(tiny) == [
        "rules.yaml:1:11: file too large: a YAML file here may have at most 10 bytes, and this "
        "one passes that limit here"
    ]


@pytest.mark.parametrize(
    ("method", "source", "expected"),
    [
        ("string", "v: 3", "expected a string, got integer 3"),
        ("string", "v: ''", "must not be empty"),
        ("integer", "v: 1.5", "expected an integer, got number 1.5"),
        ("integer", "v: false", "expected an integer, got boolean false"),
        ("number", "v: true", "expected a number, got boolean true"),
        ("number", "v: '2'", "expected a number, got string '2'"),
        ("boolean", "v: 1", "expected a boolean (true or false), got integer 1"),
        ("boolean", "v: no", "expected a boolean (true or false), got string 'no'"),
        ("mapping", "v: [1]", "expected a mapping, got a list"),
        ("sequence", "v: {a: 1}", "expected a list, got a mapping"),
        ("string", "v: 2024-01-02", "expected a string, got date 2024-01-02"),
    ],
)
def test_type_checks_point_at_the_value(method: str, source: str, expected: str) -> None:
    checker, root = load(source + "\n")
    node = checker.child(root, "v")
    assert getattr(checker, method)(node) is None
    assert messages(checker) == [f"rules.yaml:1:4: v: {expected}"]


def test_int_keyed_reports_other_keys_at_the_key() -> None:
    checker, root = load("v: {1: a, b: c, 2.5: d}\n")
    keyed = checker.int_keyed(checker.child(root, "v"))
    assert keyed is not None
    assert list(keyed) == [1]
    assert messages(checker) == [
        "rules.yaml:1:11: v: keys must be integers, got string 'b'",
        "rules.yaml:1:17: v: keys must be integers, got number 2.5",
    ]


def test_valid_scalars_are_returned() -> None:
    checker, root = load("s: ' text '\ni: 0x10\nn: 2\nf: 1.5\nb: true\nk: {1: a, 3: b}\n")
    assert checker.string(checker.child(root, "s")) == " text "
    assert checker.integer(checker.child(root, "i"), minimum=0) == 16
    assert checker.number(checker.child(root, "n"), positive=True) == 2.0
    assert checker.number(checker.child(root, "f")) == 1.5
    assert checker.boolean(checker.child(root, "b")) is True
    keyed = checker.int_keyed(checker.child(root, "k"))
    assert keyed is not None
    assert sorted(keyed) == [1, 3]
    assert checker.ok


def test_string_pattern_and_choice() -> None:
    checker, root = load("code: AB\nlevel: hgh\n")
    assert checker.string(checker.child(root, "code"), pattern=re.compile("[a-z]+")) is None
    assert checker.choice(checker.child(root, "level"), ("low", "high"), what="level") is None
    assert messages(checker) == [
        "rules.yaml:1:7: code: invalid value 'AB'",
        "rules.yaml:2:8: level: unknown level 'hgh' (did you mean 'high'?); "
        "expected one of: low, high",
    ]


def test_localized_text() -> None:
    source = "a: {ja: あ, en: A}\nb: {ja: あ, de: B}\nc: {}\nd: {ja: 1, en: ' '}\n"
    checker, root = load(source)
    assert checker.localized(checker.child(root, "a"), ("ja", "en")) == {"ja": "あ", "en": "A"}
    assert checker.localized(checker.child(root, "b"), ("ja", "en")) is None
    assert checker.localized(checker.child(root, "c"), None) is None
    assert checker.localized(checker.child(root, "d"), ("ja", "en")) is None
    assert messages(checker) == [
        "rules.yaml:2:4: b: missing locale 'en'",
        "rules.yaml:2:12: b: unknown locale 'de'; declared locales: ja, en",
        "rules.yaml:3:4: c: must contain at least one locale",
        "rules.yaml:4:9: d.ja: expected a string, got integer 1",
        "rules.yaml:4:16: d.en: must not be empty",
    ]


def test_sequence_items_and_unique_ids() -> None:
    checker, root = load("rules:\n  - id: a\n  - id: b\n  - id: a\n")
    ids = UniqueIds(checker, "rule id")
    nodes = checker.sequence(checker.child(root, "rules"), non_empty=True)
    assert nodes is not None
    assert [node.path for node in nodes] == ["rules[0]", "rules[1]", "rules[2]"]
    results = [
        ids.add(checker.string(checker.child(n, "id")), checker.child(n, "id")) for n in nodes
    ]
    assert results == [True, True, False]
    assert "a" in ids
    assert messages(checker) == [
        "rules.yaml:4:9: rules[2].id: duplicate rule id 'a' "
        "(first defined at line 2, column 9, rules[0].id)"
    ]


def test_empty_sequence_and_null_value() -> None:
    checker, root = load("items: []\nnothing:\nafter: 1\n")
    assert checker.sequence(checker.child(root, "items"), non_empty=True) is None
    assert checker.string(checker.child(root, "nothing")) is None
    assert messages(checker) == [
        "rules.yaml:1:8: items: must not be empty",
        "rules.yaml:2:1: nothing: expected a string, got an empty value",
    ]


def test_helpers() -> None:
    assert child_path("", "a") == "a"
    assert child_path("a", "b") == "a.b"
    assert child_path("a", 0) == "a[0]"
    assert suggestion("colr", ["color", "size"]) == " (did you mean 'color'?)"
    assert suggestion("zzz", ["color"]) == ""
    assert describe("x" * 100).endswith("…'")
    assert describe(None) == "an empty value"
    assert Node(1, "", 1, 1).where == "top level"


def test_questionnaire_package_stays_framework_free() -> None:
    package = Path(__file__).resolve().parents[2] / "app" / "questionnaire"
    imported: set[str] = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert imported.isdisjoint({"flask", "sqlalchemy", "flask_sqlalchemy", "app"})
