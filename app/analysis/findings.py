"""Report rules: a small, safe condition language over scores and gaps, with texts to fill in.

A rules file (``reports/rules.yaml``, documented in ``reports/README.md``) lists rules, each a
structured condition and a text in every report language. Conditions are plain YAML mappings
interpreted by this module; nothing is ever evaluated as code. Loading validates the whole
file and reports every problem with its line and column, like questionnaire files.

The module is pure: it works on :class:`Facts`, plain data the results engine fills from a
campaign's organisation-level figures, gaps and trends.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.analysis.actions import Action, read_action
from app.analysis.bottleneck import (
    BOTTLENECK_VERDICTS,
    NO_BOTTLENECK,
    VERDICT_BOTTLENECK,
    Bottleneck,
)
from app.analysis.gaps import SMALL, VERDICTS, Gap, ItemGap, Trend
from app.analysis.stats import SCORE_DIGITS
from app.analysis.unanswered import UnansweredRate
from app.questionnaire.model import AUDIENCE_ROLES
from app.questionnaire.yamlcheck import Checker, Node, Problem, UniqueIds, describe, suggestion

LOCALES = ("ja", "en")
#: The rules file format this module reads (2: recommendations are actions).
RULES_VERSION = 2
SEVERITIES = ("high", "medium", "low")
DEFAULT_SEVERITY = "medium"
KINDS = ("capability", "stage")
OPERATORS: Mapping[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: math.isclose(a, b, abs_tol=1e-9),
    "!=": lambda a, b: not math.isclose(a, b, abs_tol=1e-9),
}
GAP_BREAKDOWNS = ("role", "department", "role_department")
TREND_BREAKDOWNS = ("organization", "role", "department", "role_department")
DIRECTIONS = (
    "blind_spot_at_the_top",
    "hidden_strength_below",
    "above_rest",
    "below_rest",
    "aligned",
)
#: Stands for "whichever dimension satisfies the condition most clearly".
ANY = "any"

RULE_ID_RE = re.compile(r"[a-z][a-z0-9_]*")
RULE_ID_HINT = "use lowercase letters, digits and underscores, starting with a letter"
RULE_KEYS_REQUIRED = ("id", "when", "text")
RULE_KEYS_OPTIONAL = ("severity", "title", "headline", "recommendation", "scopes")
#: Where a rule applies: the whole organisation, one department, or both (the default).
SCOPE_ORGANISATION = "organisation"
SCOPE_DEPARTMENT = "department"
SCOPES = (SCOPE_ORGANISATION, SCOPE_DEPARTMENT)

_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_NAME_RE = re.compile(r"[a-z_]+(?::[a-z0-9_]+)?")

#: Placeholders and what a condition must select for them to have a value.
PLACEHOLDERS: Mapping[str, str] = {
    "dimension": "dimension",
    "score": "dimension",
    "level": "dimension",
    "level_label": "dimension",
    "agreement": "dimension",
    "alpha": "dimension",
    "other": "other",
    "other_score": "other",
    "spread": "spread",
    "difference": "difference",
    "gap": "gap",
    "group_a": "gap",
    "group_b": "gap",
    "direction": "gap",
    "change": "trend",
    "group": "trend",
    "dimensions": "dimensions",
    "item": "item",
    "target": "dimension",
    "shortfall": "dimension",
    "changes": "trends",
    "rate": "rate",
    "role": "rate",
}
#: Placeholders naming a dimension explicitly, such as ``{score:digital}``.
DIMENSION_PLACEHOLDERS = ("score", "title", "level", "level_label")

Localized = Mapping[str, str]


# Facts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionFact:
    """Organisation-level figures of one dimension (None where not shown or not computed)."""

    id: str
    kind: str
    title: Localized
    score: float | None
    level: int | None = None
    level_label: Localized | None = None
    agreement: float | None = None
    alpha: float | None = None
    #: Respondents behind the score, and the campaign's target for the dimension.
    n: int | None = None
    target: float | None = None
    #: A dimension of the companion campaign (the other questionnaire kind): only a rule
    #: that names it sees it, never an ``any`` or a weakest/strongest/spread selector.
    companion: bool = False

    @property
    def shortfall(self) -> float | None:
        """How far the score lies below its target (negative past it); None without both."""
        if self.target is None or self.score is None:
            return None
        return self.target - self.score


@dataclass(frozen=True)
class DontKnowFact:
    """One role's "don't know" rates on the items it was asked (shown rates only)."""

    role: str
    #: The role's group as the results API names it, and its label.
    group: Mapping[str, Any]
    label: Localized
    rates: Mapping[str, UnansweredRate]


@dataclass(frozen=True)
class Facts:
    """Everything a rule may look at."""

    dimensions: Mapping[str, DimensionFact]
    #: Placed gaps and trends, as the results engine reports them.
    gaps: Sequence[Gap] = ()
    trends: Sequence[Trend] = ()
    #: The verdict on the cycle's stages (see :mod:`app.analysis.bottleneck`).
    bottleneck: Bottleneck = NO_BOTTLENECK
    #: Role gaps on single items, and the items' statements (``{item id: {locale: text}}``).
    item_gaps: Sequence[ItemGap] = ()
    items: Mapping[str, Localized] = field(default_factory=dict)
    #: ``organisation`` or ``department``: which rules apply (see :data:`SCOPES`).
    scope: str = SCOPE_ORGANISATION
    #: The group the dimension figures describe, as the results API names it.
    group: Mapping[str, Any] = field(default_factory=dict)
    #: Each shown role's "don't know" rates, and the dimension of each item.
    dont_know: Sequence[DontKnowFact] = ()
    item_dimensions: Mapping[str, str] = field(default_factory=dict)

    def score(self, dimension: str) -> float | None:
        fact = self.dimensions.get(dimension)
        return None if fact is None else fact.score


