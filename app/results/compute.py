"""From loaded sums to the results object: groups, anonymity, statistics, gaps and findings.

Everything statistical is delegated to :mod:`app.analysis`; this module decides which
respondents form which group, which cells the anonymity rules let through, and assembles
the frozen :class:`~app.results.model.CampaignResults`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.analysis import (
    OPEN_TEXT_MINIMUM,
    Gap,
    GroupInput,
    GroupStats,
    GroupStatus,
    GroupSummary,
    ItemCountTable,
    ItemDistribution,
    Memberships,
    Moments,
    capability_balance,
    cronbach_alpha_from_sums,
    department_gaps,
    describe_groups,
    describe_moments,
    dimension_scores_from_sums,
    maturity_level,
    open_text_minimum,
    overall_scores_by_kind,
    progress_from_baseline,
    rest_of_organization,
    role_gaps,
    target_gaps,
    trends,
)
from app.analysis.anonymity import Family, partition_statuses, partition_statuses_many
from app.analysis.bottleneck import stage_bottleneck
from app.analysis.findings import RuleSet
from app.analysis.gaps import ItemGap, adjust_family, item_role_gaps
from app.analysis.lazy import LazyMapping
from app.analysis.recommendations import RecommendationCatalogue
from app.analysis.summary import summarise_with_statuses
from app.analysis.tree import department_tree
from app.analysis.unanswered import UnansweredRate, unanswered_rates
from app.models import name_labels, role_labels
from app.platform.lazy import lazy_module
from app.questionnaire import AUDIENCE_ROLES, Item, Questionnaire
from app.results.diagnosis import department_facts, diagnose, organisation_facts
from app.results.load import CampaignData, DepartmentRow, RoleRow, cell_pairs
from app.results.model import (
    STATUS_NO_DATA,
    STATUS_OK,
    STATUS_SUPPRESSED,
    Balance,
    CampaignResults,
    CountRow,
    DimensionResult,
    DistributionCell,
    GapResult,
    GroupResult,
    Localized,
    Participation,
    QuestionnaireInfo,
    Recommendation,
    Reliability,
    ResponseCounts,
    ScoreCell,
    SuppressedCell,
    Targets,
    TrendComparability,
    TrendResult,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: Imported with the first computation: commands that compute nothing never load it.
np = lazy_module("numpy")

ORGANISATION = "org"
OVERALL_PREFIX = "overall:"


@dataclass(frozen=True)
class CampaignInfo:
    """The campaign settings the computation needs, detached from the ORM."""

    id: int
    name: str
    organization_id: int
    organization_name: str
    status: str
    anonymity_threshold: int
    targets: Mapping[str, Any]
    #: The English names, None where there is none (English outputs show the name as entered).
    name_en: str | None = None
    organization_name_en: str | None = None
    #: The campaign's minimum group for free-text answers (``Campaign.comment_minimum``).
    comment_minimum: int = OPEN_TEXT_MINIMUM


@dataclass(frozen=True)
class Labels:
    """Texts of the groups the engine names itself, in every locale."""

    organization: Localized
    rest: Localized


@dataclass
class _Group:
    key: str
    breakdown: str
    public_key: dict[str, Any]
    label: Localized
    mask: NDArray[np.bool_]
    departments: frozenset[int]
    roles: frozenset[int]
    parent_department_id: int | None = None
    depth: int = 0
    pseudo: bool = False


@dataclass
class _Structure:
    groups: dict[str, _Group] = field(default_factory=dict)
    families: list[Family] = field(default_factory=list)
    breakdowns: dict[str, list[str]] = field(default_factory=dict)


def _role_key(role: RoleRow) -> str:
    return f"role:{role.key}"


def _dept_key(department_id: int) -> str:
    return f"dept:{department_id}"


def _dept_role_key(department_id: int, role: RoleRow) -> str:
    return f"dept:{department_id}|role:{role.key}"


def _included_departments(data: CampaignData) -> list[DepartmentRow]:
    """Active departments, plus archived ones still holding responses or invitations."""
    used = set(data.department_ids.tolist())
    used.update(department for department, _ in data.participation)
    keep = {d.id for d in data.departments if not d.archived or d.id in used}
    # A kept department's ancestors are kept too, so roll-ups stay complete.
    tree = department_tree(data.departments)
    for department_id in list(keep):
        keep.update(tree.ancestors(department_id))
    return [d for d in data.departments if d.id in keep]


def build_structure(data: CampaignData, labels: Labels) -> _Structure:
    """Every group of every breakdown, the cells never shown, and the totals they share."""
    structure = _Structure()
    everyone = np.ones(len(data.response_ids), dtype=bool)
    departments = _included_departments(data)
    tree = department_tree(departments)
    ordered, children = tree.ordered, tree.children
    all_department_ids = frozenset(d.id for d in data.departments)
    all_role_ids = frozenset(r.id for r in data.roles)

    def add(group: _Group) -> None:
        structure.groups[group.key] = group
        if not group.pseudo:
            structure.breakdowns.setdefault(group.breakdown, []).append(group.key)

    add(
        _Group(
            ORGANISATION,
            "organization",
            {},
            labels.organization,
            everyone,
            all_department_ids,
            all_role_ids,
        )
    )
    role_masks = {role.id: data.role_ids == role.id for role in data.roles}
    for role in data.roles:
        add(
            _Group(
                _role_key(role),
                "role",
                {"role": role.key},
                role_labels(role.labels, role.key),
                role_masks[role.id],
                all_department_ids,
                frozenset({role.id}),
            )
        )
    structure.families.append(Family(ORGANISATION, tuple(_role_key(r) for r in data.roles)))

    for department, depth in ordered:
        subtree = frozenset(tree.subtree(department.id))
        mask = np.isin(data.department_ids, list(subtree))
        add(
            _Group(
                _dept_key(department.id),
                "department",
                {"department": department.id},
                name_labels(department.name, department.name_en),
                mask,
                subtree,
                all_role_ids,
                department.parent_id if department.parent_id in children else None,
                depth,
            )
        )
        for role in data.roles:
            role_label = role_labels(role.labels, role.key)
            department_label = name_labels(department.name, department.name_en)
            add(
                _Group(
                    _dept_role_key(department.id, role),
                    "role_department",
                    {"department": department.id, "role": role.key},
                    {
                        locale: f"{department_label[locale]} / {role_label.get(locale, role.key)}"
                        for locale in ("ja", "en")
                    },
                    mask & role_masks[role.id],
                    subtree,
                    frozenset({role.id}),
                    department.parent_id if department.parent_id in children else None,
                    depth,
                )
            )
        if children[department.id]:
            # The people directly in a parent department are never shown on their own, but
            # they are what remains when the children are subtracted from the parent.
            direct = data.department_ids == department.id
            add(
                _Group(
                    f"direct:{department.id}",
                    "department",
                    {},
                    {},
                    direct,
                    frozenset({department.id}),
                    all_role_ids,
                    pseudo=True,
                )
            )
            for role in data.roles:
                add(
                    _Group(
                        f"direct:{department.id}|role:{role.key}",
                        "role_department",
                        {},
                        {},
                        direct & role_masks[role.id],
                        frozenset({department.id}),
                        frozenset({role.id}),
                        pseudo=True,
                    )
                )

    roots = [d.id for d, depth in ordered if depth == 0]
    structure.families.append(Family(ORGANISATION, tuple(_dept_key(d) for d in roots)))
    for role in data.roles:
        structure.families.append(
            Family(_role_key(role), tuple(_dept_role_key(d, role) for d in roots))
        )
    for department, _ in ordered:
        structure.families.append(
            Family(
                _dept_key(department.id),
                tuple(_dept_role_key(department.id, r) for r in data.roles),
            )
        )
        kids = children[department.id]
        if not kids:
            continue
        structure.families.append(
            Family(
                _dept_key(department.id),
                (f"direct:{department.id}", *(_dept_key(k) for k in kids)),
            )
        )
        for role in data.roles:
            structure.families.append(
                Family(
                    _dept_role_key(department.id, role),
                    (
                        f"direct:{department.id}|role:{role.key}",
                        *(_dept_role_key(k, role) for k in kids),
                    ),
                )
            )
    return structure


class _CellCounts:
    """Answer counts per (department, role) cell as one array: cells x items x scale points."""

    def __init__(self, data: CampaignData, questionnaire: Questionnaire) -> None:
        self.item_ids = [item.id for item in questionnaire.items]
        self.points = list(questionnaire.scale.points)
        self.cells = list(data.cells)
        self.counts = data.cell_counts

    def for_groups(self, groups: Sequence[_Group]) -> NDArray[np.int64]:
        """Groups x items x points: the counts of the cells inside each group, at once."""
        shape = (len(groups), len(self.item_ids), len(self.points))
        if not self.cells or not groups:
            return np.zeros(shape, np.int64)
        inside = np.array(
            [[d in g.departments and r in g.roles for d, r in self.cells] for g in groups],
            dtype=np.int64,
        )
        return (inside @ self.counts.reshape(len(self.cells), -1)).reshape(shape)

    def as_tables(self, totals: NDArray[np.int64]) -> list[ItemCountTable]:
        return ItemCountTable.many(self.item_ids, self.points[0], self.points[-1], totals)


@dataclass
class _Statuses:
    groups: dict[str, GroupStatus]
    #: ``{dimension, overall:kind or item id: {group key: status}}``
    cells: dict[str, dict[str, GroupStatus]]


def _decide_statuses(
    structure: _Structure,
    threshold: int,
    submitted: Mapping[str, int],
    cell_counts: Mapping[str, Mapping[str, int]],
) -> _Statuses:
    pseudo = [key for key, group in structure.groups.items() if group.pseudo]
    groups = partition_statuses(submitted, structure.families, threshold, never_shown=pseudo)
    not_shown = [
        key
        for key, status in groups.items()
        if status is not GroupStatus.OK and not structure.groups[key].pseudo
    ]
    cells = partition_statuses_many(
        cell_counts,
        structure.families,
        threshold,
        hidden=dict.fromkeys(cell_counts, not_shown),
        never_shown=pseudo,
    )
    return _Statuses(groups, cells)


def _level_labels(questionnaire: Questionnaire) -> dict[int, Localized]:
    return {point: text.to_dict() for point, text in questionnaire.scale.labels}


def _score_cell(
    name: str,
    stats: GroupStats | None,
    status: GroupStatus,
    agreement: float | None,
    questionnaire: Questionnaire,
    level_labels: Mapping[int, Localized],
) -> ScoreCell:
    if status is GroupStatus.SUPPRESSED:
        return ScoreCell(name, STATUS_SUPPRESSED)
    if stats is None or stats.n == 0 or stats.mean is None:
        return ScoreCell(name, STATUS_NO_DATA, n=0)
    scale = questionnaire.scale
    level = maturity_level(stats.mean, scale.min, scale.max)
    label = level_labels.get(level) if level is not None else None
    return ScoreCell(
        name,
        STATUS_OK,
        n=stats.n,
        mean=stats.mean,
        sd=stats.sd,
        median=stats.median,
        ci_low=stats.ci_low,
        ci_high=stats.ci_high,
        agreement=agreement,
        level=level,
        level_label=None if label is None else dict(label),
    )


def _distribution_cell(
    cell_statuses: Mapping[str, Mapping[str, GroupStatus]],
    group_key: str,
    shown: Mapping[str, ItemDistribution],
    questionnaire: Questionnaire,
    item: str,
) -> DistributionCell:
    """One item's distribution in one group, as the anonymity rules let it be shown."""
    if cell_statuses[item][group_key] is GroupStatus.SUPPRESSED:
        return DistributionCell(item, STATUS_SUPPRESSED)
    distribution = shown.get(item)
    if distribution is None or distribution.n == 0:
        return DistributionCell(item, STATUS_NO_DATA, 0)
    # The item's mean from its own answer counts, reverse coded like the scores.
    scored = {
        questionnaire.scored_value(item, point): count
        for point, count in zip(distribution.points, distribution.counts, strict=True)
    }
    return DistributionCell(
        item,
        STATUS_OK,
        distribution.n,
        distribution.points,
        distribution.counts,
        Moments.from_counts(scored).mean,
    )


