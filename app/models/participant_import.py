"""A participants file between its preview and its import, then the import's progress and outcome.

The uploaded file is kept here, on the server, from the preview until the import has run (and
cleared then): the confirmation names the import by its random ``public_id`` and never carries
the file. A large import runs as a background job and records its progress on the same row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.campaign import Campaign

#: ``previewed``: checked and waiting for the confirmation; ``queued``: confirmed, waiting for
#: a worker; ``checking``: the file is checked again; ``saving``: the participants are being
#: written (in one transaction); ``done``; ``failed``: nothing was saved.
PARTICIPANT_IMPORT_STATUSES = ("previewed", "queued", "checking", "saving", "done", "failed")


class ParticipantImport(Base):
    __tablename__ = "participant_import"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in PARTICIPANT_IMPORT_STATUSES) + ")",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The random, unguessable id in the confirmation form and the result page's address.
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    #: Who uploaded the file; None for a deleted account.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="previewed")
    filename: Mapped[str] = mapped_column(String(255), default="")
    #: The uploaded file as it was checked; None once the import has run.
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    #: Rows of the file (below the header), rows checked so far, and participants created.
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    checked_rows: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    #: One ``{"line", "column", "code", "params"}`` entry per problem found in the file (the
    #: first ones, up to a limit), and how many problems there were in all.
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Why the import failed when it is not the file's fault (a message code), else None.
    error: Mapped[str | None] = mapped_column(String(64))
    #: The id of the run that owns the import (an RQ job id, or a thread's random id).
    run_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Last sign of life of the run: set when it is queued, starts and while it checks rows.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    campaign: Mapped[Campaign] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def stalled(self, limit_s: float, now: datetime | None = None) -> bool:
        """Confirmed but without a sign of life for more than ``limit_s`` seconds: its worker
        or thread stopped (a restart), so it will never finish. Nothing of it was saved."""
        if self.finished or self.status == "previewed":
            return False
        last = self.heartbeat_at or self.started_at or self.created_at
        return (now or utcnow()) - last > timedelta(seconds=limit_s)

    @property
    def progress(self) -> float:
        """Share of the rows checked so far, 0..1."""
        if self.finished:
            return 1.0
        if not self.total_rows:
            return 0.0
        return min(1.0, self.checked_rows / self.total_rows)

    def __repr__(self) -> str:
        return f"<ParticipantImport {self.id} campaign={self.campaign_id} {self.status}>"
