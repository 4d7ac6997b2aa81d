"""The themes of a campaign's open answers, for the whole organisation or one department.

Words identify people more easily than scores, so their minimum is stricter: a group's
answers to a question are themed only when at least :func:`comment_minimum` respondents of
the group answered it (the campaign's minimum for words, at least 10, or the anonymity
threshold when larger); a role's count in a
theme is given only when as many of the role answered it. Quoted answers are scrubbed
(:mod:`app.analysis.scrub`) of e-mail addresses, phone numbers, the names of the
organisation's participants and the names of departments and roles whose groups are too
small, and an answer left with nothing to say is not quoted.

Themes are kept per process with the results' data version: new answers theme afresh.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.analysis.anonymity import open_text_minimum
from app.analysis.plain import PlainFields
from app.analysis.scrub import Scrubber, quotable
from app.analysis.themes import find_themes
from app.analysis.tree import department_tree, subtree_ids
from app.models import Answer, Campaign, Participant, Response, name_labels, role_labels
from app.platform.cache import BoundedCache
from app.platform.extensions import db
from app.results.load import load_departments, load_roles, open_text_query

#: Representative answers quoted per theme.
EXAMPLES = 3


def comment_minimum(campaign: Campaign) -> int:
    """The fewest answerers a group needs for its themes: the larger of the anonymity
    threshold and the campaign's minimum for words (``Campaign.comment_minimum``, >= 10)."""
    return open_text_minimum(campaign.anonymity_threshold, campaign.comment_minimum)


@dataclass(frozen=True)
class ThemeRow(PlainFields):
    """One theme of one question's answers."""

    id: str
    label: Mapping[str, str]
    terms: tuple[str, ...]
    count: int
    #: Answers on the theme by role key; None for a role with too few answerers.
    by_role: Mapping[str, int | None]
    examples: tuple[str, ...]
    #: Answers on the theme by department of the breakdown (``CommentThemes.departments``,
    #: sub-departments included); None for a department with too few answerers.
    by_department: Mapping[int, int | None] = field(default_factory=dict)
    #: Whether each example was edited to take out what points at someone.
    scrubbed: tuple[bool, ...] = ()
    #: Every answer of the theme fit to quote, scrubbed, strongest first, each once, with
    #: whether it was edited (the dashboard lists them; the API gives the examples only).
    answers: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class QuestionThemes(PlainFields):
    question: str
    #: Respondents of the group who answered; None when fewer than the minimum.
    answers: int | None
    themes: tuple[ThemeRow, ...] = ()


@dataclass(frozen=True)
class CommentThemes(PlainFields):
    campaign_id: int
    department: int | None
    minimum_group: int
    questions: tuple[QuestionThemes, ...] = field(default_factory=tuple)
    #: The departments the themes are counted by, in display order, with their names: the
    #: top-level departments, or the sub-departments of ``department``.
    departments: tuple[tuple[int, Mapping[str, str]], ...] = ()

    def document(self) -> dict[str, Any]:
        """The API's and the CLI's JSON form (see the OpenAPI schema ``CommentThemes``)."""
        return {
            "minimum_group": self.minimum_group,
            "departments": [
                {"id": department, "label": dict(label)} for department, label in self.departments
            ],
            "questions": [
                {
                    "question": question.question,
                    "answers": question.answers,
                    "themes": [
                        {
                            "id": theme.id,
                            "label": dict(theme.label),
                            "terms": list(theme.terms),
                            "count": theme.count,
                            "by_role": dict(theme.by_role),
                            "by_department": {
                                str(department): count
                                for department, count in theme.by_department.items()
                            },
                            "examples": list(theme.examples),
                        }
                        for theme in question.themes
                    ],
                }
                for question in self.questions
            ],
        }


_kept: BoundedCache[tuple[int, str, int, int | None], CommentThemes] = BoundedCache(16)


def comment_themes(
    campaign: Campaign, data_version: str, department_id: int | None = None
) -> CommentThemes:
    """The themes of ``campaign``'s open answers (of ``department_id`` and its
    sub-departments, or of everyone), kept while ``data_version`` (the results') holds."""
    key = (campaign.id, data_version, comment_minimum(campaign), department_id)
    found = _kept.get(key)
    if found is None or not data_version:
        found = _kept.put(key, _comment_themes(campaign, department_id))
    return found


