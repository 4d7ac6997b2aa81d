"""What each dashboard page shows, built from the campaign's one results object.

Nothing here computes a statistic: means, levels, gaps, effect sizes, agreement, trends and
distributions are read from :class:`~app.results.model.CampaignResults`; this module only
picks, orders, formats, words and charts them. A group or cell the anonymity rules withhold
is carried as ``suppressed`` with no number at all, so a template cannot print one by mistake.
Every page model also gives its table as plain rows for the CSV download.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from app.dashboard.charts import TrendLine, cached_chart, trend_chart, trend_color
from app.presentation import charts
from app.presentation.actions import ActionView, action_views
from app.presentation.charts import LegendKey, Series
from app.presentation.dont_know import DontKnowRow, dont_know_rows
from app.presentation.formatting import p_value, percent, score, signed
from app.presentation.gaps import GapRow, gap_row, gap_sentence
from app.presentation.item_gaps import ItemGapRow, item_gap_rows
from app.presentation.messages import MessageView, message_views
from app.presentation.trends import TrendRow, trend_row
from app.presentation.views import (
    ResultsView,
    Values,
    focus_series,
    kind_title,
    mean_of,
    target_series,
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
#: Largest perception gaps worded on the overview.
OVERVIEW_GAPS = 3
#: How many departments may be overlaid on one radar.
COMPARE_MIN, COMPARE_MAX = 2, 5
#: Heatmap colour buckets: upper bounds of |difference from the organisation|.
HEAT_STEPS = (0.1, 0.3, 0.6)
BLIND_SPOT = "blind_spot_at_the_top"
#: Rounds shown on the trend page, newest included.
MAX_ROUNDS = 6

Row = list[str]


@dataclass(frozen=True)
class Table:
    """A page's table as text cells: what the CSV download writes."""

    header: Row
    rows: list[Row]


@dataclass(frozen=True)
class Cell:
    """One figure as displayed; ``status`` other than ``ok`` means no number is given."""

    status: str
    mean: float | None = None
    n: int | None = None
    difference: float | None = None
    level_label: str = ""
    agreement: float | None = None

    @property
    def shown(self) -> bool:
        return self.status == OK

    @property
    def text(self) -> str:
        return score(self.mean) if self.shown else ""

    @property
    def heat(self) -> str:
        """The heatmap colour class, by bucket of the difference from the organisation."""
        if self.status == SUPPRESSED:
            return "heat-suppressed"
        if not self.shown or self.difference is None:
            return "heat-none"
        size = abs(self.difference)
        step = sum(1 for bound in HEAT_STEPS if size >= bound)
        if step == 0:
            return "heat-0"
        return f"heat-{'p' if self.difference > 0 else 'n'}{step}"


@dataclass(frozen=True)
class Dim:
    id: str
    kind: str
    title: str


@dataclass(frozen=True)
class GroupRow:
    key: str
    label: str
    status: str
    n: int | None
    depth: int = 0
    cells: tuple[Cell, ...] = ()
    overall: tuple[Cell, ...] = ()
    department_id: int | None = None

    @property
    def shown(self) -> bool:
        return self.status == OK


@dataclass(frozen=True)
class Chart:
    uri: str
    alt: str
    #: The chart's legend, written by the page in HTML so that its text keeps a readable
    #: size however far the chart is scaled down (empty: the chart draws its own).
    legend: tuple[LegendKey, ...] = ()
    #: The answer scale's points and their names, for the note under a radar's legend.
    scale_key: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class KindSummary:
    kind: str
    title: str
    overall: Cell
    dimensions: tuple[tuple[Dim, Cell], ...]
    chart: Chart | None


@dataclass(frozen=True)
class Counts:
    invited: int
    submitted: int
    rate: float | None


