"""The diagnosis of one scope: the organisation or one department.

The same report rules read the same kind of facts for every scope. For a department, the
dimension figures are the department's, its role gaps are the gaps between its roles, the
department against the rest of the organisation is a gap of its own, its change since the
previous round is its trend and its stages get their own bottleneck verdict. Only shown
groups take part: a suppressed cell has no score and a suppressed group no gap, so no message
ever rests on a group under the anonymity threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from app.analysis.bottleneck import NO_BOTTLENECK, Bottleneck
from app.analysis.findings import (
    SCOPE_DEPARTMENT,
    SCOPE_ORGANISATION,
    DimensionFact,
    DontKnowFact,
    Facts,
    RuleSet,
)
from app.analysis.gaps import ItemGap
from app.analysis.messages import key_messages
from app.questionnaire import Questionnaire
from app.results.model import (
    Diagnosis,
    Finding,
    GapResult,
    GroupResult,
    Reliability,
    TrendResult,
)


def _dimension_facts(
    questionnaire: Questionnaire,
    group: GroupResult,
    reliability: Mapping[str, Reliability] | None,
    targets: Mapping[str, float],
) -> dict[str, DimensionFact]:
    found = {}
    for dimension in questionnaire.dimensions:
        cell = group.scores.get(dimension.id)
        shown = cell is not None and cell.shown
        found[dimension.id] = DimensionFact(
            id=dimension.id,
            kind=dimension.kind,
            title=dimension.title.to_dict(),
            score=cell.mean if shown and cell is not None else None,
            level=cell.level if shown and cell is not None else None,
            level_label=cell.level_label if shown and cell is not None else None,
            agreement=cell.agreement if shown and cell is not None else None,
            alpha=None if reliability is None else reliability[dimension.id].alpha,
            n=cell.n if shown and cell is not None else None,
            target=targets.get(dimension.id),
        )
    return found


def _items(questionnaire: Questionnaire) -> dict[str, Mapping[str, str]]:
    return {item.id: item.text.to_dict() for item in questionnaire.items}


def _item_dimensions(questionnaire: Questionnaire) -> dict[str, str]:
    return {item.id: d.id for d in questionnaire.dimensions for item in d.items}


def _dont_know(groups: Sequence[GroupResult]) -> tuple[DontKnowFact, ...]:
    """Each shown role's shown "don't know" rates."""
    return tuple(
        DontKnowFact(
            role=group.key["role"],
            group=dict(group.key),
            label=group.label,
            rates={item: rate for item, rate in group.dont_know.items() if rate.rate is not None},
        )
        for group in groups
        if group.shown
    )


def organisation_facts(
    questionnaire: Questionnaire,
    organization: GroupResult,
    reliability: Mapping[str, Reliability],
    gaps: Sequence[GapResult],
    trends: Sequence[TrendResult],
    item_gaps: Sequence[ItemGap],
    targets: Mapping[str, float],
    roles: Sequence[GroupResult],
    bottleneck: Bottleneck = NO_BOTTLENECK,
) -> Facts:
    """What the rules read for the whole organisation (``roles``: its role groups)."""
    return Facts(
        dimensions=_dimension_facts(questionnaire, organization, reliability, targets),
        gaps=tuple(gaps),
        trends=tuple(trends),
        bottleneck=bottleneck,
        item_gaps=tuple(item_gaps),
        items=_items(questionnaire),
        scope=SCOPE_ORGANISATION,
        group=dict(organization.key),
        dont_know=_dont_know(roles),
        item_dimensions=_item_dimensions(questionnaire),
    )


def _in_department(key: Any, department: Any) -> bool:
    return isinstance(key, Mapping) and key.get("department") == department


def department_facts(
    questionnaire: Questionnaire,
    department: GroupResult,
    gaps: Sequence[GapResult],
    trends: Sequence[TrendResult],
    targets: Mapping[str, float],
    roles: Sequence[GroupResult],
    bottleneck: Bottleneck = NO_BOTTLENECK,
) -> Facts:
    """What the rules read for one department: its figures, its roles and its change
    (``roles``: the role groups within departments).

    The campaign's targets are the department's too: its distance to them is its own.

    Role gaps inside the department read as role gaps; the department against the rest of
    the organisation stays a ``department`` gap; the department's trend reads as the scope's
    own trend (``organization``) and its roles' trends as role trends.
    """
    key = department.key["department"]
    scoped_gaps: list[GapResult] = []
    for gap in gaps:
        if gap.breakdown == "role_department" and _in_department(gap.a, key):
            scoped_gaps.append(replace(gap, breakdown="role"))
        elif gap.breakdown == "department" and _in_department(gap.a, key):
            scoped_gaps.append(gap)
    scoped_trends: list[TrendResult] = []
    for trend in trends:
        if not _in_department(trend.key, key):
            continue
        if trend.breakdown == "department":
            scoped_trends.append(replace(trend, breakdown="organization"))
        elif trend.breakdown == "role_department":
            scoped_trends.append(replace(trend, breakdown="role"))
    return Facts(
        dimensions=_dimension_facts(questionnaire, department, None, targets),
        gaps=tuple(scoped_gaps),
        trends=tuple(scoped_trends),
        bottleneck=bottleneck,
        items=_items(questionnaire),
        scope=SCOPE_DEPARTMENT,
        group=dict(department.key),
        dont_know=_dont_know([g for g in roles if _in_department(g.key, key)]),
        item_dimensions=_item_dimensions(questionnaire),
    )


def diagnose(rules: RuleSet | None, facts: Facts, department: int | None = None) -> Diagnosis:
    """Every rule that holds for the scope, and the key messages among them."""
    fired = rules.evaluate(facts) if rules is not None else []
    # A rule that names only the companion campaign's dimensions is the companion's own
    # finding: its diagnosis tells it. Here only rules that also read this campaign's figures.
    borrowed = {d for d, fact in facts.dimensions.items() if fact.companion}
    if borrowed and rules is not None:
        fired = [
            found
            for found in fired
            if not (named := rules.rule(found.rule).condition.dimensions()) or not named <= borrowed
        ]
    findings = tuple(
        Finding(
            found.rule,
            found.severity,
            found.text,
            found.dimension,
            headline=found.headline,
            recommendation=dict(found.recommendation),
        )
        for found in fired
    )
    scope_gaps = tuple(gap for gap in facts.gaps if gap.breakdown in ("role", "department"))
    return Diagnosis(
        scope=facts.scope,
        department=department,
        findings=findings,
        key_messages=key_messages(fired, facts),
        gaps=scope_gaps,
        item_gaps=tuple(facts.item_gaps),
        bottleneck=facts.bottleneck,
        facts=facts,
    )


__all__ = ["department_facts", "diagnose", "organisation_facts"]
