"""The organisation profile: a short list of facts about how an organisation runs CX.

Facts (who owns CX, which metrics the executive team reviews, the CX budget...) are answered
once per campaign by the client's CX office or the consultant, each with an optional evidence
note. They are reported beside the perception results and never enter scores or role gaps.

The definition is a YAML file validated like a questionnaire: every problem is reported as
``FILE:LINE:COL: message`` in one pass.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .loader import (
    ENTRY_ID_HINT,
    ENTRY_ID_RE,
    LOCALE_HINT,
    LOCALE_RE,
    QUESTIONNAIRE_ID_HINT,
    QUESTIONNAIRE_ID_RE,
    QuestionnaireError,
)
from .model import LocalizedText
from .yamlcheck import MAX_BYTES, Checker, Node, Problem, UniqueIds, size_problem

#: The kinds of answer a fact may take.
ANSWER_KINDS: tuple[str, ...] = ("choice", "yes_no", "number", "text")
#: The values a yes/no fact stores.
YES_NO: tuple[str, ...] = ("yes", "no")
#: Longest short-text answer unless a fact says otherwise.
DEFAULT_TEXT_MAX_LENGTH = 200
#: Longest evidence note unless the file says otherwise.
DEFAULT_EVIDENCE_MAX_LENGTH = 500
#: Largest limit a file may set, for answers and evidence notes alike.
MAX_LENGTH_LIMIT = 2000
#: Largest number a number fact accepts.
MAX_NUMBER = 10**9

TOP_REQUIRED = ("id", "version", "locales", "title", "facts")
TOP_OPTIONAL = ("description", "evidence_max_length")
FACT_REQUIRED = ("id", "text", "answer")
FACT_OPTIONAL = ("topic", "options", "unit", "max_length", "help")
OPTION_REQUIRED = ("id", "label")
VERSION_RE = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


@dataclass(frozen=True)
class FactOption:
    """One choice of a ``choice`` fact."""

    id: str
    label: LocalizedText


@dataclass(frozen=True)
class Fact:
    """One question of the profile."""

    id: str
    text: LocalizedText
    answer: str
    topic: LocalizedText | None = None
    help: LocalizedText | None = None
    options: tuple[FactOption, ...] = ()
    unit: LocalizedText | None = None
    max_length: int = DEFAULT_TEXT_MAX_LENGTH

    def option(self, option_id: str) -> FactOption | None:
        """The option with that id, if the fact has one."""
        return next((option for option in self.options if option.id == option_id), None)


@dataclass(frozen=True)
class Profile:
    """A validated profile definition."""

    id: str
    version: str
    locales: tuple[str, ...]
    title: LocalizedText
    facts: tuple[Fact, ...]
    description: LocalizedText | None = None
    evidence_max_length: int = DEFAULT_EVIDENCE_MAX_LENGTH

    def fact(self, fact_id: str) -> Fact | None:
        """The fact with that id, if the profile has one."""
        return next((fact for fact in self.facts if fact.id == fact_id), None)


class _Walker:
    def __init__(self, checker: Checker) -> None:
        self.check = checker
        self.ids = UniqueIds(checker)
        self.locales: list[str] | None = None

    def text(self, node: Node | None) -> LocalizedText | None:
        texts = self.check.localized(node, self.locales)
        return LocalizedText.from_mapping(texts, self.locales or ()) if texts else None

    def entry_id(self, node: Node | None, ids: UniqueIds) -> str | None:
        value = self.check.string(node, pattern=ENTRY_ID_RE, pattern_hint=ENTRY_ID_HINT)
        ids.add(value, node)
        return value

    def limit(self, node: Node, default: int) -> int:
        value = self.check.integer(node, minimum=1)
        if value is not None and value > MAX_LENGTH_LIMIT:
            self.check.report(node, f"must be at most {MAX_LENGTH_LIMIT}, got {value}")
            return default
        return default if value is None else value

    def document(self, root: Node) -> Profile | None:
        top = self.check.mapping(root, required=TOP_REQUIRED, optional=TOP_OPTIONAL)
        if top is None:
            return None
        profile_id = self.check.string(
            top.get("id"), pattern=QUESTIONNAIRE_ID_RE, pattern_hint=QUESTIONNAIRE_ID_HINT
        )
        version = self.check.string(
            top.get("version"),
            pattern=VERSION_RE,
            pattern_hint='use a version MAJOR.MINOR.PATCH such as "1.0.0"',
        )
        self.locales = self.locale_list(top.get("locales"))
        title = self.text(top.get("title"))
        description = self.text(top["description"]) if "description" in top else None
        evidence = (
            self.limit(top["evidence_max_length"], DEFAULT_EVIDENCE_MAX_LENGTH)
            if "evidence_max_length" in top
            else DEFAULT_EVIDENCE_MAX_LENGTH
        )
        fact_nodes = self.check.sequence(top.get("facts"), non_empty=True) or []
        facts = [self.fact(node) for node in fact_nodes]
        if not self.check.ok or None in (profile_id, version, self.locales, title):
            return None
        return Profile(
            id=str(profile_id),
            version=str(version),
            locales=tuple(self.locales or ()),
            title=title,  # type: ignore[arg-type]
            facts=tuple(fact for fact in facts if fact is not None),
            description=description,
            evidence_max_length=evidence,
        )

    def locale_list(self, node: Node | None) -> list[str] | None:
        nodes = self.check.sequence(node, non_empty=True)
        if nodes is None:
            return None
        locales: list[str] = []
        for child in nodes:
            value = self.check.string(child, pattern=LOCALE_RE, pattern_hint=LOCALE_HINT)
            if value is None:
                return None
            if value in locales:
                self.check.report(child, f"locale {value!r} is listed twice")
                return None
            locales.append(value)
        return locales

    def fact(self, node: Node) -> Fact | None:
        fields = self.check.mapping(node, required=FACT_REQUIRED, optional=FACT_OPTIONAL)
        if fields is None:
            return None
        fact_id = self.entry_id(fields.get("id"), self.ids)
        text = self.text(fields.get("text"))
        answer = self.check.choice(fields.get("answer"), ANSWER_KINDS, what="answer type")
        topic = self.text(fields["topic"]) if "topic" in fields else None
        help_text = self.text(fields["help"]) if "help" in fields else None
        options: list[FactOption] = []
        if answer == "choice":
            if "options" not in fields:
                self.check.report(node, "an answer of type 'choice' needs 'options'")
            else:
                options = self.options(fields["options"])
        elif "options" in fields:
            self.check.report(
                fields["options"], f"only a 'choice' fact has options, not {answer!r}"
            )
        unit = None
        if "unit" in fields:
            if answer != "number":
                self.check.report(fields["unit"], "only a 'number' fact has a unit")
            unit = self.text(fields["unit"])
        max_length = DEFAULT_TEXT_MAX_LENGTH
        if "max_length" in fields:
            if answer != "text":
                self.check.report(fields["max_length"], "only a 'text' fact has a max_length")
            max_length = self.limit(fields["max_length"], DEFAULT_TEXT_MAX_LENGTH)
        if fact_id is None or text is None or answer is None:
            return None
        return Fact(
            id=fact_id,
            text=text,
            answer=answer,
            topic=topic,
            help=help_text,
            options=tuple(options),
            unit=unit,
            max_length=max_length,
        )

    def options(self, node: Node) -> list[FactOption]:
        nodes = self.check.sequence(node, non_empty=True) or []
        if len(nodes) == 1:
            self.check.report(node, "a choice needs at least two options")
        ids = UniqueIds(self.check, "option id")
        options = []
        for child in nodes:
            fields = self.check.mapping(child, required=OPTION_REQUIRED)
            if fields is None:
                continue
            option_id = self.entry_id(fields.get("id"), ids)
            label = self.text(fields.get("label"))
            if option_id is not None and label is not None:
                options.append(FactOption(option_id, label))
        return options


def parse_profile(text: str, filename: str = "<string>") -> Profile:
    """Parse and validate profile YAML ``text``; raises :class:`QuestionnaireError`."""
    checker = Checker(filename)
    root = checker.load(text)
    profile = None
    if root is not None:
        if root.value is None:
            checker.report_at(1, 1, "the file is empty; expected a profile mapping")
        else:
            profile = _Walker(checker).document(root)
    if checker.problems or profile is None:
        raise QuestionnaireError(checker.sorted_problems())
    return profile


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Load and validate the profile file at ``path``.

    Raises :class:`QuestionnaireError` for invalid content and ``OSError`` if unreadable.
    """
    filename = str(path)
    with Path(path).open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    too_large = size_problem(filename, data)
    if too_large is not None:
        raise QuestionnaireError([too_large])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise QuestionnaireError(
            [Problem(filename, 1, 1, f"file is not valid UTF-8: {exc.reason}")]
        ) from exc
    return parse_profile(text, filename)