@dataclass(frozen=True)
class Binding:
    """What a condition selected, for the placeholders of the rule's text."""

    dimension: str | None = None
    other: str | None = None
    spread: float | None = None
    difference: float | None = None
    gap: Gap | None = None
    trend: Trend | None = None
    #: Every dimension a condition found, most clearly first (``middle_below``).
    dimensions: tuple[str, ...] = ()
    #: The item of an item gap (``largest_item_gap``).
    item: str | None = None
    #: Every trend a condition found (``all_trends``).
    trends: tuple[Trend, ...] = ()
    #: The dimensions whose scores the conditions compared, in order (the evidence).
    scored: tuple[str, ...] = field(default=(), compare=False)
    #: A role's "don't know" rate on an item (``dont_know``): the role and the rate.
    dont_know: DontKnowFact | None = None
    rate: float | None = None
    #: What the conditions looked at (``score``, ``gap``, ``trend``, ``shortfall``...): which
    #: facts a finding is about, so that two findings about one fact are not both told.
    subjects: tuple[str, ...] = field(default=(), compare=False)

    def merge(self, later: Binding) -> Binding:
        """Combine two bindings; what the later condition selected wins."""
        return Binding(
            dimension=later.dimension or self.dimension,
            other=later.other or self.other,
            spread=later.spread if later.spread is not None else self.spread,
            difference=later.difference if later.difference is not None else self.difference,
            gap=later.gap or self.gap,
            trend=later.trend or self.trend,
            dimensions=later.dimensions or self.dimensions,
            item=later.item or self.item,
            trends=later.trends or self.trends,
            dont_know=later.dont_know or self.dont_know,
            rate=later.rate if later.rate is not None else self.rate,
            subjects=tuple(dict.fromkeys(self.subjects + later.subjects)),
            scored=tuple(dict.fromkeys(self.scored + later.scored)),
        )


# Conditions ------------------------------------------------------------------------------


class Condition:
    """A condition over :class:`Facts`; ``evaluate`` returns a binding when it holds."""

    def evaluate(self, facts: Facts) -> Binding | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def binds(self) -> set[str]:
        """What this condition selects when it holds (see :data:`PLACEHOLDERS`)."""
        return set()

    def dimensions(self) -> set[str]:
        """Dimension ids the condition names."""
        return set()


def _compare(value: float | None, op: str, threshold: float) -> bool:
    return value is not None and not math.isnan(value) and OPERATORS[op](value, threshold)


def _most_extreme(candidates: list[tuple[str, float]], op: str) -> str:
    # "Most clearly": the lowest value for < and <=, the highest for > and >=.
    if op in ("<", "<="):
        return min(candidates, key=lambda pair: (pair[1], pair[0]))[0]
    if op in (">", ">="):
        return max(candidates, key=lambda pair: (pair[1], pair[0]))[0]
    return candidates[0][0]


@dataclass(frozen=True)
class AllOf(Condition):
    conditions: tuple[Condition, ...]

    def evaluate(self, facts: Facts) -> Binding | None:
        binding = Binding()
        for condition in self.conditions:
            found = condition.evaluate(facts)
            if found is None:
                return None
            binding = binding.merge(found)
        return binding

    def binds(self) -> set[str]:
        return set().union(*(c.binds() for c in self.conditions))

    def dimensions(self) -> set[str]:
        return set().union(*(c.dimensions() for c in self.conditions))


@dataclass(frozen=True)
class AnyOf(Condition):
    conditions: tuple[Condition, ...]

    def evaluate(self, facts: Facts) -> Binding | None:
        for condition in self.conditions:
            found = condition.evaluate(facts)
            if found is not None:
                return found
        return None

    def binds(self) -> set[str]:
        # A placeholder is safe only if every branch provides it.
        sets = [c.binds() for c in self.conditions]
        return set.intersection(*sets) if sets else set()

    def dimensions(self) -> set[str]:
        return set().union(*(c.dimensions() for c in self.conditions))


@dataclass(frozen=True)
class Not(Condition):
    condition: Condition

    def evaluate(self, facts: Facts) -> Binding | None:
        return Binding() if self.condition.evaluate(facts) is None else None

    def dimensions(self) -> set[str]:
        return self.condition.dimensions()


@dataclass(frozen=True)
class DimensionValue(Condition):
    """``score``, ``level``, ``agreement`` or ``alpha`` of a dimension (or ``any``)."""

    measure: str
    dimension: str
    op: str
    value: float
    kind: str | None = None

    def _value(self, fact: DimensionFact) -> float | None:
        value = getattr(fact, self.measure)
        return None if value is None else float(value)

    def evaluate(self, facts: Facts) -> Binding | None:
        if self.dimension != ANY:
            fact = facts.dimensions.get(self.dimension)
            if fact is None or not _compare(self._value(fact), self.op, self.value):
                return None
            return Binding(dimension=fact.id, subjects=(self.measure,), scored=(fact.id,))
        candidates = []
        for fact in facts.dimensions.values():
            if fact.companion or (self.kind is not None and fact.kind != self.kind):
                continue
            value = self._value(fact)
            if value is not None and _compare(value, self.op, self.value):
                candidates.append((fact.id, value))
        if not candidates:
            return None
        chosen = _most_extreme(candidates, self.op)
        return Binding(dimension=chosen, subjects=(self.measure,), scored=(chosen,))

    def binds(self) -> set[str]:
        return {"dimension"}

    def dimensions(self) -> set[str]:
        return set() if self.dimension == ANY else {self.dimension}


@dataclass(frozen=True)
class Difference(Condition):
    """``score(a) - score(b)`` compared with a value."""

    a: str
    b: str
    op: str
    value: float

    def evaluate(self, facts: Facts) -> Binding | None:
        a, b = facts.score(self.a), facts.score(self.b)
        if a is None or b is None or not _compare(a - b, self.op, self.value):
            return None
        return Binding(
            dimension=self.a,
            other=self.b,
            difference=a - b,
            subjects=("score",),
            scored=(self.a, self.b),
        )

    def binds(self) -> set[str]:
        return {"dimension", "other", "difference"}

    def dimensions(self) -> set[str]:
        return {self.a, self.b}


