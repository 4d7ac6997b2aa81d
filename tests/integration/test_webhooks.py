"""Webhooks end to end: events queue deliveries, a real HTTP receiver on loopback gets them
signed, failures are retried with backoff until they fail, and the workspace lists them."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.models import AuditEvent, ReportJob, WebhookDelivery, WebhookEndpoint, utcnow
from app.operations.campaigns import close_campaign, open_campaign
from app.operations.errors import OperationError
from app.operations.webhooks import (
    BACKOFF_S,
    MAX_ATTEMPTS,
    check_url,
    create_endpoint,
    deliver_due,
    report_batch_finished,
)
from app.platform.extensions import db
from tests.factories import add_people, grant, make_campaign, make_org, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records each request and answers the next status."""

    url: str
    statuses: list[int]
    requests: list[dict] = field(default_factory=list)

    def answer(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture(autouse=True)
def loopback_receivers(app) -> None:
    """The test receivers listen on loopback, which production refuses."""
    app.config["CX_WEBHOOKS_ALLOW_PRIVATE"] = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="", statuses=[200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            status = state.answer()
            self.send_response(status)
            if status in (301, 302):
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/cx"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def setup(app, receiver):
    org = make_org("hooked", ("営業部",))
    campaign = make_campaign(org, opened=False)
    add_people(campaign, 3)
    endpoint, secret = create_endpoint(org, receiver.url, ["campaign.opened", "campaign.closed"])
    db.session.commit()
    return org, campaign, endpoint, secret


def _deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _verify(request: dict, secret: str) -> dict:
    """What a receiver does: recompute the signature over "<timestamp>.<body>"."""
    headers = request["headers"]
    signed = headers["X-CX-Timestamp"].encode() + b"." + request["body"]
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-CX-Signature"], expected)
    return json.loads(request["body"])


def test_opening_a_campaign_queues_a_signed_delivery(setup, receiver) -> None:
    _org, campaign, endpoint, secret = setup
    assert _deliveries() == []
    open_campaign(campaign)
    db.session.commit()
    (queued,) = _deliveries()
    assert (queued.event, queued.status, queued.attempts) == ("campaign.opened", "pending", 0)
    assert queued.endpoint_id == endpoint.id
    assert receiver.requests == []

    run = deliver_due()
    assert (run.delivered, run.retrying, run.failed) == (1, 0, 0)
    (request,) = receiver.requests
    assert request["path"] == "/hooks/cx"
    body = _verify(request, secret)
    headers = request["headers"]
    assert headers["X-CX-Event"] == "campaign.opened"
    assert headers["X-CX-Delivery"] == body["id"] == queued.uid
    assert headers["Content-Type"].startswith("application/json")
    assert body["event"] == "campaign.opened"
    assert body["data"]["campaign"]["id"] == campaign.id
    assert body["data"]["campaign"]["status"] == "open"
    assert body["data"]["organization"]["slug"] == "hooked"
    assert body["data"]["reopened"] is False
    # Ids and names only: no participant's e-mail or name anywhere in what was sent.
    for person in campaign.participants:
        assert person.email.encode() not in request["body"]
        assert person.name.encode() not in request["body"]
    # Another secret does not verify.
    with pytest.raises(AssertionError):
        _verify(request, secret + "x")
    db.session.refresh(queued)
    assert (queued.status, queued.attempts, queued.last_status_code) == ("delivered", 1, 200)
    assert queued.delivered_at is not None
    assert queued.next_attempt_at is None
    assert deliver_due().sent == 0


def test_a_500_is_retried_after_the_backoff_then_delivered(setup, receiver) -> None:
    _org, campaign, _endpoint, secret = setup
    receiver.statuses = [500, 200]
    open_campaign(campaign)
    db.session.commit()
    start = utcnow()
    run = deliver_due(now=start)
    assert (run.delivered, run.retrying) == (0, 1)
    (delivery,) = _deliveries()
    assert delivery.status == "retrying"
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert "HTTP 500" in delivery.last_error
    assert delivery.next_attempt_at == start + timedelta(seconds=BACKOFF_S[0])
    # Before the wait is over nothing is sent.
    assert deliver_due(now=start + timedelta(seconds=BACKOFF_S[0] - 1)).sent == 0
    assert len(receiver.requests) == 1
    later = deliver_due(now=start + timedelta(seconds=BACKOFF_S[0] + 1))
    assert later.delivered == 1
    assert len(receiver.requests) == 2
    first, second = (_verify(r, secret) for r in receiver.requests)
    assert first == second  # the same id and body on every attempt
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert delivery.last_error is None


def test_it_fails_after_the_last_attempt_and_can_be_sent_again(app, setup, receiver) -> None:
    org, campaign, _endpoint, _secret = setup
    receiver.statuses = [503]
    open_campaign(campaign)
    db.session.commit()
    now = utcnow()
    waits = []
    for _attempt in range(MAX_ATTEMPTS):
        assert deliver_due(now=now).sent == 1
        (delivery,) = _deliveries()
        if delivery.next_attempt_at is not None:
            waits.append(round((delivery.next_attempt_at - now).total_seconds()))
            now = delivery.next_attempt_at
    assert waits == list(BACKOFF_S)
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None
    assert delivery.last_status_code == 503
    assert deliver_due(now=now + timedelta(days=7)).sent == 0
    assert len(receiver.requests) == MAX_ATTEMPTS

    # The workspace lists it with a button to send it again (a consultant, with CSRF).
    consultant = make_user("hooks@example.com")
    grant(consultant, org, "consultant")
    client = make_client(app)
    assert login(client, consultant.email).status_code == 302
    page = client.get(f"/workspace/orgs/{org.slug}/webhooks")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for shown in ("campaign.opened", "Failed", "HTTP 503", "Send again"):
        assert shown in html
    resend_url = f"/workspace/orgs/{org.slug}/webhooks/deliveries/{delivery.id}/resend"
    assert resend_url in html
    assert client.post(resend_url).status_code == 400  # no CSRF token
    db.session.refresh(delivery)
    assert delivery.status == "failed"
    token = csrf_token(client, f"/workspace/orgs/{org.slug}/webhooks")
    assert client.post(resend_url, data={"csrf_token": token}).status_code == 302
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    receiver.statuses = [200]
    assert deliver_due().delivered == 1
    db.session.refresh(delivery)
    assert delivery.status == "delivered"
    assert db.session.scalar(
        select(AuditEvent.detail).where(AuditEvent.action == "webhook.resent")
    ) == {"endpoint_id": delivery.endpoint_id, "delivery_id": delivery.id}


def test_a_redirect_is_not_followed(setup, receiver) -> None:
    _org, campaign, _endpoint, _secret = setup
    receiver.statuses = [302, 200]
    open_campaign(campaign)
    db.session.commit()
    assert deliver_due().retrying == 1
    assert [r["path"] for r in receiver.requests] == ["/hooks/cx"]
    (delivery,) = _deliveries()
    assert (delivery.status, delivery.last_status_code) == ("retrying", 302)


def test_an_unreachable_receiver_is_retried(app) -> None:
    org = make_org("unreachable")
    campaign = make_campaign(org, opened=False)
    # Port 9 on loopback (discard) has nothing listening on a test machine.
    create_endpoint(org, "http://127.0.0.1:9/hook", ["campaign.opened"])
    open_campaign(campaign)
    db.session.commit()
    assert deliver_due().retrying == 1
    (delivery,) = _deliveries()
    assert delivery.last_status_code is None
    assert delivery.last_error


def test_only_subscribed_events_and_the_report_batch(setup, receiver) -> None:
    org, campaign, _endpoint, secret = setup
    reports, reports_secret = create_endpoint(org, receiver.url + "/reports",
                                              ["report_batch.finished"])  # fmt: skip
    open_campaign(campaign)
    close_campaign(campaign)
    job = ReportJob(campaign_id=campaign.id, status="done", total=3, completed=3, failed=0)
    db.session.add(job)
    db.session.flush()
    report_batch_finished(job)
    db.session.commit()
    assert [(d.event, d.endpoint_id) for d in _deliveries()] == [
        ("campaign.opened", setup[2].id),
        ("campaign.closed", setup[2].id),
        ("report_batch.finished", reports.id),
    ]
    assert deliver_due().delivered == 3
    by_event = {r["headers"]["X-CX-Event"]: r for r in receiver.requests}
    finished = _verify(by_event["report_batch.finished"], reports_secret)
    assert finished["data"]["report_job"] == {
        "id": job.id,
        "status": "done",
        "locale": "ja",
        "total": 3,
        "completed": 3,
        "failed": 0,
    }
    assert _verify(by_event["campaign.closed"], secret)["data"]["campaign"]["status"] == "closed"
    # Each endpoint verifies only with its own secret.
    with pytest.raises(AssertionError):
        _verify(by_event["report_batch.finished"], secret)


def test_the_deliver_command_sends_what_is_due(setup, receiver, runner) -> None:
    _org, campaign, _endpoint, _secret = setup
    open_campaign(campaign)
    db.session.commit()
    result = runner.invoke(args=["webhooks", "deliver"])
    assert result.exit_code == 0, result.output
    assert "1 delivered, 0 to retry later, 0 failed" in result.output
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "Give the URL"),
        ("ftp://example.com/hook", "must start with https://"),
        ("https://", "must start with https://"),
        ("https://user:pw@example.com/hook", "user name or password"),
        ("https://example.com/a b", "spaces"),
        ("https://example.com:99999/hook", "port"),
        ("https://example.com/" + "a" * 2000, "longer than 2000 characters"),
    ],
)
def test_endpoint_urls_are_checked(url: str, problem: str) -> None:
    with pytest.raises(OperationError, match=problem):
        check_url(url)


