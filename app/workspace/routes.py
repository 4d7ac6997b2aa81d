"""The consultant's workspace: thin views over app/operations and app/queries.

Each view finds its object through :mod:`app.auth.access` (another organisation's object is a
404), fills a form from :mod:`app.workspace.forms`, calls one operation or gathers one page
from :mod:`app.workspace.pages`, and renders; a failed operation is rolled back and shown.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from app.auth import access
from app.models import Campaign, User
from app.operations import audit, emails, exports, import_jobs
from app.operations import participants as participant_ops
from app.operations.backup import backup_campaign
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
from app.operations.errors import OperationError
from app.operations.organizations import (
    add_department,
    add_role,
    create_organization,
    rename_role,
    update_department,
    update_organization,
)
from app.operations.participant_import import parse_participants
from app.operations.participants import (
    add_participant,
    disable_open_link,
    enable_open_link,
    hand_out_link,
    replace_link,
    revoke_participant,
    update_participant,
)
from app.operations.response_import import apply_responses, parse_responses
from app.platform.extensions import db
from app.platform.hardening import check_upload_size
from app.platform.i18n import current_locale
from app.queries.participants import (
    active_links,
    link_channel_label,
    open_link_url,
    participant_link,
)
from app.workspace import bp, pages
from app.workspace.forms import (
    TARGET_FIELD,
    CampaignForm,
    CampaignSettingsForm,
    ConfirmImportForm,
    DepartmentEditForm,
    DepartmentForm,
    EmailForm,
    ExportForm,
    NextRoundForm,
    OrganizationForm,
    OrganizationSettingsForm,
    ParticipantForm,
    RoleForm,
    RoleLabelsForm,
    UploadForm,
)


@bp.before_request
@login_required
def _require_login() -> None:
    """Every workspace page is for signed-in staff only."""


def _user() -> User:
    return current_user._get_current_object()


def _commit_and_flash(message: str, category: str = "success") -> None:
    db.session.commit()
    flash(message, category)


def _fail(exc: OperationError) -> None:
    db.session.rollback()
    flash(str(exc), "error")


def _download(body: Iterable[bytes] | bytes | str, mimetype: str, filename: str) -> Response:
    """A file to save, never cached: links, answers and backups are personal data."""
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# --- organisations --------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    return render_template("workspace/index.html", **pages.index_page(_user()))


@bp.route("/orgs/new", methods=["GET", "POST"])
def new_organization() -> BaseResponse | str:
    if not access.can_create_organizations(_user()):
        abort(404)
    form = OrganizationForm()
    if form.validate_on_submit():
        names = [line.strip() for line in (form.departments.data or "").splitlines()]
        try:
            org = create_organization(
                form.slug.data.strip(), form.name.data, [n for n in names if n], actor=_user()
            )
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(_("Organisation %(name)s created.", name=org.name))
            return redirect(url_for(".organization", slug=org.slug))
    return render_template("workspace/organization_new.html", form=form)


@bp.get("/orgs/<slug>")
def organization(slug: str) -> str:
    org = access.organization_or_404(_user(), slug)
    return render_template("workspace/organization.html", **pages.organization_page(_user(), org))


@bp.route("/orgs/<slug>/settings", methods=["GET", "POST"])
def organization_settings(slug: str) -> BaseResponse | str:
    org = access.organization_or_404(_user(), slug, manage=True)
    form = OrganizationSettingsForm(obj=org)
    if form.validate_on_submit():
        try:
            update_organization(
                org, name=form.name.data, slug=form.slug.data.strip(), actor=_user()
            )
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(_("Organisation settings saved."))
            return redirect(url_for(".organization", slug=org.slug))
    return render_template("workspace/organization_settings.html", org=org, form=form)


@bp.post("/orgs/<slug>/departments")
def add_department_view(slug: str) -> BaseResponse:
    org = access.organization_or_404(_user(), slug, manage=True)
    form = DepartmentForm.for_organization(org)
    if form.validate_on_submit():
        try:
            dept = add_department(org, form.name.data, form.chosen_parent(org))
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(_("Department %(name)s added.", name=dept.name))
    else:
        flash(_("Enter a department name."), "error")
    return redirect(url_for(".organization", slug=org.slug) + "#structure")


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def edit_department(department_id: int) -> BaseResponse | str:
    dept = access.department_or_404(_user(), department_id)
    org = dept.organization
    form = DepartmentEditForm.for_department(dept)
    if form.validate_on_submit():
        try:
            update_department(
                dept,
                name=form.name.data,
                parent=form.chosen_parent(org),
                archived=form.archived.data,
            )
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(_("Department saved."))
            return redirect(url_for(".organization", slug=org.slug) + "#structure")
    return render_template("workspace/department_edit.html", org=org, dept=dept, form=form)


@bp.post("/orgs/<slug>/roles")
def add_role_view(slug: str) -> BaseResponse:
    org = access.organization_or_404(_user(), slug, manage=True)
    form = RoleForm(prefix="role")
    if form.validate_on_submit():
        try:
            role = add_role(
                org, form.key.data, {"ja": form.label_ja.data, "en": form.label_en.data}
            )
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(_("Role %(name)s added.", name=role.label(current_locale())))
    else:
        flash(_("Enter a key for the role."), "error")
    return redirect(url_for(".organization", slug=org.slug) + "#roles")


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
def edit_role(role_id: int) -> BaseResponse | str:
    role = access.role_or_404(_user(), role_id)
    form = RoleLabelsForm.for_role(role)
    if form.validate_on_submit():
        try:
            rename_role(role, form.labels())
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(_("Role saved."))
            return redirect(url_for(".organization", slug=role.organization.slug) + "#roles")
    return render_template("workspace/role_edit.html", org=role.organization, role=role, form=form)


# --- campaigns ------------------------------------------------------------------------------


@bp.route("/orgs/<slug>/campaigns/new", methods=["GET", "POST"])
def new_campaign(slug: str) -> BaseResponse | str:
    org = access.organization_or_404(_user(), slug, manage=True)
    form = CampaignForm.for_library()
    if form.validate_on_submit():
        opens_at, closes_at = form.dates()
        try:
            campaign = create_campaign(
                org,
                form.chosen_questionnaire(),
                form.name.data,
                threshold=form.threshold.data,
                opens_at=opens_at,
                closes_at=closes_at,
                individual_reports=form.individual_reports.data,
                actor=_user(),
            )
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(_("Campaign %(name)s created as a draft.", name=campaign.name))
            return redirect(url_for(".campaign", campaign_id=campaign.id))
    return render_template("workspace/campaign_new.html", **pages.new_campaign_page(org, form))


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> str:
    campaign = access.campaign_or_404(_user(), campaign_id)
    page = pages.campaign_page(
        _user(),
        campaign,
        status=request.args.get("status"),
        page=request.args.get("page", 1, type=int),
    )
    return render_template("workspace/campaign.html", **page)


def _save_settings(campaign: Campaign, form: CampaignSettingsForm) -> None:
    """Name, dates, threshold; the companion and the targets when the form posted them."""
    opens_at, closes_at = form.dates()
    update_campaign(
        campaign,
        name=form.name.data,
        opens_at=opens_at,
        closes_at=closes_at,
        threshold=form.threshold.data,
        individual_reports=form.individual_reports.data,
        actor=_user(),
    )
    if form.posts_companion():
        chosen = form.chosen_companion()
        if chosen is None:
            unpair_campaign(campaign, actor=_user())
        else:
            pair_campaigns(campaign, chosen, actor=_user())
    if form.posts_targets():
        set_targets(campaign, form.posted_targets(), actor=_user())


@bp.route("/campaigns/<int:campaign_id>/settings", methods=["GET", "POST"])
def campaign_settings(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    form = CampaignSettingsForm.for_campaign(campaign)
    if form.validate_on_submit():
        try:
            _save_settings(campaign, form)
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(_("Campaign settings saved."))
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


@bp.post("/campaigns/<int:campaign_id>/close")
def close_view(campaign_id: int) -> BaseResponse:
    return _status_change(campaign_id, close_campaign, _("The campaign is closed."))


@bp.post("/campaigns/<int:campaign_id>/reopen")
def reopen_view(campaign_id: int) -> BaseResponse:
    return _status_change(campaign_id, reopen_campaign, _("The campaign is open again."))


def _status_change(
    campaign_id: int, operation: Callable[..., Campaign], message: str
) -> BaseResponse:
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    try:
        operation(campaign, actor=_user())
    except OperationError as exc:
        _fail(exc)
    else:
        _commit_and_flash(message)
    return redirect(url_for(".campaign", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/next-round", methods=["GET", "POST"])
def next_round(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    form = NextRoundForm.for_campaign(campaign)
    if form.validate_on_submit():
        try:
            new = copy_campaign(
                campaign, form.name.data, questionnaire=form.chosen_questionnaire(), actor=_user()
            )
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(
                _("Next round created with %(n)d participants.", n=len(new.participants))
            )
            return redirect(url_for(".campaign", campaign_id=new.id))
    return render_template("workspace/next_round.html", campaign=campaign, form=form)


# --- participants ---------------------------------------------------------------------------


@bp.route("/campaigns/<int:campaign_id>/participants/import", methods=["GET", "POST"])
def import_participants(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    upload = UploadForm()
    confirm = ConfirmImportForm(prefix="confirm")
    if confirm.validate_on_submit() and "confirm-import_id" in request.form:
        # The file stayed on the server since the preview and is checked again from scratch.
        record = import_jobs.find_import(campaign, confirm.import_id.data)
        if record is None:
            abort(404)
        # A second click finds the import confirmed already and shows where it stands.
        imported_now = record.status == "previewed" and not import_jobs.in_background(record)
        import_jobs.confirm_import(record, actor=_user())
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
                user=_user(),
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
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
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
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    form = ParticipantForm.for_campaign(campaign)
    if form.validate_on_submit():
        try:
            participant, token = add_participant(
                campaign, **form.values(campaign.organization), actor=_user()
            )
        except OperationError as exc:
            _fail(exc)
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
    participant = access.participant_or_404(_user(), participant_id)
    campaign = participant.campaign
    form = ParticipantForm.for_campaign(campaign, participant)
    if form.validate_on_submit():
        try:
            update_participant(participant, **form.values(campaign.organization), actor=_user())
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(_("Participant saved."))
            return redirect(url_for(".campaign", campaign_id=campaign.id) + "#participants")
    return render_template(
        "workspace/participant_form.html",
        campaign=campaign,
        form=form,
        participant=participant,
        links=active_links(participant),
        link_channel_label=link_channel_label,
    )


@bp.post("/participants/<int:participant_id>/revoke")
def revoke_view(participant_id: int) -> BaseResponse:
    participant = access.participant_or_404(_user(), participant_id)
    revoke_participant(participant, actor=_user())
    _commit_and_flash(_("The link of this participant no longer works."))
    return redirect(url_for(".campaign", campaign_id=participant.campaign_id) + "#participants")


@bp.post("/participants/<int:participant_id>/link")
def new_link(participant_id: int) -> BaseResponse | str:
    """A link to give this participant; their earlier links keep working."""
    return _issue_link(participant_id, replace=False)


@bp.post("/participants/<int:participant_id>/replace-link")
def replace_link_view(participant_id: int) -> BaseResponse | str:
    """A new link for this participant; every earlier link stops working."""
    return _issue_link(participant_id, replace=True)


def _issue_link(participant_id: int, *, replace: bool) -> BaseResponse | str:
    participant = access.participant_or_404(_user(), participant_id)
    try:
        token = (replace_link if replace else hand_out_link)(participant, actor=_user())
    except OperationError as exc:
        _fail(exc)
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
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    text, _count = participant_ops.links_csv(campaign, locale=current_locale(), actor=_user())
    db.session.commit()
    return _download(
        ("\ufeff" + text).encode("utf-8"), "text/csv", f"campaign-{campaign.id}-links.csv"
    )


# --- emails ---------------------------------------------------------------------------------


def _delivery_flash(delivery: emails.Delivery, kind: str) -> None:
    if delivery.mode == "outbox":
        flash(
            _(
                "No mail server is configured: %(n)d message(s) were written to the outbox "
                "folder %(folder)s instead of being sent.",
                n=delivery.sent,
                folder=delivery.outbox,
            ),
            "warning",
        )
    elif kind == "invitation":
        flash(_("%(n)d invitation(s) sent.", n=delivery.sent), "success")
    else:
        flash(_("%(n)d reminder(s) sent.", n=delivery.sent), "success")
    if delivery.skipped:
        flash(
            _(
                "%(n)d participant(s) skipped: already emailed in the last 24 hours.",
                n=delivery.skipped,
            ),
            "info",
        )
    if delivery.failed:
        flash(_("Sending failed for: %(emails)s", emails=", ".join(delivery.failed)), "error")


@bp.post("/campaigns/<int:campaign_id>/invitations")
def send_invitations_view(campaign_id: int) -> BaseResponse:
    return _send(campaign_id, "invitation")


@bp.post("/campaigns/<int:campaign_id>/reminders")
def send_reminders_view(campaign_id: int) -> BaseResponse:
    return _send(campaign_id, "reminder")


def _send(campaign_id: int, kind: str) -> BaseResponse:
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    form = EmailForm()
    if form.validate_on_submit():
        try:
            if kind == "invitation":
                delivery = emails.send_invitations(
                    campaign, locale=form.locale.data, resend=form.resend.data, actor=_user()
                )
            else:
                delivery = emails.send_reminders(campaign, locale=form.locale.data, actor=_user())
        except OperationError as exc:
            _fail(exc)
        else:
            db.session.commit()
            _delivery_flash(delivery, kind)
    return redirect(url_for(".campaign", campaign_id=campaign.id) + "#emails")


# --- open link ------------------------------------------------------------------------------


@bp.post("/campaigns/<int:campaign_id>/open-link")
def open_link(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    if request.form.get("action") == "disable":
        disable_open_link(campaign, actor=_user())
        _commit_and_flash(_("The open link is disabled."))
        return redirect(url_for(".campaign", campaign_id=campaign.id))
    token = enable_open_link(campaign, actor=_user())
    db.session.commit()
    return render_template("workspace/open_link.html", campaign=campaign, link=open_link_url(token))


# --- exports, imports, backup ---------------------------------------------------------------


@bp.route("/campaigns/<int:campaign_id>/export", methods=["GET", "POST"])
def export(campaign_id: int) -> BaseResponse | str:
    user = _user()
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
        audit.record(
            "responses.exported",
            campaign=campaign,
            user=user,
            format=fmt,
            with_identities=options.with_identities,
        )
        db.session.commit()
        chunks: Iterator[bytes] = (
            exports.stream_xlsx(campaign, options)
            if fmt == "xlsx"
            else exports.stream_csv(campaign, options)
        )
        mimetype = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if fmt == "xlsx"
            else "text/csv"
        )
        return _download(
            stream_with_context(chunks), mimetype, exports.export_filename(campaign, fmt)
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
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    form = UploadForm()
    preview = None
    if form.validate_on_submit():
        check_upload_size(form.file.data)
        preview = parse_responses(campaign, form.file.data.read())
        if preview.ok:
            try:
                count = apply_responses(campaign, preview, actor=_user())
            except OperationError as exc:
                _fail(exc)
            else:
                _commit_and_flash(_("%(n)d responses imported.", n=count))
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
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    data = backup_campaign(campaign)
    audit.record("campaign.backed_up", campaign=campaign, user=_user())
    db.session.commit()
    return _download(
        json.dumps(data, ensure_ascii=False, indent=1),
        "application/json",
        f"campaign-{campaign.id}-backup.json",
    )
