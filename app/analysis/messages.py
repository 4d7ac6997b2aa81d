"""Key messages: the few findings that tell a campaign's story, ranked, without repeats.

The report rules (:mod:`app.analysis.findings`) say everything that holds; a consultant's
deliverable opens with three to five messages. This module ranks the fired rules by severity,
confidence and size, keeps one message per fact (two rules about the same gap, trend or score
are one message, the better-ranked), and gives each its headline, its detail, the figures it
rests on with their group sizes and, where one applies, what the scope can do about it.

A department is never told to do what only the organisation can: a rule without a
department recommendation becomes, in a department's messages, a point to raise with the
organisation's management.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.analysis.actions import Action
from app.analysis.findings import (
    SCOPE_DEPARTMENT,
    SCOPE_ORGANISATION,
    SEVERITIES,
    Binding,
    Facts,
    FiredRule,
)
from app.analysis.gaps import CLEAR, POSSIBLE, Gap, Trend
from app.analysis.plain import PlainFields

Localized = Mapping[str, str]

#: How many key messages a scope gets at most.
MAX_MESSAGES = 5

#: What a department reads where only the organisation can act: its head takes the point to
#: management (the scope stays ``organisation``: the organisation must act on it).
RAISE_WITH_MANAGEMENT = Action(
    text={
        "ja": "部署の結果を経営会議に提出し、全社で取り組む課題として扱うよう"
        "経営層とCX推進部署に提起する",
        "en": "Present the department's results to the management meeting and ask the "
        "executive team and the CX office to take the issue up company-wide",
    },
    owner="department_head",
    horizon="0-6",
    measure={
        "ja": "経営会議の議題として取り上げられ、担当役員が決まったこと",
        "en": "The issue is on the management meeting's agenda, with an accountable executive",
    },
    scope=SCOPE_ORGANISATION,
)


@dataclass(frozen=True)
class Evidence(PlainFields):
    """One figure a message rests on: a group's value on a dimension (or an item)."""

    #: The group as the results API names it (``{}`` for the whole organisation).
    group: Mapping[str, Any]
    value: float
    n: int | None
    dimension: str | None = None
    item: str | None = None
    #: For a change since the previous round: the change (``value`` is this round's mean).
    change: float | None = None
    #: ``score`` (a mean on the scale) or ``dont_know_rate`` (a share between 0 and 1).
    measure: str = "score"


@dataclass(frozen=True)
class KeyMessage(PlainFields):
    """A finding worth leading with."""

    plain_keys = (
        "id",
        "rule",
        "severity",
        "headline",
        "detail",
        "evidence",
        "recommendation",
        "dimension",
    )

    id: str
    rule: str
    severity: str
    headline: Localized
    detail: Localized
    evidence: tuple[Evidence, ...]
    #: What to do, by whom and by when, and who can act on it (the action's ``scope``:
    #: ``organisation`` or ``department``); None without one.
    recommendation: Action | None = None
    dimension: str | None = None
    #: The facts the message is about (for de-duplication; not part of any output).
    facts: frozenset[tuple[Any, ...]] = field(default_factory=frozenset, repr=False)


def _pair(gap: Gap) -> tuple[str, str]:
    first, second = sorted((repr(gap.a), repr(gap.b)))
    return first, second


def _group_of(key: Any) -> Mapping[str, Any]:
    return dict(key) if isinstance(key, Mapping) else {"group": key}


def fact_keys(binding: Binding) -> frozenset[tuple[Any, ...]]:
    """The facts a binding is about: a message per fact."""
    keys: set[tuple[Any, ...]] = set()
    subjects = set(binding.subjects)
    # A bottleneck is a fact about the stages' order; the score guard beside it is not.
    if subjects & {"score", "level"} and "bottleneck" not in subjects:
        named = binding.scored or (binding.dimension, binding.other)
        keys |= {("score", d) for d in named if d}
    for measure, name in (("agreement", "agreement"), ("alpha", "alpha"), ("shortfall", "target")):
        if measure in subjects and binding.dimension:
            keys.add((name, binding.dimension))
    if "bottleneck" in subjects:
        keys.add(("bottleneck",))
    if "middle" in subjects:
        keys.add(("middle",))
    if binding.dont_know is not None:
        keys.add(("dont_know", binding.dont_know.role, binding.item))
    if binding.gap is not None:
        kind = "item_gap" if binding.item else "gap"
        keys.add(
            (kind, binding.gap.breakdown, binding.item or binding.gap.dimension, _pair(binding.gap))
        )
    for trend in binding.trends or ((binding.trend,) if binding.trend else ()):
        keys.add(("trend", trend.breakdown, repr(trend.key), trend.dimension))
    return frozenset(keys)


def _confidence(binding: Binding) -> int:
    """2 for a confirmed difference, 1 for an unconfirmed one, 1 where no test applies."""
    if binding.gap is not None:
        return {CLEAR: 2, POSSIBLE: 1}.get(binding.gap.verdict, 0)
    trends = binding.trends or ((binding.trend,) if binding.trend else ())
    if trends:
        return 2 if all(t.significant for t in trends) else 1
    if "bottleneck" in binding.subjects:
        return 2
    return 1


