"""The results object: frozen, typed, JSON-ready through ``to_dict()``.

Every text meant for people is given in every locale (``{"ja": ..., "en": ...}``) so one
cached object serves every viewer; ``CampaignResults.locale`` only picks the default for
:meth:`CampaignResults.text`. Numbers are kept at full precision; rounding is for templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from app.analysis import GroupSummary, maturity_level
from app.analysis.actions import Action
from app.analysis.bottleneck import NO_BOTTLENECK, Bottleneck
from app.analysis.findings import Facts
from app.analysis.gaps import Gap, ItemGap, Trend
from app.analysis.messages import KeyMessage
from app.analysis.plain import PlainFields
from app.analysis.unanswered import UnansweredRate
from app.models.organization import pick_name

#: A text in several locales, e.g. ``{"ja": "経営層", "en": "Executive"}``.
Localized = Mapping[str, str]
#: Identifies a group within its breakdown, e.g. ``{"department": 3, "role": "executive"}``.
GroupKey = Mapping[str, Any]

BREAKDOWNS = ("organization", "role", "department", "role_department")
STATUS_OK = "ok"
STATUS_SUPPRESSED = "suppressed"
STATUS_NO_DATA = "no_data"


def _localized(text: Localized | None) -> dict[str, str] | None:
    return None if text is None else dict(text)


@dataclass(frozen=True)
class ScoreCell:
    """One group's figures on one dimension (or one overall score).

    Only ``ok`` cells carry numbers. ``suppressed`` means the cell exists but is too small to
    show (or would let a small one be worked out); ``no_data`` means nobody has a score.
    """

    dimension: str
    status: str
    n: int | None = None
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    agreement: float | None = None
    level: int | None = None
    level_label: Localized | None = None

    @property
    def shown(self) -> bool:
        return self.status == STATUS_OK

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "dimension": self.dimension,
            "status": self.status,
            "n": self.n,
            "mean": self.mean,
            "sd": self.sd,
            "median": self.median,
            "ci95": None if self.ci_low is None else [self.ci_low, self.ci_high],
            "agreement": self.agreement,
            "level": self.level,
            "level_label": _localized(self.level_label),
        }


@dataclass(frozen=True)
class DistributionCell(PlainFields):
    """How one group's answers to one item spread over the scale (answers as given).

    ``mean`` is the item's mean answer, reverse coded like the scores (so higher is always
    more mature); None unless the cell is shown and has answers.
    """

    plain_keys = ("item", "status", "n", "mean", "points", "counts", "proportions")

    item: str
    status: str
    n: int | None = None
    points: tuple[int, ...] = ()
    counts: tuple[int, ...] = ()
    mean: float | None = None

    @property
    def proportions(self) -> tuple[float, ...] | None:
        if not self.n:
            return None
        return tuple(count / self.n for count in self.counts)


@dataclass(frozen=True)
class GroupResult(PlainFields):
    """One group of one breakdown: the organisation, a role, a department or both."""

    plain_keys = (
        "breakdown",
        "key",
        "label",
        "status",
        "n",
        "parent_department_id",
        "depth",
        "scores",
        "overall",
        "distributions",
        "dont_know",
    )

    breakdown: str
    key: GroupKey
    label: Localized
    status: str
    #: Submitted responses; None when the group is suppressed.
    n: int | None
    scores: Mapping[str, ScoreCell] = field(default_factory=dict)
    overall: Mapping[str, ScoreCell] = field(default_factory=dict)
    distributions: Mapping[str, DistributionCell] = field(default_factory=dict)
    #: Departments only: the enclosing department's id and the depth in the hierarchy.
    parent_department_id: int | None = None
    depth: int = 0
    #: Per item, the "don't know" (and "not applicable") rates among the respondents asked.
    dont_know: Mapping[str, UnansweredRate] = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        return self.status == STATUS_OK

    def score(self, dimension: str) -> ScoreCell | None:
        return self.scores.get(dimension)


@dataclass(frozen=True)
class Reliability(PlainFields):
    """Cronbach's alpha of a dimension over the respondents who answered all its items."""

    alpha: float | None
    n: int
    items: int