class _Unanswered:
    """The "don't know" rates of any group, over the respondents asked each item."""

    def __init__(self, data: CampaignData, questionnaire: Questionnaire, threshold: int) -> None:
        role_ids = {role.key: role.id for role in data.roles}
        self.items = [
            (
                item.id,
                frozenset(role_ids[key] for key in item.audience if key in role_ids)
                | frozenset(r.id for r in data.roles if r.key not in AUDIENCE_ROLES)
                if item.audience
                else None,
            )
            for item in questionnaire.items
        ]
        pairs, counts = cell_pairs(data.department_ids, data.role_ids)
        self.respondents = {
            (int(d), int(r)): int(n) for (d, r), n in zip(pairs, counts, strict=True)
        }
        self.counts = data.unanswered
        self.threshold = threshold

    def of(self, group: _Group) -> dict[str, UnansweredRate]:
        cells = [
            cell
            for cell in self.respondents
            if cell[0] in group.departments and cell[1] in group.roles
        ]
        return unanswered_rates(self.items, self.respondents, self.counts, cells, self.threshold)


def _group_result(
    group: _Group,
    summary: GroupSummary,
    statuses: _Statuses,
    questionnaire: Questionnaire,
    kinds: Sequence[str],
    level_labels: Mapping[int, Localized],
    unanswered: _Unanswered,
) -> GroupResult:
    status = statuses.groups[group.key]
    if status is not GroupStatus.OK:
        return GroupResult(
            group.breakdown,
            group.public_key,
            group.label,
            STATUS_SUPPRESSED if status is GroupStatus.SUPPRESSED else STATUS_NO_DATA,
            None if status is GroupStatus.SUPPRESSED else 0,
            parent_department_id=group.parent_department_id,
            depth=group.depth,
        )
    scores = {
        d.id: _score_cell(
            d.id,
            summary.stats(d.id),
            statuses.cells[d.id][group.key],
            summary.agreement.get(d.id),
            questionnaire,
            level_labels,
        )
        for d in questionnaire.dimensions
    }
    overall = {
        kind: _score_cell(
            kind,
            summary.stats(OVERALL_PREFIX + kind),
            statuses.cells[OVERALL_PREFIX + kind][group.key],
            None,
            questionnaire,
            level_labels,
        )
        for kind in kinds
    }
    distributions = LazyMapping(
        [item.id for item in questionnaire.items],
        functools.partial(
            _distribution_cell,
            statuses.cells,
            group.key,
            summary.distributions,
            questionnaire,
        ),
    )
    return GroupResult(
        group.breakdown,
        group.public_key,
        group.label,
        STATUS_OK,
        summary.n,
        scores,
        overall,
        distributions,
        group.parent_department_id,
        group.depth,
        unanswered.of(group),
    )


