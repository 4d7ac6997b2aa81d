"""Single sign-on with OpenID Connect: the login button's way to the identity provider and
back.

The provider is reached with the authorization code flow, with PKCE (S256), a state bound
to this browser's session and a nonce bound to the ID token (Authlib checks both, with the
token's signature, issuer, audience and expiry). The provider's user is then matched to an
account: by the link made at an earlier login (provider and subject), else by a verified
e-mail address an existing, active account uses, and the link is made. The provider never
gives access to an organisation: grants do. A provider set up for one organisation serves
only accounts with a grant there. Every refusal is explained on the login page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth import access, sessions
from app.auth.accounts import find_user
from app.auth.routes import _safe_next
from app.models import IdentityProvider, Membership, User, UserIdentity, utcnow
from app.operations.identity_providers import client_secret, providers_for_login
from app.platform.extensions import db
from app.platform.lazy import lazy_module
from app.platform.sealing import SealError

flask_client = lazy_module("authlib.integrations.flask_client")
requests = lazy_module("requests")

bp = Blueprint("sso", __name__)
# The login page asks for the providers' buttons (only that page queries them).
bp.app_context_processor(lambda: {"sso_providers": providers_for_login})

#: Where the page asked for before the login waits during the trip to the provider.
NEXT_KEY = "_cx_sso_next"
SCOPES = "openid email profile"


class SignInRefused(Exception):
    """The provider's user may not log in here; the message says why, for the login page."""


def _client(provider: IdentityProvider) -> Any:
    secret = client_secret(provider)
    if not secret:
        raise SignInRefused(
            _("Single sign-on with %(name)s is not set up completely (no client secret).")
            % {"name": provider.name}
        )
    return flask_client.FlaskOAuth2App(
        flask_client.FlaskIntegration(f"oidc-{provider.key}"),
        name=f"oidc-{provider.key}",
        client_id=provider.client_id,
        client_secret=secret,
        server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPES, "code_challenge_method": "S256", "timeout": 10},
    )


def _provider_or_404(key: str) -> IdentityProvider:
    provider = db.session.scalar(
        select(IdentityProvider).where(
            IdentityProvider.key == key, IdentityProvider.enabled.is_(True)
        )
    )
    if provider is None:
        abort(404)
    return provider


def _refuse(message: str) -> Response:
    flash(message, "error")
    return redirect(url_for("auth.login"))


@bp.get("/login/sso/<key>")
def start(key: str) -> Response:
    """Off to the provider's login page."""
    provider = _provider_or_404(key)
    next_page = request.args.get("next")
    try:
        client = _client(provider)
        redirect_uri = url_for("sso.callback", key=provider.key, _external=True)
        response = client.authorize_redirect(redirect_uri)
    except SignInRefused as exc:
        return _refuse(str(exc))
    except (SealError, requests.RequestException, ValueError) as exc:
        current_app.logger.warning("single sign-on with %s failed to start: %s", key, exc)
        return _refuse(
            _("%(name)s could not be reached. Try again later or log in with your password.")
            % {"name": provider.name}
        )
    if next_page:
        session[NEXT_KEY] = next_page
    return response


@bp.get("/login/sso/<key>/callback")
def callback(key: str) -> Response:
    """Back from the provider: check everything, match the account, log in."""
    provider = _provider_or_404(key)
    if request.args.get("error"):
        current_app.logger.info(
            "single sign-on with %s refused by the provider: %s", key, request.args["error"]
        )
        return _refuse(
            _("%(name)s did not sign you in (%(error)s).")
            % {"name": provider.name, "error": request.args["error"][:100]}
        )
    try:
        client = _client(provider)
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        if not claims.get("email"):
            claims.update(client.userinfo(token=token))
        user = account_for(provider, claims)
    except SignInRefused as exc:
        return _refuse(str(exc))
    except flask_client.OAuthError as exc:
        current_app.logger.warning("single sign-on with %s failed: %s", key, exc)
        return _refuse(
            _(
                "The sign-in with %(name)s could not be completed: it expired, was started in "
                "another browser, or its answer did not check out. Start again from this page."
            )
            % {"name": provider.name}
        )
    except (SealError, requests.RequestException, ValueError) as exc:
        current_app.logger.warning("single sign-on with %s failed: %s", key, exc)
        return _refuse(
            _("%(name)s could not be reached. Try again later or log in with your password.")
            % {"name": provider.name}
        )
    next_page = session.pop(NEXT_KEY, None)
    # Signed in by the provider: its own second factor stands for ours.
    sessions.start_session(user, via="oidc")
    db.session.commit()
    return redirect(_safe_next(next_page) or url_for(access.home_endpoint(user)))


def _verified(claims: Mapping[str, Any]) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def account_for(provider: IdentityProvider, claims: Mapping[str, Any]) -> User:
    """The active account the provider's user (``claims``: checked ID token and user info)
    logs in as, linking it on the first login; :class:`SignInRefused` saying why not."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused(_("The identity provider did not say who you are."))
    link = db.session.scalar(
        select(UserIdentity).where(
            UserIdentity.provider_id == provider.id, UserIdentity.subject == subject
        )
    )
    user = db.session.get(User, link.user_id) if link is not None else None
    if user is None:
        email = str(claims.get("email") or "").strip().lower()
        if not email or not _verified(claims):
            raise SignInRefused(
                _(
                    "%(name)s did not confirm your e-mail address, so no account can be "
                    "matched to it. Ask your identity provider's administrator."
                )
                % {"name": provider.name}
            )
        user = find_user(email)
        if user is None:
            raise SignInRefused(
                _(
                    "No account here uses the e-mail address %(email)s. Ask the consultant "
                    "who works with your organisation to give you access, then log in again."
                )
                % {"email": email}
            )
    if not user.active:
        raise SignInRefused(_("This account is disabled."))
    if provider.organization_id is not None and not user.is_admin:
        granted = db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == user.id,
                Membership.organization_id == provider.organization_id,
            )
        )
        if granted is None:
            raise SignInRefused(
                _("%(name)s serves another organisation's staff: log in with your password.")
                % {"name": provider.name}
            )
    if link is None:
        link = UserIdentity(user_id=user.id, provider_id=provider.id, subject=subject)
        db.session.add(link)
    link.last_login_at = utcnow()
    db.session.flush()
    return user
