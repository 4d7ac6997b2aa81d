"""Invitation and reminder emails, and what the delivery did."""

from __future__ import annotations

from flask import redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.auth import access
from app.operations import emails
from app.operations.errors import OperationError
from app.platform.extensions import db
from app.workspace import common
from app.workspace.blueprint import bp
from app.workspace.forms import EmailForm


def _delivery_flash(delivery: emails.Delivery, kind: str) -> None:
    common.flash_delivery(
        delivery,
        _("%(n)d invitation(s) sent.", n=delivery.sent)
        if kind == "invitation"
        else _("%(n)d reminder(s) sent.", n=delivery.sent),
        _(
            "%(n)d participant(s) skipped: already emailed in the last 24 hours.",
            n=delivery.skipped,
        ),
        outbox_when_none=True,
    )


@bp.post("/campaigns/<int:campaign_id>/invitations")
def send_invitations_view(campaign_id: int) -> BaseResponse:
    return _send(campaign_id, "invitation")


@bp.post("/campaigns/<int:campaign_id>/reminders")
def send_reminders_view(campaign_id: int) -> BaseResponse:
    return _send(campaign_id, "reminder")


def _send(campaign_id: int, kind: str) -> BaseResponse:
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    form = EmailForm()
    if form.validate_on_submit():
        try:
            if kind == "invitation":
                delivery = emails.send_invitations(
                    campaign, locale=form.locale.data, resend=form.resend.data, actor=common.user()
                )
            else:
                delivery = emails.send_reminders(
                    campaign, locale=form.locale.data, actor=common.user()
                )
        except OperationError as exc:
            common.fail(exc)
        else:
            db.session.commit()
            _delivery_flash(delivery, kind)
    return redirect(url_for(".campaign", campaign_id=campaign.id) + "#emails")
