"""Actions agreed after a diagnosis: what is done to move a dimension, by whom and by when.

An action starts in the campaign whose findings it answers (its origin) and stays with the
organisation: the next rounds list it while it is open and measure its dimension's change since
the origin. Every change is kept in its history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow

ACTION_STATUSES = ("planned", "in_progress", "done", "dropped")
#: Statuses of an action still to be carried out (the next rounds list it).
OPEN_STATUSES = ("planned", "in_progress")
TITLE_LENGTH = 200
OWNER_LENGTH = 200
NOTES_LENGTH = 4000


class Action(Base):
    __tablename__ = "action"
    __table_args__ = (
        CheckConstraint("status IN ('planned', 'in_progress', 'done', 'dropped')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    #: The campaign whose diagnosis the action answers: its progress is measured from there.
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    #: The key message or recommendation it answers, in words (None: set by hand).
    origin_text: Mapped[str | None] = mapped_column(String(TITLE_LENGTH))
    dimension: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str | None] = mapped_column(String(64))
    #: The department it aims to move (None: the whole organisation).
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL")
    )
    #: A person's name or a function ("CX office").
    owner: Mapped[str] = mapped_column(String(OWNER_LENGTH))
    #: Where reminders of the action, once overdue, are sent (None: nobody is e-mailed).
    owner_email: Mapped[str | None] = mapped_column(String(320))
    #: When its owner was last sent a reminder that listed it.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    changes: Mapped[list[ActionChange]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionChange.id"
    )

    def __repr__(self) -> str:
        return f"<Action {self.id} {self.title!r}>"


class ActionChange(Base):
    """One change of an action: who, when, and each field's value before and after."""

    __tablename__ = "action_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: ``{field: [before, after]}``; the creation lists every field with ``before`` None.
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)

    action: Mapped[Action] = relationship(back_populates="changes")
