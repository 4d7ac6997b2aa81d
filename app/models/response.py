"""A respondent's answers: one response per participant, one answer per item.

Every insert, change or deletion of an answer raises its response's ``revision``: database
triggers do it (:data:`ANSWER_REVISION_DDL`, created with the tables and by migration 0006),
so it holds for every writer, bulk statements and SQL typed by hand included. Whatever
depends on a campaign's answers (the results cache) can then tell that they changed from
the campaign's responses alone, without reading a single answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.participant import Participant

RESPONSE_STATUSES = ("draft", "submitted")


class Response(Base):
    __tablename__ = "response"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
        CheckConstraint("source IN ('web', 'import')", name="source"),
        Index("ix_response_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    #: One response per participant makes a second submission impossible; imported
    #: responses (collected on paper) have no participant.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), unique=True
    )
    #: Department and role as answered, copied from the invitation so results group by them.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    source: Mapped[str] = mapped_column(String(16), default="web")
    #: The last page the respondent was on, so a resumed session lands there.
    current_page: Mapped[int] = mapped_column(SmallInteger, default=0)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Raised by the database on every write to one of the response's answers (see the
    #: module docstring); never set by the application. The value held by a loaded object
    #: may lag behind the database's.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    participant: Mapped[Participant | None] = relationship(back_populates="response")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(Base):
    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("response_id", "item_id"),
        CheckConstraint(
            "(CASE WHEN value IS NOT NULL THEN 1 ELSE 0 END)"
            " + (CASE WHEN not_applicable THEN 1 ELSE 0 END)"
            " + (CASE WHEN dont_know THEN 1 ELSE 0 END)"
            " + (CASE WHEN text IS NOT NULL THEN 1 ELSE 0 END) = 1",
            name="one_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True
    )
    #: The questionnaire item or open question id.
    item_id: Mapped[str] = mapped_column(String(64))
    #: A point on the campaign's scale (checked by the application against the frozen scale).
    value: Mapped[int | None] = mapped_column(SmallInteger)
    #: "Not applicable"; in questionnaires that declare no ``dont_know`` label, the one
    #: option "don't know / not applicable".
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: "Don't know", an answer of its own when the questionnaire's scale declares it.
    dont_know: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    #: Free text, for open questions only.
    text: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    response: Mapped[Response] = relationship(back_populates="answers")


#: Triggers raising ``response.revision`` on every write to ``answer``, per dialect, in the
#: order to create them. SQLite has row triggers only; PostgreSQL uses statement triggers
#: over the rows written, so a bulk load of thousands of answers updates each response once.
ANSWER_REVISION_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE TRIGGER answer_revision_insert AFTER INSERT ON answer BEGIN"
        " UPDATE response SET revision = revision + 1 WHERE id = NEW.response_id; END",
        "CREATE TRIGGER answer_revision_update AFTER UPDATE ON answer BEGIN"
        " UPDATE response SET revision = revision + 1"
        " WHERE id IN (OLD.response_id, NEW.response_id); END",
        "CREATE TRIGGER answer_revision_delete AFTER DELETE ON answer BEGIN"
        " UPDATE response SET revision = revision + 1 WHERE id = OLD.response_id; END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION answer_revision() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP = 'INSERT' THEN\n"
        "    UPDATE response SET revision = revision + 1\n"
        "    WHERE id IN (SELECT response_id FROM written_answers);\n"
        "  ELSIF TG_OP = 'DELETE' THEN\n"
        "    UPDATE response SET revision = revision + 1\n"
        "    WHERE id IN (SELECT response_id FROM removed_answers);\n"
        "  ELSE\n"
        "    UPDATE response SET revision = revision + 1\n"
        "    WHERE id IN (SELECT response_id FROM written_answers\n"
        "                 UNION SELECT response_id FROM removed_answers);\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END\n"
        "$$",
        "CREATE TRIGGER answer_revision_insert AFTER INSERT ON answer"
        " REFERENCING NEW TABLE AS written_answers"
        " FOR EACH STATEMENT EXECUTE FUNCTION answer_revision()",
        "CREATE TRIGGER answer_revision_update AFTER UPDATE ON answer"
        " REFERENCING OLD TABLE AS removed_answers NEW TABLE AS written_answers"
        " FOR EACH STATEMENT EXECUTE FUNCTION answer_revision()",
        "CREATE TRIGGER answer_revision_delete AFTER DELETE ON answer"
        " REFERENCING OLD TABLE AS removed_answers"
        " FOR EACH STATEMENT EXECUTE FUNCTION answer_revision()",
    ),
}

#: The triggers' names, for checks that they are in place.
ANSWER_REVISION_TRIGGERS = (
    "answer_revision_insert",
    "answer_revision_update",
    "answer_revision_delete",
)

for _dialect, _statements in ANSWER_REVISION_DDL.items():
    for _statement in _statements:
        event.listen(Answer.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