class Builder(ResultsView):
    """Reads one results object in one language; shared by every page."""

    def __init__(self, results: CampaignResults, questionnaire: Questionnaire, locale: str):
        super().__init__(results, locale)
        self.questionnaire = questionnaire
        self.dims = tuple(Dim(d.id, d.kind, self.text(d.title)) for d in results.dimensions)

    # Helpers ------------------------------------------------------------------------------

    def chart_key(self, name: str, *parts: object) -> tuple[object, ...]:
        return (self.results.campaign_id, self.results.data_version, self.locale, name, parts)

    def cell(self, cell: ScoreCell | None, reference: ScoreCell | None = None) -> Cell:
        if cell is None:
            return Cell("no_data")
        if not cell.shown:
            return Cell(cell.status)
        difference = None
        if reference is not None and reference.shown and cell.mean is not None:
            difference = cell.mean - (reference.mean or 0.0)
        return Cell(
            OK,
            cell.mean,
            cell.n,
            difference,
            self.level_label(cell),
            cell.agreement,
        )

    def row(
        self, group: GroupResult, key: str, *, reference: GroupResult | None = None
    ) -> GroupRow:
        """A group's cells on every dimension; a withheld group gets no cells at all."""
        if not group.shown:
            return GroupRow(
                key,
                self.text(group.label),
                group.status,
                None,
                group.depth,
                department_id=group.key.get("department"),
            )
        ref = reference or self.results.organization
        cells = tuple(
            self.cell(group.scores.get(d.id), ref.scores.get(d.id) if ref.shown else None)
            for d in self.dims
        )
        overall = tuple(
            self.cell(group.overall.get(kind), ref.overall.get(kind) if ref.shown else None)
            for kind in self.results.kinds
        )
        return GroupRow(
            key,
            self.text(group.label),
            OK,
            group.n,
            group.depth,
            cells,
            overall,
            department_id=group.key.get("department"),
        )

    def organization_row(self) -> GroupRow:
        row = self.row(self.results.organization, "organization")
        # The organisation is the reference: a difference from itself says nothing.
        cells = tuple(replace(c, difference=None) for c in row.cells)
        overall = tuple(replace(c, difference=None) for c in row.overall)
        return GroupRow(row.key, _("Whole organisation"), row.status, row.n, 0, cells, overall)

    def role_rows(
        self, groups: Iterable[GroupResult], reference: GroupResult
    ) -> tuple[GroupRow, ...]:
        """Role groups as rows named by role, compared with ``reference``."""
        rows = (self.row(g, g.key["role"], reference=reference) for g in groups)
        return tuple(
            GroupRow(r.key, self.role_label(r.key), r.status, r.n, 0, r.cells, r.overall)
            for r in rows
        )

    def gap_line(self, gap: GapResult) -> GapRow:
        return gap_row(self, gap, gap_sentence(self, gap, "dashboard"))

    def kind_chart(
        self,
        kind: str,
        series: Sequence[Series],
        name: str,
        alt: str,
    ) -> Chart | None:
        """A radar of ``series`` over the kind's dimensions (bars when fewer than three).

        The campaign's targets are drawn as on the report's radars. The radar's legend and
        scale are left to the page, which writes them under the chart.
        """
        dims = [d for d in self.dims if d.kind == kind]
        shown = [s for s in series if any(v is not None for v in s.values)]
        if not dims or not shown:
            return None
        target = target_series(tuple(self.results.dimension(d.id).target for d in dims))
        if target is not None:
            shown.append(target)
            alt = f"{alt}; {self.describe([target], kind)}"
        titles = [d.title for d in dims]
        spec = tuple((s.label, s.values, s.color, s.n, s.linestyle) for s in shown)
        if len(dims) < 3:
            uri = cached_chart(
                self.chart_key(name, kind, spec, "bars"),
                lambda: charts.bar_chart(titles, shown, self.scale),
            )
            return Chart(uri, alt)
        uri = cached_chart(
            self.chart_key(name, kind, spec, "screen"),
            lambda: charts.screen_radar_chart(titles, shown, self.scale),
        )
        key = tuple(zip(self.scale.points, self.scale.labels, strict=True))
        return Chart(uri, alt, charts.legend_keys(shown), key)

    def values_of(self, group: GroupResult, kind: str) -> Values:
        """A group's mean on each dimension of ``kind`` (None where it is not shown)."""
        shown = group.shown
        return tuple(mean_of(group, d.id) if shown else None for d in self.dims if d.kind == kind)

    def series_of(
        self, group: GroupResult, kind: str, label: str, color: str, **style: Any
    ) -> Series:
        n = group.n if group.shown else None
        return Series(label, self.values_of(group, kind), color, n=n, **style)

    def kind_organization_series(self, kind: str, *, reference: bool = False) -> Series:
        """The whole organisation on the dimensions of ``kind``."""
        return self.organization_series(
            self.values_of(self.results.organization, kind), reference=reference
        )

    def kind_role_series(self, groups: Iterable[GroupResult], kind: str) -> list[Series]:
        """One series per shown role among ``groups`` on the dimensions of ``kind``."""
        return self.role_series(groups, lambda group: self.values_of(group, kind))

    def describe(self, series: Sequence[Series], kind: str) -> str:
        """Alt text: what the chart shows, with each group's values in words."""
        dims = [d for d in self.dims if d.kind == kind]
        parts = []
        for s in series:
            values = ", ".join(
                f"{d.title} {score(v)}"
                for d, v in zip(dims, s.values, strict=True)
                if v is not None
            )
            if values:
                parts.append(f"{s.label}: {values}")
        return "; ".join(parts)

    # Counts -------------------------------------------------------------------------------

    def counts(self) -> Counts:
        total = self.results.response_counts.total
        return Counts(total.invited, total.submitted, total.response_rate)


# Pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanionOverview:
    """The companion campaign's levels per dimension, from its own results object."""

    campaign_id: int
    name: str
    #: Whether the companion's whole organisation reaches its anonymity threshold.
    shown: bool
    n: int | None
    threshold: int
    kinds: tuple[KindSummary, ...]


