"""Labels of webhook events and delivery statuses, for the workspace."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

#: Each event an endpoint may receive, with what it means.
WEBHOOK_EVENT_LABELS: dict[str, Any] = {
    "campaign.opened": _l("A campaign opens (or opens again)"),
    "campaign.closed": _l("A campaign closes"),
    "report_batch.finished": _l("A set of PDF reports is ready (or failed)"),
}
#: Each status of a delivery.
DELIVERY_STATUS_LABELS: dict[str, Any] = {
    "pending": _l("Waiting to be sent"),
    "retrying": _l("Will be tried again"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
}
