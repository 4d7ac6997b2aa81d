"""From a campaign's results object to what the organisation and department reports show.

Every number comes from :class:`~app.results.model.CampaignResults`; this module only picks,
orders, words and charts them. Groups and cells that the anonymity rules withhold are never
given a number here: they are either left out or listed by name as "not shown".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from app.analysis import Moments, maturity_level
from app.models import Campaign, Department, utcnow
from app.presentation import charts, formatting
from app.presentation.charts import ScaleSpec, Series
from app.reporting.errors import ReportUnavailableError
from app.reporting.methodology import methodology_html
from app.reporting.viewmodel import (
    Card,
    CompanionInfo,
    Cover,
    DepartmentCell,
    DepartmentsSection,
    DimensionView,
    GapRow,
    GapsSection,
    GroupScore,
    Highlight,
    ItemRow,
    KindSection,
    Level,
    Methods,
    Recommendation,
    ReportView,
    Summary,
    SuppressedGroup,
    TocEntry,
    TrendRow,
    TrendSection,
    gap_row,
)

if TYPE_CHECKING:
    from app.questionnaire import Questionnaire
    from app.results.model import (
        CampaignResults,
        DimensionResult,
        GapResult,
        GroupResult,
        ScoreCell,
    )

OK = "ok"
SUPPRESSED = "suppressed"
#: How many gaps the gap chart shows, and how many strengths and priorities the summary names.
CHART_GAPS = 8
HIGHLIGHTS = 3
GAP_SENTENCES = 3
#: Statements per dimension whose next level is spelled out.
RECOMMENDED_ITEMS = 3


@dataclass(frozen=True)
class _Scope:
    """Whose report this is: the organisation, or one department against the organisation."""

    group: GroupResult
    department_id: int | None

    @property
    def is_department(self) -> bool:
        return self.department_id is not None


class _Builder:
    """Builds one report's view from the results object (one builder per report)."""

    def __init__(
        self,
        results: CampaignResults,
        campaign: Campaign,
        questionnaire: Questionnaire,
        locale: str,
        department: Department | None,
        companion: tuple[CampaignResults, Campaign] | None = None,
    ) -> None:
        self.results = results
        self.campaign = campaign
        self.department = department
        #: The companion campaign's results and campaign, whose other kind the report adds.
        self.companion = companion
        self.questionnaire = questionnaire
        self.locale = locale
        self.scale = ScaleSpec(
            results.questionnaire.scale_min,
            results.questionnaire.scale_max,
            tuple(
                self.text(results.questionnaire.scale_labels[p])
                for p in range(results.questionnaire.scale_min, results.questionnaire.scale_max + 1)
            ),
        )
        self.role_ranks = {group.key["role"]: rank for rank, group in enumerate(results.by_role)}
        self.role_labels = {group.key["role"]: self.text(group.label) for group in results.by_role}
        self.scope = self._scope(department)
        self.numbering = _Numbering()

    # Helpers ------------------------------------------------------------------------------

    def text(self, value: Any) -> str:
        return self.results.text(value, self.locale)

    def _scope(self, department: Department | None) -> _Scope:
        if department is None:
            if not self.results.organization.shown:
                raise ReportUnavailableError(
                    _(
                        "The campaign has fewer submitted responses than its anonymity "
                        "threshold (%(threshold)s): no report can be produced yet.",
                        threshold=self.results.anonymity_threshold,
                    )
                )
            return _Scope(self.results.organization, None)
        try:
            group = self.results.group("department", department=department.id)
        except KeyError:
            raise ReportUnavailableError(
                _("%(department)s has no responses in this campaign.", department=department.name)
            ) from None
        if not group.shown:
            raise ReportUnavailableError(
                _(
                    "%(department)s has fewer submitted responses than the anonymity threshold "
                    "(%(threshold)s), or is hidden so that a smaller group cannot be worked "
                    "out: it has no report of its own.",
                    department=department.name,
                    threshold=self.results.anonymity_threshold,
                )
            )
        return _Scope(group, department.id)

    def level(self, cell: ScoreCell | None) -> Level:
        if cell is None or not cell.shown:
            return Level(None, None, _("Not shown"), None)
        return Level(cell.mean, cell.level, self.text(cell.level_label), cell.n)

    def kind_title(self, kind: str) -> str:
        return _("The five capabilities") if kind == "capability" else _("The CX improvement cycle")

    def kind_lead(self, kind: str) -> str:
        if kind == "capability":
            return _(
                "Maturity of the five capabilities of CX management, and how evenly they are "
                "developed: the weakest capability often limits what the others can deliver."
            )
        return _(
            "How far each stage of the CX improvement cycle is practised: the cycle moves only "
            "as fast as its weakest stage."
        )

    def role_series(
        self, values_of: Callable[[GroupResult], tuple[float | None, ...]]
    ) -> list[Series]:
        """One chart series per shown role of the scope, in its fixed colour."""
        series = []
        for group in self.role_groups():
            values = values_of(group)
            if all(value is None for value in values):
                continue
            role = group.key["role"]
            series.append(
                Series(
                    self.role_labels[role],
                    values,
                    charts.role_color(role, self.role_ranks[role]),
                    n=group.n,
                )
            )
        return series

    def role_groups(self) -> list[GroupResult]:
        """The shown roles of the report's scope (within the department for a department)."""
        if not self.scope.is_department:
            return [group for group in self.results.by_role if group.shown]
        found = []
        for group in self.results.by_role_department:
            if group.key.get("department") == self.scope.department_id and group.shown:
                found.append(group)
        return found

    def shown_departments(self) -> list[GroupResult]:
        return [g for g in self.results.by_department if g.shown]

    def hidden_departments(self) -> list[str]:
        return [self.text(g.label) for g in self.results.by_department if g.status == SUPPRESSED]

    @staticmethod
    def mean_of(group: GroupResult, dimension_id: str) -> float | None:
        cell = group.scores.get(dimension_id)
        return cell.mean if cell is not None and cell.shown else None

    def department_cells(
        self, group: GroupResult, dimensions: Sequence[DimensionResult]
    ) -> tuple[DepartmentCell, ...]:
        """A shown group's score per dimension, withheld cells marked (they are not "no data")."""
        cells = []
        for dimension in dimensions:
            cell = group.scores.get(dimension.id)
            withheld = cell is not None and cell.status == SUPPRESSED
            cells.append(DepartmentCell(self.mean_of(group, dimension.id), suppressed=withheld))
        return tuple(cells)

    # Sections -----------------------------------------------------------------------------

    def cover(self) -> Cover:
        counts = self.results.response_counts.total
        if self.scope.is_department:
            for row in self.results.response_counts.by_department:
                if row.key.get("department") == self.scope.department_id:
                    counts = row
        campaign = self.campaign
        return Cover(
            organization=self.results.organization_name,
            campaign=self.results.campaign_name,
            questionnaire=self.text(self.results.questionnaire.title),
            scope=self.text(self.scope.group.label) if self.scope.is_department else None,
            opens_at=campaign.opens_at or campaign.opened_at,
            closes_at=campaign.closes_at or campaign.closed_at,
            generated_at=utcnow(),
            status=self.results.status,
            invited=counts.invited,
            submitted=counts.submitted,
            response_rate=counts.response_rate,
            threshold=self.results.anonymity_threshold,
        )

    def kind_chart(self, kind: str, dimensions: Sequence[DimensionResult]) -> str | None:
        titles = [self.text(d.title) for d in dimensions]
        ids = [d.id for d in dimensions]
        scope = self.scope.group
        series: list[Series] = []
        if self.scope.is_department:
            series.append(
                Series(
                    self.text(scope.label),
                    tuple(self.mean_of(scope, i) for i in ids),
                    charts.ORGANIZATION_COLOR,
                    n=scope.n,
                    fill=True,
                    linewidth=2.4,
                )
            )
            organization = self.results.organization
            series.append(
                Series(
                    _("Whole organisation"),
                    tuple(self.mean_of(organization, i) for i in ids),
                    charts.PREVIOUS_COLOR,
                    n=organization.n,
                    linestyle="dashed",
                    linewidth=1.4,
                )
            )
        else:
            series.append(
                Series(
                    _("Whole organisation"),
                    tuple(self.mean_of(scope, i) for i in ids),
                    charts.ORGANIZATION_COLOR,
                    n=scope.n,
                    fill=True,
                    linewidth=2.4,
                )
            )
        series += self.role_series(lambda group: tuple(self.mean_of(group, i) for i in ids))
        targets = tuple(d.target for d in dimensions)
        if any(target is not None for target in targets):
            series.append(
                Series(_("Target"), targets, charts.TARGET_COLOR, linestyle="dashed", linewidth=1.2)
            )
        if all(value is None for value in series[0].values):
            return None
        if kind == "capability" and len(dimensions) >= 3:
            return charts.svg_data_uri(charts.radar_chart(titles, series, self.scale))
        weakest = self.results.balance.get(kind)
        highlight = None
        if weakest is not None and weakest.weakest in ids and not self.scope.is_department:
            highlight = ids.index(weakest.weakest)
        svg = charts.bar_chart(
            titles, series, self.scale, highlight=highlight, highlight_label=_("Bottleneck")
        )
        return charts.svg_data_uri(svg)

    def item_rows(self, dimension: DimensionResult, number: str) -> tuple[ItemRow, ...]:
        rows = []
        for index, item_id in enumerate(dimension.items, start=1):
            item = self.questionnaire.item(item_id)
            cell = self.scope.group.distributions.get(item_id)
            shown = cell is not None and cell.status == OK and bool(cell.n)
            mean = None
            if shown:
                # The item mean comes from the item's own answer counts, reverse coded.
                scored = {
                    self.questionnaire.scored_value(item_id, point): count
                    for point, count in zip(cell.points, cell.counts, strict=True)
                }
                mean = Moments.from_counts(scored).mean
            rows.append(
                ItemRow(
                    id=item_id,
                    number=f"{number}.{index}",
                    text=self.questionnaire.text(item.text, self.locale),
                    n=cell.n if shown else 0,
                    mean=mean,
                    proportions=cell.proportions if shown else None,
                    reverse=item.reverse,
                )
            )
        return tuple(rows)

    def distribution_chart(self, items: Sequence[ItemRow]) -> str | None:
        rows = [
            charts.DistributionRow(item.number, item.proportions, item.n)
            for item in items
            if item.proportions is not None
        ]
        if not rows:
            return None
        # Numbers only: the statements and percentages are in the table beside the chart.
        svg = charts.distribution_chart(rows, self.scale, show_values=False)
        return charts.svg_data_uri(svg)

    def recommendations(self, items: Sequence[ItemRow]) -> tuple[Recommendation, ...]:
        """What the next level looks like for the least established statements."""
        scored = sorted(
            (item for item in items if item.mean is not None), key=lambda i: (i.mean, i.number)
        )
        found = []
        for item in scored[:RECOMMENDED_ITEMS]:
            level = maturity_level(item.mean, self.scale.min, self.scale.max)
            if level is None or level >= self.scale.max:
                continue
            descriptor = self.questionnaire.item(item.id).level(
                level + 1, self.locale, self.questionnaire.default_locale
            )
            if descriptor:
                found.append(Recommendation(item.text, level, level + 1, descriptor))
        return tuple(found)

    def group_scores(
        self,
        groups: Sequence[GroupResult],
        dimension_id: str,
        label_of: Callable[[GroupResult], str],
        color_of: Callable[[GroupResult], str | None],
        reference: float | None = None,
    ) -> tuple[list[GroupScore], list[str]]:
        shown: list[GroupScore] = []
        hidden: list[str] = []
        for group in groups:
            cell = group.scores.get(dimension_id)
            if group.status == SUPPRESSED or (cell is not None and cell.status == SUPPRESSED):
                hidden.append(label_of(group))
                continue
            if not group.shown or cell is None or not cell.shown:
                continue
            shown.append(
                GroupScore(
                    key=str(group.key),
                    label=label_of(group),
                    n=cell.n or 0,
                    mean=cell.mean,
                    sd=cell.sd,
                    level=cell.level,
                    agreement=cell.agreement,
                    difference=None
                    if reference is None or cell.mean is None
                    else cell.mean - reference,
                    color=color_of(group),
                )
            )
        return shown, hidden

    def dimension_view(
        self, dimension: DimensionResult, number: str, distribution: bool = True
    ) -> DimensionView:
        cell = self.scope.group.scores.get(dimension.id)
        level = self.level(cell)
        organization_cell = self.results.organization.scores.get(dimension.id)
        reference = None
        if self.scope.is_department and organization_cell is not None and organization_cell.shown:
            reference = organization_cell.mean
        if self.scope.is_department:
            role_groups = [
                g
                for g in self.results.by_role_department
                if g.key.get("department") == self.scope.department_id
            ]
        else:
            role_groups = list(self.results.by_role)
        roles, hidden_roles = self.group_scores(
            role_groups,
            dimension.id,
            lambda g: self.role_labels[g.key["role"]],
            lambda g: charts.role_color(g.key["role"], self.role_ranks[g.key["role"]]),
        )
        departments: list[GroupScore] = []
        hidden_departments: list[str] = []
        if not self.scope.is_department:
            org_mean = organization_cell.mean if organization_cell is not None else None
            departments, hidden_departments = self.group_scores(
                self.results.by_department,
                dimension.id,
                lambda g: self.text(g.label),
                lambda g: None,
                reference=org_mean,
            )
        items = self.item_rows(dimension, number)
        shown = cell is not None and cell.shown
        return DimensionView(
            id=dimension.id,
            kind=dimension.kind,
            number=number,
            anchor=f"dim-{dimension.id}",
            title=self.text(dimension.title),
            description=self.text(dimension.description) if dimension.description else None,
            score=level,
            sd=cell.sd if shown else None,
            ci_low=cell.ci_low if shown else None,
            ci_high=cell.ci_high if shown else None,
            agreement=cell.agreement if shown else None,
            alpha=dimension.reliability.alpha,
            target=dimension.target,
            reference=reference,
            roles=tuple(roles),
            departments=tuple(departments),
            hidden_groups=tuple(hidden_roles + hidden_departments),
            items=items,
            distribution_chart=self.distribution_chart(items) if distribution else None,
            recommendations=self.recommendations(items),
            advice=self.text(dimension.recommendation.text)
            if dimension.recommendation is not None and not self.scope.is_department
            else None,
        )

    def kind_sections(
        self, kinds: Sequence[str] | None = None, *, detail: bool = True
    ) -> list[KindSection]:
        """One section per kind (all of the campaign's kinds by default); ``detail=False``
        leaves out the answer distribution charts, which only the dimension pages show."""
        sections = []
        for kind in self.results.kinds if kinds is None else kinds:
            dimensions = self.results.dimensions_of_kind(kind)
            if not dimensions:
                continue
            number = self.numbering.next()
            views = tuple(
                self.dimension_view(d, f"{int(number)}.{i}", distribution=detail)
                for i, d in enumerate(dimensions, start=1)
            )
            bottleneck = None
            actions: tuple[str, ...] = ()
            if kind == "stage":
                weakest = self._weakest(kind, views)
                if weakest is not None:
                    bottleneck = weakest
                    actions = tuple(a for a in (weakest.advice,) if a) + tuple(
                        rec.descriptor for rec in weakest.recommendations[:3]
                    )
            sections.append(
                KindSection(
                    kind=kind,
                    number=number,
                    anchor=f"kind-{kind}",
                    title=self.kind_title(kind),
                    lead=self.kind_lead(kind),
                    overall=self.level(self.scope.group.overall.get(kind)),
                    chart=self.kind_chart(kind, dimensions),
                    dimensions=views,
                    role_labels=tuple(self.role_labels[g.key["role"]] for g in self.role_groups()),
                    bottleneck=bottleneck,
                    actions=actions,
                )
            )
        return sections

    def companion_sections(self) -> list[KindSection]:
        """The companion campaign's sections of the kinds this campaign does not ask about.

        They are built by a builder of their own over the companion's results object (its
        anonymity threshold already applied), for the same scope: the whole organisation, or
        the same department when the companion shows it. Chapter numbers continue this
        report's.
        """
        if self.companion is None:
            return []
        results, campaign = self.companion
        kinds = [kind for kind in results.kinds if kind not in self.results.kinds]
        if not kinds or results.organization_id != self.results.organization_id:
            return []
        try:
            other = _Builder(
                results, campaign, campaign.questionnaire, self.locale, self.department
            )
        except ReportUnavailableError:
            # The companion does not show this scope (too few responses): nothing of it here.
            return []
        other.numbering = self.numbering
        if other.scope.is_department:
            roles = [
                g
                for g in results.by_role_department
                if g.key.get("department") == other.scope.department_id
            ]
        else:
            roles = list(results.by_role)
        info = CompanionInfo(
            campaign=results.campaign_name,
            questionnaire=other.text(results.questionnaire.title),
            n=other.scope.group.n or 0,
            threshold=results.anonymity_threshold,
            hidden=tuple(
                other.role_labels.get(g.key["role"], other.text(g.label))
                for g in roles
                if g.status == SUPPRESSED
            ),
        )
        sections = other.kind_sections(kinds, detail=False)
        return [replace(section, companion=info) for section in sections]

    def companion_findings(self) -> tuple[str, ...]:
        """The companion campaign's findings (its rules over its own shown figures)."""
        if self.companion is None or self.scope.is_department:
            return ()
        results, _campaign = self.companion
        return tuple(results.text(f.text, self.locale) for f in results.findings)

    def _weakest(self, kind: str, views: Sequence[DimensionView]) -> DimensionView | None:
        if not self.scope.is_department:
            balance = self.results.balance.get(kind)
            if balance is None or balance.weakest is None:
                return None
            return next((v for v in views if v.id == balance.weakest), None)
        scored = [v for v in views if v.score.mean is not None]
        return min(scored, key=lambda v: v.score.mean) if scored else None

    def highlights(
        self, sections: Sequence[KindSection]
    ) -> tuple[list[Highlight], list[Highlight]]:
        """The most and least established practices (items) of the report's scope."""
        ranked: list[tuple[float, ItemRow, DimensionView]] = []
        for section in sections:
            for view in section.dimensions:
                for item in view.items:
                    if item.mean is not None:
                        ranked.append((item.mean, item, view))
        ranked.sort(key=lambda entry: (-entry[0], entry[1].number))
        top = ranked[:HIGHLIGHTS]
        bottom = sorted(ranked[-HIGHLIGHTS:], key=lambda entry: (entry[0], entry[1].number))
        bottom = [entry for entry in bottom if entry not in top]

        def highlight(entry: tuple[float, ItemRow, DimensionView], step: int) -> Highlight:
            mean, item, view = entry
            level = maturity_level(mean, self.scale.min, self.scale.max)
            descriptor = None
            if level is not None and self.scale.min <= level + step <= self.scale.max:
                descriptor = self.questionnaire.item(item.id).level(
                    level + step, self.locale, self.questionnaire.default_locale
                )
            return Highlight(item.text, mean, f"{item.number} {view.title}", descriptor)

        return [highlight(e, 0) for e in top], [highlight(e, 1) for e in bottom]

    def gap_row(self, gap: GapResult) -> GapRow:
        return gap_row(gap, self.text, self.text(self.results.dimension(gap.dimension).title))

    def scope_role_gaps(self) -> list[GapResult]:
        if not self.scope.is_department:
            gaps = self.results.gaps_of("role")
        else:
            gaps = tuple(
                g
                for g in self.results.gaps_of("role_department")
                if g.a.get("department") == self.scope.department_id
            )
        return sorted(gaps, key=lambda g: (-abs(g.difference), g.dimension))

    def gap_sentences(self, gaps: Sequence[GapResult]) -> tuple[str, ...]:
        sentences = []
        for gap in [g for g in gaps if g.notable][:GAP_SENTENCES]:
            higher, lower = (
                (gap.a_label, gap.b_label)
                if gap.difference > 0
                else (
                    gap.b_label,
                    gap.a_label,
                )
            )
            sentences.append(
                _(
                    "%(dimension)s is rated %(difference)s points higher by %(higher)s than "
                    "by %(lower)s (%(reading)s).",
                    higher=self.text(higher),
                    lower=self.text(lower),
                    dimension=self.text(self.results.dimension(gap.dimension).title),
                    difference=f"{abs(gap.difference):.2f}",
                    reading=self.text(gap.direction_label),
                )
            )
        return tuple(sentences)

    def gaps_section(self, role_gaps: Sequence[GapResult]) -> GapsSection | None:
        department_gaps: list[GapResult] = []
        if self.scope.is_department:
            department_gaps = [
                g
                for g in self.results.gaps_of("department")
                if g.a.get("department") == self.scope.department_id
            ]
        else:
            department_gaps = [g for g in self.results.gaps_of("department") if g.notable]
        if not role_gaps and not department_gaps:
            return None
        rows = tuple(self.gap_row(g) for g in role_gaps)
        chart = None
        if role_gaps:
            bars = [
                charts.GapBar(
                    f"{row.dimension}: {row.pair}", row.difference, row.notable, row.significant
                )
                for row in rows[:CHART_GAPS]
            ]
            chart = charts.svg_data_uri(
                charts.gap_chart(
                    bars,
                    left_caption=_("lower role rates higher"),
                    right_caption=_("higher role rates higher"),
                )
            )
        department_rows = tuple(
            self.gap_row(g)
            for g in sorted(department_gaps, key=lambda g: (-abs(g.difference), g.dimension))
        )
        return GapsSection(
            number=self.numbering.next(),
            anchor="gaps",
            chart=chart,
            rows=rows,
            blind_spots=tuple(r for r in rows if r.direction == "blind_spot_at_the_top"),
            hidden_strengths=tuple(r for r in rows if r.direction == "hidden_strength_below"),
            department_rows=department_rows,
        )

    def departments_section(self) -> DepartmentsSection | None:
        if self.scope.is_department:
            return None
        groups = [g for g in self.results.by_department if g.status in (OK, SUPPRESSED)]
        if not groups:
            return None
        dimensions = self.results.dimensions
        organization = self.results.organization
        org_means = [self.mean_of(organization, d.id) for d in dimensions]
        heat_rows = []
        for group in groups:
            label = _indent(self.text(group.label), group.depth)
            if not group.shown:
                heat_rows.append(charts.HeatmapRow(label, suppressed=True))
                continue
            values = []
            for dimension, org_mean in zip(dimensions, org_means, strict=True):
                mean = self.mean_of(group, dimension.id)
                values.append(None if mean is None or org_mean is None else mean - org_mean)
            withheld = frozenset(
                column
                for column, cell in enumerate(self.department_cells(group, dimensions))
                if cell.suppressed
            )
            heat_rows.append(charts.HeatmapRow(label, tuple(values), withheld=withheld))
        titles = [self.text(d.title) for d in dimensions]
        heatmap = charts.svg_data_uri(
            charts.heatmap(heat_rows, titles, suppressed_label=_("suppressed"))
        )
        kind = self.results.kinds[0]
        rows = []
        overall = organization.overall.get(kind)
        rows.append(
            (
                GroupScore(
                    "organization",
                    _("Whole organisation"),
                    organization.n or 0,
                    overall.mean if overall is not None and overall.shown else None,
                ),
                self.department_cells(organization, dimensions),
            )
        )
        panels = []
        for group in self.shown_departments():
            cell = group.overall.get(kind)
            label = _indent(self.text(group.label), group.depth)
            rows.append(
                (
                    GroupScore(
                        str(group.key),
                        label,
                        group.n or 0,
                        cell.mean if cell is not None and cell.shown else None,
                    ),
                    self.department_cells(group, dimensions),
                )
            )
            panels.append(
                charts.Panel(
                    f"{self.text(group.label)} (n={group.n})",
                    (
                        Series(
                            self.text(group.label),
                            tuple(self.mean_of(group, d.id) for d in dimensions),
                            charts.OKABE_ITO[1],
                        ),
                        Series(
                            _("Whole organisation"),
                            tuple(org_means),
                            charts.PREVIOUS_COLOR,
                            linestyle="dashed",
                            linewidth=1.0,
                        ),
                    ),
                )
            )
        small = None
        if panels and len(dimensions) >= 3:
            small = charts.svg_data_uri(charts.radar_small_multiples(titles, panels, self.scale))
        return DepartmentsSection(
            number=self.numbering.next(),
            anchor="departments",
            heatmap=heatmap,
            small_multiples=small,
            dimensions=tuple(titles),
            rows=tuple(rows),
            hidden=tuple(self.hidden_departments()),
        )

    def trend_section(self) -> TrendSection | None:
        previous = self.results.previous
        if previous is None:
            return None
        if self.scope.is_department:
            trends = [
                t
                for t in self.results.trends
                if t.breakdown == "department"
                and t.key.get("department") == self.scope.department_id
            ]
        else:
            # Every dimension for the whole organisation; roles only where they moved notably,
            # so the table stays about what changed.
            trends = [
                t
                for t in self.results.trends
                if t.breakdown == "organization" or (t.breakdown == "role" and t.notable)
            ]
        if not trends:
            return None
        order = {d.id: i for i, d in enumerate(self.results.dimensions)}
        breakdown_order = {"organization": 0, "role": 1, "department": 2}
        trends.sort(
            key=lambda t: (
                breakdown_order.get(t.breakdown, 9),
                order[t.dimension],
                self.role_ranks.get(t.key.get("role"), 0),
            )
        )
        rows = tuple(
            TrendRow(
                dimension=self.text(self.results.dimension(t.dimension).title),
                group=_("Whole organisation")
                if t.breakdown == "organization"
                else self.text(t.label),
                previous=t.previous_mean,
                current=t.current_mean,
                change=t.change,
                hedges_g=t.hedges_g,
                p_adjusted=t.p_adjusted,
                significant=t.significant,
                notable=t.notable,
            )
            for t in trends
        )
        chart = self.trend_chart(trends)
        return TrendSection(
            number=self.numbering.next(),
            anchor="trend",
            previous_campaign=previous.campaign_name,
            chart=chart,
            rows=rows,
        )

    def trend_chart(self, trends: Sequence[Any]) -> str | None:
        top = "department" if self.scope.is_department else "organization"
        by_dimension = {t.dimension: t for t in trends if t.breakdown == top}
        dimensions = [d for d in self.results.dimensions if d.id in by_dimension]
        if len(dimensions) < 3:
            return None
        titles = [self.text(d.title) for d in dimensions]
        current = tuple(by_dimension[d.id].current_mean for d in dimensions)
        before = tuple(by_dimension[d.id].previous_mean for d in dimensions)
        first = by_dimension[dimensions[0].id]
        series = [
            Series(
                self.results.campaign_name,
                current,
                charts.ORGANIZATION_COLOR,
                n=first.n_current,
                fill=True,
                linewidth=2.4,
            ),
            Series(
                self.results.previous.campaign_name,
                before,
                charts.PREVIOUS_COLOR,
                n=first.n_previous,
                linestyle="dashed",
                linewidth=1.6,
            ),
        ]
        return charts.svg_data_uri(charts.radar_chart(titles, series, self.scale, label_width=14))

    def methods(self, companion_sections: Sequence[KindSection] = ()) -> Methods:
        counts = self.results.response_counts.total
        suppressed = []
        seen: set[tuple[str, str]] = set()
        breakdown_names = {
            "role": _("Role"),
            "department": _("Department"),
            "role_department": _("Role within department"),
            "organization": _("Organisation"),
        }
        for cell in self.results.suppressed_cells:
            if cell.level != "group":
                continue
            if self.scope.is_department and (
                cell.breakdown != "role_department"
                or cell.key.get("department") != self.scope.department_id
            ):
                continue
            entry = (breakdown_names.get(cell.breakdown, cell.breakdown), self.text(cell.label))
            if entry not in seen:
                seen.add(entry)
                suppressed.append(SuppressedGroup(*entry))
        reliability = tuple(
            (self.text(d.title), d.reliability.alpha, d.reliability.n)
            for d in self.results.dimensions
        )
        info = self.results.questionnaire
        return Methods(
            number=self.numbering.next(),
            anchor="methods",
            invited=counts.invited,
            submitted=counts.submitted,
            response_rate=counts.response_rate,
            threshold=self.results.anonymity_threshold,
            suppressed=tuple(suppressed),
            questionnaire_id=info.id,
            questionnaire_version=info.version,
            questionnaire_hash=info.hash,
            statistics=(
                _(
                    "Scores: the mean of respondents' dimension scores (each the weighted mean "
                    "of the statements they answered, when at least half were answered)."
                ),
                _(
                    "Spread and precision: standard deviation and %(level)s confidence "
                    "interval (Student's t).",
                    level="95%",
                ),
                _(
                    "Agreement within a group: r_wg(j); reliability of a dimension: Cronbach's "
                    "alpha."
                ),
                _(
                    "Perception gaps: difference of means, Hedges' g and Welch's t-test with "
                    "Holm's adjustment within each breakdown; notable from half a scale point."
                ),
                _(
                    "Departments are compared with the rest of the organisation; a department "
                    "includes its sub-departments."
                ),
                *self.companion_statistics(companion_sections),
            ),
            methodology=methodology_html(self.locale),
            reliability=reliability,
        )

    @staticmethod
    def companion_statistics(companion_sections: Sequence[KindSection]) -> tuple[str, ...]:
        infos = {s.companion.campaign: s.companion for s in companion_sections if s.companion}
        return tuple(
            _(
                "Companion campaign %(campaign)s: its chapter is taken from its own results, "
                "with its own anonymity threshold (%(threshold)s); its groups below that "
                "threshold are not shown.",
                campaign=info.campaign,
                threshold=info.threshold,
            )
            for info in infos.values()
        )

    def build(self) -> ReportView:
        sections = self.kind_sections()
        companion_sections = self.companion_sections()
        role_gaps = self.scope_role_gaps()
        gaps = self.gaps_section(role_gaps)
        departments = self.departments_section()
        trend = self.trend_section()
        summary = self.summary(sections, role_gaps, companion_sections)
        methods = self.methods(companion_sections)
        toc = [TocEntry("summary", "01", _("Executive summary"))]
        for section in sections:
            toc.append(
                TocEntry(
                    section.anchor,
                    section.number,
                    section.title,
                    tuple(
                        TocEntry(v.anchor, v.number, f"{v.number} {v.title}")
                        for v in section.dimensions
                    ),
                )
            )
        for section in companion_sections:
            toc.append(TocEntry(section.anchor, section.number, section.title))
        if gaps:
            toc.append(TocEntry(gaps.anchor, gaps.number, _("Perception gaps")))
        if departments:
            toc.append(TocEntry(departments.anchor, departments.number, _("Department comparison")))
        if trend:
            toc.append(TocEntry(trend.anchor, trend.number, _("Trend since the previous round")))
        toc.append(TocEntry(methods.anchor, methods.number, _("Appendix: methods")))
        cover = self.cover()
        title = (
            _("CX maturity diagnostic report: %(scope)s", scope=cover.scope)
            if cover.scope
            else _(
                "CX maturity diagnostic report: %(organization)s", organization=cover.organization
            )
        )
        return ReportView(
            kind="department" if self.scope.is_department else "organization",
            locale=self.locale,
            title=title,
            cover=cover,
            summary=summary,
            sections=tuple(sections),
            gaps=gaps,
            departments=departments,
            trend=trend,
            methods=methods,
            toc=tuple(toc),
            scale_labels=self.scale.labels,
            companion_sections=tuple(companion_sections),
        )

    def summary(
        self,
        sections: Sequence[KindSection],
        role_gaps: Sequence[GapResult],
        companion_sections: Sequence[KindSection] = (),
    ) -> Summary:
        overall = tuple((section.title, section.overall) for section in sections)
        companion_overall = tuple(
            (
                section.title,
                section.overall,
                _("Companion campaign: %(campaign)s", campaign=section.companion.campaign),
            )
            for section in companion_sections
            if section.companion is not None
        )
        strengths, priorities = self.highlights(sections)
        findings: tuple[str, ...] = ()
        if not self.scope.is_department:
            findings = tuple(self.text(f.text) for f in self.results.findings)
            findings += self.companion_findings()
        chart = sections[0].chart if sections else None
        caption = (
            _("Scores of the whole organisation and of each role")
            if not self.scope.is_department
            else _("The department against the whole organisation, and its roles")
        )
        progress = None
        if not self.scope.is_department and self.results.targets.targets:
            progress = self.results.targets.percent_to_target
        return Summary(
            overall=overall,
            cards=self.summary_cards(sections),
            chart=chart,
            chart_caption=caption,
            strengths=tuple(strengths),
            priorities=tuple(priorities),
            gap_sentences=self.gap_sentences(role_gaps),
            findings=findings,
            progress_to_target=progress,
            companion_overall=companion_overall,
        )

    def summary_cards(self, sections: Sequence[KindSection]) -> tuple[Card, ...]:
        """The headline figures: response rate, then the strongest and weakest dimension."""
        cover_counts = self.cover()
        cards = [
            Card(
                _("Response rate"),
                formatting.percent(cover_counts.response_rate),
                _(
                    "%(submitted)s of %(invited)s invited",
                    submitted=cover_counts.submitted,
                    invited=cover_counts.invited,
                ),
            )
        ]
        if sections:
            scored = [v for v in sections[0].dimensions if v.score.mean is not None]
            if len(scored) >= 2:
                ranked = sorted(scored, key=lambda v: (v.score.mean, v.number))
                cards.append(
                    Card(_("Strongest"), formatting.score(ranked[-1].score.mean), ranked[-1].title)
                )
                cards.append(
                    Card(_("Weakest"), formatting.score(ranked[0].score.mean), ranked[0].title)
                )
        return tuple(cards)


class _Numbering:
    """Chapter numbers 01, 02, ...; the executive summary is 01."""

    def __init__(self) -> None:
        self.current = 1

    def next(self) -> str:
        self.current += 1
        return f"{self.current:02d}"


def _indent(label: str, depth: int) -> str:
    return ("　" * depth + "└ " + label) if depth else label


def build_report_view(
    results: CampaignResults,
    campaign: Campaign,
    *,
    locale: str,
    department: Department | None = None,
    companion: tuple[CampaignResults, Campaign] | None = None,
) -> ReportView:
    """What the organisation report (or ``department``'s report) shows, in ``locale``.

    ``companion`` is the companion campaign's results object and campaign: its sections of
    the kind this campaign does not ask about are added after this campaign's own.
    """
    builder = _Builder(
        results, campaign, campaign.questionnaire, locale, department, companion=companion
    )
    return builder.build()