def _reliability(
    questionnaire: Questionnaire,
    data: CampaignData,
    cell_counts: _CellCounts,
    organization_shown: bool,
    threshold: int,
) -> dict[str, Reliability]:
    points = np.array(questionnaire.scale.points, dtype=np.float64)
    result: dict[str, Reliability] = {}
    for dimension in questionnaire.dimensions:
        k = len(dimension.items)
        complete = data.answered[dimension.id] == k
        n = int(complete.sum())
        totals = data.plain_totals[dimension.id][complete]
        item_totals: list[float] = []
        item_totals_sq: list[float] = []
        for item in dimension.items:
            answers = data.complete_counts[cell_counts.item_ids.index(item.id)].astype(np.float64)
            values = points[::-1] if item.reverse else points
            item_totals.append(float(answers @ values))
            item_totals_sq.append(float(answers @ (values * values)))
        alpha, used = cronbach_alpha_from_sums(
            n, item_totals, item_totals_sq, float(totals.sum()), float((totals * totals).sum())
        )
        if not organization_shown or used < threshold:
            alpha = None
        result[dimension.id] = Reliability(alpha, used, k)
    return result


def _placed_gap(
    gap: Gap,
    breakdown: str,
    groups: Mapping[str, _Group],
    key_of: Callable[[str], str],
    rest_label: Localized,
) -> GapResult:
    group_a = groups[key_of(gap.a)]
    if gap.b == "rest":
        b_key: dict[str, Any] = {"rest": True}
        b_label = rest_label
    else:
        group_b = groups[key_of(gap.b)]
        b_key, b_label = group_b.public_key, group_b.label
    return gap.placed(breakdown, group_a.public_key, b_key, group_a.label, b_label)


