"""The free-text page: the themes of each open question's answers, as bars split by role,
each opening its examples. :mod:`app.results.comments` finds the themes and applies the
minimum for words; this module only lays them out."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.analysis.words import is_japanese
from app.dashboard.viewmodel import Builder, Table
from app.models import Campaign
from app.results.comments import CommentThemes, comment_themes


@dataclass(frozen=True)
class Segment:
    """One role's part of a theme's bar (None: the role has too few answerers to count)."""

    role: str
    label: str
    color: str
    count: int
    #: Where the segment starts and how long it is, in percent of the question's largest
    #: theme.
    start: float
    width: float


@dataclass(frozen=True)
class ThemeBar:
    id: str
    label: str
    count: int
    #: The bar's length against the question's largest theme, in percent.
    width: float
    segments: tuple[Segment, ...]
    #: Answers of roles not counted apart (too few answerers).
    uncounted: int
    examples: tuple[tuple[str, bool], ...]
    #: Every answer of the theme fit to quote, with whether it was edited.
    answers: tuple[tuple[str, bool], ...] = ()
    #: ``(department id, name, answers)`` of the departments counted apart.
    departments: tuple[tuple[int, str, int], ...] = ()
    #: Answers of departments with too few answerers, and from the scope department itself.
    departments_uncounted: int = 0

    @property
    def label_lang(self) -> str:
        """The language the label is written in (the answers'), for the page's markup."""
        return language_of(self.label)

    @property
    def uncounted_start(self) -> float:
        return sum(segment.width for segment in self.segments)

    @property
    def uncounted_width(self) -> float:
        return self.width - self.uncounted_start


def language_of(text: str) -> str:
    return "ja" if is_japanese(text) else "en"


@dataclass(frozen=True)
class Contrast:
    """A theme one role raises much more often than another (shares of each role's themed
    answers): the perception gap in words."""

    theme: str
    higher: str
    higher_share: float
    lower: str
    lower_share: float


#: The least difference of shares, in points of percentage, worth stating.
CONTRAST_POINTS = 20.0
#: Contrasts stated per question, largest first.
CONTRASTS = 3


@dataclass(frozen=True)
class QuestionBlock:
    id: str
    text: str
    answers: int | None
    themes: tuple[ThemeBar, ...]
    unthemed: int
    contrasts: tuple[Contrast, ...] = ()


def contrasts(themes: tuple[ThemeBar, ...]) -> tuple[Contrast, ...]:
    """The themes whose share differs most between two roles counted apart, by at least
    :data:`CONTRAST_POINTS` points."""
    totals: dict[str, int] = {}
    labels: dict[str, str] = {}
    for theme in themes:
        for segment in theme.segments:
            totals[segment.role] = totals.get(segment.role, 0) + segment.count
            labels[segment.role] = segment.label
    if len(totals) < 2:
        return ()
    found = []
    for theme in themes:
        counts = {segment.role: segment.count for segment in theme.segments}
        shares = {role: 100.0 * counts.get(role, 0) / total for role, total in totals.items()}
        higher = max(shares, key=lambda role: (shares[role], role))
        lower = min(shares, key=lambda role: (shares[role], role))
        if shares[higher] - shares[lower] >= CONTRAST_POINTS:
            found.append(
                Contrast(theme.label, labels[higher], shares[higher], labels[lower], shares[lower])
            )
    found.sort(key=lambda c: (-(c.higher_share - c.lower_share), c.theme))
    return tuple(found[:CONTRASTS])


@dataclass(frozen=True)
class CommentsPage:
    minimum: int
    questions: tuple[QuestionBlock, ...]
    departments: tuple[tuple[int, str], ...]
    department_id: int | None
    department_label: str | None

    def table(self) -> Table:
        roles: list[tuple[str, str]] = []
        for question in self.questions:
            for theme in question.themes:
                for segment in theme.segments:
                    if (segment.role, segment.label) not in roles:
                        roles.append((segment.role, segment.label))
        departments: list[tuple[int, str]] = []
        for question in self.questions:
            for theme in question.themes:
                for department, label, _count in theme.departments:
                    if (department, label) not in departments:
                        departments.append((department, label))
        header = (
            [_("Question"), _("Theme"), _("Answers")]
            + [label for _key, label in roles]
            + [label for _key, label in departments]
        )
        rows = []
        for question in self.questions:
            for theme in question.themes:
                by_role = {segment.role: segment.count for segment in theme.segments}
                by_department = {key: count for key, _label, count in theme.departments}
                rows.append(
                    [question.text, theme.label, str(theme.count)]
                    + [str(by_role[key]) if key in by_role else "" for key, _label in roles]
                    + [
                        str(by_department[key]) if key in by_department else ""
                        for key, _label in departments
                    ]
                )
        return Table(header, rows)


def comments(
    builder: Builder, campaign: Campaign, department_id: int | None = None
) -> CommentsPage:
    """The page of ``campaign``'s free-text themes, of everyone or of one department.

    Raises ``KeyError`` for a department the campaign's results do not know.
    """
    results = builder.results
    department_label = None
    if department_id is not None:
        department_label = builder.text(results.group("department", department=department_id).label)
    found: CommentThemes = comment_themes(campaign, results.data_version, department_id)
    questionnaire = campaign.questionnaire
    names = {key: builder.text(label) for key, label in found.departments}
    blocks = []
    for question in found.questions:
        text = builder.text(questionnaire.open_question(question.question).text.to_dict())
        largest = max((theme.count for theme in question.themes), default=1)
        bars = []
        for theme in question.themes:
            segments = []
            start = 0.0
            for key, count in theme.by_role.items():
                if not count:
                    continue
                width = 100.0 * count / largest
                segments.append(
                    Segment(
                        key, builder.role_label(key), builder.role_color(key), count, start, width
                    )
                )
                start += width
            counted = tuple(
                (key, names[key], count)
                for key, count in theme.by_department.items()
                if count is not None
            )
            bars.append(
                ThemeBar(
                    theme.id,
                    theme.label["en" if builder.locale == "en" else "ja"],
                    theme.count,
                    100.0 * theme.count / largest,
                    tuple(segments),
                    theme.count - sum(segment.count for segment in segments),
                    tuple(zip(theme.examples, theme.scrubbed, strict=True)),
                    theme.answers,
                    counted,
                    theme.count - sum(count for _key, _name, count in counted),
                )
            )
        themed = sum(theme.count for theme in question.themes)
        blocks.append(
            QuestionBlock(
                question.question,
                text,
                question.answers,
                tuple(bars),
                (question.answers or 0) - themed,
                contrasts(tuple(bars)),
            )
        )
    departments = tuple(
        (group.key["department"], builder.text(group.label))
        for group in results.by_department
        if "department" in group.key
    )
    return CommentsPage(
        found.minimum_group, tuple(blocks), departments, department_id, department_label
    )
