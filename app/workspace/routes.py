"""The consultant's workspace: thin views over app/operations, scoped by app/auth/access.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from app.auth import access
from app.models import Campaign, Organization, Participant, User
from app.operations import audit, emails, exports
from app.operations import participants as participant_ops
from app.operations.backup import backup_campaign
from app.operations.campaigns import (
    add_participant,
    close_campaign,
    companion_choices,
    companion_of,
    copy_campaign,
    create_campaign,
    hand_out_link,
    local_to_utc,
    open_campaign,
    pair_campaigns,
    reopen_campaign,
    replace_link,
    revoke_participant,
    set_targets,
    unpair_campaign,
    update_campaign,
    update_participant,
    utc_to_local,
)
from app.operations.errors import N_, OperationError
from app.operations.library import available_questionnaires
from app.operations.organizations import (
    add_department,
    add_role,
    create_organization,
    department_tree,
    rename_role,
    update_department,
    update_organization,
)
from app.operations.participant_import import apply_import, decode_csv, parse_participants
from app.operations.participants import (
    active_links,
    disable_open_link,
    enable_open_link,
    link_channel_label,
    open_link_url,
    participant_link,
)
from app.operations.progress import campaign_progress
from app.operations.response_import import apply_responses, parse_responses
from app.platform.extensions import db
from app.platform.hardening import check_upload_size
from app.platform.i18n import current_locale, localized
from app.results import participation_by_campaign
from app.workspace import bp
from app.workspace.forms import (
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
    options,
)

PAGE_SIZE = 100
#: The response rate a campaign aims for, unless CX_RESPONSE_RATE_TARGET says otherwise.
DEFAULT_RATE_TARGET = 0.7


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


# --- organisations --------------------------------------------------------------------------


@bp.get("/")
def index() -> str:
    orgs = db.session.scalars(access.organizations_query(_user())).all()
    campaign_counts = dict(
        db.session.execute(
            select(Campaign.organization_id, func.count(Campaign.id))
            .where(Campaign.organization_id.in_([o.id for o in orgs]))
            .group_by(Campaign.organization_id)
        ).all()
    )
    return render_template(
        "workspace/index.html",
        orgs=orgs,
        campaign_counts=campaign_counts,
        can_create=access.can_create_organizations(_user()),
    )


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


def _department_choices(org: Organization, *, exclude: int | None = None) -> list[SelectChoice]:
    pairs = [(0, _("(top level)"))]
    for depth, dept in department_tree(org, include_archived=False):
        if dept.id != exclude:
            pairs.append((dept.id, "\u3000" * depth + dept.name))
    return options(pairs)


@bp.get("/orgs/<slug>")
def organization(slug: str) -> str:
    org = access.organization_or_404(_user(), slug)
    manage = access.can_manage(_user(), org.id)
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.organization_id == org.id).order_by(Campaign.id.desc())
    ).all()
    department_form = DepartmentForm(prefix="dept")
    department_form.parent.choices = _department_choices(org)
    return render_template(
        "workspace/organization.html",
        org=org,
        manage=manage,
        campaigns=campaigns,
        tree=department_tree(org),
        department_form=department_form,
        role_form=RoleForm(prefix="role"),
        progress=participation_by_campaign(campaigns),
    )


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
    form = DepartmentForm(prefix="dept")
    form.parent.choices = _department_choices(org)
    if form.validate_on_submit():
        parent = next((d for d in org.departments if d.id == form.parent.data), None)
        try:
            dept = add_department(org, form.name.data, parent)
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
    form = DepartmentEditForm(
        obj=dept, data={"parent": dept.parent_id or 0} if request.method == "GET" else None
    )
    form.parent.choices = _department_choices(org, exclude=dept.id)
    if form.validate_on_submit():
        parent = next((d for d in org.departments if d.id == form.parent.data), None)
        try:
            update_department(dept, name=form.name.data, parent=parent, archived=form.archived.data)
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
    form = RoleLabelsForm(
        data={"label_ja": role.labels.get("ja", ""), "label_en": role.labels.get("en", "")}
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        try:
            rename_role(role, {"ja": form.label_ja.data, "en": form.label_en.data})
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(_("Role saved."))
            return redirect(url_for(".organization", slug=role.organization.slug) + "#roles")
    return render_template("workspace/role_edit.html", org=role.organization, role=role, form=form)


# --- campaigns ------------------------------------------------------------------------------


def _questionnaire_choices() -> list[tuple[str, Any]]:
    return [
        (f"{q.id}@{q.version}", q)
        for q in sorted(available_questionnaires(), key=lambda q: (q.id, q.version))
    ]


def _dates(form: CampaignForm | CampaignSettingsForm) -> tuple[Any, Any]:
    tz = form.timezone.data or "Asia/Tokyo"
    opens = form.opens_at.data
    closes = form.closes_at.data
    return (
        local_to_utc(opens.date(), opens.time(), tz) if opens else None,
        local_to_utc(closes.date(), closes.time(), tz) if closes else None,
    )


@bp.route("/orgs/<slug>/campaigns/new", methods=["GET", "POST"])
def new_campaign(slug: str) -> BaseResponse | str:
    org = access.organization_or_404(_user(), slug, manage=True)
    library = dict(_questionnaire_choices())
    form = CampaignForm()
    form.questionnaire.choices = options((key, key) for key in library)
    if request.method == "GET" and library:
        form.questionnaire.data = next(iter(library))
    if form.validate_on_submit():
        opens_at, closes_at = _dates(form)
        try:
            campaign = create_campaign(
                org,
                library[form.questionnaire.data],
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
    return render_template("workspace/campaign_new.html", org=org, form=form, library=library)


def _optional_url(endpoint: str, **values: Any) -> str | None:
    """A link to another area (results, reports) when that area is installed."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _rate_class(rate: float, target: float) -> str:
    if rate >= target:
        return "rate-ok"
    if rate >= target * 0.6:
        return "rate-warn"
    return "rate-low"


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> str:
    user = _user()
    campaign = access.campaign_or_404(user, campaign_id)
    manage = access.can_manage(user, campaign.organization_id)
    progress = campaign_progress(campaign)
    target = float(current_app.config.get("CX_RESPONSE_RATE_TARGET", DEFAULT_RATE_TARGET))
    context: dict[str, Any] = {
        "results_url": _optional_url("dashboard.overview", campaign_id=campaign.id),
        "reports_url": _optional_url("reports.index", campaign_id=campaign.id),
        "campaign": campaign,
        "org": campaign.organization,
        "manage": manage,
        "progress": progress,
        "target": target,
        "rate_class": lambda rate: _rate_class(rate, target),
        "local": utc_to_local,
    }
    if manage:
        status = request.args.get("status")
        page = max(1, request.args.get("page", 1, type=int))
        query = select(Participant).where(Participant.campaign_id == campaign.id)
        if status in ("invited", "started", "submitted"):
            query = query.where(Participant.status == status, Participant.revoked_at.is_(None))
        elif status == "revoked":
            query = query.where(Participant.revoked_at.is_not(None))
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        context.update(
            participants=db.session.scalars(
                query.order_by(Participant.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
            ).all(),
            participant_total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            status_filter=status,
            events=audit.campaign_events(campaign),
            action_label=audit.action_label,
            email_form=EmailForm(),
            mail_configured=emails.mail_configured(),
            outbox=str(emails.outbox_dir()),
        )
    return render_template("workspace/campaign.html", **context)


@bp.route("/campaigns/<int:campaign_id>/settings", methods=["GET", "POST"])
def campaign_settings(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    companion = companion_of(campaign)
    form = CampaignSettingsForm(
        data={
            "name": campaign.name,
            "opens_at": _naive_local(campaign.opens_at),
            "closes_at": _naive_local(campaign.closes_at),
            "threshold": campaign.anonymity_threshold,
            "individual_reports": campaign.individual_reports,
            "companion": companion.id if companion is not None else 0,
        }
        if request.method == "GET"
        else None
    )
    choices = {c.id: c for c in companion_choices(campaign)}
    form.companion.choices = options(
        [(0, _("No companion campaign"))]
        + [
            (c.id, f"{c.name} ({c.questionnaire_id} {c.questionnaire_version})")
            for c in choices.values()
        ]
    )
    if form.validate_on_submit():
        opens_at, closes_at = _dates(form)
        try:
            update_campaign(
                campaign,
                name=form.name.data,
                opens_at=opens_at,
                closes_at=closes_at,
                threshold=form.threshold.data,
                individual_reports=form.individual_reports.data,
                actor=_user(),
            )
            if "companion" in request.form:
                chosen = choices.get(form.companion.data)
                if chosen is None:
                    unpair_campaign(campaign, actor=_user())
                else:
                    pair_campaigns(campaign, chosen, actor=_user())
            if any(key.startswith(TARGET_FIELD) for key in request.form):
                set_targets(campaign, _posted_targets(campaign), actor=_user())
        except OperationError as exc:
            _fail(exc)
        else:
            _commit_and_flash(_("Campaign settings saved."))
            return redirect(url_for(".campaign", campaign_id=campaign.id))
    targets = (
        {d.id: request.form.get(TARGET_FIELD + d.id, "") for d in campaign.questionnaire.dimensions}
        if request.method == "POST"
        else {k: f"{v:g}" for k, v in (campaign.targets or {}).items()}
    )
    return render_template(
        "workspace/campaign_settings.html",
        campaign=campaign,
        form=form,
        targets=targets,
        target_field=TARGET_FIELD,
    )


#: Target levels are posted as one field per dimension: ``target-<dimension id>``.
TARGET_FIELD = "target-"


def _posted_targets(campaign: Campaign) -> dict[str, float | None]:
    """The target level of each dimension as posted (empty: no target)."""
    found: dict[str, float | None] = {}
    for dimension in campaign.questionnaire.dimensions:
        text = (request.form.get(TARGET_FIELD + dimension.id) or "").strip()
        if not text:
            found[dimension.id] = None
            continue
        try:
            found[dimension.id] = float(text.replace(",", "."))
        except ValueError:
            raise OperationError(
                N_("The target of %(dimension)s must be a number, like 3.5."),
                dimension=localized(dimension.title),
            ) from None
    return found


def _naive_local(moment: Any) -> Any:
    local = utc_to_local(moment)
    return local.replace(tzinfo=None) if local else None


@bp.post("/campaigns/<int:campaign_id>/open")
def open_view(campaign_id: int) -> BaseResponse:
    return _status_change(campaign_id, open_campaign, _("The campaign is open."))


@bp.post("/campaigns/<int:campaign_id>/close")
def close_view(campaign_id: int) -> BaseResponse:
    return _status_change(campaign_id, close_campaign, _("The campaign is closed."))


@bp.post("/campaigns/<int:campaign_id>/reopen")
def reopen_view(campaign_id: int) -> BaseResponse:
    return _status_change(campaign_id, reopen_campaign, _("The campaign is open again."))


def _status_change(campaign_id: int, operation: Any, message: str) -> BaseResponse:
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
    versions = {
        q.version: q for q in available_questionnaires() if q.id == campaign.questionnaire_id
    }
    form = NextRoundForm()
    current = f"{campaign.questionnaire_version} " + _("(this campaign's version)")
    form.version.choices = options(
        [("", current)] + [(v, v) for v in sorted(versions) if v != campaign.questionnaire_version]
    )
    if form.validate_on_submit():
        questionnaire = versions.get(form.version.data) if form.version.data else None
        try:
            new = copy_campaign(
                campaign, form.name.data, questionnaire=questionnaire, actor=_user()
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
    if confirm.validate_on_submit() and "confirm-data" in request.form:
        # The file comes back from the preview page and is checked again from scratch.
        preview = parse_participants(campaign, confirm.data.data)
        if preview.ok:
            try:
                imported = apply_import(campaign, preview, actor=_user())
            except OperationError as exc:
                _fail(exc)
            else:
                _commit_and_flash(_("%(n)d participants imported.", n=len(imported)))
                return redirect(url_for(".campaign", campaign_id=campaign.id))
        return render_template(
            "workspace/participants_import.html", campaign=campaign, form=upload, preview=preview
        )
    if upload.validate_on_submit():
        check_upload_size(upload.file.data)
        data = upload.file.data.read()
        preview = parse_participants(campaign, data)
        text = None
        if preview.ok:
            text, _encoding = decode_csv(data)
            confirm.data.data = text
        return render_template(
            "workspace/participants_import.html",
            campaign=campaign,
            form=upload,
            preview=preview,
            confirm=confirm if text is not None else None,
        )
    return render_template("workspace/participants_import.html", campaign=campaign, form=upload)


def _participant_choices(form: ParticipantForm, campaign: Campaign) -> None:
    org = campaign.organization
    form.department.choices = options(
        (d.id, "\u3000" * depth + d.name)
        for depth, d in department_tree(org, include_archived=False)
    )
    form.role.choices = options((r.id, r.label(current_locale())) for r in org.roles)


@bp.route("/campaigns/<int:campaign_id>/participants/new", methods=["GET", "POST"])
def new_participant(campaign_id: int) -> BaseResponse | str:
    campaign = access.campaign_or_404(_user(), campaign_id, manage=True)
    form = ParticipantForm()
    _participant_choices(form, campaign)
    if form.validate_on_submit():
        org = campaign.organization
        try:
            participant, token = add_participant(
                campaign,
                name=form.name.data,
                email=form.email.data,
                department=next(d for d in org.departments if d.id == form.department.data),
                role=next(r for r in org.roles if r.id == form.role.data),
                actor=_user(),
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
    form = ParticipantForm(
        data={
            "name": participant.name,
            "email": participant.email,
            "department": participant.department_id,
            "role": participant.role_id,
        }
        if request.method == "GET"
        else None
    )
    _participant_choices(form, campaign)
    if participant.department.archived:
        form.department.choices += options(
            [(participant.department_id, participant.department.name)]
        )
    if form.validate_on_submit():
        org = campaign.organization
        try:
            update_participant(
                participant,
                name=form.name.data,
                email=form.email.data,
                department=next(d for d in org.departments if d.id == form.department.data),
                role=next(r for r in org.roles if r.id == form.role.data),
                actor=_user(),
            )
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
    return Response(
        ("\ufeff" + text).encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign.id}-links.csv"',
            "Cache-Control": "no-store",
        },
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
        disable_open_link(campaign)
        audit.record("open_link.disabled", campaign=campaign, user=_user())
        _commit_and_flash(_("The open link is disabled."))
        return redirect(url_for(".campaign", campaign_id=campaign.id))
    token = enable_open_link(campaign)
    audit.record("open_link.enabled", campaign=campaign, user=_user())
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
        return Response(
            stream_with_context(chunks),
            mimetype=mimetype,
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{exports.export_filename(campaign, fmt)}"'
                ),
                "Cache-Control": "no-store",
            },
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
    return Response(
        json.dumps(data, ensure_ascii=False, indent=1),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign.id}-backup.json"',
            "Cache-Control": "no-store",
        },
    )
