"""Forms of the login and account pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.platform.forms import Form


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class ApiTokenForm(Form):
    name = StringField(_l("Token name"), validators=[Length(max=100)])
    write = BooleanField(
        _l("Also allow writes"),
        description=_l(
            "The token may then change through the API what you may change (participants, "
            "actions, customer outcomes). Leave it off for reading only."
        ),
    )


class TwoFactorCodeForm(Form):
    """The second step of a login: a current code or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=32, message=_l("The code is longer than %(max)d characters.")),
        ],
    )


class TwoFactorConfirmForm(Form):
    """The code that confirms an authenticator app at enrolment."""

    code = StringField(
        _l("6-digit code from the app"),
        validators=[
            DataRequired(),
            Length(max=32, message=_l("The code is longer than %(max)d characters.")),
        ],
    )


class TwoFactorProofForm(Form):
    """Before two-factor login is turned off or its recovery codes replaced."""

    proof = PasswordField(
        _l("A current code or your password"),
        validators=[
            DataRequired(),
            Length(max=256, message=_l("The code or password is longer than %(max)d characters.")),
        ],
    )