@dataclass(frozen=True)
class Recommendation(PlainFields):
    """What to do next on a dimension from its current maturity level: two or three actions
    in sequence (by horizon), each with its owner function, horizon, measure and scope."""

    dimension: str
    level: int
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class DimensionResult:
    """Everything about one dimension, for pages organised by dimension."""

    id: str
    kind: str
    title: Localized
    description: Localized | None
    items: tuple[str, ...]
    organization: ScoreCell
    by_role: Mapping[str, ScoreCell]
    by_department: Mapping[int, ScoreCell]
    #: ``{(department id, role key): cell}``
    by_role_department: Mapping[tuple[int, str], ScoreCell]
    reliability: Reliability
    target: float | None = None
    shortfall: float | None = None
    recommendation: Recommendation | None = None

    @property
    def level(self) -> int | None:
        return self.organization.level

    @property
    def level_label(self) -> Localized | None:
        return self.organization.level_label

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": dict(self.title),
            "description": _localized(self.description),
            "items": list(self.items),
            "organization": self.organization.to_dict(),
            "level": self.level,
            "level_label": _localized(self.level_label),
            "by_role": {key: cell.to_dict() for key, cell in self.by_role.items()},
            "by_department": {str(key): cell.to_dict() for key, cell in self.by_department.items()},
            "by_role_department": [
                {"department": department, "role": role, "score": cell.to_dict()}
                for (department, role), cell in self.by_role_department.items()
            ],
            "reliability": self.reliability.to_dict(),
            "target": self.target,
            "shortfall": self.shortfall,
            "recommendation": None
            if self.recommendation is None
            else self.recommendation.to_dict(),
        }


#: A perception gap of the results: the analysis record, placed in its breakdown with the
#: groups' public keys (``{"role": ...}``, ``{"department": ...}``, ``{"rest": True}``) and
#: labels. One type from the statistics to the API; see :class:`app.analysis.gaps.Gap`.
GapResult = Gap
#: A group's change since the previous round, placed like a gap (``key``, ``label``).
TrendResult = Trend


@dataclass(frozen=True)
class Balance(PlainFields):
    """How evenly the dimensions of one kind are developed at organisation level."""

    kind: str
    spread: float | None
    weakest: str | None
    strongest: str | None


@dataclass(frozen=True)
class Targets(PlainFields):
    """Progress towards the campaign's target levels.

    ``progress`` is ``(current - baseline) / (target - baseline)`` summed over the dimensions
    with a target, a score and a baseline; the baseline is the previous round's score (over
    the comparable items). None without a previous round: progress is never counted from zero.
    It is negative when the organisation is below its baseline and above 1 past the target.
    """

    targets: Mapping[str, float]
    shortfalls: Mapping[str, float]
    progress: float | None = None
    #: The previous round's score per dimension with a target; empty without one.
    baseline: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding(PlainFields):
    """A report rule that holds for this campaign, with its text filled in."""

    rule: str
    severity: str
    text: Localized
    dimension: str | None = None
    #: The finding as an action title, and what to do per scope that can act on it.
    headline: Localized | None = None
    recommendation: Mapping[str, Action] = field(default_factory=dict)


