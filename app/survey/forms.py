"""The respondent's fixed forms; the question pages are generated in ``questions.py``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired

from app.platform.forms import BaseForm


class ActionForm(BaseForm):
    """A button that changes state (start, submit): only the CSRF token travels."""


class OpenLinkForm(BaseForm):
    """Department and role chosen by a respondent who arrived through the open link."""

    department = SelectField(
        _l("Your department"),
        coerce=int,
        validators=[InputRequired(message=_l("Choose your department."))],
    )
    role = SelectField(
        _l("Your role"),
        coerce=int,
        validators=[InputRequired(message=_l("Choose your role."))],
    )