@dataclass(frozen=True)
class OverviewPage:
    counts: Counts
    organization_shown: bool
    kinds: tuple[KindSummary, ...]
    messages: tuple[MessageView, ...]
    gaps: tuple[GapRow, ...]
    hidden_roles: tuple[str, ...]
    companion: CompanionOverview | None = None

    def table(self) -> Table:
        header = [_("Kind"), _("Dimension"), _("Score"), _("Maturity level"), _("Responses")]
        rows: list[Row] = []
        for kind in self.kinds:
            rows.append(_kind_row(kind.title, _("Overall"), kind.overall))
            for dim, cell in kind.dimensions:
                rows.append(_kind_row(kind.title, dim.title, cell))
        if self.companion is not None:
            for kind in self.companion.kinds:
                title = _(
                    "%(kind)s (companion campaign %(campaign)s)",
                    kind=kind.title,
                    campaign=self.companion.name,
                )
                rows.append(_kind_row(title, _("Overall"), kind.overall))
                for dim, cell in kind.dimensions:
                    rows.append(_kind_row(title, dim.title, cell))
        return Table(header, rows)


def _kind_row(kind: str, title: str, cell: Cell) -> Row:
    if not cell.shown:
        return [kind, title, SUPPRESSED, "", ""]
    return [kind, title, score(cell.mean), cell.level_label, str(cell.n or "")]


def overview(builder: Builder, companion: Builder | None = None) -> OverviewPage:
    """The organisation at a glance: levels per kind, the role radar, findings and gaps.

    ``companion`` reads the companion campaign's results (the other questionnaire kind): its
    levels per dimension of the kinds this campaign does not ask about are shown alongside.
    """
    results = builder.results
    org = results.organization
    role_gaps = sorted(results.gaps_of("role"), key=lambda g: (-abs(g.difference), g.dimension))
    messages = message_views(builder, builder.questionnaire, results.diagnosis)
    hidden = tuple(builder.text(g.label) for g in results.by_role if g.status == SUPPRESSED)
    return OverviewPage(
        builder.counts(),
        org.shown,
        _kind_summaries(builder, results.kinds),
        messages,
        tuple(builder.gap_line(g) for g in role_gaps[:OVERVIEW_GAPS]),
        hidden,
        _companion_overview(builder, companion),
    )


def _companion_overview(builder: Builder, companion: Builder | None) -> CompanionOverview | None:
    if companion is None:
        return None
    other = companion.results
    kinds = tuple(k for k in other.kinds if k not in builder.results.kinds)
    if not kinds or other.organization_id != builder.results.organization_id:
        return None
    org = other.organization
    return CompanionOverview(
        other.campaign_id,
        other.campaign_title(builder.locale),
        org.shown,
        org.n if org.shown else None,
        other.anonymity_threshold,
        _kind_summaries(companion, kinds),
    )


def _kind_summaries(builder: Builder, kinds: Sequence[str]) -> tuple[KindSummary, ...]:
    """Per kind: the organisation's level on each dimension and the radar by role."""
    results = builder.results
    org = results.organization
    found = []
    for kind in kinds:
        dims = tuple(
            (d, builder.cell(org.scores.get(d.id))) for d in builder.dims if d.kind == kind
        )
        series = [builder.kind_organization_series(kind)]
        series += builder.kind_role_series(results.by_role, kind)
        chart = (
            builder.kind_chart(
                kind,
                series,
                "overview",
                _(
                    "Radar chart of %(kind)s by role. %(values)s",
                    kind=kind_title(kind),
                    values=builder.describe(series, kind),
                ),
            )
            if org.shown
            else None
        )
        found.append(
            KindSummary(kind, kind_title(kind), builder.cell(org.overall.get(kind)), dims, chart)
        )
    return tuple(found)


@dataclass(frozen=True)
class DepartmentsPage:
    dims: tuple[Dim, ...]
    kinds: tuple[tuple[str, str], ...]
    organization: GroupRow
    rows: tuple[GroupRow, ...]
    sort: str
    direction: str
    sortable: tuple[str, ...]
    selected: tuple[int, ...]
    compare_message: str | None
    overlays: tuple[Chart, ...]
    legend: tuple[tuple[str, str], ...]

    def table(self) -> Table:
        header = [_("Department"), _("Responses")]
        header += [_("%(kind)s (overall)", kind=title) for _kind, title in self.kinds]
        for dim in self.dims:
            header += [
                dim.title,
                _("%(dimension)s (difference from the organisation)", dimension=dim.title),
            ]
        rows = [_department_csv(self.organization, self.dims, self.kinds)]
        rows += [_department_csv(row, self.dims, self.kinds) for row in self.rows]
        return Table(header, rows)


def _department_csv(row: GroupRow, dims: Sequence[Dim], kinds: Sequence[Any]) -> Row:
    if not row.shown:
        return [row.label, SUPPRESSED] + [SUPPRESSED] * (len(kinds) + 2 * len(dims))
    out = [row.label, str(row.n)]
    out += [score(c.mean) if c.shown else c.status for c in row.overall]
    for cell in row.cells:
        if cell.shown:
            out += [
                score(cell.mean),
                signed(cell.difference) if cell.difference is not None else "",
            ]
        else:
            out += [cell.status, ""]
    return out