@dataclass(frozen=True)
class Diagnosis:
    """What the figures of one scope say: the organisation, or one department.

    ``findings`` are every report rule that holds for the scope; ``key_messages`` the three to
    five that lead (see :mod:`app.analysis.messages`); ``gaps`` the scope's perception gaps
    (role gaps; for a department, its roles' gaps and the department against the rest of the
    organisation) and ``item_gaps`` the role gaps on single items; ``bottleneck`` the verdict
    on the scope's improvement-cycle stages.
    """

    scope: str
    #: The department's id (as in the results' group keys); None for the organisation.
    department: int | None
    findings: tuple[Finding, ...] = ()
    key_messages: tuple[KeyMessage, ...] = ()
    gaps: tuple[GapResult, ...] = ()
    item_gaps: tuple[ItemGap, ...] = ()
    bottleneck: Bottleneck = NO_BOTTLENECK
    #: What the rules read (to add the companion campaign's figures to, later).
    facts: Facts | None = field(default=None, compare=False, repr=False)
    #: The companion campaign whose figures the diagnosis also read, if any.
    companion_campaign_id: int | None = None


@dataclass(frozen=True)
class Participation(PlainFields):
    """Who was invited, who has started and what was submitted (counts, not scores).

    One rule everywhere (see :mod:`app.results.participation`): revoking a participant
    withdraws the invitation, not an answer already given. ``invited`` counts participants
    whose link is live plus revoked ones who had submitted; ``started`` and ``not_started``
    live participants with a draft, or who have not opened the questionnaire; ``submitted``
    every submitted response, which is what the figures and the exports hold (including
    responses imported without a participant).
    """

    plain_keys = ("invited", "started", "submitted", "response_rate")

    invited: int = 0
    started: int = 0
    submitted: int = 0
    not_started: int = 0

    def __add__(self, other: Participation) -> Participation:
        return Participation(
            self.invited + other.invited,
            self.started + other.started,
            self.submitted + other.submitted,
            self.not_started + other.not_started,
        )

    @property
    def response_rate(self) -> float | None:
        """Submitted responses over invitations, at most 1; None without invitations.

        Responses imported without an invitation could otherwise take it above 1.
        """
        return None if self.invited == 0 else min(1.0, self.submitted / self.invited)


@dataclass(frozen=True)
class CountRow(Participation):
    """The participation of one group of a breakdown (always shown: it reveals no answer)."""

    plain_keys = ("key", "label", "invited", "started", "submitted", "response_rate")

    key: GroupKey = field(default_factory=dict, kw_only=True)
    label: Localized = field(default_factory=dict, kw_only=True)


@dataclass(frozen=True)
class ResponseCounts(PlainFields):
    """Who was invited, who started and who submitted, overall and per group."""

    total: CountRow
    by_department: tuple[CountRow, ...]
    by_role: tuple[CountRow, ...]


@dataclass(frozen=True)
class SuppressedCell(PlainFields):
    """A group, or a dimension or item of a group, withheld by the anonymity rules."""

    breakdown: str
    key: GroupKey
    label: Localized
    #: ``group``, ``dimension``, ``overall`` or ``item``.
    level: str
    #: The dimension, overall kind or item withheld; None for a whole group.
    id: str | None
    #: ``below_threshold`` or ``complementary`` (withheld so a small cell cannot be derived).
    reason: str


@dataclass(frozen=True)
class QuestionnaireInfo:
    """Which frozen questionnaire the campaign asked."""

    id: str
    version: str
    hash: str
    title: Localized
    locales: tuple[str, ...]
    scale_min: int
    scale_max: int
    scale_labels: Mapping[int, Localized]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "id": self.id,
            "version": self.version,
            "hash": self.hash,
            "title": dict(self.title),
            "locales": list(self.locales),
            "scale": {
                "min": self.scale_min,
                "max": self.scale_max,
                "labels": {str(point): dict(text) for point, text in self.scale_labels.items()},
            },
        }


@dataclass(frozen=True)
class TrendComparability(PlainFields):
    """Which items of a dimension a trend compares with the previous round.

    Rounds on the same questionnaire compare every item. Across versions, only the items
    kept from the previous version (``was``, or the same id) are compared, both rounds'
    scores recomputed over them; a dimension with none is not comparable and has no trend.
    """

    dimension: str
    comparable: bool
    #: ``(item id, id of the previous round's item)`` pairs compared.
    items: tuple[tuple[str, str], ...]
    #: Whether the rounds are on different questionnaire versions (scores recomputed).
    recomputed: bool = False


