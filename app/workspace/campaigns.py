"""Campaigns: creation, settings, opening and closing, the next round, the open link."""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.auth import access
from app.models import Campaign
from app.operations.campaigns import (
    close_campaign,
    copy_campaign,
    create_campaign,
    open_campaign,
    pair_campaigns,
    reopen_campaign,
    set_targets,
    unpair_campaign,
    update_campaign,
)
from app.operations.erasure import erase_campaign, plan_campaign_erasure
from app.operations.errors import OperationError
from app.operations.participants import disable_open_link, enable_open_link
from app.platform.extensions import db
from app.queries.participants import open_link_url
from app.workspace import common, confirm, pages
from app.workspace.blueprint import bp
from app.workspace.forms import TARGET_FIELD, CampaignForm, CampaignSettingsForm, NextRoundForm


@bp.route("/orgs/<slug>/campaigns/new", methods=["GET", "POST"])
def new_campaign(slug: str) -> BaseResponse | str:
    org = access.organization_or_404(common.user(), slug, manage=True)
    form = CampaignForm.for_library()
    if form.validate_on_submit():
        opens_at, closes_at = form.dates()
        try:
            campaign = create_campaign(
                org,
                form.chosen_questionnaire(),
                form.name.data,
                threshold=form.threshold.data,
                comment_minimum=form.comment_minimum.data,
                opens_at=opens_at,
                closes_at=closes_at,
                individual_reports=form.individual_reports.data,
                name_en=form.name_en.data,
                actor=common.user(),
            )
        except OperationError as exc:
            common.fail(exc)
        else:
            common.commit_and_flash(_("Campaign %(name)s created as a draft.", name=campaign.name))
            return redirect(url_for(".campaign", campaign_id=campaign.id))
    return render_template("workspace/campaign_new.html", **pages.new_campaign_page(org, form))


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> str:
    campaign = access.campaign_or_404(common.user(), campaign_id)
    page = pages.campaign_page(
        common.user(),
        campaign,
        status=request.args.get("status"),
        page=request.args.get("page", 1, type=int),
        search=request.args.get("q"),
    )
    return render_template("workspace/campaign.html", **page)


def _save_settings(campaign: Campaign, form: CampaignSettingsForm) -> None:
    """Name, dates, the two minimums; the companion and the targets when the form posted them."""
    opens_at, closes_at = form.dates()
    update_campaign(
        campaign,
        name=form.name.data,
        opens_at=opens_at,
        closes_at=closes_at,
        threshold=form.threshold.data,
        comment_minimum=form.comment_minimum.data,
        individual_reports=form.individual_reports.data,
        name_en=form.name_en.data or "",
        actor=common.user(),
    )
    if form.posts_companion():
        chosen = form.chosen_companion()
        if chosen is None:
            unpair_campaign(campaign, actor=common.user())
        else:
            pair_campaigns(campaign, chosen, actor=common.user())
    if form.posts_targets():
        set_targets(campaign, form.posted_targets(), actor=common.user())


@bp.route("/campaigns/<int:campaign_id>/settings", methods=["GET", "POST"])
def campaign_settings(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    form = CampaignSettingsForm.for_campaign(campaign)
    if form.validate_on_submit():
        try:
            _save_settings(campaign, form)
        except OperationError as exc:
            common.fail(exc)
        else:
            common.commit_and_flash(_("Campaign settings saved."))
            return redirect(url_for(".campaign", campaign_id=campaign.id))
    return render_template(
        "workspace/campaign_settings.html",
        campaign=campaign,
        form=form,
        targets=form.target_values(),
        target_field=TARGET_FIELD,
    )


@bp.post("/campaigns/<int:campaign_id>/open")
def open_view(campaign_id: int) -> BaseResponse:
    return _status_change(campaign_id, open_campaign, _("The campaign is open."))


@bp.route("/campaigns/<int:campaign_id>/close", methods=["GET", "POST"])
def close_view(campaign_id: int) -> BaseResponse | str:
    """Closing ends the survey for everyone: it asks first (a page, no script needed)."""
    if not confirm.confirmed():
        return confirm.close_campaign_page(
            access.campaign_or_404(common.user(), campaign_id, manage=True)
        )
    return _status_change(campaign_id, close_campaign, _("The campaign is closed."))


@bp.route("/campaigns/<int:campaign_id>/erase", methods=["GET", "POST"])
def erase_campaign_view(campaign_id: int) -> BaseResponse | str:
    """Delete the campaign's answers, participants and reports, after a page showing what
    goes; an open campaign is refused (close it first)."""
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    if not confirm.confirmed():
        # Only shows what would go; an open campaign is refused when the erasure is confirmed.
        return confirm.erase_campaign_page(campaign, plan_campaign_erasure(campaign))
    try:
        erase_campaign(campaign, actor=common.user())
    except OperationError as exc:
        common.fail(exc)
        return redirect(url_for(".campaign_settings", campaign_id=campaign.id) + "#erase")
    common.commit_and_flash(_("The campaign's answers and personal data are erased."))
    return redirect(url_for(".campaign", campaign_id=campaign.id))


@bp.post("/campaigns/<int:campaign_id>/reopen")
def reopen_view(campaign_id: int) -> BaseResponse:
    return _status_change(campaign_id, reopen_campaign, _("The campaign is open again."))


def _status_change(
    campaign_id: int, operation: Callable[..., Campaign], message: str
) -> BaseResponse:
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    try:
        operation(campaign, actor=common.user())
    except OperationError as exc:
        common.fail(exc)
    else:
        common.commit_and_flash(message)
    return redirect(url_for(".campaign", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/next-round", methods=["GET", "POST"])
def next_round(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    form = NextRoundForm.for_campaign(campaign)
    if form.validate_on_submit():
        try:
            new = copy_campaign(
                campaign,
                form.name.data,
                questionnaire=form.chosen_questionnaire(),
                name_en=form.name_en.data,
                actor=common.user(),
            )
        except OperationError as exc:
            common.fail(exc)
        else:
            common.commit_and_flash(
                _("Next round created with %(n)d participants.", n=len(new.participants))
            )
            return redirect(url_for(".campaign", campaign_id=new.id))
    return render_template("workspace/next_round.html", campaign=campaign, form=form)


@bp.post("/campaigns/<int:campaign_id>/open-link")
def open_link(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    disabling = request.form.get("action") == "disable"
    if (disabling or campaign.open_link_enabled) and not confirm.confirmed():
        page = confirm.disable_open_link_page if disabling else confirm.reissue_open_link_page
        return page(campaign)
    if disabling:
        disable_open_link(campaign, actor=common.user())
        common.commit_and_flash(_("The open link is disabled."))
        return redirect(url_for(".campaign", campaign_id=campaign.id))
    token = enable_open_link(campaign, actor=common.user())
    db.session.commit()
    return render_template("workspace/open_link.html", campaign=campaign, link=open_link_url(token))