def _item_gaps(
    questionnaire: Questionnaire, roles: Sequence[RoleRow], role_groups: Sequence[GroupResult]
) -> tuple[ItemGap, ...]:
    """The role gaps on single items, largest first: every pair of shown roles on every item
    both were asked, from the items' shown answer counts; Holm over all of them."""
    stats: dict[str, dict[str, GroupStats]] = {}
    by_role = {group.key["role"]: group for group in role_groups if group.shown}
    for role, group in by_role.items():
        cells = stats.setdefault(role, {})
        for item, cell in group.distributions.items():
            if cell.status != STATUS_OK or not cell.n:
                continue
            scored = {
                questionnaire.scored_value(item, point): count
                for point, count in zip(cell.points, cell.counts, strict=True)
            }
            cells[item] = describe_moments(Moments.from_counts(scored))
    items = [
        (item.id, dimension.id)
        for dimension in questionnaire.dimensions
        for item in dimension.items
    ]
    asked = {item.id: item for item in questionnaire.items}
    found = item_role_gaps(
        stats,
        [role.key for role in roles],
        items,
        lambda item, role: asked[item].asks(role),
    )
    placed = [
        ItemGap(
            found_gap.item,
            found_gap.gap.placed(
                "role",
                dict(by_role[found_gap.gap.a].key),
                dict(by_role[found_gap.gap.b].key),
                by_role[found_gap.gap.a].label,
                by_role[found_gap.gap.b].label,
            ),
        )
        for found_gap in found
    ]
    return tuple(sorted(placed, key=lambda found_gap: -abs(found_gap.gap.difference)))


#: Per pair of role keys (higher, lower), the summaries by breakdown and group key over the
#: items both roles were asked.
CommonSummaries = Mapping[tuple[str, str], Mapping[str, Mapping[str, GroupSummary]]]


def role_pair_questionnaires(
    questionnaire: Questionnaire, role_keys: Sequence[str]
) -> dict[tuple[str, str], Questionnaire | None]:
    """The questionnaire over the items both roles were asked, per pair of ``role_keys``
    (from the top of the hierarchy down) that were not asked the same items.

    None for a pair asked no item in common. A pair asked every item alike is left out: its
    gaps compare the whole dimensions.
    """
    found: dict[tuple[str, str], Questionnaire | None] = {}
    for index, higher in enumerate(role_keys):
        for lower in role_keys[index + 1 :]:
            items = {
                dimension.id: [
                    item for item in dimension.items if item.asks(higher) and item.asks(lower)
                ]
                for dimension in questionnaire.dimensions
            }
            if sum(len(kept) for kept in items.values()) == len(questionnaire.items):
                continue
            found[(higher, lower)] = questionnaire.restricted(items)
    return found


def _common_of(
    common: CommonSummaries | None, breakdown: str, key_of: Callable[[str], str]
) -> dict[tuple[str, str], dict[str, GroupSummary]] | None:
    """The pairs' summaries of one breakdown, by role key."""
    if common is None:
        return None
    found = {}
    for pair, summaries in common.items():
        by_key = summaries.get(breakdown, {})
        found[pair] = {role: by_key[key_of(role)] for role in pair if key_of(role) in by_key}
    return found