@dataclass(frozen=True)
class Extreme(Condition):
    """The weakest (or strongest) dimension of a kind, optionally a given one."""

    which: str
    kind: str
    dimension: str | None = None

    def evaluate(self, facts: Facts) -> Binding | None:
        scored = [
            (fact.id, fact.score)
            for fact in facts.dimensions.values()
            if fact.kind == self.kind and fact.score is not None and not fact.companion
        ]
        if len(scored) < 2:  # a single dimension is neither weakest nor strongest
            return None
        if self.which == "weakest":
            chosen = min(scored, key=lambda pair: (pair[1], pair[0]))[0]
        else:
            chosen = max(scored, key=lambda pair: (pair[1], pair[0]))[0]
        if self.dimension is not None and chosen != self.dimension:
            return None
        return Binding(dimension=chosen, subjects=("score",), scored=(chosen,))

    def binds(self) -> set[str]:
        return {"dimension"}

    def dimensions(self) -> set[str]:
        return set() if self.dimension is None else {self.dimension}


@dataclass(frozen=True)
class BottleneckCondition(Condition):
    """The verdict on the cycle's stages; with ``bottleneck``, optionally a given stage."""

    verdict: str
    dimension: str | None = None

    def evaluate(self, facts: Facts) -> Binding | None:
        found = facts.bottleneck
        if found.verdict != self.verdict:
            return None
        if self.dimension is not None and found.stage != self.dimension:
            return None
        return Binding(dimension=found.stage, subjects=("bottleneck",))

    def binds(self) -> set[str]:
        return {"dimension"} if self.verdict == VERDICT_BOTTLENECK else set()

    def dimensions(self) -> set[str]:
        return set() if self.dimension is None else {self.dimension}


@dataclass(frozen=True)
class Spread(Condition):
    """Highest minus lowest score among the dimensions of a kind."""

    kind: str
    op: str
    value: float

    def evaluate(self, facts: Facts) -> Binding | None:
        scored = [
            (fact.id, fact.score)
            for fact in facts.dimensions.values()
            if fact.kind == self.kind and fact.score is not None and not fact.companion
        ]
        if len(scored) < 2:
            return None
        weakest = min(scored, key=lambda pair: (pair[1], pair[0]))
        strongest = max(scored, key=lambda pair: (pair[1], pair[0]))
        spread = strongest[1] - weakest[1]
        if not _compare(spread, self.op, self.value):
            return None
        return Binding(
            dimension=weakest[0],
            other=strongest[0],
            spread=spread,
            subjects=("score",),
            scored=(weakest[0], strongest[0]),
        )

    def binds(self) -> set[str]:
        return {"dimension", "other", "spread"}


@dataclass(frozen=True)
class LargestGap(Condition):
    """The largest perception gap (by absolute difference) among those matching filters."""

    breakdown: str = "role"
    significant: bool | None = None
    notable: bool | None = None
    direction: str | None = None
    dimension: str | None = None
    op: str | None = None
    value: float | None = None

    def evaluate(self, facts: Facts) -> Binding | None:
        matching = [
            gap
            for gap in facts.gaps
            if gap.breakdown == self.breakdown
            and (self.significant is None or gap.significant == self.significant)
            and (self.notable is None or gap.notable == self.notable)
            and (self.direction is None or gap.direction == self.direction)
            and (self.dimension is None or gap.dimension == self.dimension)
        ]
        if not matching:
            return None
        gap = max(matching, key=lambda g: (abs(g.difference), -len(g.dimension), g.dimension))
        if (
            self.op is not None
            and self.value is not None
            and not _compare(abs(gap.difference), self.op, self.value)
        ):
            return None
        return Binding(dimension=gap.dimension, gap=gap, subjects=("gap",))

    def binds(self) -> set[str]:
        return {"dimension", "gap"}

    def dimensions(self) -> set[str]:
        return set() if self.dimension is None else {self.dimension}


@dataclass(frozen=True)
class TrendCondition(Condition):
    """The change of a dimension (or ``any``) since the previous round."""

    dimension: str
    op: str
    value: float
    breakdown: str = "organization"
    significant: bool | None = None

    def evaluate(self, facts: Facts) -> Binding | None:
        candidates = [
            trend
            for trend in facts.trends
            if trend.breakdown == self.breakdown
            and (self.dimension == ANY or trend.dimension == self.dimension)
            and (self.significant is None or trend.significant == self.significant)
            and _compare(trend.change, self.op, self.value)
        ]
        if not candidates:
            return None
        if self.op in ("<", "<="):
            chosen = min(candidates, key=lambda t: t.change)
        else:
            chosen = max(candidates, key=lambda t: t.change)
        return Binding(dimension=chosen.dimension, trend=chosen, subjects=("trend",))

    def binds(self) -> set[str]:
        return {"dimension", "trend"}

    def dimensions(self) -> set[str]:
        return set() if self.dimension == ANY else {self.dimension}


def _role_key(group: object) -> object:
    # Placed role gaps name their groups {"role": key}; unplaced ones by the key itself.
    return group.get("role") if isinstance(group, Mapping) else group


@dataclass(frozen=True)
class MiddleBelow(Condition):
    """A role scoring below both the role above it and the role below it.

    Holds on a dimension when the role's mean lies at least ``margin`` points below each of
    the two others and neither role gap's verdict is ``small``. Only shown roles have gaps, so
    a role under the anonymity threshold never makes the condition hold.
    """

    role: str
    above: str
    below: str
    margin: float

    def _lag(self, facts: Facts, dimension: str, other: str) -> Gap | None:
        for gap in facts.gaps:
            if gap.breakdown != "role" or gap.dimension != dimension:
                continue
            if {_role_key(gap.a), _role_key(gap.b)} == {self.role, other}:
                return gap
        return None

    def _shortfall(self, gap: Gap) -> float:
        # How far the role lies below the other side of the gap.
        return gap.difference if _role_key(gap.b) == self.role else -gap.difference

    def evaluate(self, facts: Facts) -> Binding | None:
        found: list[tuple[str, float]] = []
        for dimension in sorted({gap.dimension for gap in facts.gaps}):
            shortfalls = []
            for other in (self.above, self.below):
                gap = self._lag(facts, dimension, other)
                if gap is None or gap.verdict == SMALL:
                    break
                shortfalls.append(self._shortfall(gap))
            if len(shortfalls) == 2 and _compare(min(shortfalls), ">=", self.margin - 1e-9):
                found.append((dimension, min(shortfalls)))
        if not found:
            return None
        found.sort(key=lambda pair: (-pair[1], pair[0]))
        return Binding(
            dimension=found[0][0], dimensions=tuple(d for d, _ in found), subjects=("middle",)
        )

    def binds(self) -> set[str]:
        return {"dimension", "dimensions"}