def departments(
    builder: Builder,
    *,
    sort: str | None = None,
    direction: str | None = None,
    compare: Sequence[int] = (),
) -> DepartmentsPage:
    """The department x dimension heatmap, sorted as asked, with up to five radars overlaid."""
    results = builder.results
    rows = [builder.row(g, str(g.key["department"])) for g in results.by_department]
    sortable = (
        "name",
        "n",
        *tuple(f"overall-{k}" for k in results.kinds),
        *tuple(d.id for d in builder.dims),
    )
    sort = sort if sort in sortable else "name"
    direction = direction if direction in ("asc", "desc") else ("asc" if sort == "name" else "desc")
    rows = _sorted_rows(rows, sort, direction, builder.dims, results.kinds)

    shown_ids = {g.key["department"] for g in results.by_department if g.shown}
    known_ids = {g.key["department"] for g in results.by_department}
    wanted = tuple(dict.fromkeys(i for i in compare if i in known_ids))
    selected = tuple(i for i in wanted if i in shown_ids)
    message = None
    overlays: list[Chart] = []
    if compare:
        if len(selected) < len(wanted):
            message = _(
                "Departments below the anonymity threshold cannot be compared and were left out."
            )
        if len(selected) < COMPARE_MIN or len(selected) > COMPARE_MAX:
            message = _(
                "Choose between %(low)s and %(high)s departments to compare (you chose %(count)s).",
                low=COMPARE_MIN,
                high=COMPARE_MAX,
                count=len(selected),
            )
        else:
            overlays = _overlays(builder, selected)
    kinds = tuple((k, kind_title(k)) for k in results.kinds)
    legend = (
        ("heat-n3", _("0.6 or more below")),
        ("heat-n2", _("0.3–0.6 below")),
        ("heat-n1", _("0.1–0.3 below")),
        ("heat-0", _("within ±0.1")),
        ("heat-p1", _("0.1–0.3 above")),
        ("heat-p2", _("0.3–0.6 above")),
        ("heat-p3", _("0.6 or more above")),
        ("heat-suppressed", _("Suppressed (below the anonymity threshold)")),
    )
    return DepartmentsPage(
        builder.dims,
        kinds,
        builder.organization_row(),
        tuple(rows),
        sort,
        direction,
        sortable,
        selected,
        message,
        tuple(overlays),
        legend,
    )


def _sorted_rows(
    rows: list[GroupRow], sort: str, direction: str, dims: Sequence[Dim], kinds: Sequence[str]
) -> list[GroupRow]:
    """Rows in the asked order; withheld rows always last, in their hierarchy order.

    Withheld rows never take part in a numeric sort: their position would hint at the
    figures they hide.
    """
    if sort == "name":
        ordered = list(rows)
        return list(reversed(ordered)) if direction == "desc" else ordered
    shown = [r for r in rows if r.shown]
    hidden = [r for r in rows if not r.shown]

    def value(row: GroupRow) -> float | None:
        if sort == "n":
            return float(row.n or 0)
        if sort.startswith("overall-"):
            cell = row.overall[list(kinds).index(sort.removeprefix("overall-"))]
        else:
            cell = row.cells[[d.id for d in dims].index(sort)]
        return cell.mean if cell.shown else None

    with_value = [r for r in shown if value(r) is not None]
    without = [r for r in shown if value(r) is None]
    with_value.sort(key=lambda r: (value(r), r.label), reverse=direction == "desc")
    return with_value + without + hidden


def _overlays(builder: Builder, selected: Sequence[int]) -> list[Chart]:
    results = builder.results
    charts_found = []
    for kind in results.kinds:
        series = []
        for index, department_id in enumerate(selected):
            group = results.group("department", department=department_id)
            series.append(
                builder.series_of(group, kind, builder.text(group.label), charts.group_color(index))
            )
        series.append(builder.kind_organization_series(kind, reference=True))
        chart = builder.kind_chart(
            kind,
            series,
            "overlay",
            _(
                "Radar chart comparing departments on %(kind)s. %(values)s",
                kind=kind_title(kind),
                values=builder.describe(series, kind),
            ),
        )
        if chart is not None:
            charts_found.append(chart)
    return charts_found


@dataclass(frozen=True)
class ItemView:
    id: str
    number: str
    text: str
    #: (group label, n, shares per scale point) for each shown group; withheld ones listed apart.
    groups: tuple[tuple[str, int, tuple[float, ...]], ...]
    hidden: tuple[str, ...]
    next_level: str | None = None
    #: Reverse-worded: agreeing describes a less mature practice; shown as answered.
    reverse: bool = False


@dataclass(frozen=True)
class DepartmentPage:
    dims: tuple[Dim, ...]
    department_id: int
    label: str
    shown: bool
    n: int | None
    row: GroupRow
    organization: GroupRow
    roles: tuple[GroupRow, ...]
    items: tuple[ItemView, ...]
    charts: tuple[Chart, ...]
    points: tuple[str, ...]
    messages: tuple[MessageView, ...] = ()

    def table(self) -> Table:
        header = [_("Group"), _("Responses")] + [d.title for d in self.dims]
        rows = [_score_csv(r, len(self.dims)) for r in (self.row, *self.roles, self.organization)]
        return Table(header, rows)


