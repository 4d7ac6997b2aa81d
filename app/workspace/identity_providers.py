"""Single sign-on set-up for site administrators: the identity providers, added, changed,
enabled and disabled."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from app.auth import access
from app.models import IdentityProvider, Organization
from app.models.identity import (
    CLIENT_ID_LENGTH,
    ISSUER_LENGTH,
    PROVIDER_KEY_LENGTH,
    PROVIDER_NAME_LENGTH,
)
from app.operations.identity_providers import (
    SECRET_LENGTH,
    check_provider,
    save_provider,
    secret_variable,
)
from app.platform.extensions import db
from app.platform.forms import Form
from app.workspace import common
from app.workspace.blueprint import bp


class IdentityProviderForm(Form):
    key = StringField(
        _l("Key"),
        validators=[Length(max=PROVIDER_KEY_LENGTH)],
        description=_l("Lowercase letters, digits and hyphens; part of the login address."),
    )
    name = StringField(
        _l("Name on the login button"), validators=[Length(max=PROVIDER_NAME_LENGTH)]
    )
    issuer = StringField(
        _l("Issuer URL"),
        validators=[Length(max=ISSUER_LENGTH)],
        description=_l("The provider's address; its /.well-known/openid-configuration is read."),
    )
    client_id = StringField(_l("Client ID"), validators=[Length(max=CLIENT_ID_LENGTH)])
    client_secret = PasswordField(
        _l("Client secret"),
        validators=[Optional(), Length(max=SECRET_LENGTH)],
        description=_l(
            "Stored sealed. Leave empty to keep the stored one, or to take it from the "
            "environment variable CX_OIDC_SECRET_ and the key (upper case, hyphens as "
            "underscores)."
        ),
    )
    organization = SelectField(_l("Serves"), default="")


def _form(**kwargs: object) -> IdentityProviderForm:
    form = IdentityProviderForm(**kwargs)
    orgs = db.session.scalars(select(Organization).order_by(Organization.name))
    form.organization.choices = [SelectChoice("", _("Every organisation"))] + [
        SelectChoice(org.slug, org.name) for org in orgs
    ]
    return form


def _page(form: IdentityProviderForm, status: int = 200) -> tuple[str, int]:
    rows = db.session.execute(
        select(IdentityProvider, Organization.name)
        .outerjoin(Organization, Organization.id == IdentityProvider.organization_id)
        .order_by(IdentityProvider.name)
    ).all()
    return (
        render_template(
            "workspace/identity_providers.html",
            rows=rows,
            form=form,
            secret_variable=secret_variable,
            callback=lambda key: url_for("sso.callback", key=key, _external=True),
        ),
        status,
    )


@bp.route("/sso", methods=["GET", "POST"])
def identity_providers() -> BaseResponse | tuple[str, int]:
    access.require_site_admin(common.user())
    form = _form()
    if request.method == "POST" and form.validate_on_submit():
        values, problems = check_provider(
            {name: getattr(form, name).data for name in form.data if name != "csrf_token"}
        )
        if not problems:
            provider = save_provider(values)
            common.commit_and_flash(_("Identity provider %(name)s added.", name=provider.name))
            return redirect(url_for("workspace.identity_providers"))
        for problem in problems:
            field = getattr(form, problem.field, None)
            if field is not None:
                field.errors = [*field.errors, problem.message]
    return _page(form, 400 if request.method == "POST" else 200)


@bp.post("/sso/<int:provider_id>/enabled")
def identity_provider_enabled(provider_id: int) -> BaseResponse:
    access.require_site_admin(common.user())
    provider = db.get_or_404(IdentityProvider, provider_id)
    provider.enabled = request.form.get("enabled") == "1"
    common.commit_and_flash(
        _("%(name)s is enabled: its button is on the login page.", name=provider.name)
        if provider.enabled
        else _("%(name)s is disabled: its button is gone.", name=provider.name)
    )
    return redirect(url_for("workspace.identity_providers"))