@dataclass(frozen=True)
class AllTrends(Condition):
    """Every dimension of a kind changed the same way since the previous round.

    Holds when at least two dimensions of the kind have an organisation-level trend and every
    one of them meets the comparison (and, with ``significant``, the test's verdict).
    """

    kind: str
    op: str
    value: float
    significant: bool | None = None

    def evaluate(self, facts: Facts) -> Binding | None:
        of_kind = {
            fact.id
            for fact in facts.dimensions.values()
            if fact.kind == self.kind and not fact.companion
        }
        found = [
            trend
            for trend in facts.trends
            if trend.breakdown == "organization" and trend.dimension in of_kind
        ]
        if len(found) < 2:
            return None
        for trend in found:
            if not _compare(trend.change, self.op, self.value):
                return None
            if self.significant is not None and trend.significant != self.significant:
                return None
        found.sort(key=lambda t: (-abs(t.change), t.dimension))
        return Binding(
            dimension=found[0].dimension,
            trend=found[0],
            trends=tuple(found),
            dimensions=tuple(t.dimension for t in found),
            subjects=("trend",),
        )

    def binds(self) -> set[str]:
        return {"dimension", "trend", "trends", "dimensions"}


@dataclass(frozen=True)
class LargestItemGap(Condition):
    """The largest gap on a single item between two given roles (either way round)."""

    a: str
    b: str
    verdict: str | None = None

    def evaluate(self, facts: Facts) -> Binding | None:
        matching = [
            found
            for found in facts.item_gaps
            if {_role_key(found.gap.a), _role_key(found.gap.b)} == {self.a, self.b}
            and (self.verdict is None or found.gap.verdict == self.verdict)
        ]
        if not matching:
            return None
        chosen = max(matching, key=lambda g: (abs(g.gap.difference), g.item))
        return Binding(
            dimension=chosen.dimension, gap=chosen.gap, item=chosen.item, subjects=("item_gap",)
        )

    def binds(self) -> set[str]:
        return {"dimension", "gap", "item"}


@dataclass(frozen=True)
class DontKnow(Condition):
    """The item a role most often cannot judge: its "don't know" rate compared with a value.

    Only rates the results show take part (a role asked by fewer respondents than the
    anonymity threshold has none).
    """

    role: str
    op: str
    value: float

    def evaluate(self, facts: Facts) -> Binding | None:
        for found in facts.dont_know:
            if found.role != self.role:
                continue
            candidates = [
                (item, rate.rate)
                for item, rate in found.rates.items()
                if rate.rate is not None and _compare(rate.rate, self.op, self.value)
            ]
            if not candidates:
                return None
            item, rate = max(candidates, key=lambda pair: (pair[1], pair[0]))
            return Binding(
                dimension=facts.item_dimensions.get(item),
                item=item,
                dont_know=found,
                rate=rate,
                subjects=("dont_know",),
            )
        return None

    def binds(self) -> set[str]:
        return {"dimension", "item", "rate"}


# Rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiredRule:
    """A rule that holds, with its text filled in for every locale."""

    rule: str
    severity: str
    text: Localized
    dimension: str | None
    #: The finding as an action title, and what to do about it per scope (see :data:`SCOPES`).
    headline: Localized | None = None
    recommendation: Mapping[str, Action] = field(default_factory=dict)
    #: What the condition selected: the figures behind the finding.
    binding: Binding = field(default_factory=lambda: Binding(), compare=False, repr=False)


def _format_number(value: float | None, digits: int) -> str | None:
    if value is None or math.isnan(value):
        return None
    return f"{value:.{digits}f}"


def _localized(text: Localized | None, locale: str) -> str | None:
    if not text:
        return None
    return text.get(locale) or text.get("en") or next(iter(text.values()))


def _placeholder_value(
    name: str, argument: str | None, binding: Binding, facts: Facts, locale: str
) -> str | None:
    if argument is not None:
        fact = facts.dimensions.get(argument)
        if fact is None:
            return None
        if name == "title":
            return _localized(fact.title, locale)
        if name == "score":
            return _format_number(fact.score, SCORE_DIGITS)
        if name == "level":
            return None if fact.level is None else str(fact.level)
        if name == "level_label":
            return _localized(fact.level_label, locale)
        return None
    dimension = facts.dimensions.get(binding.dimension) if binding.dimension else None
    other = facts.dimensions.get(binding.other) if binding.other else None
    gap, trend = binding.gap, binding.trend
    values: dict[str, Callable[[], str | None]] = {
        "dimension": lambda: dimension and _localized(dimension.title, locale),
        "score": lambda: dimension and _format_number(dimension.score, SCORE_DIGITS),
        "level": lambda: dimension and dimension.level is not None and str(dimension.level),
        "level_label": lambda: dimension and _localized(dimension.level_label, locale),
        "agreement": lambda: dimension and _format_number(dimension.agreement, 2),
        "alpha": lambda: dimension and _format_number(dimension.alpha, 2),
        "other": lambda: other and _localized(other.title, locale),
        "other_score": lambda: other and _format_number(other.score, SCORE_DIGITS),
        "spread": lambda: _format_number(binding.spread, SCORE_DIGITS),
        "difference": lambda: _format_number(binding.difference, SCORE_DIGITS),
        "gap": lambda: gap and _format_number(abs(gap.difference), SCORE_DIGITS),
        "group_a": lambda: gap and _localized(gap.a_label, locale),
        "group_b": lambda: gap and _localized(gap.b_label, locale),
        "direction": lambda: gap and _localized(gap.direction_label, locale),
        "change": lambda: trend and f"{trend.change:+.{SCORE_DIGITS}f}",
        "group": lambda: trend and _localized(trend.label, locale),
        "dimensions": lambda: _dimension_list(binding.dimensions, facts, locale),
        "item": lambda: binding.item and _localized(facts.items.get(binding.item), locale),
        "target": lambda: dimension and _format_number(dimension.target, SCORE_DIGITS),
        "shortfall": lambda: dimension and _format_number(dimension.shortfall, SCORE_DIGITS),
        "changes": lambda: _change_range(binding.trends, locale),
        "rate": lambda: binding.rate is not None and f"{binding.rate:.0%}",
        "role": lambda: binding.dont_know and _localized(binding.dont_know.label, locale),
    }
    produce = values.get(name)
    value = produce() if produce else None
    return value if isinstance(value, str) and value else None


