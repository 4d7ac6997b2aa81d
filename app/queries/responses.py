"""Reads of responses and their answers."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Answer, Response
from app.platform.extensions import db


def answers_of(response: Response | None) -> dict[str, Answer]:
    """The response's answers by item id (empty for no response)."""
    if response is None:
        return {}
    return {
        a.item_id: a
        for a in db.session.scalars(select(Answer).where(Answer.response_id == response.id))
    }
