"""Forms of the consultant's workspace."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.models.campaign import (
    DEFAULT_ANONYMITY_THRESHOLD,
    MAX_ANONYMITY_THRESHOLD,
    MIN_ANONYMITY_THRESHOLD,
)
from app.platform.forms import Form


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


#: Time zones offered for entering dates; Tokyo first, as most clients are in Japan.
TIMEZONES = (
    ("Asia/Tokyo", "Asia/Tokyo (JST)"),
    ("UTC", "UTC"),
    ("Asia/Seoul", "Asia/Seoul"),
    ("Asia/Shanghai", "Asia/Shanghai"),
    ("Asia/Singapore", "Asia/Singapore"),
    ("Europe/London", "Europe/London"),
    ("America/New_York", "America/New_York"),
)
LOCALES = (("ja", "日本語"), ("en", "English"))


class OrganizationForm(Form):
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Short name (slug)"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("Lowercase letters, digits and hyphens; used in addresses."),
    )
    departments = TextAreaField(
        _l("Departments"),
        validators=[Optional()],
        description=_l("One per line; you can nest and rename them later."),
    )


class OrganizationSettingsForm(Form):
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Short name (slug)"), validators=[DataRequired(), Length(max=64)])


class DepartmentForm(Form):
    name = StringField(_l("Department name"), validators=[DataRequired(), Length(max=200)])
    parent = SelectField(_l("Part of"), coerce=int, default=0)


class DepartmentEditForm(DepartmentForm):
    archived = BooleanField(_l("Archived (kept in results, not offered for new participants)"))


class RoleForm(Form):
    key = StringField(
        _l("Key"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("A stable machine name such as section_chief."),
    )
    label_ja = StringField(_l("Name in Japanese"), validators=[Length(max=200)])
    label_en = StringField(_l("Name in English"), validators=[Length(max=200)])


class RoleLabelsForm(Form):
    label_ja = StringField(_l("Name in Japanese"), validators=[Length(max=200)])
    label_en = StringField(_l("Name in English"), validators=[Length(max=200)])


class _CampaignFields(Form):
    name = StringField(_l("Campaign name"), validators=[DataRequired(), Length(max=200)])
    opens_at = DateTimeLocalField(_l("Opens"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Closes"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    timezone = SelectField(
        _l("Time zone of these dates"), choices=options(TIMEZONES), default="Asia/Tokyo"
    )
    threshold = IntegerField(
        _l("Anonymity threshold"),
        default=DEFAULT_ANONYMITY_THRESHOLD,
        validators=[
            InputRequired(),
            NumberRange(min=MIN_ANONYMITY_THRESHOLD, max=MAX_ANONYMITY_THRESHOLD),
        ],
        description=_l(
            "Groups with fewer submitted responses are hidden in every result (3-10). "
            "It cannot change once the campaign has opened."
        ),
    )
    individual_reports = BooleanField(
        _l("Respondents may download their individual report once the campaign has closed"),
        description=_l(
            "From their personal link: their own answers next to the averages of the "
            "organisation and of their role, only for groups at or above the anonymity threshold."
        ),
    )


class CampaignForm(_CampaignFields):
    questionnaire = RadioField(_l("Questionnaire"), validators=[DataRequired()])


class CampaignSettingsForm(_CampaignFields):
    companion = SelectField(
        _l("Companion campaign"),
        coerce=int,
        default=0,
        description=_l(
            "A campaign of the same organisation that asks the other questionnaire (the five "
            "capabilities with the CX improvement cycle): the reports and the dashboard show "
            "its results alongside this campaign's, and this campaign's alongside its own."
        ),
    )


class NextRoundForm(Form):
    name = StringField(_l("Name of the next round"), validators=[DataRequired(), Length(max=200)])
    version = SelectField(_l("Questionnaire version"))


class UploadForm(Form):
    file = FileField(_l("CSV file"), validators=[FileRequired()])


class ConfirmImportForm(Form):
    #: The previewed file, sent back to be validated again before anything is written.
    data = HiddenField(validators=[DataRequired()])


class ParticipantForm(Form):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    department = SelectField(_l("Department"), coerce=int)
    role = SelectField(_l("Role"), coerce=int)


class EmailForm(Form):
    locale = SelectField(_l("Language of the email"), choices=options(LOCALES), default="ja")
    resend = BooleanField(_l("Also send again to people invited before (earlier links still work)"))


class ExportForm(Form):
    format = RadioField(
        _l("Format"), choices=options((("xlsx", "Excel (XLSX)"), ("csv", "CSV"))), default="xlsx"
    )
    with_identities = BooleanField(_l("Include participants' names and emails"))
    locale = SelectField(_l("Language of labels"), choices=options(LOCALES), default="ja")
