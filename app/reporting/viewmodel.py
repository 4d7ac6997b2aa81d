"""What a report shows, as plain frozen data the templates read.

The section builders (:mod:`app.reporting.sections`) fill these from the campaign's results
object; templates never reach into the database or compute anything. Only groups that passed
the anonymity threshold carry numbers: a suppressed group appears, at most, as a name in a
list of groups too small to show. A perception gap is a :class:`~app.presentation.gaps.GapRow`
(the dashboard's row type too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from app.presentation.actions import ActionView, PlanStep
from app.presentation.dont_know import DontKnowRow
from app.presentation.gaps import GapRow
from app.presentation.item_gaps import ItemGapRow
from app.presentation.messages import MessageView
from app.presentation.outcomes import DriverView
from app.presentation.profile import FactRow
from app.presentation.trends import TrendRow


@dataclass(frozen=True)
class Cover:
    organization: str
    campaign: str
    questionnaire: str
    #: The department of a department report; None for the organisation report.
    scope: str | None
    opens_at: datetime | None
    closes_at: datetime | None
    generated_at: datetime
    status: str
    invited: int
    submitted: int
    response_rate: float | None
    threshold: int


@dataclass(frozen=True)
class Level:
    """A score placed on the maturity scale."""

    mean: float | None
    level: int | None
    label: str
    n: int | None = None


@dataclass(frozen=True)
class GroupScore:
    """A shown group's score on one dimension (or overall)."""

    key: str
    label: str
    n: int
    mean: float | None
    sd: float | None = None
    level: int | None = None
    agreement: float | None = None
    #: Difference from the reference (the organisation), when one is shown.
    difference: float | None = None
    color: str | None = None


@dataclass(frozen=True)
class ItemRow:
    id: str
    number: str
    text: str
    n: int
    mean: float | None
    #: Share of answers per scale point as given (not reverse coded), or None without answers.
    proportions: tuple[float, ...] | None
    reverse: bool = False


@dataclass(frozen=True)
class TargetState:
    """What a statement looks like one level up: the state to aim for, never an action."""

    item: str
    current_level: int | None
    next_level: int
    #: The next level's anchored descriptor, from the questionnaire.
    descriptor: str


@dataclass(frozen=True)
class DimensionView:
    id: str
    kind: str
    number: str
    anchor: str
    title: str
    description: str | None
    score: Level
    sd: float | None
    ci_low: float | None
    ci_high: float | None
    agreement: float | None
    alpha: float | None
    target: float | None
    #: The organisation's score, in a department report.
    reference: float | None
    roles: tuple[GroupScore, ...]
    departments: tuple[GroupScore, ...]
    hidden_groups: tuple[str, ...]
    items: tuple[ItemRow, ...]
    distribution_chart: str | None
    #: The state to aim for on the least established statements (their next level).
    target_state: tuple[TargetState, ...]
    #: What to do from the current level, in sequence (the recommendation catalogue's
    #: actions; organisation report only), and that level.
    actions: tuple[ActionView, ...] = ()
    actions_level: int | None = None
    #: Whether the level is the top one: the actions sustain it rather than climb.
    sustain: bool = False


@dataclass(frozen=True)
class CompanionInfo:
    """The companion campaign a section of the report comes from."""

    campaign: str
    questionnaire: str
    #: Submitted responses of the report's scope in the companion campaign.
    n: int
    threshold: int
    #: Roles of the scope the companion campaign withholds (named only, never scored).
    hidden: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindSection:
    """All dimensions of one kind (the five capabilities, or the four cycle stages)."""

    kind: str
    number: str
    anchor: str
    title: str
    lead: str
    overall: Level
    chart: str | None
    dimensions: tuple[DimensionView, ...]
    #: The shown roles, in hierarchy order (columns of the overview table).
    role_labels: tuple[str, ...] = ()
    #: Stages only: the weakest stage and what to do about it.
    bottleneck: DimensionView | None = None
    actions: tuple[str, ...] = ()
    #: Set when the section comes from the companion campaign: a summary (overview table,
    #: chart, bottleneck) without the per-dimension pages.
    companion: CompanionInfo | None = None