def _gaps(
    structure: _Structure,
    summaries: Mapping[str, Mapping[str, GroupSummary]],
    roles: Sequence[RoleRow],
    dimension_ids: Sequence[str],
    rest: Mapping[str, Mapping[str, GroupStats]],
    labels: Labels,
    common: CommonSummaries | None = None,
) -> list[GapResult]:
    groups = structure.groups
    role_order = [role.key for role in roles]
    results: list[GapResult] = []

    role_summaries = {role.key: summaries["role"][_role_key(role)] for role in roles}
    role_common = _common_of(common, "role", lambda k: f"role:{k}")
    for gap in role_gaps(role_summaries, role_order, dimension_ids, common=role_common):
        results.append(_placed_gap(gap, "role", groups, lambda k: f"role:{k}", labels.rest))

    department_summaries = {
        key.removeprefix("dept:"): summary for key, summary in summaries["department"].items()
    }
    for gap in department_gaps(department_summaries, rest, dimension_ids):
        results.append(_placed_gap(gap, "department", groups, lambda k: f"dept:{k}", labels.rest))

    within: list[tuple[str, Gap]] = []
    for key in structure.breakdowns.get("department", []):
        department_id = key.removeprefix("dept:")
        cells = {role.key: summaries["role_department"][f"{key}|role:{role.key}"] for role in roles}
        cells_common = _common_of(common, "role_department", lambda k, key=key: f"{key}|role:{k}")
        # One family across every department: adjusted once, below.
        for gap in role_gaps(cells, role_order, dimension_ids, adjust=False, common=cells_common):
            within.append((department_id, gap))
    adjusted = adjust_family([gap for _, gap in within])
    for (department_id, _), gap in zip(within, adjusted, strict=True):
        results.append(
            _placed_gap(
                gap,
                "role_department",
                groups,
                lambda k, d=department_id: f"dept:{d}|role:{k}",
                labels.rest,
            )
        )
    return results


@dataclass(frozen=True)
class TrendBasis:
    """A trend across questionnaire versions: both rounds' summaries recomputed over the
    comparable items, and which items those are per dimension."""

    current: Mapping[str, Mapping[str, GroupSummary]]
    previous: Mapping[str, Mapping[str, GroupSummary]]
    items: Mapping[str, tuple[tuple[str, str], ...]]


def _comparability(
    questionnaire: Questionnaire, previous: CampaignResults, basis: TrendBasis | None
) -> tuple[TrendComparability, ...]:
    if basis is not None:
        return tuple(
            TrendComparability(d.id, bool(basis.items.get(d.id)), basis.items.get(d.id, ()), True)
            for d in questionnaire.dimensions
        )
    before = {d.id: set(d.items) for d in previous.dimensions}
    return tuple(
        TrendComparability(
            d.id,
            d.id in before,
            tuple((item.id, item.id) for item in d.items if item.id in before.get(d.id, ())),
        )
        for d in questionnaire.dimensions
    )


def _trends(
    summaries: Mapping[str, Mapping[str, GroupSummary]],
    previous: CampaignResults,
    structure: _Structure,
    questionnaire: Questionnaire,
    basis: TrendBasis | None = None,
) -> list[TrendResult]:
    previous_dimensions = {d.id for d in previous.dimensions}
    previous_summaries = previous.summaries
    same_scale = (
        previous.questionnaire.scale_min == questionnaire.scale.min
        and previous.questionnaire.scale_max == questionnaire.scale.max
    )
    if not same_scale:
        return []
    dimension_ids = [d.id for d in questionnaire.dimensions if d.id in previous_dimensions]
    if basis is not None:
        # Across versions: each dimension over its comparable items only.
        summaries, previous_summaries = basis.current, basis.previous
        dimension_ids = [d.id for d in questionnaire.dimensions if basis.items.get(d.id)]
    found: list[TrendResult] = []
    for breakdown in ("organization", "role", "department", "role_department"):
        before = previous_summaries.get(breakdown, {})
        for item in trends(summaries.get(breakdown, {}), before, dimension_ids):
            group = structure.groups[item.group]
            found.append(
                item.placed(breakdown, group.public_key, group.public_key, group.label, group.label)
            )
    return found


def _response_counts(data: CampaignData, structure: _Structure) -> ResponseCounts:
    def row(group: _Group) -> CountRow:
        counts = sum(
            (
                cell
                for (department_id, role_id), cell in data.participation.items()
                if department_id in group.departments and role_id in group.roles
            ),
            Participation(),
        )
        return CountRow(
            counts.invited,
            counts.started,
            counts.submitted,
            counts.not_started,
            key=group.public_key,
            label=group.label,
        )

    groups = structure.groups
    return ResponseCounts(
        total=row(groups[ORGANISATION]),
        by_department=tuple(row(groups[k]) for k in structure.breakdowns.get("department", [])),
        by_role=tuple(row(groups[k]) for k in structure.breakdowns.get("role", [])),
    )