def _score_csv(row: GroupRow, columns: int) -> Row:
    if not row.shown:
        return [row.label, SUPPRESSED] + [SUPPRESSED] * columns
    return [row.label, str(row.n)] + [score(c.mean) if c.shown else c.status for c in row.cells]


def department(builder: Builder, department_id: int) -> DepartmentPage:
    """One department: its scores, by role within it, and its answers item by item.

    Raises ``KeyError`` for a department the campaign's results do not know.
    """
    results = builder.results
    group = results.group("department", department=department_id)
    row = builder.row(group, str(department_id))
    inner = [g for g in results.by_role_department if g.key.get("department") == department_id]
    roles = builder.role_rows(inner, results.organization)
    items: list[ItemView] = []
    chart_list: list[Chart] = []
    if group.shown:
        groups = [(row.label, group)] + [(builder.role_label(g.key["role"]), g) for g in inner]
        items = _item_views(builder, groups, [d.id for d in builder.dims])
        for kind in results.kinds:
            series = [
                focus_series(row.label, builder.values_of(group, kind), group.n),
                builder.kind_organization_series(kind, reference=True),
            ]
            series += builder.kind_role_series(inner, kind)
            chart = builder.kind_chart(
                kind,
                series,
                f"department-{department_id}",
                _(
                    "Radar chart of %(department)s by role. %(values)s",
                    department=row.label,
                    values=builder.describe(series, kind),
                ),
            )
            if chart is not None:
                chart_list.append(chart)
    return DepartmentPage(
        builder.dims,
        department_id,
        row.label,
        group.shown,
        group.n if group.shown else None,
        row,
        builder.organization_row(),
        roles,
        tuple(items),
        tuple(chart_list),
        _points(builder),
        message_views(
            builder, builder.questionnaire, results.department_diagnoses.get(department_id)
        )
        if group.shown
        else (),
    )


def _points(builder: Builder) -> tuple[str, ...]:
    return tuple(
        f"{p} {label}" for p, label in zip(builder.scale.points, builder.scale.labels, strict=True)
    )


def _item_views(
    builder: Builder,
    groups: Sequence[tuple[str, GroupResult]],
    dimension_ids: Sequence[str],
    *,
    next_level: int | None = None,
) -> list[ItemView]:
    views = []
    numbers = {d.id: index for index, d in enumerate(builder.results.dimensions, start=1)}
    for dimension in builder.results.dimensions:
        if dimension.id not in dimension_ids:
            continue
        for index, item_id in enumerate(dimension.items, start=1):
            item = builder.questionnaire.item(item_id)
            shown = []
            hidden = []
            for label, group in groups:
                cell = group.distributions.get(item_id) if group.shown else None
                if cell is not None and cell.status == OK and cell.n:
                    shown.append((label, cell.n, cell.proportions or ()))
                elif group.status == SUPPRESSED or (cell is not None and cell.status == SUPPRESSED):
                    hidden.append(label)
            descriptor = None
            if next_level is not None:
                descriptor = item.level(
                    next_level, builder.locale, builder.questionnaire.default_locale
                )
            views.append(
                ItemView(
                    item_id,
                    f"{numbers[dimension.id]}.{index}",
                    builder.questionnaire.text(item.text, builder.locale),
                    tuple(shown),
                    tuple(hidden),
                    descriptor,
                    item.reverse,
                )
            )
    return views


@dataclass(frozen=True)
class RolesPage:
    dims: tuple[Dim, ...]
    roles: tuple[GroupRow, ...]
    organization: GroupRow
    gaps: tuple[GapRow, ...]
    blind_spots: tuple[GapRow, ...]
    departments: tuple[tuple[int, str, bool], ...]
    department_id: int | None
    department_label: str | None
    department_shown: bool
    charts: tuple[Chart, ...]
    #: The shown roles' labels, and the items some of them often answered "don't know".
    dont_know_roles: tuple[str, ...] = ()
    dont_know: tuple[DontKnowRow, ...] = ()
    #: Organisation-wide only: the statements on which two roles differ most.
    item_gaps: tuple[ItemGapRow, ...] = ()

    def table(self) -> Table:
        header = [_("Dimension")] + [r.label for r in self.roles] + [self.organization.label]
        rows = []
        for index, dim in enumerate(self.dims):
            row = [dim.title]
            for role in (*self.roles, self.organization):
                if not role.shown:
                    row.append(SUPPRESSED)
                else:
                    cell = role.cells[index]
                    row.append(score(cell.mean) if cell.shown else cell.status)
            rows.append(row)
        rows.append([])
        rows.append(
            [
                _("Dimension"),
                _("Group A"),
                _("Group B"),
                _("Difference"),
                _("Effect size (g)"),
                _("Adjusted p"),
                _("Significant"),
                _("Reading"),
            ]
        )
        for gap in self.gaps:
            rows.append(
                [
                    gap.dimension,
                    gap.label_a,
                    gap.label_b,
                    signed(gap.difference),
                    score(gap.hedges_g),
                    p_value(gap.p_adjusted),
                    "*" if gap.significant else "",
                    gap.sentence,
                ]
            )
        return Table(header, rows)


