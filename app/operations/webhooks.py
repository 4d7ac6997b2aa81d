"""Webhooks: signed notifications of an organisation's events to its integrators' URLs.

A consultant registers an endpoint (a URL and the events it wants); its signing secret is
shown once and kept sealed (``app.platform.sealing``, a key derived from SECRET_KEY), since
every delivery is signed with it. When an event happens (``campaign.opened``, ``campaign.closed``,
``report_batch.finished``) a delivery row per subscribed endpoint is queued in the same
transaction as the change. ``deliver_due`` (``flask webhooks deliver``, run by cron, and a
job on the RQ queue after each commit that queued deliveries when ``REDIS_URL`` is set) sends
the deliveries that are due: an HTTP POST of ``{"id", "event", "created_at", "data"}`` with

- ``X-CX-Event``: the event; ``X-CX-Delivery``: the delivery's id (the body's ``id``);
- ``X-CX-Timestamp``: Unix seconds when sent;
- ``X-CX-Signature``: ``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with
  the secret.

A 2xx answer delivers it; anything else (another status, a redirect, a timeout, a refused
connection) is tried again after ``BACKOFF_S`` (1 min, 5 min, 30 min, 2 h, 12 h), and after
the last attempt the delivery has failed; a consultant may send a failed one again. Payloads
carry ids and names of campaigns, organisations and report jobs: never personal data.

Changing SECRET_KEY makes the stored secrets unreadable: endpoints must then be registered
again.
"""

from __future__ import annotations

import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.models import (
    Campaign,
    Organization,
    ReportJob,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from app.models.webhook import MAX_ERROR_LENGTH, MAX_URL_LENGTH, WEBHOOK_EVENTS
from app.operations import audit
from app.operations.errors import N_, OperationError
from app.platform.extensions import db
from app.platform.queue import get_queue
from app.platform.sealing import SealError, seal, unseal
from app.platform.text import find_control_character

logger = logging.getLogger(__name__)

#: Waits after the 1st, 2nd, ... failed attempt; after one more failure the delivery fails.
BACKOFF_S = (60, 300, 1800, 7200, 43200)
#: Attempts in all: the first one and one after each wait.
MAX_ATTEMPTS = len(BACKOFF_S) + 1
#: Seconds a receiver has to connect and answer.
TIMEOUT_S = 10
#: A delivery being sent is left to its sender this long before another run may take it.
LEASE_S = 300
#: Deliveries sent by one run at most (the next run sends the rest).
BATCH_SIZE = 200
#: Endpoints one organisation may register.
MAX_ENDPOINTS = 20
#: What the signing secrets are sealed for (each purpose has its own key).
SEAL_PURPOSE = "webhook-signing-secret"
#: Stands before every secret, so that one pasted in a config file says what it is.
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret
#: Marks, on a session, that its transaction queued deliveries (sent after the commit).
_PENDING = "webhook_deliveries_queued"
#: The part of a receiver's answer kept with a failed attempt.
_ANSWER_EXCERPT = 200


# --- the signing secret -----------------------------------------------------------------------


def encrypt_secret(secret: str) -> str:
    return seal(secret, SEAL_PURPOSE)


def decrypt_secret(stored: str) -> str:
    """The secret in clear; ``OperationError`` when SECRET_KEY has changed since."""
    try:
        return unseal(stored, SEAL_PURPOSE)
    except SealError:
        raise OperationError(
            N_("The endpoint's secret cannot be read (SECRET_KEY changed): register it again.")
        ) from None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-CX-Signature`` value: ``sha256=`` and the HMAC-SHA256 of ``timestamp.body``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, "sha256")
    return "sha256=" + mac.hexdigest()


# --- endpoints ----------------------------------------------------------------------------------


def check_url(raw: str) -> str:
    """A receiver URL: http or https with a host, no credentials, at most MAX_URL_LENGTH."""
    url = (raw or "").strip()
    if not url:
        raise OperationError(N_("Give the URL that receives the notifications."))
    if len(url) > MAX_URL_LENGTH:
        raise OperationError(N_("The URL is longer than %(max)d characters."), max=MAX_URL_LENGTH)
    if find_control_character(url) is not None or any(c.isspace() for c in url):
        raise OperationError(N_("The URL contains spaces or control characters."))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OperationError(N_("The URL must start with https:// (or http://) and name a host."))
    if parts.username or parts.password:
        raise OperationError(
            N_("The URL must not hold a user name or password: the signature authenticates.")
        )
    try:
        parts.port  # noqa: B018 - raises for a port that is no number or out of range
    except ValueError:
        raise OperationError(N_("The URL's port is not valid.")) from None
    return url


