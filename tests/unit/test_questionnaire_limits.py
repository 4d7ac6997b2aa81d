"""Hostile questionnaire files: deep nesting, huge files, alias bombs, tags and merge keys.

Each is refused quickly with a ``FILE:LINE:COL`` problem, and never stops the other files of
the folder from being listed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.questionnaire import (
    Questionnaire,
    QuestionnaireError,
    check_file,
    discover,
    load_questionnaire,
    parse_questionnaire,
)
from app.questionnaire.yamlcheck import MAX_BYTES, MAX_DEPTH, MAX_VALUES, Checker

REPO = Path(__file__).resolve().parent.parent.parent
SHIPPED = REPO / "questionnaires" / "cx-improvement-cycle.yaml"

DEEP = "id: " + "[" * 500 + "]" * 500 + "\n"
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 10 if previous else ['x'] * 10)}]\n"
    for previous, name in zip([None, "a", "b", "c", "d", "e", "f", "g"], "abcdefgh", strict=True)
)


def problems_of(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        parse_questionnaire(text, "q.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_deep_nesting_is_refused_where_the_limit_is_passed() -> None:
    assert problems_of(DEEP) == [
        f"q.yaml:1:{4 + MAX_DEPTH}: YAML error: nested more than {MAX_DEPTH} levels deep; the "
        "format needs far fewer levels (is a bracket or an indentation out of place?)"
    ]


def test_a_large_file_is_refused_fast_where_the_limit_is_passed(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    line = "# " + "x" * 1021 + "\n"  # 1 KiB a line
    path.write_text(line * 10 * 1024, encoding="utf-8")  # 10 MiB
    started = time.perf_counter()
    questionnaire, problems = check_file(path)
    assert time.perf_counter() - started < 1
    assert questionnaire is None
    limit_line = MAX_BYTES // len(line) + 1
    assert [str(problem) for problem in problems] == [
        f"{path}:{limit_line}:1: file too large: a YAML file here may have at most 256 KiB "
        "(262,144 bytes), and this one passes that limit here"
    ]
    # The same limit applies to text handed to the parser directly.
    assert problems_of(line * 300)[0].startswith(f"q.yaml:{limit_line}:1: file too large")


def test_many_tiny_values_are_refused_in_seconds() -> None:
    started = time.perf_counter()
    # The document, "id" and the list are three values: the list's item on line 9,999 is
    # value 10,001.
    problems = problems_of("id:\n" + "- x\n" * 50_000)
    assert time.perf_counter() - started < 10
    assert problems == [
        f"q.yaml:{MAX_VALUES - 1}:3: YAML error: more than {MAX_VALUES:,} values in the "
        "document (each alias counted as a copy of the value it names); use fewer aliases or a "
        "smaller file"
    ]


def test_alias_bombs_and_self_references_are_refused() -> None:
    started = time.perf_counter()
    (bomb,) = problems_of(BOMB)
    assert time.perf_counter() - started < 1
    # a: 12 values, b: 112, c: 1,112; the eighth *c of d passes 10,000.
    assert bomb.startswith("q.yaml:4:36: YAML error: more than 10,000 values in the document")
    assert problems_of("id: &a [1, *a]\n") == [
        "q.yaml:1:12: YAML error: alias *a refers to a value that contains it; a value cannot "
        "include itself"
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("!!python/object:os.system x", "!!python/object:os.system"),
        ("!!python/object/apply:os.system [echo]", "!!python/object/apply:os.system"),
        ("!custom x", "!custom"),
        ("!!str 1.0", "!!str"),
        ("!!int x", "!!int"),
        ("! x", "!"),
        ("!!map {a: 1}", "!!map"),
    ],
)
def test_tags_are_refused_at_the_value(value: str, shown: str) -> None:
    assert problems_of(f"id: mini\nversion: {value}\n") == [
        f"q.yaml:2:10: YAML error: tags such as {shown} are not allowed; write the plain value "
        "(quote text that would otherwise read as a number, date or boolean)"
    ]


def test_merge_keys_are_refused_at_the_key() -> None:
    text = "title: &t {ja: ミニ, en: Mini}\ndescription:\n  <<: *t\n  en: More\n"
    assert problems_of(text) == [
        "q.yaml:3:3: YAML error: merge keys (<<) are not allowed; write the keys out in this "
        "mapping (an alias such as *name may still stand for a whole value)"
    ]


MINI = """\
id: mini
version: "1.0.0"
locales: [ja, en]
title: &title {ja: ミニ診断, en: Mini}
description: *title
scale:
  min: 1
  max: 2
  labels:
    1: &no {ja: いいえ, en: "No"}
    2: {ja: はい, en: "Yes"}
dimensions:
  - id: org
    kind: capability
    title: {ja: 組織, en: Org}
    items:
      - id: org_a
        text: {ja: あ, en: A}
        levels: {1: *no}
"""


def test_plain_aliases_still_work() -> None:
    questionnaire = parse_questionnaire(MINI, "q.yaml")
    assert questionnaire.description == questionnaire.title
    assert questionnaire.items[0].level(1, "en") == "No"


def test_values_that_cannot_be_constructed_are_positioned() -> None:
    assert problems_of("id: mini\nversion: 2020-02-31\n") == [
        "q.yaml:2:10: YAML error: cannot read '2020-02-31' as a date (day is out of range "
        "for month); quote it if it is meant as text"
    ]
    (digits,) = problems_of("id: " + "9" * 5000 + "\n")
    assert digits.startswith("q.yaml:1:5: YAML error: cannot read '999")
    assert "as an integer (Exceeds the limit (4300 digits)" in digits


def test_shipped_files_are_well_within_every_limit() -> None:
    for path in sorted((REPO / "questionnaires").glob("*.yaml")):
        assert path.stat().st_size * 3 < MAX_BYTES
        assert isinstance(load_questionnaire(path), Questionnaire)
    # Half the loader's limit (10,000 values): the rules file has room to grow.
    checker = Checker("rules.yaml", max_values=5_000, max_depth=8)
    assert checker.load((REPO / "reports" / "rules.yaml").read_text(encoding="utf-8"))
    assert checker.problems == []


def test_one_bad_file_never_hides_the_others(tmp_path: Path) -> None:
    good = SHIPPED.read_text(encoding="utf-8")
    (tmp_path / "a-deep.yaml").write_text(DEEP, encoding="utf-8")
    (tmp_path / "b-huge.yaml").write_text("#" * (MAX_BYTES + 10), encoding="utf-8")
    (tmp_path / "c-tagged.yaml").write_text("id: !!python/object:os.system x\n")
    (tmp_path / "d-bomb.yaml").write_text(BOMB, encoding="utf-8")
    (tmp_path / "e-date.yaml").write_text("id: 2020-02-31\n", encoding="utf-8")
    (tmp_path / "f-good.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "g-binary.yaml").write_bytes(b"\xff\xfe\x00garbage")

    started = time.perf_counter()
    found = discover(tmp_path)
    assert time.perf_counter() - started < 10
    names = [path.name for path, _, _ in found]
    assert names == sorted(names)
    assert len(names) == 7
    by_name = {path.name: (questionnaire, problems) for path, questionnaire, problems in found}
    assert isinstance(by_name["f-good.yaml"][0], Questionnaire)
    assert by_name["f-good.yaml"][1] == []
    for name, (questionnaire, problems) in by_name.items():
        if name != "f-good.yaml":
            assert questionnaire is None, name
            assert len(problems) == 1, (name, problems)
            assert str(problems[0]).startswith(f"{tmp_path / name}:"), problems