def _suppressed_cells(
    structure: _Structure,
    statuses: _Statuses,
    submitted: Mapping[str, int],
    cell_counts: Mapping[str, Mapping[str, int]],
    threshold: int,
    kinds: Sequence[str],
    questionnaire: Questionnaire,
) -> list[SuppressedCell]:
    found: list[SuppressedCell] = []
    levels = [(d.id, "dimension", d.id) for d in questionnaire.dimensions]
    levels += [(OVERALL_PREFIX + kind, "overall", kind) for kind in kinds]
    levels += [(item.id, "item", item.id) for item in questionnaire.items]
    for breakdown in ("organization", "role", "department", "role_department"):
        for key in structure.breakdowns.get(breakdown, []):
            group = structure.groups[key]
            if statuses.groups[key] is GroupStatus.SUPPRESSED:
                reason = "below_threshold" if submitted[key] < threshold else "complementary"
                found.append(
                    SuppressedCell(breakdown, group.public_key, group.label, "group", None, reason)
                )
                continue
            if statuses.groups[key] is not GroupStatus.OK:
                continue
            for cell, level, name in levels:
                if statuses.cells[cell][key] is GroupStatus.SUPPRESSED:
                    n = cell_counts[cell][key]
                    reason = "below_threshold" if n < threshold else "complementary"
                    found.append(
                        SuppressedCell(
                            breakdown, group.public_key, group.label, level, name, reason
                        )
                    )
    return found


def _targets(
    campaign: CampaignInfo, organization: GroupResult, trend_results: Sequence[TrendResult] = ()
) -> Targets:
    targets: dict[str, float] = {}
    for dimension, value in (campaign.targets or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number) and dimension in organization.scores:
            targets[str(dimension)] = number
    current = {
        dimension: cell.mean for dimension, cell in organization.scores.items() if cell.shown
    }
    # The baseline is the previous round the trends compare with, over the comparable items.
    baseline = {
        trend.dimension: trend.previous_mean
        for trend in trend_results
        if trend.breakdown == "organization"
    }
    return Targets(
        targets,
        target_gaps(targets, current),
        progress_from_baseline(targets, current, baseline),
        {d: baseline[d] for d in targets if d in baseline},
    )


def items_asked(data: CampaignData, items: Sequence[Item]) -> NDArray[np.int64]:
    """How many of ``items`` each submitted respondent was asked, from their role."""
    asked = np.full(len(data.role_ids), len(items), dtype=np.int64)
    for role in data.roles:
        count = sum(1 for item in items if item.asks(role.key))
        if count != len(items):
            asked[data.role_ids == role.id] = count
    return asked


def _without_english(data: CampaignData, shown: Sequence[GroupResult]) -> tuple[str, ...]:
    """The names of the departments among ``shown`` that have no English name."""
    ids = {group.key.get("department") for group in shown}
    return tuple(d.name for d in data.departments if d.id in ids and not d.name_en)


def compute_summaries(
    campaign: CampaignInfo, questionnaire: Questionnaire, data: CampaignData, *, labels: Labels
) -> dict[str, dict[str, GroupSummary]]:
    """Every group's summaries, by breakdown and group key: the first part of
    :func:`compute_results`, all that a comparison over other items needs."""
    found: dict[str, dict[str, GroupSummary]] = {}
    _compute(
        campaign,
        questionnaire,
        data,
        labels=labels,
        rules=None,
        recommendations=None,
        previous=None,
        computed_at=datetime.now(UTC),
        data_version="",
        summaries_into=found,
    )
    return found


def compute_results(
    campaign: CampaignInfo,
    questionnaire: Questionnaire,
    data: CampaignData,
    *,
    labels: Labels,
    rules: RuleSet | None,
    recommendations: RecommendationCatalogue | None,
    previous: CampaignResults | None,
    computed_at: datetime,
    data_version: str,
    locale: str | None = None,
    common: CommonSummaries | None = None,
    trend_basis: TrendBasis | None = None,
) -> CampaignResults:
    """Compute every figure of a campaign from its loaded sums and counts.

    ``common`` holds, for the pairs of roles not asked the same items
    (:func:`role_pair_questionnaires`), the summaries computed over the items both were
    asked: their role gaps compare those. ``trend_basis``, for a previous round on another
    questionnaire version, holds both rounds' summaries over the comparable items.
    """
    results = _compute(
        campaign,
        questionnaire,
        data,
        labels=labels,
        rules=rules,
        recommendations=recommendations,
        previous=previous,
        computed_at=computed_at,
        data_version=data_version,
        locale=locale,
        common=common,
        trend_basis=trend_basis,
    )
    assert results is not None
    return results


