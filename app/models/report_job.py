"""Background generation of a campaign's PDF reports, with its progress."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.campaign import Campaign

REPORT_JOB_STATUSES = ("queued", "running", "done", "failed")


class ReportJob(Base):
    __tablename__ = "report_job"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    #: Who asked for it; None for the CLI or a deleted account.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    locale: Mapped[str] = mapped_column(String(8), default="ja")
    #: Reports to produce (the organisation's and one per department) and how many are done.
    total: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    #: One ``{"report": ..., "error": ...}`` entry per report that could not be produced.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: The finished zip's file name in the archive folder; None until the job is done.
    archive_path: Mapped[str | None] = mapped_column(String(300))
    #: The id of the run that owns the job: the RQ job id on a Redis worker, a random id in
    #: the local pool. Resuming gives the job a new run; an older run that wakes up stops.
    queue_job_id: Mapped[str | None] = mapped_column(String(64))
    #: The folder (inside the archive folder) that keeps the job's rendered PDFs until every
    #: report has been produced, so that resuming renders only what is missing.
    parts_dir: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Last sign of life of the run: set when it is queued, starts and after every report.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    campaign: Mapped[Campaign] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def stalled(self, limit_s: float, now: datetime | None = None) -> bool:
        """Queued or running, but without a sign of life for more than ``limit_s`` seconds:
        its worker died or the queue lost it (a Redis outage), so it will never finish."""
        if self.finished:
            return False
        last = self.heartbeat_at or self.started_at or self.created_at
        if last is None:
            return False
        return (now or utcnow()) - last > timedelta(seconds=limit_s)

    def resumable(self, limit_s: float, now: datetime | None = None) -> bool:
        """Failed, finished with failed reports, or stalled: resuming renders what is missing."""
        if self.finished:
            return self.status == "failed" or self.failed > 0
        return self.stalled(limit_s, now)

    @property
    def progress(self) -> float:
        """Share of the reports handled so far, 0..1."""
        if not self.total:
            return 1.0 if self.finished else 0.0
        return min(1.0, (self.completed + self.failed) / self.total)

    def __repr__(self) -> str:
        return f"<ReportJob {self.id} campaign={self.campaign_id} {self.status}>"