def _size(binding: Binding, facts: Facts) -> float:
    """How large the fact is, in points of the scale."""
    if binding.gap is not None:
        return abs(binding.gap.difference)
    trends = binding.trends or ((binding.trend,) if binding.trend else ())
    if trends:
        return max(abs(t.change) for t in trends)
    for value in (binding.spread, binding.difference):
        if value is not None:
            return abs(value)
    if "bottleneck" in binding.subjects:
        return facts.bottleneck.margin or 0.0
    if binding.rate is not None:
        return binding.rate
    fact = facts.dimensions.get(binding.dimension) if binding.dimension else None
    if fact is not None:
        if "shortfall" in binding.subjects and fact.shortfall is not None:
            return fact.shortfall
        if fact.score is not None:
            return abs(3.0 - fact.score)
    return 0.0


def _trend_evidence(trend: Trend, facts: Facts) -> Evidence:
    group = facts.group if trend.breakdown == "organization" else _group_of(trend.key)
    return Evidence(
        group=group,
        value=trend.current_mean,
        n=trend.n_current,
        dimension=trend.dimension,
        change=trend.change,
    )


def _score_evidence(dimension: str | None, facts: Facts) -> list[Evidence]:
    fact = facts.dimensions.get(dimension) if dimension else None
    if fact is None or fact.score is None:
        return []
    return [Evidence(group=facts.group, value=fact.score, n=fact.n, dimension=fact.id)]


def evidence(binding: Binding, facts: Facts) -> tuple[Evidence, ...]:
    """The figures behind a finding, each with the number of respondents it rests on."""
    found: list[Evidence] = []
    gap = binding.gap
    if gap is not None:
        for key, mean, n in ((gap.a, gap.mean_a, gap.n_a), (gap.b, gap.mean_b, gap.n_b)):
            found.append(
                Evidence(
                    group=_group_of(key),
                    value=mean,
                    n=n,
                    dimension=None if binding.item else gap.dimension,
                    item=binding.item,
                )
            )
    trends = binding.trends or ((binding.trend,) if binding.trend else ())
    found += [_trend_evidence(trend, facts) for trend in trends]
    if binding.dont_know is not None and binding.item is not None:
        rate = binding.dont_know.rates[binding.item]
        if rate.rate is not None:
            found.append(
                Evidence(
                    group=dict(binding.dont_know.group),
                    value=rate.rate,
                    n=rate.asked,
                    item=binding.item,
                    measure="dont_know_rate",
                )
            )
    subjects = set(binding.subjects)
    if "bottleneck" in subjects:
        # Every shown stage, lowest first: the margin (or its absence) is the evidence.
        stages = [f for f in facts.dimensions.values() if f.kind == "stage" and f.score is not None]
        for stage in sorted(stages, key=lambda f: (f.score, f.id)):
            found += _score_evidence(stage.id, facts)
    elif subjects & {"score", "level", "agreement", "alpha", "shortfall"}:
        for dimension in binding.scored or (binding.dimension, binding.other):
            found += _score_evidence(dimension, facts)
    if "middle" in subjects:
        for role_gap in facts.gaps:
            if role_gap.breakdown != "role" or role_gap.dimension != binding.dimension:
                continue
            for key, mean, n in (
                (role_gap.a, role_gap.mean_a, role_gap.n_a),
                (role_gap.b, role_gap.mean_b, role_gap.n_b),
            ):
                entry = Evidence(_group_of(key), mean, n, dimension=role_gap.dimension)
                if entry not in found:
                    found.append(entry)
    unique: list[Evidence] = []
    for entry in found:
        if entry not in unique and math.isfinite(entry.value):
            unique.append(entry)
    return tuple(unique)


def _message_id(fired: FiredRule) -> str:
    binding = fired.binding
    parts = [fired.rule]
    if binding.item:
        parts.append(binding.item)
    elif fired.dimension:
        parts.append(fired.dimension)
    return ".".join(parts)


def _recommendation(fired: FiredRule, scope: str) -> Action | None:
    advice = fired.recommendation
    if scope == SCOPE_DEPARTMENT:
        if SCOPE_DEPARTMENT in advice:
            return advice[SCOPE_DEPARTMENT]
        if SCOPE_ORGANISATION in advice:
            return RAISE_WITH_MANAGEMENT
        return None
    return advice.get(SCOPE_ORGANISATION)


def key_messages(
    fired: Sequence[FiredRule], facts: Facts, limit: int = MAX_MESSAGES
) -> tuple[KeyMessage, ...]:
    """The ``limit`` most important findings, one per fact, most important first.

    Importance is severity first, then confidence (a confirmed difference before an
    unconfirmed one), then size in points; ties keep the rules file's order.
    """
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    ordered = sorted(
        enumerate(fired),
        key=lambda pair: (
            rank[pair[1].severity],
            -_confidence(pair[1].binding),
            -round(_size(pair[1].binding, facts), 6),
            pair[0],
        ),
    )
    told: set[tuple[Any, ...]] = set()
    messages: list[KeyMessage] = []
    for _, finding in ordered:
        if len(messages) >= limit:
            break
        keys = fact_keys(finding.binding)
        if keys & told:
            continue
        told |= keys
        recommendation = _recommendation(finding, facts.scope)
        messages.append(
            KeyMessage(
                id=_message_id(finding),
                rule=finding.rule,
                severity=finding.severity,
                headline=finding.headline or finding.text,
                detail=finding.text,
                evidence=evidence(finding.binding, facts),
                recommendation=recommendation,
                dimension=finding.dimension,
                facts=keys,
            )
        )
    return tuple(messages)


__all__ = [
    "MAX_MESSAGES",
    "RAISE_WITH_MANAGEMENT",
    "Evidence",
    "KeyMessage",
    "evidence",
    "fact_keys",
    "key_messages",
]
