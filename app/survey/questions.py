"""The registry of question types and the page structure built from a questionnaire.

Every question a respondent sees is one of the types registered in ``QUESTION_TYPES``. A type
knows how to build its WTForms field, which template renders it, how to validate a submitted
value, how to turn a stored ``Answer`` into the value the form shows, and how to turn the form
value back into what ``save_page`` stores. Pages and forms are generated from the frozen
questionnaire of the campaign, never written by hand for one questionnaire.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import Field, TextAreaField, ValidationError
from wtforms.validators import Length

from app.models import Answer, Campaign
from app.operations.responses import DONT_KNOW, NOT_APPLICABLE, AnswerValue
from app.platform.cache import BoundedCache
from app.platform.forms import BaseForm
from app.platform.text import clean_free_text
from app.questionnaire import (
    AUDIENCE_ROLES,
    Dimension,
    Item,
    LocalizedText,
    OpenQuestion,
    OutcomeDimension,
    OutcomeItem,
    Questionnaire,
)

#: Returned by ``QuestionType.answer_value`` when the form carries nothing for the question:
#: the stored answer is left as it is (a radio group cannot be "unchecked" by the respondent,
#: and a stale page on another device must not erase what was answered there).
UNCHANGED = object()

#: Form field names are the question id behind this prefix, so an id can never collide with
#: an attribute of the form class (``data``, ``errors``, ``meta``...).
FIELD_PREFIX = "q_"

#: What a question is asked from: a rated item, an outcome item or an open question.
Definition = Item | OutcomeItem | OpenQuestion


class ScaleField(Field):
    """One answer on the scale: a point as text (``"1"``...), ``"dk"`` or ``"na"``; ``None``
    if absent."""

    def __init__(self, label: Any = None, validators: Any = None, *, choices=(), **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.choices: tuple[str, ...] = tuple(choices)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = valuelist[0].strip() if valuelist and valuelist[0].strip() else None

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and self.data not in self.choices:
            raise ValidationError(_l("Choose one of the options shown."))

    def _value(self) -> str:
        return self.data or ""


@dataclass(frozen=True)
class Question:
    """One question as placed in the survey: its definition, number and page."""

    id: str
    kind: str
    number: int
    page: int
    definition: Definition

    @property
    def type(self) -> QuestionType:
        return QUESTION_TYPES[self.kind]

    @property
    def field_name(self) -> str:
        return FIELD_PREFIX + self.id

    @property
    def anchor(self) -> str:
        return "item-" + self.id


class QuestionType(ABC):
    """How one kind of question is asked, checked, stored and shown."""

    kind: ClassVar[str]
    #: The template whose ``render(q, value, errors, context)`` macro shows one question.
    template: ClassVar[str]

    @abstractmethod
    def questions(
        self, questionnaire: Questionnaire, role_key: str | None = None
    ) -> list[tuple[str, Definition]]:
        """The ``(page key, definition)`` pairs of this type a respondent of ``role_key`` is
        asked, in order."""

    @abstractmethod
    def make_field(self, question: Question, questionnaire: Questionnaire) -> Any:
        """An unbound WTForms field for the question (validation lives here)."""

    @abstractmethod
    def form_value(self, answer: Answer | None) -> str | None:
        """The stored answer as the form shows it."""

    @abstractmethod
    def answer_value(self, field: Field) -> AnswerValue | object:
        """The validated form value as ``save_page`` takes it, or ``UNCHANGED``."""

    @abstractmethod
    def is_answered(self, answer: Answer | None) -> bool:
        """Whether the stored answer counts as answered (for progress and review)."""

    def text(self, question: Question) -> LocalizedText:
        return question.definition.text

    @abstractmethod
    def review(self, answer: Answer | None, context: dict[str, Any]) -> dict[str, Any]:
        """The stored answer as the review page shows it (``context``: ``render_context``).

        Always has ``answered``; the rest depends on the type.
        """

    def render_context(
        self, question: Question, questionnaire: Questionnaire, locale: str
    ) -> dict[str, Any]:
        """What the template shows, with every text resolved in ``locale``.

        ``Survey.render_context`` caches the result per question and locale, so a page view
        only fills in the respondent's values.
        """
        return {"text": questionnaire.text(question.definition.text, locale)}


class ScaleQuestion(QuestionType):
    """A statement rated on the questionnaire's scale, with its anchored level descriptors."""

    kind = "scale"
    template = "survey/questions/_scale.html"

    def questions(
        self, questionnaire: Questionnaire, role_key: str | None = None
    ) -> list[tuple[str, Definition]]:
        return [(item.dimension_id, item) for item in questionnaire.items_for(role_key)]

    def choices(self, questionnaire: Questionnaire) -> tuple[str, ...]:
        points = tuple(str(point) for point in questionnaire.scale.points)
        if questionnaire.scale.dont_know is not None:
            points += (DONT_KNOW,)
        if questionnaire.scale.not_applicable is not None:
            points += (NOT_APPLICABLE,)
        return points

    def make_field(self, question: Question, questionnaire: Questionnaire) -> Any:
        return ScaleField(choices=self.choices(questionnaire))

    def form_value(self, answer: Answer | None) -> str | None:
        if answer is None:
            return None
        if answer.not_applicable:
            return NOT_APPLICABLE
        if answer.dont_know:
            return DONT_KNOW
        return None if answer.value is None else str(answer.value)

    def answer_value(self, field: Field) -> AnswerValue | object:
        if field.data is None:
            return UNCHANGED
        if field.data in (NOT_APPLICABLE, DONT_KNOW):
            return str(field.data)
        return int(field.data)

    def is_answered(self, answer: Answer | None) -> bool:
        return answer is not None and (
            answer.value is not None or answer.not_applicable or answer.dont_know
        )

    def review(self, answer: Answer | None, context: dict[str, Any]) -> dict[str, Any]:
        if not self.is_answered(answer):
            return {"answered": False}
        assert answer is not None
        if answer.not_applicable:
            return {"answered": True, "not_applicable": True, "label": context["not_applicable"]}
        if answer.dont_know:
            return {"answered": True, "not_applicable": True, "label": context["dont_know"]}
        option = next((o for o in context["options"] if o["point"] == answer.value), None)
        if option is None:  # a point the scale no longer has: show the number as stored
            return {"answered": True, "point": answer.value, "label": "", "level": None}
        return {
            "answered": True,
            "point": option["point"],
            "label": option["label"],
            "level": option["level"],
        }

    def render_context(
        self, question: Question, questionnaire: Questionnaire, locale: str
    ) -> dict[str, Any]:
        item = question.definition
        assert isinstance(item, Item)
        scale = questionnaire.scale
        levels = dict(item.levels)
        # An item's own anchor for a point takes the place of the scale's generic label: the
        # two side by side ("1 Not started" beside "failures are punished") read as nonsense.
        options = [
            {
                "value": str(point),
                "point": point,
                "label": None if point in levels else questionnaire.text(label, locale),
                "level": questionnaire.text(levels[point], locale) if point in levels else None,
            }
            for point, label in scale.labels
        ]
        na = scale.not_applicable
        dk = scale.dont_know
        return {
            **super().render_context(question, questionnaire, locale),
            "options": options,
            "with_levels": bool(levels),
            "dont_know": questionnaire.text(dk, locale) if dk is not None else None,
            "not_applicable": questionnaire.text(na, locale) if na is not None else None,
        }


