"""Two versions of one small questionnaire, as the library holds them side by side.

Version 1.0.0 has one "don't know / not applicable" option; 2.0.0 declares the two apart,
limits one item to executives and middle managers, reverses one item and links the items
that keep an earlier meaning with ``was``.
"""

from __future__ import annotations

from pathlib import Path

from app.questionnaire import Questionnaire, parse_questionnaire

OLD = """\
id: mini
version: "1.0.0"
locales: [ja, en]
title: {ja: ミニ診断, en: Mini assessment}
estimated_minutes: 30
scale:
  min: 1
  max: 5
  labels:
    1: {ja: 未着手, en: Not started}
    2: {ja: 部分的, en: Ad hoc}
    3: {ja: 途上, en: Developing}
    4: {ja: 定着, en: Established}
    5: {ja: 先進的, en: Leading}
  not_applicable: {ja: わからない・該当しない, en: Don't know / not applicable}
dimensions:
  - id: org
    kind: capability
    title: {ja: 組織, en: Organisation}
    items:
      - id: org_vision
        text: {ja: ビジョンがある。, en: There is a vision.}
      - id: org_owner
        text: {ja: 責任者がいる。, en: There is an owner.}
      - id: org_budget
        text: {ja: 予算がある。, en: There is a budget.}
  - id: ops
    kind: capability
    title: {ja: 運用, en: Operations}
    items:
      - id: ops_metrics
        text: {ja: 指標を測っている。, en: We measure metrics.}
      - id: ops_loop
        text: {ja: 改善につなげている。, en: We act on them.}
open_questions:
  - id: comments
    text: {ja: ご意見をお聞かせください。, en: Any comments?}
"""

NEW = """\
id: mini
version: "2.0.0"
previous_version: "1.0.0"
locales: [ja, en]
title: {ja: ミニ診断, en: Mini assessment}
description: {ja: 日々の仕事から答えてください。, en: Answer from your daily work.}
scale:
  min: 1
  max: 5
  labels:
    1: {ja: 未着手, en: Not started}
    2: {ja: 部分的, en: Ad hoc}
    3: {ja: 途上, en: Developing}
    4: {ja: 定着, en: Established}
    5: {ja: 先進的, en: Leading}
  dont_know: {ja: わからない, en: Don't know}
  not_applicable: {ja: 該当しない, en: Not applicable}
dimensions:
  - id: org
    kind: capability
    title: {ja: 組織, en: Organisation}
    items:
      - id: org_vision_daily
        text: {ja: 部署の会議でビジョンが話題になる。, en: The vision comes up in meetings.}
        was: org_vision
        levels:
          1: {ja: 話題にならない, en: Never mentioned}
          5: {ja: 毎回の判断の拠り所, en: The reference for every decision}
      - id: org_owner_seen
        text: {ja: 責任者の動きが見える。, en: I can see the owner act.}
        was: org_owner
        audience: [executive, middle_manager]
      - id: org_blame
        text: {ja: 失敗は責任追及の対象になる。, en: Failures lead to blame.}
        reverse: true
  - id: ops
    kind: capability
    title: {ja: 運用, en: Operations}
    items:
      - id: ops_metrics_seen
        text: {ja: 顧客の声で仕事が変わる。, en: Customers' voices change our work.}
        was: ops_metrics
      - id: ops_new
        text: {ja: 小さく試している。, en: We try things small.}
open_questions:
  - id: comments
    text: {ja: ご意見をお聞かせください。, en: Any comments?}
"""


def write_library(directory: Path) -> Path:
    """Both versions in ``directory``, named as the library names them."""
    (directory / "mini-1.0.0.yaml").write_text(OLD, encoding="utf-8")
    (directory / "mini.yaml").write_text(NEW, encoding="utf-8")
    return directory


def old() -> Questionnaire:
    return parse_questionnaire(OLD, "mini-1.0.0.yaml")


def new() -> Questionnaire:
    return parse_questionnaire(NEW, "mini.yaml")