def roles(builder: Builder, department_id: int | None = None) -> RolesPage:
    """Roles side by side, organisation-wide or within one department, with their gaps.

    Raises ``KeyError`` for a department the campaign's results do not know.
    """
    results = builder.results
    scope_label = None
    scope_shown = True
    if department_id is None:
        groups = list(results.by_role)
        gaps = list(results.gaps_of("role"))
        reference = results.organization
    else:
        scope = results.group("department", department=department_id)
        scope_label = builder.text(scope.label)
        scope_shown = scope.shown
        groups = [g for g in results.by_role_department if g.key.get("department") == department_id]
        gaps = [
            g for g in results.gaps_of("role_department") if g.a.get("department") == department_id
        ]
        reference = scope
    shown_keys = {g.key["role"] for g in groups if g.shown}
    shown_groups = [g for g in groups if g.shown] if scope_shown else []
    # Defence in depth: a gap is only worded between two groups that are shown.
    gaps = [g for g in gaps if g.a.get("role") in shown_keys and g.b.get("role") in shown_keys]
    gaps.sort(key=lambda g: (-abs(g.difference), g.dimension))
    rows = builder.role_rows(groups, reference)
    if department_id is None:
        org_row = builder.organization_row()
    else:
        org_row = builder.row(reference, str(department_id))
    lines = tuple(builder.gap_line(g) for g in gaps)
    chart_list = []
    if scope_shown:
        for kind in results.kinds:
            series = builder.kind_role_series(groups, kind)
            chart = builder.kind_chart(
                kind,
                series,
                f"roles-{department_id}",
                _(
                    "Radar chart of %(kind)s by role. %(values)s",
                    kind=kind_title(kind),
                    values=builder.describe(series, kind),
                ),
            )
            if chart is not None:
                chart_list.append(chart)
    choices = tuple(
        (g.key["department"], ("　" * g.depth) + builder.text(g.label), g.shown)
        for g in results.by_department
    )
    return RolesPage(
        builder.dims,
        rows,
        org_row,
        lines,
        tuple(line for line in lines if line.direction == BLIND_SPOT),
        choices,
        department_id,
        scope_label,
        scope_shown,
        tuple(chart_list),
        tuple(builder.text(g.label) for g in shown_groups),
        dont_know_rows(builder, builder.questionnaire, shown_groups),
        item_gap_rows(builder, builder.questionnaire) if department_id is None else (),
    )


@dataclass(frozen=True)
class DimensionPage:
    dim: Dim
    description: str
    organization: Cell
    reliability: float | None
    roles: tuple[tuple[str, str, Cell], ...]
    items: tuple[ItemView, ...]
    #: One stacked-bar chart per item (None when no group's answers can be shown).
    charts: tuple[Chart | None, ...]
    #: What to do from the organisation's level, in sequence (the recommendation catalogue).
    actions: tuple[ActionView, ...]
    #: The level the actions start from, and whether they sustain the top level.
    actions_level: int | None
    sustain: bool
    next_level: int | None
    points: tuple[str, ...]
    others: tuple[Dim, ...]
    #: The answer scale's points and their names (the share tables' columns).
    scale_key: tuple[tuple[int, str], ...] = ()

    @property
    def has_reverse_items(self) -> bool:
        """Whether any statement of the dimension is reverse-worded."""
        return any(item.reverse for item in self.items)

    def table(self) -> Table:
        header = [_("Item"), _("Statement"), _("Group"), _("Responses"), *list(self.points)]
        rows: list[Row] = []
        for item in self.items:
            for label, n, shares in item.groups:
                rows.append([item.number, item.text, label, str(n)] + [percent(s) for s in shares])
            for label in item.hidden:
                rows.append(
                    [item.number, item.text, label, SUPPRESSED] + [SUPPRESSED] * len(self.points)
                )
        return Table(header, rows)


