"""How long a questionnaire takes, computed from the text a respondent reads.

Japanese is read at about 500 characters a minute, English at about 230 words a minute; each
rated item and each outcome item then takes about 5 seconds to answer. What is read: the title,
the descriptions (the questionnaire's and each dimension's), the item statements, the labels
shown beside each item's points (its own level anchors, else the scale's labels), the outcome
items with their dimension's title and description and their scale's labels, and the open
questions. The estimate counts the items a respondent of one role is asked (``audience``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .model import Questionnaire

#: Characters of Japanese text read per minute.
JA_CHARACTERS_PER_MINUTE = 500
#: Words of English (and other space-separated) text read per minute.
WORDS_PER_MINUTE = 230
#: Seconds to choose an answer to one rated item, once it is read.
SECONDS_PER_ITEM = 5

_SPACE = re.compile(r"\s+")
#: Languages written without spaces between words, measured in characters.
_CHARACTER_LOCALES = ("ja", "zh", "ko")


@dataclass(frozen=True)
class Estimate:
    """The reading and answering load of one questionnaire for one role, in one locale."""

    #: Characters (Japanese) or words (other languages) read.
    amount: int
    #: Whether ``amount`` counts characters rather than words.
    characters: bool
    #: Rated items answered.
    items: int
    #: Open questions asked.
    open_questions: int
    #: Outcome items answered (asked of everyone).
    outcomes: int = 0

    @property
    def questions(self) -> int:
        """Every question asked: rated items, outcome items and open questions."""
        return self.items + self.outcomes + self.open_questions

    @property
    def seconds(self) -> float:
        """Reading time at the rate of the language plus answering time."""
        rate = JA_CHARACTERS_PER_MINUTE if self.characters else WORDS_PER_MINUTE
        return self.amount / rate * 60 + (self.items + self.outcomes) * SECONDS_PER_ITEM

    @property
    def minutes(self) -> int:
        """Whole minutes, rounded up (at least one)."""
        return max(1, math.ceil(round(self.seconds, 6) / 60))


def counts_characters(locale: str) -> bool:
    """Whether text in ``locale`` is measured in characters rather than words."""
    return locale.split("-")[0].lower() in _CHARACTER_LOCALES


def _measure(text: str, characters: bool) -> int:
    if characters:
        return len(_SPACE.sub("", text))
    return len(text.split())


def read_texts(
    questionnaire: Questionnaire, locale: str | None = None, role_key: str | None = None
) -> list[str]:
    """Every text a respondent of ``role_key`` reads, in ``locale``."""
    resolve = questionnaire.text
    texts = [resolve(questionnaire.title, locale)]
    if questionnaire.description is not None:
        texts.append(resolve(questionnaire.description, locale))
    asked = {item.id for item in questionnaire.items_for(role_key)}
    for dimension in questionnaire.dimensions:
        items = [item for item in dimension.items if item.id in asked]
        if not items:
            continue
        texts.append(resolve(dimension.title, locale))
        if dimension.description is not None:
            texts.append(resolve(dimension.description, locale))
        for item in items:
            texts.append(resolve(item.text, locale))
            anchors = dict(item.levels)
            for point, label in questionnaire.scale.labels:
                texts.append(resolve(anchors.get(point, label), locale))
    outcome = questionnaire.outcome_dimension
    if outcome is not None:
        texts.append(resolve(outcome.title, locale))
        if outcome.description is not None:
            texts.append(resolve(outcome.description, locale))
        for outcome_item in outcome.items:
            texts.append(resolve(outcome_item.text, locale))
            texts += [resolve(label, locale) for _point, label in outcome_item.scale.labels]
    texts += [resolve(question.text, locale) for question in questionnaire.open_questions]
    return texts


def estimate(
    questionnaire: Questionnaire, locale: str | None = None, role_key: str | None = None
) -> Estimate:
    """The estimate for a respondent of ``role_key`` (every item when None) reading in
    ``locale`` (the questionnaire's default locale when None or not offered)."""
    shown = locale if locale in questionnaire.locales else questionnaire.default_locale
    characters = counts_characters(shown)
    amount = sum(_measure(text, characters) for text in read_texts(questionnaire, shown, role_key))
    return Estimate(
        amount=amount,
        characters=characters,
        items=len(questionnaire.items_for(role_key)),
        open_questions=len(questionnaire.open_questions),
        outcomes=len(questionnaire.outcomes),
    )