@dataclass(frozen=True)
class Highlight:
    """A practice (statement) among the most or the least established."""

    title: str
    mean: float | None
    #: Where it belongs, e.g. "2.1 組織行動の力".
    where: str
    #: The anchored descriptor: of its current level (strengths) or the next one (priorities).
    text: str | None


@dataclass(frozen=True)
class Card:
    """A headline figure of the executive summary."""

    label: str
    value: str
    note: str


@dataclass(frozen=True)
class Summary:
    overall: tuple[tuple[str, Level], ...]
    cards: tuple[Card, ...]
    chart: str | None
    chart_caption: str
    #: The most and the least established practices (shown with the first chapter).
    strengths: tuple[Highlight, ...]
    weakest: tuple[Highlight, ...]
    #: The companion campaign's findings (its own rules over its own figures).
    findings: tuple[str, ...]
    progress_to_target: Card | None = None
    #: The key messages of the report's scope (the organisation or the department).
    messages: tuple[MessageView, ...] = ()
    #: The companion campaign's overall level per kind: (title, level, note).
    companion_overall: tuple[tuple[str, Level, str], ...] = ()
    #: The three priorities, in sequence (by horizon), and the key messages' other actions.
    priorities: tuple[PlanStep, ...] = ()
    further_actions: tuple[PlanStep, ...] = ()
    #: The dimensions the priority matrix says to act on first (from the customer-outcome
    #: drivers), and the number of the chapter that shows the matrix.
    act_first: tuple[str, ...] = ()
    act_first_chapter: str | None = None


@dataclass(frozen=True)
class GapsSection:
    number: str
    anchor: str
    chart: str | None
    rows: tuple[GapRow, ...]
    blind_spots: tuple[GapRow, ...]
    hidden_strengths: tuple[GapRow, ...]
    department_rows: tuple[GapRow, ...] = ()
    #: Organisation report only: the statements on which two roles differ most.
    item_rows: tuple[ItemGapRow, ...] = ()


@dataclass(frozen=True)
class DepartmentCell:
    """A department's score on one dimension in the department table.

    ``suppressed``: the results withheld it (too few people of the department scored the
    dimension), so it is labelled as such and has no number; otherwise a missing ``mean``
    means no data.
    """

    mean: float | None
    suppressed: bool = False


@dataclass(frozen=True)
class DepartmentsSection:
    number: str
    anchor: str
    heatmap: str | None
    #: The department radars, a few per figure (see ``charts.MULTIPLES_PER_FIGURE``).
    small_multiples: tuple[str, ...]
    dimensions: tuple[str, ...]
    #: The organisation, then one row per shown department: its overall score and a cell
    #: per dimension.
    rows: tuple[tuple[GroupScore, tuple[DepartmentCell, ...]], ...]
    hidden: tuple[str, ...]


@dataclass(frozen=True)
class TrendSection:
    number: str
    anchor: str
    previous_campaign: str
    chart: str | None
    rows: tuple[TrendRow, ...]
    #: Titles of the dimensions the rounds' questionnaire versions share no statement of.
    not_comparable: tuple[str, ...] = ()
    #: Whether the rounds are on different questionnaire versions (scores recomputed).
    recomputed: bool = False


@dataclass(frozen=True)
class OutcomeRow:
    department: str
    maturity: str
    outcome: str


@dataclass(frozen=True)
class OutcomeDrivers:
    """What moves the outcome item, and where to act first."""

    outcome: str
    n: int
    r2: float | None
    lines: tuple[DriverView, ...]
    reason: str | None


@dataclass(frozen=True)
class OutcomesSection:
    """The departments by maturity and one customer outcome (organisation report)."""

    number: str
    anchor: str
    metric: str | None
    metric_label: str
    period: str
    previous_period: str | None
    #: Whether too few departments are placed for a relation to be claimed.
    descriptive: bool
    minimum: int
    correlation: float | None
    chart: str | None
    rows: tuple[OutcomeRow, ...]
    change_chart: str | None = None
    change_rows: tuple[OutcomeRow, ...] = ()
    drivers: OutcomeDrivers | None = None


@dataclass(frozen=True)
class SuppressedGroup:
    breakdown: str
    label: str


