"""Organisations, their departments and roles: thin views over app/operations."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.auth import access
from app.operations.errors import OperationError
from app.operations.organizations import (
    add_department,
    add_role,
    create_organization,
    rename_role,
    set_benchmark,
    update_department,
    update_organization,
)
from app.operations.retention import set_retention
from app.operations.staff import invite_executive, set_action_updates
from app.platform.extensions import db
from app.platform.i18n import current_locale
from app.workspace import common, confirm, pages
from app.workspace.blueprint import bp
from app.workspace.forms import (
    DepartmentEditForm,
    DepartmentForm,
    ExecutiveInviteForm,
    OrganizationForm,
    OrganizationSettingsForm,
    RoleForm,
    RoleLabelsForm,
)


@bp.get("/")
def index() -> str:
    return render_template("workspace/index.html", **pages.index_page(common.user()))


@bp.route("/orgs/new", methods=["GET", "POST"])
def new_organization() -> BaseResponse | str:
    if not access.can_create_organizations(common.user()):
        abort(404)
    form = OrganizationForm()
    if form.validate_on_submit():
        names = [line.strip() for line in (form.departments.data or "").splitlines()]
        try:
            org = create_organization(
                form.slug.data.strip(),
                form.name.data,
                [n for n in names if n],
                name_en=form.name_en.data,
                actor=common.user(),
            )
        except OperationError as exc:
            common.fail(exc)
        else:
            common.commit_and_flash(_("Organisation %(name)s created.", name=org.name))
            return redirect(url_for(".organization", slug=org.slug))
    return render_template("workspace/organization_new.html", form=form)


@bp.get("/orgs/<slug>")
def organization(slug: str) -> str:
    org = access.organization_or_404(common.user(), slug)
    return render_template(
        "workspace/organization.html", **pages.organization_page(common.user(), org)
    )


@bp.route("/orgs/<slug>/settings", methods=["GET", "POST"])
def organization_settings(slug: str) -> BaseResponse | str:
    org = access.organization_or_404(common.user(), slug, manage=True)
    form = OrganizationSettingsForm(obj=org)
    if form.validate_on_submit():
        try:
            update_organization(
                org,
                name=form.name.data,
                slug=form.slug.data.strip(),
                name_en=form.name_en.data or "",
                actor=common.user(),
            )
            set_benchmark(
                org,
                industry=form.industry.data,
                size_band=form.size_band.data,
                opt_in=form.benchmark_opt_in.data,
                actor=common.user(),
            )
            set_retention(org, form.retention_days.data, actor=common.user())
        except OperationError as exc:
            common.fail(exc)
        else:
            common.commit_and_flash(_("Organisation settings saved."))
            return redirect(url_for(".organization", slug=org.slug))
    return render_template(
        "workspace/organization_settings.html", **pages.organization_settings_page(org, form)
    )


@bp.post("/orgs/<slug>/executives")
def invite_executive_view(slug: str) -> BaseResponse | str | tuple[str, int]:
    """Invite an executive; a new account's first password is shown once, on this response."""
    org = access.organization_or_404(common.user(), slug, manage=True)
    invite = ExecutiveInviteForm(prefix="executive")
    if invite.validate_on_submit():
        try:
            invitation = invite_executive(org, invite.email.data, actor=common.user())
        except OperationError as exc:
            db.session.rollback()
            invite.email.errors = [str(exc)]
        else:
            db.session.commit()
            return render_template(
                "workspace/executive_invited.html",
                org=org,
                invitation=invitation,
                login_url=pages.staff_login_url(),
            )
    page = pages.organization_settings_page(
        org, OrganizationSettingsForm(formdata=None, obj=org), invite
    )
    return render_template("workspace/organization_settings.html", **page), 422


@bp.post("/orgs/<slug>/executives/<int:user_id>/action-updates")
def executive_action_updates_view(slug: str, user_id: int) -> BaseResponse:
    """Grant an executive the updating of the actions' status and notes, or take it back."""
    org = access.organization_or_404(common.user(), slug, manage=True)
    allowed = request.form.get("allowed") == "1"
    try:
        set_action_updates(org, user_id, allowed, actor=common.user())
    except OperationError:
        db.session.rollback()
        abort(404)
    common.commit_and_flash(
        _("The executive may now update the status and notes of actions.")
        if allowed
        else _("The executive no longer updates actions.")
    )
    return redirect(url_for("workspace.organization_settings", slug=org.slug) + "#executives")


@bp.post("/orgs/<slug>/departments")
def add_department_view(slug: str) -> BaseResponse:
    org = access.organization_or_404(common.user(), slug, manage=True)
    form = DepartmentForm.for_organization(org)
    if form.validate_on_submit():
        try:
            dept = add_department(
                org,
                form.name.data,
                form.chosen_parent(org),
                name_en=form.name_en.data,
                actor=common.user(),
            )
        except OperationError as exc:
            common.fail(exc)
        else:
            common.commit_and_flash(_("Department %(name)s added.", name=dept.name))
    elif form.name_en.errors:
        flash(form.name_en.errors[0], "error")
    else:
        flash(_("Enter a department name."), "error")
    return redirect(url_for(".organization", slug=org.slug) + "#structure")


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def edit_department(department_id: int) -> BaseResponse | str:
    dept = access.department_or_404(common.user(), department_id)
    org = dept.organization
    form = DepartmentEditForm.for_department(dept)
    if form.validate_on_submit():
        try:
            if form.archived.data and not dept.archived and not confirm.confirmed():
                return confirm.archive_department_page(dept)
            update_department(
                dept,
                name=form.name.data,
                parent=form.chosen_parent(org),
                archived=form.archived.data,
                name_en=form.name_en.data or "",
                actor=common.user(),
            )
        except OperationError as exc:
            common.fail(exc)
        else:
            common.commit_and_flash(_("Department saved."))
            return redirect(url_for(".organization", slug=org.slug) + "#structure")
    return render_template("workspace/department_edit.html", org=org, dept=dept, form=form)


@bp.post("/orgs/<slug>/roles")
def add_role_view(slug: str) -> BaseResponse:
    org = access.organization_or_404(common.user(), slug, manage=True)
    form = RoleForm(prefix="role")
    if form.validate_on_submit():
        try:
            role = add_role(
                org, form.key.data, {"ja": form.label_ja.data, "en": form.label_en.data}
            )
        except OperationError as exc:
            common.fail(exc)
        else:
            common.commit_and_flash(_("Role %(name)s added.", name=role.label(current_locale())))
    else:
        flash(_("Enter a key for the role."), "error")
    return redirect(url_for(".organization", slug=org.slug) + "#roles")


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
def edit_role(role_id: int) -> BaseResponse | str:
    role = access.role_or_404(common.user(), role_id)
    form = RoleLabelsForm.for_role(role)
    if form.validate_on_submit():
        try:
            rename_role(role, form.labels())
        except OperationError as exc:
            common.fail(exc)
        else:
            common.commit_and_flash(_("Role saved."))
            return redirect(url_for(".organization", slug=role.organization.slug) + "#roles")
    return render_template("workspace/role_edit.html", org=role.organization, role=role, form=form)