def _dimension_list(dimensions: Sequence[str], facts: Facts, locale: str) -> str | None:
    titles = []
    for dimension in dimensions:
        fact = facts.dimensions.get(dimension)
        title = None if fact is None else _localized(fact.title, locale)
        if title is None:
            return None
        titles.append(title)
    if not titles:
        return None
    if locale == "ja":
        return "、".join(f"「{title}」" for title in titles)
    return ", ".join(titles)


def _change_range(trends: Sequence[Trend], locale: str) -> str | None:
    if not trends:
        return None
    changes = sorted(t.change for t in trends)
    low, high = (f"{c:+.{SCORE_DIGITS}f}" for c in (changes[0], changes[-1]))
    if low == high:
        return low
    return f"{low}〜{high}" if locale == "ja" else f"{low} to {high}"


def render(template: str, binding: Binding, facts: Facts, locale: str) -> str | None:
    """Fill a rule text's placeholders; None when one of them has no value."""
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name, _, argument = match.group(1).partition(":")
        value = _placeholder_value(name, argument or None, binding, facts, locale)
        if value is None:
            missing = True
            return ""
        return value

    text = _PLACEHOLDER_RE.sub(replace, template)
    return None if missing else text


@dataclass(frozen=True)
class Rule:
    """One report rule: when its condition holds, its text becomes a finding."""

    id: str
    condition: Condition
    text: Localized
    severity: str = DEFAULT_SEVERITY
    title: Localized | None = None
    headline: Localized | None = None
    #: What to do, per scope that can act on it (``organisation``, ``department``); the
    #: action's text and measure may hold placeholders, filled in when the rule fires.
    recommendation: Mapping[str, Action] = field(default_factory=dict)
    scopes: tuple[str, ...] = SCOPES

    def evaluate(self, facts: Facts) -> FiredRule | None:
        """The filled-in finding when the rule holds and every placeholder has a value."""
        if facts.scope not in self.scopes:
            return None
        binding = self.condition.evaluate(facts)
        if binding is None:
            return None
        texts = _render_all(self.text, binding, facts)
        headline = None if self.headline is None else _render_all(self.headline, binding, facts)
        advice = {
            scope: _render_action(action, binding, facts)
            for scope, action in self.recommendation.items()
        }
        if texts is None or (self.headline is not None and headline is None):
            return None
        if any(action is None for action in advice.values()):
            return None
        return FiredRule(
            self.id,
            self.severity,
            texts,
            binding.dimension,
            headline,
            {scope: action for scope, action in advice.items() if action is not None},
            binding,
        )


def _render_action(action: Action, binding: Binding, facts: Facts) -> Action | None:
    """The action with its text and measure filled in; None when a placeholder has no value."""
    text = _render_all(action.text, binding, facts)
    measure = _render_all(action.measure, binding, facts)
    if text is None or measure is None:
        return None
    return Action(text, action.owner, action.horizon, measure, action.scope)


def _render_all(texts: Localized, binding: Binding, facts: Facts) -> dict[str, str] | None:
    """Every locale's text filled in; None when a placeholder has no value in one of them."""
    found = {}
    for locale, template in texts.items():
        rendered = render(template, binding, facts, locale)
        if rendered is None:
            return None
        found[locale] = rendered
    return found


@dataclass(frozen=True)
class RuleSet:
    """The rules of one file, in file order."""

    rules: tuple[Rule, ...]
    source: str = "<string>"

    def evaluate(self, facts: Facts) -> list[FiredRule]:
        """Every rule that holds, most severe first, file order within a severity."""
        fired = [found for rule in self.rules if (found := rule.evaluate(facts)) is not None]
        rank = {severity: index for index, severity in enumerate(SEVERITIES)}
        return sorted(fired, key=lambda finding: rank[finding.severity])

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


