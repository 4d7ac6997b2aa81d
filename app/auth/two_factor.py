"""Two-factor login pages: the second step of a password login, and enrolment on the account.

The rules live in :mod:`app.auth.mfa`; these views parse the form, throttle the codes
(:func:`app.auth.throttle.begin_code_attempt`), call one function and render.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.auth import access, mfa, sessions, throttle
from app.auth.forms import TwoFactorCodeForm, TwoFactorConfirmForm, TwoFactorProofForm
from app.auth.routes import _safe_next, bp
from app.models import User
from app.operations.errors import OperationError
from app.platform.extensions import db

T = TypeVar("T")

#: What an account that must enrol may still reach.
ENROLMENT_ENDPOINTS = frozenset(
    {
        "auth.two_factor",
        "auth.two_factor_start",
        "auth.two_factor_confirm",
        "auth.logout",
        "static",
        "main.healthz",
        "main.readyz",
    }
)


def enforce_enrolment() -> Response | None:
    """Before each request: an account that must use two-factor login and has not set it up
    reaches nothing but enrolment and logout (API calls carry their own token)."""
    if "_user_id" not in session or request.endpoint in ENROLMENT_ENDPOINTS:
        return None
    if request.blueprint == "api" or not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    if mfa.requires_second_factor(user, sessions.login_method()) and mfa.enrolment_due(user):
        return redirect(url_for("auth.two_factor"))
    return None


bp.before_app_request(enforce_enrolment)


def _locked_message(retry_after: int) -> str:
    minutes = max(1, (retry_after + 59) // 60)
    return _(
        "Too many wrong codes: two-factor login for this account is locked. "
        "Try again in %(minutes)d minutes.",
        minutes=minutes,
    )


@bp.route("/login/verify", methods=["GET", "POST"])
def login_verify() -> Response | str | tuple[str, int]:
    next_page = _safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or url_for(access.home_endpoint(current_user)))
    user = sessions.pending_login_user()
    if user is None:
        sessions.clear_pending_login()
        flash(_("Your login expired before the code was entered. Log in again."), "error")
        return redirect(url_for("auth.login", next=next_page))
    form = TwoFactorCodeForm()
    if not form.validate_on_submit():
        return render_template("auth/verify.html", form=form)
    decision = throttle.begin_code_attempt(user.id)
    if not decision.allowed:
        flash(_locked_message(decision.retry_after), "error")
        return render_template("auth/verify.html", form=form), 429
    outcome = mfa.check_login_code(user, form.code.data)
    if outcome is mfa.CodeCheck.REPLAYED:
        flash(_("This code has already been used. Wait for the next one."), "error")
        return render_template("auth/verify.html", form=form)
    if outcome is mfa.CodeCheck.WRONG:
        flash(_("The code is not correct."), "error")
        return render_template("auth/verify.html", form=form)
    throttle.record_code_success(user.id)
    sessions.start_session(user)
    db.session.commit()
    if outcome is mfa.CodeCheck.RECOVERY:
        flash(
            _(
                "You logged in with a recovery code; %(count)d are left. Make new ones on your "
                "account page before they run out.",
                count=mfa.remaining_recovery_codes(user),
            ),
            "info",
        )
    return redirect(next_page or url_for(access.home_endpoint(user)))


def _page(user: User, **context: object) -> str:
    secret = mfa.enrolment_secret(user)
    qr_code = None
    if secret is not None:
        qr_code = mfa.qr_svg(
            mfa.provisioning_uri(user, secret), _("QR code for your authenticator app")
        )
    context.setdefault("confirm_form", TwoFactorConfirmForm(prefix="confirm"))
    context.setdefault("off_form", TwoFactorProofForm(prefix="off"))
    context.setdefault("renew_form", TwoFactorProofForm(prefix="renew"))
    return render_template(
        "auth/two_factor.html",
        enabled=mfa.is_enabled(user),
        required=mfa.enrolment_required(user),
        secret=secret,
        qr_code=qr_code,
        remaining=mfa.remaining_recovery_codes(user) if mfa.is_enabled(user) else 0,
        **context,
    )


@bp.get("/account/two-factor")
@login_required
def two_factor() -> str:
    return _page(current_user._get_current_object())


@bp.post("/account/two-factor/start")
@login_required
def two_factor_start() -> Response:
    # A form of one button: CSRFProtect has checked its token before the view runs.
    try:
        mfa.start_enrolment(current_user._get_current_object())
    except OperationError as exc:
        flash(str(exc), "error")
    db.session.commit()
    return redirect(url_for("auth.two_factor"))


def _proved(
    user: User, form: Any, field: str, page_form: str, action: Callable[[str], T]
) -> tuple[T | None, Any]:
    """Run ``action`` with the code (or password) the form's ``field`` holds, throttled like
    the login's code step: ``(its result, None)``, or ``(None, the page to show again)`` with
    the reason under the field."""
    if not form.validate_on_submit():
        return None, _page(user, **{page_form: form})
    entry = getattr(form, field)
    decision = throttle.begin_code_attempt(user.id)
    if not decision.allowed:
        entry.errors.append(_locked_message(decision.retry_after))
        return None, (_page(user, **{page_form: form}), 429)
    try:
        result = action(entry.data)
    except OperationError as exc:
        entry.errors.append(str(exc))
        return None, _page(user, **{page_form: form})
    throttle.record_code_success(user.id)
    return result, None


@bp.post("/account/two-factor/confirm")
@login_required
def two_factor_confirm() -> Any:
    user = current_user._get_current_object()
    form = TwoFactorConfirmForm(prefix="confirm")
    codes, shown = _proved(
        user, form, "code", "confirm_form", lambda code: mfa.confirm_enrolment(user, code)
    )
    if shown is not None:
        return shown
    # Sessions opened before the account was protected end; this one goes on.
    sessions.end_other_sessions(user)
    db.session.commit()
    return _page(user, recovery_codes=codes, just_enabled=True)


@bp.post("/account/two-factor/disable")
@login_required
def two_factor_disable() -> Any:
    user = current_user._get_current_object()
    form = TwoFactorProofForm(prefix="off")
    _done, shown = _proved(user, form, "proof", "off_form", lambda proof: mfa.disable(user, proof))
    if shown is not None:
        return shown
    db.session.commit()
    flash(_("Two-factor login is off."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/two-factor/recovery-codes")
@login_required
def two_factor_recovery_codes() -> Any:
    user = current_user._get_current_object()
    form = TwoFactorProofForm(prefix="renew")
    codes, shown = _proved(
        user,
        form,
        "proof",
        "renew_form",
        lambda proof: mfa.renew_recovery_codes(user, proof),
    )
    if shown is not None:
        return shown
    db.session.commit()
    return _page(user, recovery_codes=codes)
