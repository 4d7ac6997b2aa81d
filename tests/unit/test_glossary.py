"""The glossary's retired terms stay out of every surface a client reads (docs/glossary.md).

Scanned: the newest version of each questionnaire (earlier versions are frozen), every template,
the report texts (reports/*.yaml) and the Japanese translations (msgstr only; the English
msgids are checked for the retired English terms).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parent.parent.parent
GLOSSARY = REPO / "docs" / "glossary.md"
PO_JA = REPO / "app" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"

#: Retired term -> the term to use instead (both as written in docs/glossary.md).
RETIRED_JA = {
    "階層": "役割 (or 上位部署 for nested departments)",
    "役職": "役割",
    "部門": "部署",
    "質問票": "設問票",
    "診断票": "設問票",
    "質問項目": "設問",
    "CX改善サイクル": "CX向上サイクル",
    "わからない・該当しない": "わからない / 該当しない as two options",
    "先発隊": "先行チーム",
    "CX専用ポータル": "進捗・成果の共有",
    "CX戦略マップ": "収益性・顧客・施策のつながりを示す図",
    "BSC": "収益性・顧客・施策のつながりを示す図",
    "エスノグラフィ": "行動観察",
    "デジタルセイムネス": "自社ならではの体験",
    "3層KPI": "ジャーニー全体・個別ジャーニー・接点のつながり",
}
RETIRED_EN = {
    "Organisational behaviour": "Organisation & leadership",
    "Organizational behavior": "Organisation & leadership",
    "vanguard": "pilot team",
    "CX portal": "sharing progress and results",
    "CX strategy map": "diagram linking profitability, customers and initiatives",
    "ethnograph": "observing customers",
    "Ethnograph": "observing customers",
    "digital sameness": "distinctive experience",
}
RETIRED = {**RETIRED_JA, **RETIRED_EN}


def _current_questionnaires() -> list[Path]:
    newest: dict[str, tuple[tuple[int, ...], Path]] = {}
    for path in sorted((REPO / "questionnaires").glob("*.yaml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        version = tuple(int(part) for part in str(content["version"]).split("."))
        if content["id"] not in newest or version > newest[content["id"]][0]:
            newest[content["id"]] = (version, path)
    return sorted(path for _version, path in newest.values())


def _templates() -> list[Path]:
    return sorted(p for p in (REPO / "app").glob("**/templates/**/*") if p.is_file())


def _texts(node: object, where: str) -> list[tuple[str, str]]:
    """Every localized string of a parsed questionnaire, labelled by the nearest id."""
    if isinstance(node, list):
        return [pair for value in node for pair in _texts(value, where)]
    if not isinstance(node, dict):
        return []
    here = f"{where}:{node['id']}" if isinstance(node.get("id"), str) else where
    found = []
    for key, value in node.items():
        if key in ("ja", "en") and isinstance(value, str):
            found.append((f"{here}[{key}]", value))
        else:
            found += _texts(value, here)
    return found


def _hits(text: str, where: str, terms: dict[str, str]) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for term, instead in terms.items():
            if term in line:
                found.append(f"{where}:{number}: {term!r} is retired; use {instead}")
    return found


def test_every_retired_term_is_in_the_glossary():
    glossary = GLOSSARY.read_text(encoding="utf-8")
    assert [term for term in RETIRED if term not in glossary] == []


def test_there_are_current_questionnaires_to_check():
    names = [path.name for path in _current_questionnaires()]
    assert names == ["cx-five-capabilities.yaml", "cx-improvement-cycle.yaml"]


@pytest.mark.parametrize("path", _current_questionnaires(), ids=lambda p: p.name)
def test_current_questionnaires_use_no_retired_term(path):
    # Only the texts people read: ids (and `was:` links to 1.0.0 ids) are not words.
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    problems = []
    for where, text in _texts(content, path.name):
        problems += _hits(text, where, RETIRED)
    assert problems == []


@pytest.mark.parametrize("path", _current_questionnaires(), ids=lambda p: p.name)
def test_current_item_texts_are_written_with_desu_masu(path):
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    plain = [
        item["id"]
        for dimension in content["dimensions"]
        for item in dimension["items"]
        if not re.search(r"(ます|です|ました)。$", item["text"]["ja"])
    ]
    assert plain == []


def test_templates_use_no_retired_term():
    problems = []
    for path in _templates():
        problems += _hits(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)), RETIRED)
    assert problems == []


@pytest.mark.parametrize("name", ["rules.yaml", "recommendations.yaml"])
def test_report_texts_use_no_retired_term(name):
    path = REPO / "reports" / name
    assert _hits(path.read_text(encoding="utf-8"), f"reports/{name}", RETIRED) == []


def test_japanese_translations_use_no_retired_term():
    with PO_JA.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        where = f"messages.po:{message.lineno}"
        problems += _hits("\n".join(s for s in strings if s), where, RETIRED_JA)
        problems += _hits("\n".join(ids), where, RETIRED_EN)
    assert problems == []


def test_questionnaire_texts_are_found_and_ids_are_not():
    content = {
        "id": "q",
        "dimensions": [
            {
                "id": "d",
                "items": [{"id": "i", "was": "ro_vanguard", "text": {"ja": "先発隊", "en": "x"}}],
            }
        ],
    }
    pairs = _texts(content, "f.yaml")
    assert pairs == [("f.yaml:q:d:i[ja]", "先発隊"), ("f.yaml:q:d:i[en]", "x")]
    assert _hits(pairs[0][1], pairs[0][0], RETIRED_JA) == [
        "f.yaml:q:d:i[ja]:1: '先発隊' is retired; use 先行チーム"
    ]


def test_the_checker_finds_a_retired_term():
    assert _hits("回答は階層別に集計します。", "x", RETIRED_JA) == [
        "x:1: '階層' is retired; use 役割 (or 上位部署 for nested departments)"
    ]