def test_the_workspace_registers_an_endpoint_and_shows_its_secret_once(app, receiver) -> None:
    org = make_org("hooks-page")
    consultant = make_user("hooks-page@example.com")
    executive = make_user("hooks-exec@example.com")
    grant(consultant, org, "consultant")
    grant(executive, org, "executive")
    client = make_client(app)
    assert login(client, consultant.email).status_code == 302
    page_url = f"/workspace/orgs/{org.slug}/webhooks"
    form = {"url": receiver.url, "events": ["campaign.closed", "report_batch.finished"]}
    assert client.post(page_url, data=form).status_code == 400  # no CSRF token
    assert db.session.scalars(select(WebhookEndpoint)).all() == []

    token = csrf_token(client, page_url)
    added = client.post(page_url, data={**form, "csrf_token": token})
    html = added.get_data(as_text=True)
    assert added.status_code == 200
    (endpoint,) = db.session.scalars(select(WebhookEndpoint)).all()
    assert endpoint.events == ["campaign.closed", "report_batch.finished"]
    shown = html.split('id="webhook-secret-value" type="text" value="')[1].split('"')[0]
    assert shown.startswith("whsec_")
    # Kept sealed, never in clear, and never shown again.
    assert shown not in endpoint.secret_encrypted
    assert shown not in client.get(page_url).get_data(as_text=True)
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "webhook.created"))
    assert created.detail == {"endpoint_id": endpoint.id, "events": endpoint.events}
    assert receiver.url not in json.dumps(created.detail)

    # The secret shown is the one deliveries are signed with.
    campaign = make_campaign(org)
    close_campaign(campaign)
    db.session.commit()
    assert deliver_due().delivered == 1
    _verify(receiver.requests[0], shown)

    refused = client.post(page_url, data={"url": "ftp://x", "events": ["campaign.closed"],
                                          "csrf_token": token})  # fmt: skip
    assert "must start with https://" in refused.get_data(as_text=True)
    none_chosen = client.post(page_url, data={"url": receiver.url, "csrf_token": token})
    assert "Choose at least one event." in none_chosen.get_data(as_text=True)
    assert len(db.session.scalars(select(WebhookEndpoint)).all()) == 1

    delete_url = f"{page_url}/{endpoint.id}/delete"
    assert client.post(delete_url).status_code == 400  # no CSRF token
    assert client.post(delete_url, data={"csrf_token": token}).status_code == 302
    assert db.session.scalars(select(WebhookEndpoint)).all() == []
    assert db.session.scalars(select(WebhookDelivery)).all() == []

    # Executives do not see the page.
    viewer = make_client(app)
    assert login(viewer, executive.email).status_code == 302
    assert viewer.get(page_url).status_code == 404