def clean_answer(fact: Fact, raw: str | None) -> tuple[str | None, str | None]:
    """Check one posted answer: ``(value, None)`` or ``(None, problem)``.

    ``problem`` names what is wrong: ``option`` (not one of the options), ``yes_no``,
    ``number`` (not a whole number from 0 to :data:`MAX_NUMBER`) or ``length`` (longer than
    the fact's ``max_length``). An empty answer is allowed (not answered yet) and cleans to
    ``None``.
    """
    value = (raw or "").strip()
    if not value:
        return None, None
    if fact.answer == "choice":
        if fact.option(value) is None:
            return None, "option"
        return value, None
    if fact.answer == "yes_no":
        if value not in YES_NO:
            return None, "yes_no"
        return value, None
    if fact.answer == "number":
        if not re.fullmatch(r"\d+", value) or int(value) > MAX_NUMBER:
            return None, "number"
        return str(int(value)), None
    if len(value) > fact.max_length:
        return None, "length"
    return value, None


def answer_label(fact: Fact, value: str | None, locale: str | None) -> str | None:
    """The answer as a reader sees it: the option label, or the value with its unit."""
    if value is None:
        return None
    option = fact.option(value) if fact.answer == "choice" else None
    if option is not None:
        return option.label.get(locale)
    if fact.answer == "number" and fact.unit is not None:
        return f"{value} {fact.unit.get(locale)}"
    return value