def _comment_themes(campaign: Campaign, department_id: int | None) -> CommentThemes:
    minimum = comment_minimum(campaign)
    questionnaire = campaign.questionnaire
    questions = [question.id for question in questionnaire.open_questions]
    departments = load_departments(campaign.organization_id)
    roles = {role.id: role for role in load_roles(campaign.organization_id)}
    query = open_text_query(campaign.id, questions).order_by(Answer.item_id, Response.id)
    if department_id is not None:
        query = query.where(Response.department_id.in_(subtree_ids(department_id, departments)))
    by_question: dict[str, list[tuple[str, int, int]]] = {question: [] for question in questions}
    for item_id, text, answer_department, answer_role in db.session.execute(query):
        if text and text.strip():
            by_question[item_id].append((text, answer_department, answer_role))
    people = [
        name
        for name in db.session.scalars(
            select(Participant.name).where(
                Participant.campaign_id == campaign.id, Participant.name.is_not(None)
            )
        )
        if name
    ]
    breakdown = _Breakdown.below(department_id, departments)
    found = []
    for question in questions:
        answered = by_question[question]
        if len(answered) < minimum:
            found.append(QuestionThemes(question, None))
            continue
        prompt = questionnaire.open_question(question).text.to_dict().get("ja", "")
        found.append(
            QuestionThemes(
                question,
                len(answered),
                _rows(answered, roles, departments, breakdown, people, minimum, prompt),
            )
        )
    shown = {
        part
        for _text, department, _role in (a for q in by_question.values() for a in q)
        if (part := breakdown.part(department)) is not None
    }
    return CommentThemes(
        campaign.id,
        department_id,
        minimum,
        tuple(found),
        tuple(
            (row.id, name_labels(row.name, row.name_en))
            for row in breakdown.parts
            if not row.archived or row.id in shown
        ),
    )


@dataclass(frozen=True)
class _Breakdown:
    """The departments a scope's themes are counted by: the top-level departments of the
    organisation, or the sub-departments of one department, each with everything below it.
    Answers from the scope department itself belong to none of them."""

    parts: tuple[Any, ...]
    #: Each department of the scope's subtree to the part it belongs to.
    of: Mapping[int, int]

    @classmethod
    def below(cls, scope: int | None, departments: list[Any]) -> _Breakdown:
        tree = department_tree(departments)
        by_id = {row.id: row for row in departments}
        tops = tree.roots if scope is None else [by_id[i] for i in tree.children.get(scope, ())]
        of = {member: top.id for top in tops for member in tree.subtree(top.id)}
        return cls(tuple(tops), of)

    def part(self, department: int) -> int | None:
        return self.of.get(department)


def _rows(
    answered: list[tuple[str, int, int]],
    roles: Mapping[int, Any],
    departments: list[Any],
    breakdown: _Breakdown,
    people: list[str],
    minimum: int,
    prompt: str,
) -> tuple[ThemeRow, ...]:
    texts = [text for text, _department, _role in answered]
    themes = find_themes(texts, question=prompt)
    answerers_by_role = Counter(role for _text, _department, role in answered)
    shown_roles = {
        role.key for role_id, role in roles.items() if answerers_by_role[role_id] >= minimum
    }
    answerers_by_department = Counter(department for _text, department, _role in answered)
    answerers_by_part = Counter(breakdown.part(department) for _text, department, _role in answered)
    shown_parts = {
        part for part, count in answerers_by_part.items() if part is not None and count >= minimum
    }
    hidden = [
        name
        for department in departments
        if 0 < answerers_by_department[department.id] < minimum
        for name in (department.name, department.name_en)
        if name
    ] + [
        label
        for role_id, role in roles.items()
        if 0 < answerers_by_role[role_id] < minimum
        for label in role_labels(role.labels, role.key).values()
    ]
    scrubber = Scrubber(people=people, hidden_groups=hidden)
    rows = []
    for theme in themes.themes:
        counts = Counter(
            roles[answered[i][2]].key for i in theme.members if answered[i][2] in roles
        )
        in_parts = Counter(breakdown.part(answered[i][1]) for i in theme.members)
        quoted: dict[str, bool] = {}
        for index in theme.members_by_strength:
            cleaned = scrubber(texts[index])
            # An unchanged answer of a theme has terms; the same words twice say nothing more.
            if (not cleaned.changed or quotable(cleaned)) and cleaned.text not in quoted:
                quoted[cleaned.text] = cleaned.changed
        examples = list(quoted)[:EXAMPLES]
        rows.append(
            ThemeRow(
                id=f"t{theme.number}",
                label={"ja": "・".join(theme.labels), "en": ", ".join(theme.labels)},
                terms=theme.labels,
                count=theme.count,
                by_role={
                    role.key: (counts[role.key] if role.key in shown_roles else None)
                    for role in sorted(roles.values(), key=lambda r: (r.rank, r.id))
                },
                examples=tuple(examples),
                scrubbed=tuple(quoted[text] for text in examples),
                answers=tuple(quoted.items()),
                by_department={
                    part.id: (in_parts[part.id] if part.id in shown_parts else None)
                    for part in breakdown.parts
                    if answerers_by_part[part.id] or not part.archived
                },
            )
        )
    return tuple(rows)
