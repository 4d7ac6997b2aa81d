"""Files in and out of a campaign: response exports and imports, the JSON backup."""

from __future__ import annotations

import json

from flask import redirect, render_template, stream_with_context, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.auth import access
from app.operations import exports
from app.operations.backup import backup_campaign, record_backup
from app.operations.errors import OperationError
from app.operations.response_import import apply_responses, parse_responses
from app.platform.extensions import db
from app.platform.hardening import check_upload_size
from app.workspace import common
from app.workspace.blueprint import bp
from app.workspace.forms import ExportForm, UploadForm


@bp.route("/campaigns/<int:campaign_id>/export", methods=["GET", "POST"])
def export(campaign_id: int) -> BaseResponse | str:
    user = common.user()
    # Row-level answers are for those who run the survey: executives see aggregates only.
    campaign = access.campaign_or_404(user, campaign_id, manage=True)
    identities_allowed = access.can_see_identities(user, campaign.organization_id)
    form = ExportForm()
    if not identities_allowed:
        del form.with_identities
    if form.validate_on_submit():
        options = exports.ExportOptions(
            with_identities=identities_allowed and bool(form.with_identities.data),
            locale=form.locale.data,
        )
        fmt = form.format.data
        exports.record_export(campaign, fmt, options, actor=user)
        db.session.commit()
        return common.download(
            stream_with_context(exports.stream(campaign, options, fmt)),
            exports.MIMETYPES[fmt],
            exports.export_filename(campaign, fmt),
        )
    return render_template(
        "workspace/export.html",
        campaign=campaign,
        form=form,
        count=exports.submitted_count(campaign),
        manage=access.can_manage(user, campaign.organization_id),
    )


@bp.route("/campaigns/<int:campaign_id>/responses/import", methods=["GET", "POST"])
def import_responses(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    form = UploadForm()
    preview = None
    if form.validate_on_submit():
        check_upload_size(form.file.data)
        preview = parse_responses(campaign, form.file.data.read())
        if preview.ok:
            try:
                count = apply_responses(campaign, preview, actor=common.user())
            except OperationError as exc:
                common.fail(exc)
            else:
                common.commit_and_flash(_("%(n)d responses imported.", n=count))
                return redirect(url_for(".campaign", campaign_id=campaign.id))
    return render_template(
        "workspace/responses_import.html",
        campaign=campaign,
        form=form,
        preview=preview,
        columns=exports.item_columns(campaign),
    )


@bp.get("/campaigns/<int:campaign_id>/backup.json")
def backup(campaign_id: int) -> BaseResponse:
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    data = backup_campaign(campaign)
    record_backup(campaign, actor=common.user())
    db.session.commit()
    return common.download(
        json.dumps(data, ensure_ascii=False, indent=1),
        "application/json",
        f"campaign-{campaign.id}-backup.json",
    )