class OutcomeQuestion(QuestionType):
    """A customer-outcome item: one number on its own scale (0-10), asked of everyone after
    the rated items, labelled at its ends. Optional, with no "don't know"."""

    kind = "outcome"
    template = "survey/questions/_outcome.html"

    def questions(
        self, questionnaire: Questionnaire, role_key: str | None = None
    ) -> list[tuple[str, Definition]]:
        return [(item.dimension_id, item) for item in questionnaire.outcomes]

    def make_field(self, question: Question, questionnaire: Questionnaire) -> Any:
        item = question.definition
        assert isinstance(item, OutcomeItem)
        return ScaleField(choices=tuple(str(point) for point in item.scale.points))

    def form_value(self, answer: Answer | None) -> str | None:
        return None if answer is None or answer.value is None else str(answer.value)

    def answer_value(self, field: Field) -> AnswerValue | object:
        return UNCHANGED if field.data is None else int(field.data)

    def is_answered(self, answer: Answer | None) -> bool:
        return answer is not None and answer.value is not None

    def review(self, answer: Answer | None, context: dict[str, Any]) -> dict[str, Any]:
        if not self.is_answered(answer):
            return {"answered": False}
        assert answer is not None
        option = next((o for o in context["options"] if o["point"] == answer.value), None)
        label = option["label"] if option is not None else None
        return {"answered": True, "point": answer.value, "label": label or "", "level": None}

    def render_context(
        self, question: Question, questionnaire: Questionnaire, locale: str
    ) -> dict[str, Any]:
        item = question.definition
        assert isinstance(item, OutcomeItem)
        labels = dict(item.scale.labels)
        options = [
            {
                "value": str(point),
                "point": point,
                "label": questionnaire.text(labels[point], locale) if point in labels else None,
            }
            for point in item.scale.points
        ]
        return {
            **super().render_context(question, questionnaire, locale),
            "options": options,
            "ends": [option for option in options if option["label"] is not None],
        }


