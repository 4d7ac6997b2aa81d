"""The portfolio: every client organisation the consultant manages on one sortable page, and
reminding an organisation's action owners from it."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.auth import access
from app.operations.action_reminders import send_action_reminders
from app.operations.campaigns import utc_to_local
from app.operations.emails import Delivery
from app.platform.extensions import db
from app.queries.action_deadlines import local_today
from app.results.portfolio import ORDERS, SORTS, portfolio, sort_rows
from app.workspace import common
from app.workspace.blueprint import bp
from app.workspace.forms import ActionReminderForm


def _portfolio_page(sort: str | None, order: str | None) -> dict[str, Any]:
    """The managed organisations sorted by ``sort`` (``name`` when unknown) in ``order``."""
    sort = sort if sort in SORTS else SORTS[0]
    order = order if order in ORDERS else ORDERS[0]
    orgs = list(db.session.scalars(access.organizations_query(common.user(), manage=True)))
    rows = sort_rows(portfolio(orgs, local_today()), sort, order)
    return {
        "rows": rows,
        "sort": sort,
        "order": order,
        "form": ActionReminderForm(),
        "local": utc_to_local,
    }


@bp.get("/portfolio")
def portfolio_view() -> str:
    if access.is_executive_viewer(common.user()):
        abort(404)
    page = _portfolio_page(request.args.get("sort"), request.args.get("order"))
    return render_template("workspace/portfolio.html", **page)


@bp.post("/portfolio/<slug>/remind")
def remind_action_owners(slug: str) -> BaseResponse:
    org = access.organization_or_404(common.user(), slug, manage=True)
    form = ActionReminderForm()
    if form.validate_on_submit():
        delivery = send_action_reminders(org, locale=form.locale.data, actor=common.user())
        db.session.commit()
        _reminder_flash(delivery)
    return redirect(url_for(".portfolio_view", **_kept_order()))


def _kept_order() -> dict[str, str]:
    """The sort the portfolio was shown in, when the form carried it."""
    return {
        key: request.args[key] for key in ("sort", "order") if request.args.get(key) is not None
    }


def _reminder_flash(delivery: Delivery) -> None:
    if not (delivery.sent or delivery.skipped or delivery.failed):
        flash(_("No overdue action has an owner's e-mail address."), "info")
        return
    common.flash_delivery(
        delivery,
        _("%(n)d owner(s) reminded of their overdue actions.", n=delivery.sent),
        _("%(n)d owner(s) skipped: already reminded in the last 24 hours.", n=delivery.skipped),
        outbox_when_none=False,
    )
