"""Participants: CSV import, one by one, their links, and the links CSV."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.auth import access
from app.operations import import_jobs
from app.operations import participants as participant_ops
from app.operations.erasure import erase_participant, plan_participant_erasure
from app.operations.errors import OperationError
from app.operations.participant_import import parse_participants
from app.operations.participants import (
    add_participant,
    hand_out_link,
    replace_link,
    revoke_participant,
    update_participant,
)
from app.platform.extensions import db
from app.platform.hardening import check_upload_size
from app.platform.i18n import current_locale
from app.queries.participants import active_links, link_channel_label, participant_link
from app.workspace import common, confirm
from app.workspace.blueprint import bp
from app.workspace.forms import ConfirmImportForm, ParticipantForm, UploadForm


@bp.route("/campaigns/<int:campaign_id>/participants/import", methods=["GET", "POST"])
def import_participants(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    upload = UploadForm()
    confirm = ConfirmImportForm(prefix="confirm")
    if confirm.validate_on_submit() and "confirm-import_id" in request.form:
        # The file stayed on the server since the preview and is checked again from scratch.
        record = import_jobs.find_import(campaign, confirm.import_id.data)
        if record is None:
            abort(404)
        # A second click finds the import confirmed already and shows where it stands.
        imported_now = record.status == "previewed" and not import_jobs.in_background(record)
        import_jobs.confirm_import(record, actor=common.user())
        if imported_now and record.status == "done":
            flash(_("%(n)d participants imported.", n=record.created), "success")
            return redirect(url_for(".campaign", campaign_id=campaign.id))
        return redirect(
            url_for(".participant_import", campaign_id=campaign.id, import_id=record.public_id)
        )
    if upload.validate_on_submit():
        check_upload_size(upload.file.data)
        with upload.file.data.stream as stream:  # a large upload is a temporary file
            data = stream.read()
        preview = parse_participants(campaign, data)
        if preview.ok:
            record = import_jobs.save_preview(
                campaign,
                data,
                filename=upload.file.data.filename or "",
                rows=len(preview.rows),
                user=common.user(),
            )
            db.session.commit()
            confirm.import_id.data = record.public_id
        return render_template(
            "workspace/participants_import.html",
            campaign=campaign,
            form=upload,
            preview=preview,
            confirm=confirm if preview.ok else None,
            background=preview.ok and len(preview.rows) > import_jobs.background_threshold(),
        )
    return render_template("workspace/participants_import.html", campaign=campaign, form=upload)


@bp.get("/campaigns/<int:campaign_id>/participants/imports/<import_id>")
def participant_import(campaign_id: int, import_id: str) -> str:
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    record = import_jobs.find_import(campaign, import_id)
    if record is None or record.status == "previewed":
        abort(404)
    return render_template(
        "workspace/participants_import_result.html",
        campaign=campaign,
        record=record,
        state=import_jobs.import_state(record),
        problems=import_jobs.stored_problems(record),
        job_error=import_jobs.job_error_message(record),
    )


@bp.route("/campaigns/<int:campaign_id>/participants/new", methods=["GET", "POST"])
def new_participant(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    form = ParticipantForm.for_campaign(campaign)
    if form.validate_on_submit():
        try:
            participant, token = add_participant(
                campaign, **form.values(campaign.organization), actor=common.user()
            )
        except OperationError as exc:
            common.fail(exc)
        else:
            db.session.commit()
            return render_template(
                "workspace/participant_link.html",
                participant=participant,
                campaign=campaign,
                link=participant_link(token),
                added=True,
            )
    return render_template("workspace/participant_form.html", campaign=campaign, form=form)


@bp.route("/participants/<int:participant_id>", methods=["GET", "POST"])
def edit_participant(participant_id: int) -> BaseResponse | str:
    participant = access.participant_or_404(common.user(), participant_id)
    campaign = participant.campaign
    form = ParticipantForm.for_campaign(campaign, participant)
    if form.validate_on_submit():
        try:
            update_participant(
                participant, **form.values(campaign.organization), actor=common.user()
            )
        except OperationError as exc:
            common.fail(exc)
        else:
            common.commit_and_flash(_("Participant saved."))
            return redirect(url_for(".campaign", campaign_id=campaign.id) + "#participants")
    return render_template(
        "workspace/participant_form.html",
        campaign=campaign,
        form=form,
        participant=participant,
        links=active_links(participant),
        link_channel_label=link_channel_label,
    )


@bp.route("/participants/<int:participant_id>/revoke", methods=["GET", "POST"])
def revoke_view(participant_id: int) -> BaseResponse | str:
    participant = access.participant_or_404(common.user(), participant_id)
    if not confirm.confirmed():
        return confirm.revoke_participant_page(participant)
    revoke_participant(participant, actor=common.user())
    common.commit_and_flash(_("The link of this participant no longer works."))
    return redirect(url_for(".campaign", campaign_id=participant.campaign_id) + "#participants")


@bp.route("/participants/<int:participant_id>/erase", methods=["GET", "POST"])
def erase_view(participant_id: int) -> BaseResponse | str:
    """Erase the participant's name, e-mail and links (their answers stay, anonymous), after
    a page showing what goes."""
    participant = access.participant_or_404(common.user(), participant_id)
    back = url_for(".campaign", campaign_id=participant.campaign_id) + "#participants"
    if participant.erased_at is not None:
        flash(_("This participant's personal data has been erased."), "info")
        return redirect(back)
    if not confirm.confirmed():
        return confirm.erase_participant_page(participant, plan_participant_erasure(participant))
    erase_participant(participant, actor=common.user())
    common.commit_and_flash(
        _("Personal data erased. The answers stay in the results as anonymous answers.")
    )
    return redirect(back)


@bp.post("/participants/<int:participant_id>/link")
def new_link(participant_id: int) -> BaseResponse | str:
    """A link to give this participant; their earlier links keep working."""
    return _issue_link(participant_id, replace=False)


@bp.route("/participants/<int:participant_id>/replace-link", methods=["GET", "POST"])
def replace_link_view(participant_id: int) -> BaseResponse | str:
    """A new link for this participant; every earlier link stops working (asked first)."""
    if not confirm.confirmed():
        return confirm.replace_link_page(access.participant_or_404(common.user(), participant_id))
    return _issue_link(participant_id, replace=True)


def _issue_link(participant_id: int, *, replace: bool) -> BaseResponse | str:
    participant = access.participant_or_404(common.user(), participant_id)
    try:
        token = (replace_link if replace else hand_out_link)(participant, actor=common.user())
    except OperationError as exc:
        common.fail(exc)
        return redirect(url_for(".edit_participant", participant_id=participant.id))
    db.session.commit()
    return render_template(
        "workspace/participant_link.html",
        participant=participant,
        campaign=participant.campaign,
        link=participant_link(token),
        added=False,
        replaced=replace,
    )


@bp.post("/campaigns/<int:campaign_id>/links.csv")
def links_csv(campaign_id: int) -> BaseResponse:
    """The links CSV: one more link for everyone who has not submitted (the CLI's CSV too)."""
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    text, _count = participant_ops.links_csv(campaign, locale=current_locale(), actor=common.user())
    db.session.commit()
    return common.download(
        ("\ufeff" + text).encode("utf-8"), "text/csv", f"campaign-{campaign.id}-links.csv"
    )