class OpenTextQuestion(QuestionType):
    """A free-text question with a maximum length, asked on the final page."""

    kind = "open_text"
    template = "survey/questions/_open_text.html"
    #: The page key of the final page that holds the open questions.
    page_key = "__open__"

    def questions(
        self, questionnaire: Questionnaire, role_key: str | None = None
    ) -> list[tuple[str, Definition]]:
        return [(self.page_key, question) for question in questionnaire.open_questions]

    def make_field(self, question: Question, questionnaire: Questionnaire) -> Any:
        definition = question.definition
        assert isinstance(definition, OpenQuestion)
        return TextAreaField(
            validators=[
                Length(
                    max=definition.max_length,
                    message=_l(
                        "Please keep your answer to %(max)d characters or fewer.",
                        max=definition.max_length,
                    ),
                )
            ],
            # Invisible control characters go before the length is counted; the rest of
            # the answer, and the page's other answers, are saved as written.
            filters=[lambda value: clean_free_text(value) if isinstance(value, str) else value],
        )

    def form_value(self, answer: Answer | None) -> str | None:
        return None if answer is None else answer.text

    def answer_value(self, field: Field) -> AnswerValue | object:
        if field.raw_data is None or not field.raw_data:
            return UNCHANGED
        text = field.data or ""
        return text if text.strip() else None

    def is_answered(self, answer: Answer | None) -> bool:
        return answer is not None and bool(answer.text and answer.text.strip())

    def review(self, answer: Answer | None, context: dict[str, Any]) -> dict[str, Any]:
        if not self.is_answered(answer):
            return {"answered": False}
        assert answer is not None
        return {"answered": True, "text": answer.text}

    def render_context(
        self, question: Question, questionnaire: Questionnaire, locale: str
    ) -> dict[str, Any]:
        definition = question.definition
        assert isinstance(definition, OpenQuestion)
        return {
            **super().render_context(question, questionnaire, locale),
            "max_length": definition.max_length,
        }


#: Every question type, by kind, in the order their questions appear in a survey.
QUESTION_TYPES: dict[str, QuestionType] = {
    ScaleQuestion.kind: ScaleQuestion(),
    OutcomeQuestion.kind: OutcomeQuestion(),
    OpenTextQuestion.kind: OpenTextQuestion(),
}


@dataclass(frozen=True)
class Page:
    """One page of the survey: a dimension's items, the outcome items, or the final open
    questions."""

    number: int
    key: str
    questions: tuple[Question, ...]
    title: LocalizedText | None
    description: LocalizedText | None

    @property
    def is_open_questions(self) -> bool:
        return self.key == OpenTextQuestion.page_key

    @property
    def is_outcome(self) -> bool:
        """Whether the page asks the outcome items (a number each, not a maturity level)."""
        return bool(self.questions) and all(
            question.kind == OutcomeQuestion.kind for question in self.questions
        )


