"""The organisation profile as the workspace, the dashboard, the API and the PDF show it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.queries.profile import ProfileEntry
from app.questionnaire.profile import answer_label


@dataclass(frozen=True)
class FactRow:
    """One fact in one language: its topic, question, answer and evidence note."""

    id: str
    topic: str
    question: str
    answer: str | None
    evidence: str | None


def display_answer(entry: ProfileEntry, locale: str) -> str | None:
    """The recorded answer in words (None: not answered)."""
    if entry.fact.answer == "yes_no" and entry.value is not None:
        return _("Yes") if entry.value == "yes" else _("No")
    return answer_label(entry.fact, entry.value, locale)


def fact_rows(entries: Iterable[ProfileEntry], locale: str) -> list[FactRow]:
    """Every fact of the profile in definition order, answered or not."""
    return [
        FactRow(
            id=entry.fact.id,
            topic=entry.fact.topic.get(locale) if entry.fact.topic else "",
            question=entry.fact.text.get(locale),
            answer=display_answer(entry, locale),
            evidence=entry.evidence,
        )
        for entry in entries
    ]


def answered_rows(entries: Iterable[ProfileEntry], locale: str) -> list[FactRow]:
    """The facts with an answer or an evidence note recorded."""
    return [row for row in fact_rows(entries, locale) if row.answer or row.evidence]


def profile_document(entries: Iterable[ProfileEntry], locale: str) -> list[dict[str, Any]]:
    """The profile as JSON: each fact with its stored value and the value in words."""
    return [
        {
            "fact": entry.fact.id,
            "answer_type": entry.fact.answer,
            "question": entry.fact.text.get(locale),
            "value": entry.value,
            "answer": display_answer(entry, locale),
            "evidence": entry.evidence,
            "answered_at": entry.answered_at.isoformat() if entry.answered_at else None,
        }
        for entry in entries
    ]
