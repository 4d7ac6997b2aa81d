"""The leaders' voice: the provider that fills the outline's place for it
(:mod:`app.reporting.sections.slots`) with the themes of the campaign's free-text answers
(:mod:`app.results.comments`), for the organisation or the report's department.

The themes apply the campaign's minimum for words (no question is themed for a group with
fewer answerers, no role counted apart below it) and their quotes are scrubbed;
without a themed question the chapter is absent.
"""

from __future__ import annotations

from flask import Flask

from app.reporting.sections.base import ReportContext
from app.reporting.sections.slots import LEADERS_VOICE, register_slot
from app.reporting.viewmodel import VoiceContent, VoiceTheme
from app.results.comments import comment_themes

#: Themes shown per question: the chapter is a page or two, not the whole list.
THEMES_PER_QUESTION = 5


def leaders_voice(report: ReportContext) -> VoiceContent | None:
    """The themes of the report's group's free-text answers, largest first per question."""
    department = report.department.id if report.department is not None else None
    found = comment_themes(report.campaign, report.results.data_version, department)
    language = "en" if report.locale == "en" else "ja"
    themes = []
    comments = 0
    for question in found.questions:
        if question.answers is None or not question.themes:
            continue
        comments += question.answers
        prompt = report.questionnaire.open_question(question.question).text.to_dict()
        asked = prompt.get(report.locale) or prompt.get("ja", "")
        for theme in question.themes[:THEMES_PER_QUESTION]:
            themes.append(
                VoiceTheme(
                    title=theme.label[language],
                    count=theme.count,
                    quotes=theme.examples,
                    question=asked,
                    roles=tuple(
                        (report.role_label(key), count)
                        for key, count in theme.by_role.items()
                        if count
                    ),
                )
            )
    if not themes:
        return None
    return VoiceContent(themes=tuple(themes), comments=comments)


def register_leaders_voice(app: Flask) -> None:
    register_slot(app, LEADERS_VOICE, leaders_voice)