class Survey:
    """The pages, questions and per-page form classes generated from one questionnaire, for
    the respondents of one role (an item's ``audience`` says which roles are asked it; a
    dimension none of whose items the role is asked has no page)."""

    def __init__(self, questionnaire: Questionnaire, role_key: str | None = None) -> None:
        self.questionnaire = questionnaire
        self.role_key = role_key
        keyed: dict[str, list[tuple[str, Definition]]] = {}
        for kind, question_type in QUESTION_TYPES.items():
            for key, definition in question_type.questions(questionnaire, role_key):
                keyed.setdefault(key, []).append((kind, definition))
        order = [d.id for d in questionnaire.dimensions] + [
            key for key in keyed if key not in {d.id for d in questionnaire.dimensions}
        ]
        pages: list[Page] = []
        number = 0
        for page_number, key in enumerate((k for k in order if k in keyed), start=1):
            questions = []
            for kind, definition in keyed[key]:
                number += 1
                questions.append(Question(definition.id, kind, number, page_number, definition))
            dimension: Dimension | OutcomeDimension | None = next(
                (d for d in questionnaire.dimensions if d.id == key), None
            )
            outcome = questionnaire.outcome_dimension
            if dimension is None and outcome is not None and outcome.id == key:
                dimension = outcome
            pages.append(
                Page(
                    number=page_number,
                    key=key,
                    questions=tuple(questions),
                    title=dimension.title if dimension else None,
                    description=dimension.description if dimension else None,
                )
            )
        self.pages: tuple[Page, ...] = tuple(pages)
        self.questions: tuple[Question, ...] = tuple(q for p in pages for q in p.questions)
        self._by_id = {q.id: q for q in self.questions}
        self._forms = {page.number: self._form_class(page) for page in self.pages}
        self._contexts: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def review_page(self) -> int:
        """The ``current_page`` value that stands for the review page."""
        return self.page_count + 1

    def page(self, number: int) -> Page:
        return self.pages[number - 1]

    def question(self, question_id: str) -> Question:
        return self._by_id[question_id]

    def _form_class(self, page: Page) -> type[BaseForm]:
        attrs = {q.field_name: q.type.make_field(q, self.questionnaire) for q in page.questions}
        return type(f"Page{page.number}Form", (BaseForm,), attrs)

    def render_context(self, question: Question, locale: str) -> dict[str, Any]:
        """The question's template data in ``locale``, computed once per process."""
        key = (question.id, locale)
        context = self._contexts.get(key)
        if context is None:
            context = question.type.render_context(question, self.questionnaire, locale)
            self._contexts[key] = context
        return context

    def form_class(self, number: int) -> type[BaseForm]:
        """The Flask-WTF form class of a page (CSRF included), built once per questionnaire."""
        return self._forms[number]

    def answered(self, answers: dict[str, Answer], questions: Any = None) -> list[Question]:
        return [q for q in (questions or self.questions) if q.type.is_answered(answers.get(q.id))]

    def unanswered(self, answers: dict[str, Answer]) -> list[Question]:
        return [q for q in self.questions if not q.type.is_answered(answers.get(q.id))]

    def _review_row(self, question: Question, answer: Answer | None, locale: str) -> dict[str, Any]:
        context = self.render_context(question, locale)
        return {"statement": context["text"], **question.type.review(answer, context)}

    def review(
        self, answers: dict[str, Answer], locale: str
    ) -> list[tuple[Page, list[tuple[Question, dict[str, Any]]]]]:
        """Every page with each question and its answer as the review page shows it."""
        return [
            (
                page,
                [(q, self._review_row(q, answers.get(q.id), locale)) for q in page.questions],
            )
            for page in self.pages
        ]


#: Generated surveys kept per process, one per questionnaire content and role.
SURVEYS = 64

_surveys: BoundedCache[tuple[str, str | None], Survey] = BoundedCache(SURVEYS)


def survey_for(campaign: Campaign, role_key: str | None = None) -> Survey:
    """The generated survey of a campaign for respondents of ``role_key`` (every item when
    None), built once per process for each content hash and role.

    Views load campaigns with the (large) frozen content deferred; it is read from the
    database only the first time a process meets that hash (:attr:`Campaign.questionnaire`
    keeps the parsed questionnaires).
    """
    # Roles the questionnaire does not name see what a respondent without a role sees.
    questionnaire_roles = role_key if role_key in AUDIENCE_ROLES else None
    return _surveys.get_or_create(
        (campaign.questionnaire_hash, questionnaire_roles),
        lambda: Survey(campaign.questionnaire, questionnaire_roles),
    )