def _compute(
    campaign: CampaignInfo,
    questionnaire: Questionnaire,
    data: CampaignData,
    *,
    labels: Labels,
    rules: RuleSet | None,
    recommendations: RecommendationCatalogue | None,
    previous: CampaignResults | None,
    computed_at: datetime,
    data_version: str,
    locale: str | None = None,
    common: CommonSummaries | None = None,
    trend_basis: TrendBasis | None = None,
    summaries_into: dict[str, dict[str, GroupSummary]] | None = None,
) -> CampaignResults | None:
    """:func:`compute_results`; with ``summaries_into``, only the summaries, put there."""
    threshold = campaign.anonymity_threshold
    dimensions = questionnaire.dimensions
    kinds = questionnaire.kinds
    scores = {
        d.id: dimension_scores_from_sums(
            data.weighted_totals[d.id],
            data.weight_totals[d.id],
            data.answered[d.id],
            items_asked(data, d.items),
        )
        for d in dimensions
    }
    overall = overall_scores_by_kind(scores, {d.id: d.kind for d in dimensions})
    respondent_scores: dict[str, NDArray[np.float64]] = dict(scores)
    respondent_scores.update({OVERALL_PREFIX + kind: values for kind, values in overall.items()})

    structure = build_structure(data, labels)
    item_ids = [item.id for item in questionnaire.items]
    group_keys = list(structure.groups)
    every_group = list(structure.groups.values())
    # Groups x respondents: who belongs where; every count below is one product with it
    # (of 32-bit floats, which BLAS multiplies; whole numbers stay exact up to 2^24).
    members = np.stack([group.mask for group in every_group]).astype(np.float32)
    submitted = dict(zip(group_keys, members.sum(axis=1).astype(np.int64).tolist(), strict=True))
    answer_counts = _CellCounts(data, questionnaire)
    group_totals = answer_counts.for_groups(every_group)
    item_counts = dict(zip(group_keys, answer_counts.as_tables(group_totals), strict=True))
    names = list(respondent_scores)
    scored = np.stack([~np.isnan(respondent_scores[name]) for name in names]).astype(np.float32)
    per_name = np.rint(scored @ members.T).astype(np.int64).tolist()
    cell_counts: dict[str, dict[str, int]] = {
        name: dict(zip(group_keys, counts, strict=True))
        for name, counts in zip(names, per_name, strict=True)
    }
    answers_per_item = group_totals.sum(axis=2).T.tolist()  # items x groups
    for item, numbers in zip(item_ids, answers_per_item, strict=True):
        cell_counts[item] = dict(zip(group_keys, numbers, strict=True))
    statuses = _decide_statuses(structure, threshold, submitted, cell_counts)

    dimension_items = {d.id: [item.id for item in d.items] for d in dimensions}
    level_labels = _level_labels(questionnaire)
    summaries: dict[str, dict[str, GroupSummary]] = {}
    results_by_breakdown: dict[str, list[GroupResult]] = {}
    shown_keys = [key for listed in structure.breakdowns.values() for key in listed]
    shown_members = Memberships.of(np.stack([structure.groups[key].mask for key in shown_keys]))
    described = {
        name: dict(zip(shown_keys, describe_groups(values, shown_members), strict=True))
        for name, values in respondent_scores.items()
    }
    unanswered = _Unanswered(data, questionnaire, threshold)
    for breakdown, keys in structure.breakdowns.items():
        inputs = {
            key: GroupInput(
                submitted[key],
                {name: by_group[key] for name, by_group in described.items()},
                item_counts[key],
            )
            for key in keys
        }
        hidden = {
            key: [
                name for name, cells in statuses.cells.items() if cells[key] is not GroupStatus.OK
            ]
            for key in keys
        }
        summaries[breakdown] = summarise_with_statuses(
            inputs,
            {key: statuses.groups[key] for key in keys},
            scale_min=questionnaire.scale.min,
            scale_max=questionnaire.scale.max,
            dimension_items=dimension_items,
            hidden_cells=hidden,
        )
        if summaries_into is not None:
            continue
        results_by_breakdown[breakdown] = [
            _group_result(
                structure.groups[key],
                summaries[breakdown][key],
                statuses,
                questionnaire,
                kinds,
                level_labels,
                unanswered,
            )
            for key in keys
        ]

    if summaries_into is not None:
        summaries_into.update(summaries)
        return None
    organization = results_by_breakdown["organization"][0]
    dimension_ids = [d.id for d in dimensions]
    rest: dict[str, dict[str, GroupStats]] = {}
    organization_moments = {d: Moments.from_values(scores[d]) for d in dimension_ids}
    for key in structure.breakdowns.get("department", []):
        if statuses.groups[key] is not GroupStatus.OK:
            continue
        mask = structure.groups[key].mask
        rest[key.removeprefix("dept:")] = {
            d: rest_of_organization(organization_moments[d], Moments.from_values(scores[d][mask]))
            for d in dimension_ids
        }
    gap_results = _gaps(structure, summaries, data.roles, dimension_ids, rest, labels, common)
    trend_results = (
        _trends(summaries, previous, structure, questionnaire, trend_basis) if previous else []
    )
    reliability = _reliability(questionnaire, data, answer_counts, organization.shown, threshold)
    targets = _targets(campaign, organization, trend_results)

    def cells_of(breakdown: str, dimension_id: str) -> dict[Any, ScoreCell]:
        found: dict[Any, ScoreCell] = {}
        for group in results_by_breakdown.get(breakdown, []):
            cell = group.scores.get(dimension_id) or ScoreCell(
                dimension_id,
                STATUS_SUPPRESSED if group.status == STATUS_SUPPRESSED else STATUS_NO_DATA,
                None if group.status == STATUS_SUPPRESSED else 0,
            )
            key = group.key
            if breakdown == "role":
                found[key["role"]] = cell
            elif breakdown == "department":
                found[key["department"]] = cell
            else:
                found[(key["department"], key["role"])] = cell
        return found

    dimension_results = []
    for dimension in dimensions:
        cell = organization.scores.get(dimension.id) or ScoreCell(dimension.id, STATUS_SUPPRESSED)
        recommendation = None
        if recommendations is not None and cell.level is not None:
            actions = recommendations.for_level(dimension.id, cell.level)
            if actions:
                recommendation = Recommendation(dimension.id, cell.level, actions)
        dimension_results.append(
            DimensionResult(
                id=dimension.id,
                kind=dimension.kind,
                title=dimension.title.to_dict(),
                description=None
                if dimension.description is None
                else dimension.description.to_dict(),
                items=tuple(item.id for item in dimension.items),
                organization=cell,
                by_role=cells_of("role", dimension.id),
                by_department=cells_of("department", dimension.id),
                by_role_department=cells_of("role_department", dimension.id),
                reliability=reliability[dimension.id],
                target=targets.targets.get(dimension.id),
                shortfall=targets.shortfalls.get(dimension.id),
                recommendation=recommendation,
            )
        )

    balance = {}
    for kind in kinds:
        current = {
            d.id: organization.scores[d.id].mean
            for d in questionnaire.dimensions_of_kind(kind)
            if d.id in organization.scores
        }
        spread = capability_balance(current)
        balance[kind] = Balance(kind, spread.spread, spread.weakest, spread.strongest)

    # Only stages shown at organisation level take part; the verdict needs the threshold.
    bottleneck = stage_bottleneck(
        {
            d.id: scores[d.id]
            for d in questionnaire.dimensions_of_kind("stage")
            if d.id in organization.scores and organization.scores[d.id].shown
        },
        threshold,
    )
    item_gaps = _item_gaps(questionnaire, data.roles, results_by_breakdown.get("role", []))
    diagnosis = diagnose(
        rules,
        organisation_facts(
            questionnaire,
            organization,
            reliability,
            gap_results,
            trend_results,
            item_gaps,
            targets.targets,
            results_by_breakdown.get("role", []),
            bottleneck,
        ),
    )
    department_diagnoses = {}
    stage_ids = [d.id for d in questionnaire.dimensions_of_kind("stage")]
    for group in results_by_breakdown.get("department", []):
        if not group.shown:
            continue
        mask = structure.groups[_dept_key(group.key["department"])].mask
        department_bottleneck = stage_bottleneck(
            {d: scores[d][mask] for d in stage_ids if d in group.scores and group.scores[d].shown},
            threshold,
        )
        department_id = group.key["department"]
        department_diagnoses[department_id] = diagnose(
            rules,
            department_facts(
                questionnaire,
                group,
                gap_results,
                trend_results,
                targets.targets,
                results_by_breakdown.get("role_department", []),
                department_bottleneck,
            ),
            department_id,
        )

    return CampaignResults(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        campaign_name_en=campaign.name_en,
        organization_id=campaign.organization_id,
        organization_name=campaign.organization_name,
        organization_name_en=campaign.organization_name_en,
        departments_without_english=_without_english(
            data, results_by_breakdown.get("department", [])
        ),
        status=campaign.status,
        anonymity_threshold=threshold,
        open_text_minimum=open_text_minimum(threshold, campaign.comment_minimum),
        questionnaire=QuestionnaireInfo(
            id=questionnaire.id,
            version=questionnaire.version,
            hash=questionnaire.content_hash,
            title=questionnaire.title.to_dict(),
            locales=questionnaire.locales,
            scale_min=questionnaire.scale.min,
            scale_max=questionnaire.scale.max,
            scale_labels={point: text.to_dict() for point, text in questionnaire.scale.labels},
        ),
        kinds=kinds,
        dimensions=tuple(dimension_results),
        organization=organization,
        by_role=tuple(results_by_breakdown.get("role", [])),
        by_department=tuple(results_by_breakdown.get("department", [])),
        by_role_department=tuple(results_by_breakdown.get("role_department", [])),
        gaps=tuple(gap_results),
        item_gaps=item_gaps,
        diagnosis=diagnosis,
        department_diagnoses=department_diagnoses,
        trends=tuple(trend_results),
        previous=previous,
        balance=balance,
        targets=targets,
        findings=diagnosis.findings,
        bottleneck=bottleneck,
        response_counts=_response_counts(data, structure),
        suppressed_cells=tuple(
            _suppressed_cells(
                structure, statuses, submitted, cell_counts, threshold, kinds, questionnaire
            )
        ),
        computed_at=computed_at,
        data_version=data_version,
        locale=locale,
        summaries=summaries,
        trend_comparability=()
        if previous is None
        else _comparability(questionnaire, previous, trend_basis),
    )