@dataclass(frozen=True)
class CampaignResults:
    """Every figure of a campaign, computed once and read by every output."""

    campaign_id: int
    campaign_name: str
    organization_id: int
    organization_name: str
    status: str
    anonymity_threshold: int
    open_text_minimum: int
    questionnaire: QuestionnaireInfo
    #: Dimension kinds in questionnaire order, e.g. ``("capability",)``.
    kinds: tuple[str, ...]
    dimensions: tuple[DimensionResult, ...]
    organization: GroupResult
    by_role: tuple[GroupResult, ...]
    by_department: tuple[GroupResult, ...]
    by_role_department: tuple[GroupResult, ...]
    gaps: tuple[GapResult, ...]
    trends: tuple[TrendResult, ...]
    previous: CampaignResults | None
    balance: Mapping[str, Balance]
    targets: Targets
    findings: tuple[Finding, ...]
    response_counts: ResponseCounts
    suppressed_cells: tuple[SuppressedCell, ...]
    computed_at: datetime
    #: Identifies the data the results were computed from; empty when the cache was
    #: bypassed.
    data_version: str
    locale: str | None = None
    #: Per dimension, what its trend compares (empty without a previous round).
    trend_comparability: tuple[TrendComparability, ...] = ()
    #: Whether a stage of the cycle stands out as its bottleneck.
    bottleneck: Bottleneck = NO_BOTTLENECK
    #: Role gaps on single items, largest first (every pair of shown roles, items both asked).
    item_gaps: tuple[ItemGap, ...] = ()
    #: The organisation's diagnosis, and each shown department's by department id.
    diagnosis: Diagnosis | None = None
    department_diagnoses: Mapping[int, Diagnosis] = field(default_factory=dict)
    #: The companion campaign's results the diagnoses also read (see
    #: :mod:`app.results.synthesis`); None without a companion.
    companion: CampaignResults | None = field(default=None, compare=False, repr=False)
    #: The anonymised summaries behind the groups, by internal group key; for trends.
    summaries: Mapping[str, Mapping[str, GroupSummary]] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: True for the figures computed before the latest answers, shown while the current ones
    #: are being computed (see :mod:`app.results.kept`).
    refreshing: bool = field(default=False, compare=False)
    #: The campaign's and the organisation's English names; None where there is none.
    campaign_name_en: str | None = None
    organization_name_en: str | None = None
    #: The names, as entered, of the departments shown without an English name.
    departments_without_english: tuple[str, ...] = ()

    # Lookups ------------------------------------------------------------------------------

    def dimension(self, dimension_id: str) -> DimensionResult:
        """The dimension with that id; ``KeyError`` if the questionnaire has none."""
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise KeyError(dimension_id)

    def dimensions_of_kind(self, kind: str) -> tuple[DimensionResult, ...]:
        return tuple(d for d in self.dimensions if d.kind == kind)

    def groups(self, breakdown: str) -> tuple[GroupResult, ...]:
        """The groups of one breakdown (``organisation``, ``role``, ``department``, ...)."""
        if breakdown == "organization":
            return (self.organization,)
        if breakdown == "role":
            return self.by_role
        if breakdown == "department":
            return self.by_department
        if breakdown == "role_department":
            return self.by_role_department
        raise KeyError(breakdown)

    def group(self, breakdown: str, **key: Any) -> GroupResult:
        """The group of a breakdown with that key, e.g. ``group("role", role="executive")``."""
        for candidate in self.groups(breakdown):
            if dict(candidate.key) == key:
                return candidate
        raise KeyError((breakdown, key))

    def comparability(self, dimension: str) -> TrendComparability | None:
        """What the trend of ``dimension`` compares, or None without a previous round."""
        for found in self.trend_comparability:
            if found.dimension == dimension:
                return found
        return None

    def gaps_of(self, breakdown: str) -> tuple[GapResult, ...]:
        return tuple(gap for gap in self.gaps if gap.breakdown == breakdown)

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        """The recommendation for each dimension's current level, in questionnaire order."""
        return tuple(d.recommendation for d in self.dimensions if d.recommendation is not None)

    @property
    def reliability(self) -> dict[str, Reliability]:
        return {d.id: d.reliability for d in self.dimensions}

    def text(self, text: Localized | None, locale: str | None = None) -> str:
        """A localized text in ``locale``, else this object's locale, else Japanese."""
        if not text:
            return ""
        for wanted in (locale, self.locale, "ja", "en"):
            if wanted and wanted in text:
                return text[wanted]
        return next(iter(text.values()))

    def campaign_title(self, locale: str | None = None) -> str:
        """The campaign's name in ``locale`` (else this object's locale), as
        :func:`app.models.display_name` picks it."""
        return pick_name(self.campaign_name, self.campaign_name_en, locale or self.locale)

    def organization_title(self, locale: str | None = None) -> str:
        """The organisation's name in ``locale`` (else this object's locale)."""
        return pick_name(self.organization_name, self.organization_name_en, locale or self.locale)

    def names_without_english(self) -> tuple[str, ...]:
        """Every name an English output of these results shows as entered, for want of an
        English name: the organisation, the campaign, its departments, and the previous and
        companion campaigns; each once, in that order."""
        names: list[str] = []
        if not self.organization_name_en:
            names.append(self.organization_name)
        if not self.campaign_name_en:
            names.append(self.campaign_name)
        names.extend(self.departments_without_english)
        for other in (self.previous, self.companion):
            if other is not None and not other.campaign_name_en:
                names.append(other.campaign_name)
        return tuple(dict.fromkeys(name for name in names if name))

    def level_of(self, score: float | None) -> int | None:
        """The maturity level of a score on this campaign's scale (None for no score)."""
        return maturity_level(score, self.questionnaire.scale_min, self.questionnaire.scale_max)

    def with_locale(self, locale: str | None) -> CampaignResults:
        """The same results with another default locale (cheap; shares everything else)."""
        return self if locale == self.locale else replace(self, locale=locale)

    # Serialisation ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form of everything (numbers unrounded)."""
        return {
            "campaign_id": self.campaign_id,
            "campaign_name": self.campaign_name,
            "campaign_name_en": self.campaign_name_en,
            "organization_id": self.organization_id,
            "organization_name": self.organization_name,
            "organization_name_en": self.organization_name_en,
            "status": self.status,
            "anonymity_threshold": self.anonymity_threshold,
            "open_text_minimum": self.open_text_minimum,
            "questionnaire": self.questionnaire.to_dict(),
            "kinds": list(self.kinds),
            "dimensions": [d.to_dict() for d in self.dimensions],
            "organization": self.organization.to_dict(),
            "by_role": [g.to_dict() for g in self.by_role],
            "by_department": [g.to_dict() for g in self.by_department],
            "by_role_department": [g.to_dict() for g in self.by_role_department],
            "gaps": [g.to_dict() for g in self.gaps],
            "trends": [t.to_dict() for t in self.trends],
            "trend_comparability": [c.to_dict() for c in self.trend_comparability],
            "previous": None if self.previous is None else self.previous.to_dict(),
            "reliability": {key: value.to_dict() for key, value in self.reliability.items()},
            "balance": {key: value.to_dict() for key, value in self.balance.items()},
            "targets": self.targets.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "bottleneck": self.bottleneck.to_dict(),
            "recommendations": [r.to_dict() for r in self.recommendations],
            "response_counts": self.response_counts.to_dict(),
            "suppressed_cells": [c.to_dict() for c in self.suppressed_cells],
            "computed_at": self.computed_at.isoformat(),
            "data_version": self.data_version,
        }
