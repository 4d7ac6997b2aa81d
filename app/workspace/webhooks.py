"""An organisation's webhook endpoints and their deliveries: consultants only."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.auth import access
from app.models import Organization, WebhookDelivery, WebhookEndpoint
from app.operations.errors import OperationError
from app.operations.webhooks import (
    BACKOFF_S,
    MAX_ATTEMPTS,
    create_endpoint,
    delete_endpoint,
    endpoints_of,
    recent_deliveries,
    resend,
)
from app.platform.extensions import db
from app.presentation.webhooks import DELIVERY_STATUS_LABELS, WEBHOOK_EVENT_LABELS
from app.workspace import common
from app.workspace.blueprint import bp
from app.workspace.forms import WebhookForm


def _page(org: Organization, form: WebhookForm, secret: str | None = None) -> str:
    return render_template(
        "workspace/webhooks.html",
        org=org,
        form=form,
        endpoints=endpoints_of(org),
        deliveries=recent_deliveries(org),
        secret=secret,
        event_labels=WEBHOOK_EVENT_LABELS,
        status_labels=DELIVERY_STATUS_LABELS,
        max_attempts=MAX_ATTEMPTS,
        backoff_minutes=[seconds // 60 for seconds in BACKOFF_S],
    )


@bp.route("/orgs/<slug>/webhooks", methods=["GET", "POST"])
def webhooks(slug: str) -> str:
    org = access.organization_or_404(common.user(), slug, manage=True)
    form = WebhookForm()
    secret = None
    if form.validate_on_submit():
        try:
            _endpoint, secret = create_endpoint(
                org, form.url.data, form.events.data or [], actor=common.user()
            )
        except OperationError as exc:
            common.fail(exc)
        else:
            # The secret is shown on this page only: no redirect, nothing kept in the session.
            common.commit_and_flash(_("Webhook endpoint added."))
            form = WebhookForm(formdata=None)
    return _page(org, form, secret)


def _endpoint_of(org: Organization, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organization_id != org.id:
        abort(404)
    return endpoint


@bp.post("/orgs/<slug>/webhooks/<int:endpoint_id>/delete")
def delete_webhook(slug: str, endpoint_id: int) -> BaseResponse:
    org = access.organization_or_404(common.user(), slug, manage=True)
    delete_endpoint(_endpoint_of(org, endpoint_id), actor=common.user())
    common.commit_and_flash(_("Webhook endpoint removed with its deliveries."))
    return redirect(url_for(".webhooks", slug=org.slug))


@bp.post("/orgs/<slug>/webhooks/deliveries/<int:delivery_id>/resend")
def resend_webhook_delivery(slug: str, delivery_id: int) -> BaseResponse:
    org = access.organization_or_404(common.user(), slug, manage=True)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        abort(404)
    _endpoint_of(org, delivery.endpoint_id)
    try:
        resend(delivery, actor=common.user())
    except OperationError as exc:
        common.fail(exc)
    else:
        common.commit_and_flash(_("The delivery will be sent again shortly."))
    return redirect(url_for(".webhooks", slug=org.slug) + "#deliveries")