class RulesError(Exception):
    """A rules file is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


# Validation ------------------------------------------------------------------------------

_COMPARISON = ("op", "value")
CONDITION_KEYS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required keys besides the kind, optional keys)
    "all": ((), ()),
    "any": ((), ()),
    "not": ((), ()),
    "score": (_COMPARISON, ("kind",)),
    "level": (_COMPARISON, ("kind",)),
    "agreement": (_COMPARISON, ("kind",)),
    "alpha": (_COMPARISON, ("kind",)),
    "difference": (_COMPARISON, ()),
    "weakest": ((), ("dimension",)),
    "strongest": ((), ("dimension",)),
    "bottleneck": ((), ("dimension",)),
    "spread": (_COMPARISON, ()),
    "largest_gap": ((), ()),
    "trend": (_COMPARISON, ("breakdown", "significant")),
    "middle_below": (("above", "below", "margin"), ()),
    "shortfall": (_COMPARISON, ("kind",)),
    "all_trends": (_COMPARISON, ("significant",)),
    "largest_item_gap": ((), ("verdict",)),
    "dont_know": (_COMPARISON, ()),
}
LARGEST_GAP_KEYS = ("breakdown", "significant", "notable", "direction", "dimension", "op", "value")


class _RulesWalker:
    def __init__(
        self,
        checker: Checker,
        known_dimensions: Mapping[str, str] | None,
        known_owners: Collection[str] | None = None,
    ) -> None:
        self.check = checker
        self.known = known_dimensions
        self.owners = known_owners

    def dimension(self, node: Node | None, *, allow_any: bool = False) -> str | None:
        value = self.check.string(node)
        if value is None or node is None:
            return None
        if allow_any and value == ANY:
            return value
        if self.known is not None and value not in self.known:
            choices = sorted(self.known)
            hint = suggestion(value, choices)
            expected = " or 'any'" if allow_any else ""
            self.check.report(
                node,
                f"unknown dimension {value!r}{hint}; known dimensions: "
                f"{', '.join(choices)}{expected}",
            )
            return None
        return value

    def op(self, node: Node | None) -> str | None:
        return self.check.choice(node, tuple(OPERATORS), what="operator")

    def condition(self, node: Node | None) -> Condition | None:
        if node is None:
            return None
        if not isinstance(node.value, Mapping):
            self.check.report(
                node,
                f"a condition must be a mapping such as {{score: digital, op: '<', value: 3}}; "
                f"got {describe(node.value)}",
            )
            return None
        kinds = [key for key in node.value if isinstance(key, str) and key in CONDITION_KEYS]
        if len(kinds) != 1:
            if kinds:
                message = f"a condition has exactly one of {', '.join(CONDITION_KEYS)}; found "
                message += ", ".join(repr(k) for k in kinds)
                self.check.report(node, message)
                return None
            parameters = {p for required, optional in CONDITION_KEYS.values() for p in required}
            parameters |= {p for _, optional in CONDITION_KEYS.values() for p in optional}
            keys = [str(key) for key in node.value if str(key) not in parameters]
            keys = keys or [str(key) for key in node.value]
            hints = suggestion(keys[0], CONDITION_KEYS) if keys else ""
            self.check.report(
                node,
                f"unknown condition {', '.join(repr(k) for k in keys) or '{}'}{hints}; "
                f"expected one of: {', '.join(CONDITION_KEYS)}",
            )
            return None
        kind = kinds[0]
        required, optional = CONDITION_KEYS[kind]
        fields = self.check.mapping(node, required=(kind, *required), optional=optional)
        if fields is None or kind not in fields:
            return None
        return getattr(self, f"_{kind}")(fields[kind], fields)

    def _list(self, node: Node) -> tuple[Condition, ...] | None:
        items = self.check.sequence(node, non_empty=True)
        if items is None:
            return None
        found = [self.condition(item) for item in items]
        if any(condition is None for condition in found):
            return None
        return tuple(c for c in found if c is not None)

    def _all(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        found = self._list(node)
        return None if found is None else AllOf(found)

    def _any(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        found = self._list(node)
        return None if found is None else AnyOf(found)

    def _not(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        found = self.condition(node)
        return None if found is None else Not(found)

    def _comparison(self, fields: dict[str, Node]) -> tuple[str, float] | None:
        op = self.op(fields.get("op"))
        value = self.check.number(fields.get("value"))
        if op is None or value is None:
            return None
        return op, value

    def _kind(self, fields: dict[str, Node], dimension: str | None) -> tuple[bool, str | None]:
        if "kind" not in fields:
            return True, None
        kind = self.check.choice(fields["kind"], KINDS, what="kind")
        if kind is not None and dimension not in (ANY, None):
            self.check.report(fields["kind"], "'kind' only applies with 'any' dimension")
            return False, None
        return kind is not None, kind

    def _measure(self, measure: str, node: Node, fields: dict[str, Node]) -> Condition | None:
        dimension = self.dimension(node, allow_any=True)
        comparison = self._comparison(fields)
        ok, kind = self._kind(fields, dimension)
        if dimension is None or comparison is None or not ok:
            return None
        return DimensionValue(measure, dimension, comparison[0], comparison[1], kind)

    def _score(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        return self._measure("score", node, fields)

    def _level(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        return self._measure("level", node, fields)

    def _agreement(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        return self._measure("agreement", node, fields)

    def _alpha(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        return self._measure("alpha", node, fields)

    def _shortfall(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        return self._measure("shortfall", node, fields)

    def _all_trends(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        kind = self.check.choice(node, KINDS, what="kind")
        comparison = self._comparison(fields)
        significant = None
        valid = True
        if "significant" in fields:
            significant = self.check.boolean(fields["significant"])
            valid = significant is not None
        if kind is None or comparison is None or not valid:
            return None
        return AllTrends(kind, comparison[0], comparison[1], significant)

    def _largest_item_gap(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        items = self.check.sequence(node)
        if items is None:
            return None
        if len(items) != 2:
            self.check.report(node, f"expected two roles [a, b], got {len(items)}")
            return None
        a, b = (self.check.choice(item, AUDIENCE_ROLES, what="role") for item in items)
        verdict = None
        if "verdict" in fields:
            verdict = self.check.choice(fields["verdict"], VERDICTS, what="verdict")
            if verdict is None:
                return None
        if a is None or b is None:
            return None
        if a == b:
            self.check.report(node, f"the two roles must differ; got {a!r} twice")
            return None
        return LargestItemGap(a, b, verdict)

    def _dont_know(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        role = self.check.choice(node, AUDIENCE_ROLES, what="role")
        comparison = self._comparison(fields)
        if role is None or comparison is None:
            return None
        if not 0 <= comparison[1] <= 1:
            self.check.report(fields["value"], f"a rate lies between 0 and 1, got {comparison[1]}")
            return None
        return DontKnow(role, comparison[0], comparison[1])

    def _difference(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        items = self.check.sequence(node)
        comparison = self._comparison(fields)
        if items is None:
            return None
        if len(items) != 2:
            self.check.report(
                node, f"expected two dimensions [a, b] (score a minus score b), got {len(items)}"
            )
            return None
        a, b = (self.dimension(item) for item in items)
        if a is None or b is None or comparison is None:
            return None
        return Difference(a, b, comparison[0], comparison[1])

    def _extreme(self, which: str, node: Node, fields: dict[str, Node]) -> Condition | None:
        kind = self.check.choice(node, KINDS, what="kind")
        dimension = None
        if "dimension" in fields:
            dimension = self.dimension(fields["dimension"])
            if dimension is None:
                return None
            if kind is not None and self.known is not None and self.known[dimension] != kind:
                self.check.report(
                    fields["dimension"],
                    f"dimension {dimension!r} is a {self.known[dimension]}, not a {kind}",
                )
                return None
        return None if kind is None else Extreme(which, kind, dimension)

    def _weakest(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        return self._extreme("weakest", node, fields)

    def _strongest(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        return self._extreme("strongest", node, fields)

    def _bottleneck(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        verdict = self.check.choice(node, BOTTLENECK_VERDICTS, what="bottleneck verdict")
        dimension = None
        if "dimension" in fields:
            if verdict is not None and verdict != VERDICT_BOTTLENECK:
                self.check.report(
                    fields["dimension"],
                    f"'dimension' only applies with the {VERDICT_BOTTLENECK!r} verdict",
                )
                return None
            dimension = self.dimension(fields["dimension"])
            if dimension is None:
                return None
            if self.known is not None and self.known[dimension] != "stage":
                self.check.report(
                    fields["dimension"],
                    f"dimension {dimension!r} is a {self.known[dimension]}, not a stage",
                )
                return None
        return None if verdict is None else BottleneckCondition(verdict, dimension)

    def _spread(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        kind = self.check.choice(node, KINDS, what="kind")
        comparison = self._comparison(fields)
        if kind is None or comparison is None:
            return None
        return Spread(kind, comparison[0], comparison[1])

    def _largest_gap(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        if node.value is None:
            return LargestGap()
        options = self.check.mapping(node, optional=LARGEST_GAP_KEYS)
        if options is None:
            return None
        valid = True
        breakdown = "role"
        if "breakdown" in options:
            chosen = self.check.choice(options["breakdown"], GAP_BREAKDOWNS, what="breakdown")
            valid &= chosen is not None
            breakdown = chosen or breakdown
        flags: dict[str, bool | None] = {"significant": None, "notable": None}
        for name in flags:
            if name in options:
                flags[name] = self.check.boolean(options[name])
                valid &= flags[name] is not None
        direction = None
        if "direction" in options:
            direction = self.check.choice(options["direction"], DIRECTIONS, what="direction")
            valid &= direction is not None
        dimension = None
        if "dimension" in options:
            dimension = self.dimension(options["dimension"])
            valid &= dimension is not None
        op = value = None
        if ("op" in options) != ("value" in options):
            self.check.report(node, "'op' and 'value' go together (compare the gap's size)")
            valid = False
        elif "op" in options:
            comparison = self._comparison(options)
            valid &= comparison is not None
            if comparison is not None:
                op, value = comparison
        if not valid:
            return None
        return LargestGap(
            breakdown, flags["significant"], flags["notable"], direction, dimension, op, value
        )

    def _trend(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        dimension = self.dimension(node, allow_any=True)
        comparison = self._comparison(fields)
        breakdown = "organization"
        valid = True
        if "breakdown" in fields:
            chosen = self.check.choice(fields["breakdown"], TREND_BREAKDOWNS, what="breakdown")
            valid = chosen is not None
            breakdown = chosen or breakdown
        significant = None
        if "significant" in fields:
            significant = self.check.boolean(fields["significant"])
            valid &= significant is not None
        if dimension is None or comparison is None or not valid:
            return None
        return TrendCondition(dimension, comparison[0], comparison[1], breakdown, significant)

    def _middle_below(self, node: Node, fields: dict[str, Node]) -> Condition | None:
        roles = [
            self.check.choice(fields.get(name), AUDIENCE_ROLES, what="role")
            for name in ("middle_below", "above", "below")
        ]
        margin = self.check.number(fields.get("margin"))
        if margin is not None and margin < 0:
            self.check.report(fields["margin"], f"margin must be 0 or more points, got {margin}")
            return None
        role, above, below = roles
        if role is None or above is None or below is None or margin is None:
            return None
        if len({role, above, below}) != 3:
            self.check.report(
                node,
                f"'middle_below', 'above' and 'below' must name three different roles; "
                f"got {role!r}, {above!r}, {below!r}",
            )
            return None
        return MiddleBelow(role, above, below, margin)

    # Texts -------------------------------------------------------------------------------

    def text(self, node: Node | None, condition: Condition | None) -> dict[str, str] | None:
        texts = self.check.localized(node, LOCALES)
        if texts is None or node is None:
            return None
        valid = True
        fields = self.check.mapping(node, optional=LOCALES)
        for locale, template in texts.items():
            where = fields.get(locale, node) if fields else node
            valid &= self.placeholders(where, template, condition)
        return texts if valid else None

    def placeholders(self, node: Node, template: str, condition: Condition | None) -> bool:
        valid = True
        stray = _PLACEHOLDER_RE.sub("", template)
        if "{" in stray or "}" in stray:
            self.check.report(
                node, "unbalanced '{' or '}'; placeholders look like {dimension} or {score:digital}"
            )
            valid = False
        bound = condition.binds() if condition is not None else set()
        for match in _PLACEHOLDER_RE.finditer(template):
            inner = match.group(1)
            name, _, argument = inner.partition(":")
            if not _NAME_RE.fullmatch(inner):
                self.check.report(node, f"invalid placeholder {{{inner}}}")
                valid = False
                continue
            if argument:
                if name not in DIMENSION_PLACEHOLDERS:
                    self.check.report(
                        node,
                        f"placeholder {{{inner}}}: only "
                        f"{', '.join(DIMENSION_PLACEHOLDERS)} take a dimension",
                    )
                    valid = False
                elif self.known is not None and argument not in self.known:
                    hint = suggestion(argument, sorted(self.known))
                    self.check.report(
                        node, f"placeholder {{{inner}}}: unknown dimension {argument!r}{hint}"
                    )
                    valid = False
                continue
            needs = PLACEHOLDERS.get(name)
            if needs is None:
                hint = suggestion(name, PLACEHOLDERS)
                self.check.report(
                    node,
                    f"unknown placeholder {{{name}}}{hint}; known: "
                    f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
                )
                valid = False
            elif condition is not None and needs not in bound:
                self.check.report(
                    node,
                    f"placeholder {{{name}}} needs a condition that selects a {needs} "
                    f"({_selectors(needs)}) in every case where the rule holds",
                )
                valid = False
        return valid

    # Document ----------------------------------------------------------------------------

    def document(self, root: Node) -> list[Rule]:
        top = self.check.mapping(root, required=("rules",), optional=("version",))
        if top is None:
            return []
        if "version" in top:
            version = self.check.integer(top["version"], minimum=1)
            if version == 1:
                self.check.report(
                    top["version"],
                    "version 1 is no longer read: since version 2 a recommendation is an action "
                    "{action, owner, horizon, measure} per scope, not a text (see "
                    "reports/README.md); rewrite the recommendations and set 'version: 2'",
                )
            elif version is not None and version != RULES_VERSION:
                self.check.report(
                    top["version"], f"unsupported version {version}; expected {RULES_VERSION}"
                )
        nodes = self.check.sequence(top.get("rules")) or []
        ids = UniqueIds(self.check, "rule id")
        rules = []
        for node in nodes:
            rule = self.rule(node, ids)
            if rule is not None:
                rules.append(rule)
        return rules

    def rule(self, node: Node, ids: UniqueIds) -> Rule | None:
        fields = self.check.mapping(node, required=RULE_KEYS_REQUIRED, optional=RULE_KEYS_OPTIONAL)
        if fields is None:
            return None
        rule_id = self.check.string(fields.get("id"), pattern=RULE_ID_RE, pattern_hint=RULE_ID_HINT)
        ids.add(rule_id, fields.get("id"))
        severity = DEFAULT_SEVERITY
        if "severity" in fields:
            severity = self.check.choice(fields["severity"], SEVERITIES, what="severity") or ""
        title = None
        if "title" in fields:
            title = self.check.localized(fields["title"], LOCALES)
        condition = self.condition(fields.get("when"))
        text = self.text(fields.get("text"), condition)
        valid = True
        headline = None
        if "headline" in fields:
            headline = self.text(fields["headline"], condition)
            valid &= headline is not None
        recommendation: dict[str, Action] = {}
        if "recommendation" in fields:
            by_scope = self.check.mapping(fields["recommendation"], optional=SCOPES)
            valid &= by_scope is not None
            for scope, scope_node in (by_scope or {}).items():
                advice = read_action(
                    self.check,
                    scope_node,
                    owners=self.owners,
                    text=lambda node: self.text(node, condition),
                    scope=scope,
                )
                valid &= advice is not None
                if advice is not None:
                    recommendation[scope] = advice
        scopes = SCOPES
        if "scopes" in fields:
            listed = self.check.sequence(fields["scopes"], non_empty=True) or []
            chosen = [self.check.choice(item, SCOPES, what="scope") for item in listed]
            valid &= bool(listed) and all(chosen)
            scopes = tuple(scope for scope in SCOPES if scope in chosen)
        if rule_id is None or condition is None or text is None or not severity or not valid:
            return None
        return Rule(rule_id, condition, text, severity, title, headline, recommendation, scopes)


def _selectors(needs: str) -> str:
    return {
        "dimension": "score, level, agreement, alpha, shortfall, weakest, strongest, "
        "bottleneck, difference, spread, largest_gap, largest_item_gap, trend, all_trends, "
        "dont_know or middle_below",
        "other": "difference or spread",
        "spread": "spread",
        "difference": "difference",
        "gap": "largest_gap or largest_item_gap",
        "trend": "trend",
        "dimensions": "middle_below or all_trends",
        "item": "largest_item_gap or dont_know",
        "trends": "all_trends",
        "rate": "dont_know",
    }[needs]


def parse_rules(
    text: str,
    filename: str = "<string>",
    known_dimensions: Mapping[str, str] | None = None,
    known_owners: Collection[str] | None = None,
) -> RuleSet:
    """Parse and validate a rules document; raise :class:`RulesError` listing every problem.

    ``known_dimensions`` maps dimension ids to their kind; when given, every dimension a rule
    names must be one of them. ``known_owners`` are the owner keys of ``owners.yaml``; when
    given, every recommendation's owner must be one of them.
    """
    checker = Checker(filename)
    root = checker.load(text)
    rules: list[Rule] = []
    if root is not None:
        if root.value is None:
            checker.report_at(1, 1, "the file is empty; expected a mapping with 'rules:'")
        else:
            rules = _RulesWalker(checker, known_dimensions, known_owners).document(root)
    if checker.problems:
        raise RulesError(checker.sorted_problems())
    return RuleSet(tuple(rules), filename)


def read_text(path: str | os.PathLike[str]) -> str:
    """A YAML file's text; undecodable bytes become a problem at their line and column."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise RulesError(
            [Problem(str(path), line, col, f"file is not valid UTF-8: {exc.reason}")]
        ) from exc