def test_another_organisations_webhooks_are_not_found(app, setup) -> None:
    org, campaign, endpoint, _secret = setup
    open_campaign(campaign)
    db.session.commit()
    (delivery,) = _deliveries()
    other = make_org("hooks-other")
    outsider = make_user("hooks-outsider@example.com")
    grant(outsider, other, "consultant")
    client = make_client(app)
    assert login(client, outsider.email).status_code == 302
    token = csrf_token(client, f"/workspace/orgs/{other.slug}/webhooks")
    assert client.get(f"/workspace/orgs/{org.slug}/webhooks").status_code == 404
    for url in (
        f"/workspace/orgs/{org.slug}/webhooks/{endpoint.id}/delete",
        f"/workspace/orgs/{other.slug}/webhooks/{endpoint.id}/delete",
        f"/workspace/orgs/{other.slug}/webhooks/deliveries/{delivery.id}/resend",
    ):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    assert db.session.get(WebhookEndpoint, endpoint.id) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
    ],
)
def test_receivers_on_private_networks_are_refused(app, url) -> None:
    app.config["CX_WEBHOOKS_ALLOW_PRIVATE"] = False
    org = make_org("private-hooks")
    campaign = make_campaign(org, opened=False)
    create_endpoint(org, url, ["campaign.opened"])
    open_campaign(campaign)
    db.session.commit()
    assert deliver_due().retrying == 1
    (delivery,) = _deliveries()
    assert delivery.last_status_code is None
    assert "private or local network" in delivery.last_error
