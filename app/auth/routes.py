"""Login, logout and the account page (password, API tokens)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth import access, mfa, sessions, throttle
from app.auth.accounts import find_user, set_password
from app.auth.forms import ApiTokenForm, ChangePasswordForm, LoginForm
from app.auth.passwords import (
    PasswordPolicyError,
    hash_password,
    needs_rehash,
    verify_password,
)
from app.auth.tokens import READ_ONLY, READ_WRITE, create_api_token, revoke_api_token
from app.models import ApiToken
from app.platform.extensions import db

bp = Blueprint("auth", __name__, template_folder="templates")


bp.before_app_request(sessions.enforce_session)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for(access.home_endpoint(current_user)))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    email = form.email.data.strip().lower()
    address = request.remote_addr or "unknown"
    decision = throttle.begin_attempt(email, address)
    if not decision.allowed:
        minutes = max(1, (decision.retry_after + 59) // 60)
        flash(
            _("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes),
            "error",
        )
        return render_template("auth/login.html", form=form), 429
    user = find_user(email)
    valid = verify_password(user.password_hash if user else None, form.password.data)
    if not valid or user is None or not user.active:
        throttle.record_failure(email, address)
        flash(_("The email or password is incorrect."), "error")
        return render_template("auth/login.html", form=form), 200
    throttle.record_success(email, address)
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(form.password.data)
    next_page = _safe_next(request.args.get("next"))
    if mfa.requires_second_factor(user, "password") and mfa.is_enabled(user):
        # Not logged in yet: the session only remembers, for a few minutes, whose code to ask.
        sessions.start_pending_login(user)
        db.session.commit()
        return redirect(url_for("auth.login_verify", next=next_page))
    sessions.start_session(user, via="password")
    db.session.commit()
    if mfa.requires_second_factor(user, "password"):
        return redirect(url_for("auth.two_factor"))
    return redirect(next_page or url_for(access.home_endpoint(user)))


@bp.post("/logout")
def logout() -> Response:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    sessions.end_session(user)
    db.session.commit()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Response | str:
    password_form = ChangePasswordForm(prefix="pw")
    token_form = ApiTokenForm(prefix="token")
    new_token = None
    if request.method == "POST" and "pw-new_password" in request.form:
        if password_form.validate_on_submit():
            if not verify_password(current_user.password_hash, password_form.current_password.data):
                password_form.current_password.errors.append(_("The current password is wrong."))
            else:
                try:
                    set_password(current_user, password_form.new_password.data)
                except PasswordPolicyError as exc:
                    password_form.new_password.errors.append(str(exc))
                else:
                    # The password change voided every session; keep this one going.
                    sessions.start_session(
                        current_user._get_current_object(), via=sessions.login_method()
                    )
                    db.session.commit()
                    flash(_("Your password has been changed."), "success")
                    return redirect(url_for("auth.account"))
    elif request.method == "POST" and token_form.validate_on_submit():
        new_token = create_api_token(
            current_user,
            token_form.name.data or None,
            READ_WRITE if token_form.write.data else READ_ONLY,
        )
        db.session.commit()
    tokens = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == current_user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    ).all()
    return render_template(
        "auth/account.html",
        password_form=password_form,
        token_form=token_form,
        new_token=new_token,
        tokens=tokens,
        two_factor_on=mfa.is_enabled(current_user),
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    api_token = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    )
    if api_token is None:
        abort(404)
    revoke_api_token(api_token)
    db.session.commit()
    flash(_("The API token has been revoked."), "success")
    return redirect(url_for("auth.account"))