@dataclass(frozen=True)
class Methods:
    number: str
    anchor: str
    invited: int
    submitted: int
    response_rate: float | None
    threshold: int
    suppressed: tuple[SuppressedGroup, ...]
    questionnaire_id: str
    questionnaire_version: str
    questionnaire_hash: str
    statistics: tuple[str, ...]
    methodology: Markup
    #: How to read the report (the client's appendix).
    guide: Markup
    questionnaire_title: str
    reliability: tuple[tuple[str, float | None, int], ...] = ()
    #: Names an English report shows as entered, for want of an English name (the client's
    #: appendix lists them; empty in Japanese and when every name has one).
    untranslated: tuple[str, ...] = ()


@dataclass(frozen=True)
class TocEntry:
    anchor: str
    number: str
    title: str
    children: tuple[TocEntry, ...] = ()


@dataclass(frozen=True)
class ProfileSection:
    """The organisation profile: facts recorded for the campaign, never part of any score."""

    number: str
    anchor: str
    rows: tuple[FactRow, ...]


@dataclass(frozen=True)
class DontKnowSection:
    """The statements some role often answered "don't know" to, with every shown role's rate."""

    number: str
    anchor: str
    #: The shown roles' labels, one column each.
    roles: tuple[str, ...]
    rows: tuple[DontKnowRow, ...]


@dataclass(frozen=True)
class VoiceTheme:
    title: str
    count: int
    quotes: tuple[str, ...] = ()
    #: The open question the theme answers, when the chapter holds several.
    question: str | None = None
    #: The theme's comments by role, for the roles with enough answerers: (label, count).
    roles: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class VoiceContent:
    """The leaders' voice: their comments by theme, largest theme first."""

    themes: tuple[VoiceTheme, ...]
    #: How many comments were read, and a sentence on where they come from.
    comments: int
    note: str | None = None


@dataclass(frozen=True)
class PlannedAction:
    """An agreed action as the report lists it."""

    action: str
    owner: str
    #: The dimension it aims to move, and for which department ("Whole organisation").
    dimension: str
    department: str
    due: str | None = None
    status: str | None = None
    #: ``planned``, ``in_progress``, ``done`` or ``dropped`` (for the badge's colour).
    status_key: str | None = None
    #: The key message or recommendation it answers.
    answers: str | None = None
    overdue: bool = False
    #: Set in an earlier round: where it was set, and its dimension's scores then and now.
    origin: str | None = None
    baseline: str | None = None
    current: str | None = None
    change: str | None = None
    verdict: str | None = None


@dataclass(frozen=True)
class PlanContent:
    """The organisation's action plan as agreed: this round's actions, and the progress on
    the open actions of earlier rounds."""

    actions: tuple[PlannedAction, ...]
    note: str | None = None
    carried: tuple[PlannedAction, ...] = ()
    overdue: int = 0


@dataclass(frozen=True)
class SlotChapter:
    """A filled slot: its chapter number, anchor and content."""

    slot: str
    number: str
    anchor: str
    title: str
    #: :class:`VoiceContent` or :class:`PlanContent`.
    content: Any


@dataclass(frozen=True)
class ReportView:
    """Everything the organisation and department templates render."""

    kind: str
    locale: str
    title: str
    cover: Cover
    summary: Summary
    sections: tuple[KindSection, ...]
    gaps: GapsSection | None
    departments: DepartmentsSection | None
    trend: TrendSection | None
    methods: Methods
    toc: tuple[TocEntry, ...] = field(default_factory=tuple)
    scale_labels: tuple[str, ...] = ()
    #: The companion campaign's sections of the other kind (see ``KindSection.companion``).
    companion_sections: tuple[KindSection, ...] = ()
    #: The organisation profile's recorded facts (organisation report only).
    profile: ProfileSection | None = None
    #: The statements roles often could not judge (organisation report only).
    dont_know: DontKnowSection | None = None
    #: The outline's places for the leaders' voice and the action plan, when filled
    #: (:mod:`app.reporting.sections.slots`).
    voice: SlotChapter | None = None
    action_plan: SlotChapter | None = None
    #: The departments by maturity and customer outcomes (organisation report only).
    outcomes: OutcomesSection | None = None