def check_events(events: Iterable[str]) -> list[str]:
    chosen = [name for name in WEBHOOK_EVENTS if name in set(events)]
    if not chosen:
        raise OperationError(N_("Choose at least one event."))
    return chosen


def create_endpoint(
    org: Organization, url: str, events: Iterable[str], *, actor: User | None = None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret in clear, to show once."""
    url = check_url(url)
    chosen = check_events(events)
    count = len(endpoints_of(org))
    if count >= MAX_ENDPOINTS:
        raise OperationError(
            N_("An organisation has at most %(max)d webhook endpoints."), max=MAX_ENDPOINTS
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        organization_id=org.id,
        url=url,
        events=chosen,
        secret_encrypted=encrypt_secret(secret),
        created_by_id=actor.id if actor is not None and getattr(actor, "id", None) else None,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        "webhook.created", organization=org, user=actor, endpoint_id=endpoint.id, events=chosen
    )
    return endpoint, secret


def delete_endpoint(endpoint: WebhookEndpoint, *, actor: User | None = None) -> None:
    """Remove an endpoint with its deliveries."""
    org = endpoint.organization
    endpoint_id = endpoint.id
    db.session.delete(endpoint)
    db.session.flush()
    audit.record("webhook.deleted", organization=org, user=actor, endpoint_id=endpoint_id)


def endpoints_of(org: Organization) -> list[WebhookEndpoint]:
    return list(
        db.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organization_id == org.id)
            .order_by(WebhookEndpoint.id)
        )
    )


def recent_deliveries(org: Organization, limit: int = 50) -> list[WebhookDelivery]:
    """The organisation's latest deliveries, newest first."""
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookEndpoint.organization_id == org.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


# --- events -------------------------------------------------------------------------------------


def _organization_data(org: Organization) -> dict[str, Any]:
    return {"id": org.id, "slug": org.slug, "name": org.name, "name_en": org.name_en}


def _campaign_data(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "name_en": campaign.name_en,
        "status": campaign.status,
        "questionnaire": {
            "id": campaign.questionnaire_id,
            "version": campaign.questionnaire_version,
        },
    }


def queue_event(org: Organization, name: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """A pending delivery of event ``name`` to each of the organisation's endpoints that
    subscribed to it (flushed with the caller's transaction; sent after it commits)."""
    if name not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {name!r}")
    now = utcnow()
    queued = []
    for endpoint in endpoints_of(org):
        if name not in (endpoint.events or []):
            continue
        uid = secrets.token_hex(16)
        payload = {
            "id": uid,
            "event": name,
            "created_at": now.isoformat().replace("+00:00", "Z"),
            "data": data,
        }
        delivery = WebhookDelivery(
            uid=uid,
            endpoint_id=endpoint.id,
            event=name,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        db.session.add(delivery)
        queued.append(delivery)
    if queued:
        db.session.flush()
        db.session.info[_PENDING] = True
    return queued


def campaign_changed(campaign: Campaign, name: str, **extra: Any) -> list[WebhookDelivery]:
    """Queue ``campaign.opened`` or ``campaign.closed`` for the campaign."""
    org = campaign.organization
    data = {"campaign": _campaign_data(campaign), "organization": _organization_data(org), **extra}
    return queue_event(org, name, data)


def report_batch_finished(job: ReportJob) -> list[WebhookDelivery]:
    """Queue ``report_batch.finished`` for a background report job that has ended."""
    campaign = job.campaign
    org = campaign.organization
    data = {
        "report_job": {
            "id": job.id,
            "status": job.status,
            "locale": job.locale,
            "total": job.total,
            "completed": job.completed,
            "failed": job.failed,
        },
        "campaign": _campaign_data(campaign),
        "organization": _organization_data(org),
    }
    return queue_event(org, "report_batch.finished", data)


# --- sending ------------------------------------------------------------------------------------


def body_of(delivery: WebhookDelivery) -> bytes:
    """The request body: the payload as compact JSON (the same bytes on every attempt)."""
    return json.dumps(
        delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode("utf-8")


def _private_target(host: str, port: int | None) -> str | None:
    """Why ``host`` may not be sent to (it resolves to a loopback, private, link-local,
    reserved or multicast address), or None; ``CX_WEBHOOKS_ALLOW_PRIVATE`` lets them all."""
    if current_app.config.get("CX_WEBHOOKS_ALLOW_PRIVATE"):
        return None
    try:
        found = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    for *_rest, address in found:
        ip = ipaddress.ip_address(address[0].split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return (
                f"refused: {host} resolves to {ip}, an address of a private or local network "
                "(set CX_WEBHOOKS_ALLOW_PRIVATE=1 to allow such receivers)"
            )
    return None


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
    """POST and return (status code, error text or None for a 2xx).

    Plain ``http.client``: headers go out exactly as named, and a redirect is an answer like
    any other (never followed).
    """
    parts = urlsplit(url)
    refused = _private_target(parts.hostname or "", parts.port)
    if refused is not None:
        return None, refused
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname or "", parts.port, timeout=TIMEOUT_S)
    try:
        connection.request("POST", target, body=body, headers=headers)
        answer = connection.getresponse()
        excerpt = answer.read(_ANSWER_EXCERPT).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
    if 200 <= answer.status < 300:
        return answer.status, None
    reason = f"HTTP {answer.status} {answer.reason}".strip()
    return answer.status, reason + (f": {excerpt}" if excerpt else "")


def attempt(delivery: WebhookDelivery, *, now: datetime | None = None) -> bool:
    """Send one delivery now and record the outcome (flushed); whether it was delivered."""
    now = now or utcnow()
    endpoint = delivery.endpoint
    body = body_of(delivery)
    timestamp = str(int(now.timestamp()))
    try:
        secret = decrypt_secret(endpoint.secret_encrypted)
        check_url(endpoint.url)
    except OperationError as exc:
        status, error = None, str(exc)
    else:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "cx-maturity-webhooks/1",
            "X-CX-Event": delivery.event,
            "X-CX-Delivery": delivery.uid,
            "X-CX-Timestamp": timestamp,
            "X-CX-Signature": sign(secret, timestamp, body),
        }
        status, error = _post(endpoint.url, body, headers)
    delivery.attempts += 1
    delivery.last_status_code = status
    if error is None:
        delivery.status = "delivered"
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = None
    else:
        delivery.last_error = error[:MAX_ERROR_LENGTH]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
            delivery.next_attempt_at = None
        else:
            delivery.status = "retrying"
            delivery.next_attempt_at = now + timedelta(seconds=BACKOFF_S[delivery.attempts - 1])
    db.session.flush()
    return error is None


@dataclass
class DeliveryRun:
    """What one ``deliver_due`` run did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def sent(self) -> int:
        return self.delivered + self.retrying + self.failed


def due_ids(now: datetime, limit: int = BATCH_SIZE) -> Sequence[int]:
    return db.session.scalars(
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.status.in_(("pending", "retrying")),
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    ).all()


def deliver_due(*, now: datetime | None = None, limit: int = BATCH_SIZE) -> DeliveryRun:
    """Send every delivery whose next attempt is due at ``now`` (up to ``limit``).

    Commits around each one: a delivery is claimed (its next attempt moved ``LEASE_S`` ahead)
    before it is sent, so that two runs at once never send it twice, and its outcome is
    committed as soon as it is known.
    """
    now = now or utcnow()
    run = DeliveryRun()
    ids = list(due_ids(now, limit))
    db.session.commit()
    for delivery_id in ids:
        claimed = db.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status.in_(("pending", "retrying")),
                WebhookDelivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + timedelta(seconds=LEASE_S))
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if not claimed:
            continue
        delivery = db.session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            continue
        attempt(delivery, now=now)
        if delivery.status == "delivered":
            run.delivered += 1
        elif delivery.status == "failed":
            run.failed += 1
        else:
            run.retrying += 1
        db.session.commit()
    return run


def resend(delivery: WebhookDelivery, *, actor: User | None = None) -> WebhookDelivery:
    """Send a failed delivery again, with the same id and body and a fresh set of attempts."""
    if delivery.status != "failed":
        raise OperationError(N_("Only a failed delivery can be sent again."))
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    db.session.flush()
    db.session.info[_PENDING] = True
    audit.record(
        "webhook.resent",
        organization=delivery.endpoint.organization,
        user=actor,
        endpoint_id=delivery.endpoint_id,
        delivery_id=delivery.id,
    )
    return delivery


# --- after the commit: the background job -------------------------------------------------------


def run_due_deliveries() -> int:
    """The RQ job: send what is due now; the number of deliveries attempted."""
    return deliver_due().sent


def _after_commit(session: Session) -> None:
    if not session.info.pop(_PENDING, False) or not has_app_context():
        return
    try:
        queue = get_queue()
        if queue is not None:
            queue.enqueue("app.operations.webhooks.run_due_deliveries")
    except Exception as exc:  # the change is committed: the cron run sends them later
        logger.warning("webhook deliveries not queued: %s", type(exc).__name__)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def register_dispatch(session: Any) -> None:
    """Queue the background job after each commit of ``session`` that queued deliveries."""
    if not event.contains(session, "after_commit", _after_commit):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