def dimension(builder: Builder, dimension_id: str) -> DimensionPage:
    """One capability or stage: items by role, agreement and what the next level looks like.

    Raises ``KeyError`` for a dimension the questionnaire does not have.
    """
    results = builder.results
    result: DimensionResult = results.dimension(dimension_id)
    dim = next(d for d in builder.dims if d.id == dimension_id)
    org_cell = builder.cell(result.organization)
    role_cells = tuple(
        (
            g.key["role"],
            builder.role_label(g.key["role"]),
            builder.cell(g.scores.get(dimension_id)) if g.shown else Cell(g.status),
        )
        for g in results.by_role
    )
    groups = [(_("Whole organisation"), results.organization)]
    groups += [(builder.role_label(g.key["role"]), g) for g in results.by_role]
    level = result.level
    next_level = level + 1 if level is not None and level < builder.scale.max else None
    items = _item_views(builder, groups, [dimension_id], next_level=next_level)
    item_charts = tuple(_item_chart(builder, dim, item) for item in items)
    recommendation = result.recommendation
    actions = () if recommendation is None else action_views(builder, recommendation.actions)
    return DimensionPage(
        dim,
        builder.text(result.description) if result.description else "",
        org_cell,
        result.reliability.alpha,
        role_cells,
        tuple(items),
        item_charts,
        actions,
        None if recommendation is None else recommendation.level,
        recommendation is not None and recommendation.level >= builder.scale.max,
        next_level,
        _points(builder),
        builder.dims,
        tuple(zip(builder.scale.points, builder.scale.labels, strict=True)),
    )


def _item_chart(builder: Builder, dim: Dim, item: ItemView) -> Chart | None:
    rows = [
        charts.DistributionRow(label, shares, n)
        for label, n, shares in item.groups
        if len(shares) == len(builder.scale.points)
    ]
    if not rows:
        return None
    spec = tuple((r.label, r.proportions, r.n) for r in rows)
    uri = cached_chart(
        builder.chart_key("distribution", item.id, spec),
        lambda: charts.distribution_chart(rows, builder.scale, label_width=20),
    )
    return Chart(
        uri,
        _(
            "Stacked bars of how answers to statement %(number)s of %(dimension)s spread over "
            "the scale, for the organisation and each role shown.",
            number=item.number,
            dimension=dim.title,
        ),
    )


@dataclass(frozen=True)
class TrendPage:
    rounds: tuple[str, ...]
    previous_name: str | None
    chart: Chart | None
    rows: tuple[TrendRow, ...]
    series: tuple[TrendLine, ...] = field(default_factory=tuple)
    dims: tuple[Dim, ...] = ()
    #: Titles of the dimensions the rounds' questionnaire versions share no statement of.
    not_comparable: frozenset[str] = frozenset()
    #: Whether the rounds are on different questionnaire versions (scores recomputed).
    recomputed: bool = False

    @property
    def left_out(self) -> tuple[str, ...]:
        """Titles of the dimensions left out of the chart (not comparable), in order."""
        return tuple(d.title for d in self.dims if d.title in self.not_comparable)

    @property
    def matrix(self) -> list[tuple[str, list[TrendRow | None]]]:
        """The rows as group x dimension, in the order the results give the groups."""
        groups: dict[str, dict[str, TrendRow]] = {}
        for row in self.rows:
            groups.setdefault(row.group, {})[row.dimension] = row
        return [(group, [cells.get(d.title) for d in self.dims]) for group, cells in groups.items()]

    def table(self) -> Table:
        """The trend table as exported: one row per group and dimension, ``Comparable`` saying
        whether the rounds' questionnaire versions share statements of the dimension (when not,
        the row has no figures: no change can be computed)."""
        # Rounds before the previous one get a score column each, oldest first.
        earlier = self.rounds[:-2]
        header = [
            _("Group"),
            _("Dimension"),
            _("Comparable"),
            *(_("Score: %(round)s", round=name) for name in earlier),
            _("Previous"),
            _("Current"),
            _("Change"),
            _("Effect size (g)"),
            _("Adjusted p"),
            _("Significant"),
        ]
        blank = [""] * (len(earlier) + 6)
        rows: list[Row] = []
        groups = self.matrix or [(_("Whole organisation"), [None] * len(self.dims))]
        for group, cells in groups:
            for dim, r in zip(self.dims, cells, strict=True):
                if r is not None:
                    rows.append(
                        [
                            r.group,
                            r.dimension,
                            _("yes"),
                            *(score(value) for value in r.history[: len(earlier)]),
                            score(r.previous),
                            score(r.current),
                            signed(r.change),
                            score(r.hedges_g),
                            p_value(r.p_adjusted),
                            "*" if r.significant else "",
                        ]
                    )
                elif dim.title in self.not_comparable:
                    rows.append([group, dim.title, _("no"), *blank])
        return Table(header, rows)