def load_rules(
    path: str | os.PathLike[str],
    known_dimensions: Mapping[str, str] | None = None,
    known_owners: Collection[str] | None = None,
) -> RuleSet:
    """Load and validate the rules file at ``path`` (``OSError`` if unreadable)."""
    return parse_rules(read_text(path), str(path), known_dimensions, known_owners)


def check_rules_file(
    path: str | os.PathLike[str],
    known_dimensions: Mapping[str, str] | None = None,
    known_owners: Collection[str] | None = None,
) -> tuple[RuleSet | None, list[Problem]]:
    """``(rules, [])`` or ``(None, problems)``; never raises for invalid or unreadable files."""
    try:
        return load_rules(path, known_dimensions, known_owners), []
    except RulesError as exc:
        return None, exc.problems
    except OSError as exc:
        return None, [Problem(str(path), 1, 1, f"cannot read file: {exc.strerror or exc}")]


__all__ = [
    "ANY",
    "SCOPES",
    "AllOf",
    "AllTrends",
    "AnyOf",
    "Binding",
    "BottleneckCondition",
    "Condition",
    "Difference",
    "DimensionFact",
    "DimensionValue",
    "DontKnow",
    "DontKnowFact",
    "Extreme",
    "Facts",
    "FiredRule",
    "LargestGap",
    "LargestItemGap",
    "MiddleBelow",
    "Not",
    "Rule",
    "RuleSet",
    "RulesError",
    "Spread",
    "TrendCondition",
    "check_rules_file",
    "load_rules",
    "parse_rules",
    "render",
]
