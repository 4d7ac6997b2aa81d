"""The organisation profile: its definition (``CX_PROFILE_FILE``) and a campaign's answers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.models import Campaign, ProfileAnswer, User
from app.platform.cache import FileCache, ParseStore
from app.platform.extensions import db
from app.questionnaire import QuestionnaireError
from app.questionnaire.profile import Fact, Profile, load_profile

logger = logging.getLogger(__name__)


def _load(path: Path) -> Profile | None:
    try:
        return load_profile(path)
    except QuestionnaireError as exc:
        logger.error("organisation profile left out:\n%s", exc)
    except OSError as exc:
        logger.error("organisation profile %s cannot be read: %s", path, exc.strerror or exc)
    return None


#: The definition, read again when the file changes.
_definitions: FileCache[Profile | None] = FileCache(
    _load, maxsize=4, store=ParseStore("profile", lambda found: found is not None)
)


def profile_definition() -> Profile | None:
    """The profile definition, or None when the file is missing or invalid (logged)."""
    return _definitions.get(Path(current_app.config["CX_PROFILE_FILE"]))


@dataclass(frozen=True)
class ProfileEntry:
    """One fact of the profile with what is recorded for it in a campaign."""

    fact: Fact
    value: str | None = None
    evidence: str | None = None
    answered_at: datetime | None = None
    answered_by: str | None = None

    @property
    def answered(self) -> bool:
        return self.value is not None or self.evidence is not None


def stored_answers(campaign: Campaign) -> dict[str, ProfileAnswer]:
    """The campaign's stored profile answers by fact id."""
    rows = db.session.scalars(select(ProfileAnswer).where(ProfileAnswer.campaign_id == campaign.id))
    return {row.fact_id: row for row in rows}


def campaign_profile(campaign: Campaign) -> tuple[Profile | None, list[ProfileEntry]]:
    """The definition and each of its facts with the campaign's answer, in definition order."""
    profile = profile_definition()
    if profile is None:
        return None, []
    rows = db.session.execute(
        select(ProfileAnswer, User.email)
        .outerjoin(User, User.id == ProfileAnswer.answered_by_id)
        .where(ProfileAnswer.campaign_id == campaign.id)
    ).all()
    by_fact = {answer.fact_id: (answer, email) for answer, email in rows}
    entries = []
    for fact in profile.facts:
        found = by_fact.get(fact.id)
        if found is None:
            entries.append(ProfileEntry(fact))
            continue
        answer, email = found
        entries.append(ProfileEntry(fact, answer.value, answer.evidence, answer.answered_at, email))
    return profile, entries