def trend(builder: Builder, rounds: Sequence[CampaignResults]) -> TrendPage:
    """Change over rounds: ``rounds`` are earlier results of the same organisation, oldest first.

    The chart follows each dimension's organisation score over every round; the table gives
    each shown group's change since the previous round, as the results engine tested it.
    """
    results = builder.results
    chain = [*rounds, results][-MAX_ROUNDS:]
    if results.previous is None or len(chain) < 2:
        return TrendPage(tuple(r.campaign_title(builder.locale) for r in chain), None, None, ())
    not_comparable = {c.dimension for c in results.trend_comparability if not c.comparable}
    across_versions = any(
        c.recomputed for round_results in chain[1:] for c in round_results.trend_comparability
    )
    lines = []
    for d in builder.dims:
        if d.id in not_comparable:
            continue
        line = _trend_line(d.id, d.title, chain, across_versions=across_versions)
        if any(v is not None for v in line.values):
            lines.append(line)
    labels = tuple(r.campaign_title(builder.locale) for r in chain)
    chart = None
    if lines:
        spec = tuple((line.label, line.values, line.significant) for line in lines)
        uri = cached_chart(
            builder.chart_key("trend", labels, spec),
            lambda: trend_chart(labels, lines, builder.scale),
        )
        words = "; ".join(f"{line.label}: {_line_words(line)}" for line in lines)
        chart = Chart(
            uri,
            _("Slope chart of the organisation's scores over the rounds. %(values)s", values=words),
            tuple(
                LegendKey(_trend_legend_label(line), trend_color(index))
                for index, line in enumerate(lines)
            ),
        )
    order = {d.id: i for i, d in enumerate(results.dimensions)}
    breakdown_order = {"organization": 0, "role": 1, "department": 2}
    trends = sorted(
        (t for t in results.trends if t.breakdown in breakdown_order),
        key=lambda t: (breakdown_order[t.breakdown], str(dict(t.key)), order.get(t.dimension, 0)),
    )
    rows = tuple(
        trend_row(builder, t, *_trend_history(chain, t))
        for t in trends
        if _trend_group_shown(results, t.breakdown, t.key)
    )
    return TrendPage(
        labels,
        results.previous.campaign_title(builder.locale),
        chart,
        rows,
        tuple(lines),
        builder.dims,
        frozenset(
            builder.text(results.dimension(c.dimension).title)
            for c in results.trend_comparability
            if not c.comparable
        ),
        any(c.recomputed for c in results.trend_comparability),
    )


def _organization_trend(round_results: CampaignResults, dimension: str) -> Any:
    return next(
        (
            t
            for t in round_results.trends
            if t.breakdown == "organization" and t.dimension == dimension
        ),
        None,
    )


def _trend_line(
    dimension: str, label: str, chain: Sequence[CampaignResults], *, across_versions: bool
) -> TrendLine:
    """One dimension's organisation scores over ``chain`` as the slope chart draws them.

    A step between rounds on different questionnaire versions goes from the previous round's
    score to the current one's, both recomputed over the items the versions share: the
    figures of the trend table. Such a step has no line when the dimension was not comparable.
    """
    own: list[float | None] = []
    for round_results in chain:
        org = round_results.organization
        cell = org.scores.get(dimension) if org.shown else None
        own.append(cell.mean if cell is not None and cell.shown else None)
    values: list[float | None] = [own[0]]
    starts: list[float | None] = [None]
    flags = [False]
    for position in range(1, len(chain)):
        round_results = chain[position]
        trend = _organization_trend(round_results, dimension)
        flags.append(trend is not None and trend.significant)
        comparability = round_results.comparability(dimension)
        if comparability is not None and comparability.recomputed:
            if position == 1:
                # The first round's own score is on another basis than the step from it.
                values[0] = None
            starts.append(None if trend is None else trend.previous_mean)
            values.append(None if trend is None else trend.current_mean)
            continue
        starts.append(own[position - 1])
        values.append(own[position])
    if not across_versions:
        return TrendLine(label, tuple(values), tuple(flags))
    return TrendLine(label, tuple(values), tuple(flags), tuple(starts))


def _trend_legend_label(line: TrendLine) -> str:
    """A line's name in the legend, with its latest score (the end of the line)."""
    last = next((v for v in reversed(line.values) if v is not None), None)
    return line.label if last is None else f"{line.label} {score(last)}"


def _line_words(line: TrendLine) -> str:
    """A line's figures in words: each round's score, or each step's when steps are apart."""
    if not line.starts:
        return " → ".join(score(v) for v in line.values)
    return ", ".join(
        f"{score(start)} → {score(end)}"
        for start, end in zip(line.starts[1:], line.values[1:], strict=True)
        if start is not None and end is not None
    )


def _trend_history(
    chain: Sequence[CampaignResults], trend: Any
) -> tuple[tuple[float | None, ...], tuple[bool, ...]]:
    """One group's score on one dimension in every round, and which steps were significant.

    Each round's own trends (against the round before it) give the significance of its step;
    a round where the group was hidden or had no score shows nothing.
    """
    key = dict(trend.key)
    values: list[float | None] = []
    steps: list[bool] = []
    for position, round_results in enumerate(chain):
        try:
            group = round_results.group(trend.breakdown, **key)
        except KeyError:
            group = None
        cell = group.scores.get(trend.dimension) if group is not None and group.shown else None
        values.append(cell.mean if cell is not None and cell.shown else None)
        steps.append(
            position > 0
            and any(
                t.significant
                for t in round_results.trends
                if t.breakdown == trend.breakdown
                and t.dimension == trend.dimension
                and dict(t.key) == key
            )
        )
    return tuple(values), tuple(steps)


def _trend_group_shown(results: CampaignResults, breakdown: str, key: Any) -> bool:
    try:
        return results.group(breakdown, **dict(key)).shown
    except KeyError:
        return False
