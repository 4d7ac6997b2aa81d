"""Chapters the report's outline keeps a place for: the leaders' voice and the action plan.

The leaders' own words (their comments, grouped by theme) and the organisation's action plan
come from capabilities of their own. The report's outline already has their places: the
leaders' voice after the perception gaps, the action plan after the trend, before the
appendix. A capability fills its place by registering a provider on the app
(:func:`register_slot`); a provider returns the chapter's content for one report, or None
when it has nothing to say there. Without a provider, or when it returns None, the chapter is
absent: no heading, no contents entry, no gap in the chapter numbers.

The content each template expects (``reports/shared/_slots.html``):

``leaders_voice``: :class:`VoiceContent`, themes with how many comments each gathers and a
few quoted comments (already cleared of anything identifying and of groups under the
anonymity threshold: the provider's duty).

``action_plan``: :class:`PlanContent`, the agreed actions with their owner, horizon, due
date and status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _

from app.reporting.sections.base import ReportContext
from app.reporting.viewmodel import SlotChapter, TocEntry

#: The slots, in the order of the outline (each placed by the assembler).
LEADERS_VOICE = "leaders_voice"
ACTION_PLAN = "action_plan"
SLOTS = (LEADERS_VOICE, ACTION_PLAN)

#: Where the providers are kept on the app (``app.extensions``).
EXTENSION = "cx_report_slots"

Provider = Callable[[ReportContext], Any]


def register_slot(app: Flask, slot: str, provider: Provider) -> None:
    """Let ``provider`` fill ``slot`` in ``app``'s reports (one provider per slot)."""
    if slot not in SLOTS:
        raise ValueError(f"unknown report slot {slot!r}; slots: {', '.join(SLOTS)}")
    app.extensions.setdefault(EXTENSION, {})[slot] = provider


def _providers() -> Mapping[str, Provider]:
    return current_app.extensions.get(EXTENSION, {})


def _title(slot: str) -> str:
    return {LEADERS_VOICE: _("The leaders' voice"), ACTION_PLAN: _("Action plan")}[slot]


def build(report: ReportContext, slot: str) -> SlotChapter | None:
    """The slot's chapter for this report, or None when nothing fills it."""
    provider = _providers().get(slot)
    if provider is None:
        return None
    content = provider(report)
    if content is None:
        return None
    return SlotChapter(
        slot=slot,
        number=report.next_number(),
        anchor=slot.replace("_", "-"),
        title=_title(slot),
        content=content,
    )


def toc_entry(chapter: SlotChapter) -> TocEntry:
    return TocEntry(chapter.anchor, chapter.number, chapter.title)
