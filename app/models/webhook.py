"""Webhook endpoints of an organisation and the deliveries of its events to them.

An endpoint's signing secret is needed in clear to sign each delivery, so it is stored
sealed (``app.platform.sealing``), never hashed. A delivery is
queued in the same transaction as the change it reports and sent later; it keeps its payload
as sent and its own identifier, so that a retry or a resend carries the same body.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.organization import Organization

#: The events an endpoint may subscribe to.
WEBHOOK_EVENTS = ("campaign.opened", "campaign.closed", "report_batch.finished")
#: ``pending``: not tried yet (or sent again); ``retrying``: failed, tried again at
#: ``next_attempt_at``; ``delivered``: a 2xx answer; ``failed``: no attempt left.
DELIVERY_STATUSES = ("pending", "retrying", "delivered", "failed")
#: The longest endpoint URL accepted.
MAX_URL_LENGTH = 2000
#: The longest error text kept for a failed attempt.
MAX_ERROR_LENGTH = 500


class WebhookEndpoint(Base):
    """A URL of the organisation's integrator that receives signed event notifications."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    #: The subscribed events, a subset of ``WEBHOOK_EVENTS``.
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The signing secret, sealed with a key derived from SECRET_KEY (app.platform.sealing).
    secret_encrypted: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Who registered it; None for the CLI or a deleted account.
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    organization: Mapped[Organization] = relationship()
    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id} org={self.organization_id}>"


class WebhookDelivery(Base):
    """One event for one endpoint: its payload, and how sending it went so far."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in DELIVERY_STATUSES) + ")", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The delivery's public identifier (payload ``id`` and ``X-CX-Delivery``): receivers
    #: recognise a retry or a resend by it.
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    #: The JSON body sent: ``{"id", "event", "created_at", "data"}``.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: When the next attempt is due; None once delivered or failed.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(MAX_ERROR_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.event} {self.status}>"
