"""Forms of the consultant's workspace, each filled with the choices its page offers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Self

from flask import request
from flask_babel import gettext as _
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
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.models import NAME_LENGTH, Campaign, Department, Organization, Participant, Role
from app.models.campaign import (
    DEFAULT_ANONYMITY_THRESHOLD,
    MAX_ANONYMITY_THRESHOLD,
    MAX_COMMENT_MINIMUM,
    MIN_ANONYMITY_THRESHOLD,
    MIN_COMMENT_MINIMUM,
)
from app.models.webhook import MAX_URL_LENGTH
from app.operations.campaigns import local_to_utc, utc_to_local
from app.operations.errors import N_, OperationError
from app.operations.retention import MAX_RETENTION_DAYS
from app.platform.forms import Form
from app.platform.i18n import current_locale, localized
from app.presentation.organizations import INDUSTRY_LABELS, SIZE_BAND_LABELS
from app.presentation.webhooks import WEBHOOK_EVENT_LABELS
from app.queries.campaigns import companion_choices, companion_of
from app.queries.organizations import department_tree
from app.queries.questionnaires import available_questionnaires
from app.questionnaire import Questionnaire, version_key


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
#: Target levels are posted as one field per dimension: ``target-<dimension id>``.
TARGET_FIELD = "target-"


def _on_get(data: dict[str, Any]) -> dict[str, Any] | None:
    """A form's starting values when the page is shown; a posted form keeps what was posted."""
    return data if request.method == "GET" else None


def department_options(
    org: Organization, *, exclude: int | None = None, top_level: bool = False
) -> list[SelectChoice]:
    """The organisation's live departments as indented choices (optionally a top level)."""
    pairs: list[tuple[int, str]] = [(0, _("(top level)"))] if top_level else []
    for depth, dept in department_tree(org, include_archived=False):
        if dept.id != exclude:
            pairs.append((dept.id, "\u3000" * depth + dept.name))
    return options(pairs)


def english_name_field() -> StringField:
    """The optional English name of an organisation, department or campaign."""
    return StringField(
        _l("English name"),
        validators=[
            Optional(),
            Length(
                max=NAME_LENGTH,
                message=_l("The English name is longer than %(max)d characters."),
            ),
        ],
        description=_l(
            "Shown in English reports and dashboards; without it they show the name as entered."
        ),
    )


class OrganizationForm(Form):
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=200)])
    name_en = english_name_field()
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


def _blank_for_none(value: str | None) -> str:
    """An organisation without an industry (or size band) shows, and posts back, the blank
    choice: None would match no choice, and a form without the field would not validate."""
    return value or ""


class OrganizationSettingsForm(Form):
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=200)])
    name_en = english_name_field()
    slug = StringField(_l("Short name (slug)"), validators=[DataRequired(), Length(max=64)])
    industry = SelectField(
        _l("Industry"),
        choices=options([("", _l("Not set")), *INDUSTRY_LABELS.items()]),
        default="",
        filters=[_blank_for_none],
        description=_l("The benchmark compares with organisations of the same industry."),
    )
    size_band = SelectField(
        _l("Size (employees)"),
        choices=options([("", _l("Not set")), *SIZE_BAND_LABELS.items()]),
        default="",
        filters=[_blank_for_none],
        description=_l("The benchmark compares with organisations of the same size."),
    )
    benchmark_opt_in = BooleanField(
        _l("Join the benchmark"),
        description=_l(
            "This organisation's organisation-level scores join an anonymised pool of other "
            "organisations that have joined, and its dashboard compares it with the pool. "
            "Only organisations that have joined see the benchmark; no organisation's name or "
            "own scores are ever shown to another."
        ),
    )
    retention_days = IntegerField(
        _l("Keep participants' personal data after a campaign closes (days)"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_RETENTION_DAYS,
                message=_l("Enter a number of days from 1 to %(max)d.", max=MAX_RETENTION_DAYS),
            ),
        ],
        description=_l(
            "Once this many days have passed after a campaign closes, its participants' names, "
            "email addresses and links are erased; their answers stay as anonymous answers. "
            "Empty: keep them until erased on request."
        ),
    )


class ExecutiveInviteForm(Form):
    email = EmailField(
        _l("Executive's email address"),
        validators=[
            DataRequired(message=_l("Enter the executive's email address.")),
            Length(max=320),
        ],
        description=_l(
            "They can see this organisation's results (never names or individual answers). "
            "A new address gets an account and a first password, shown once on the next page."
        ),
    )


class DepartmentForm(Form):
    name = StringField(_l("Department name"), validators=[DataRequired(), Length(max=200)])
    name_en = english_name_field()
    parent = SelectField(_l("Part of"), coerce=int, default=0)

    @classmethod
    def for_organization(cls, org: Organization) -> Self:
        """A new department's form, offering the organisation's departments as parents."""
        form = cls(prefix="dept")
        form.parent.choices = department_options(org, top_level=True)
        return form

    def chosen_parent(self, org: Organization) -> Department | None:
        """The parent department chosen (None: the top level)."""
        return next((d for d in org.departments if d.id == self.parent.data), None)


class DepartmentEditForm(DepartmentForm):
    archived = BooleanField(_l("Archived (kept in results, not offered for new participants)"))

    @classmethod
    def for_department(cls, dept: Department) -> Self:
        """The department's form; it cannot be moved under itself."""
        form = cls(obj=dept, data=_on_get({"parent": dept.parent_id or 0}))
        form.parent.choices = department_options(dept.organization, exclude=dept.id, top_level=True)
        return form


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

    @classmethod
    def for_role(cls, role: Role) -> Self:
        """The role's names, to rename it."""
        names = role.labels
        return cls(data=_on_get({"label_ja": names.get("ja", ""), "label_en": names.get("en", "")}))

    def labels(self) -> dict[str, str]:
        """The names entered, by locale."""
        return {"ja": self.label_ja.data, "en": self.label_en.data}


class _CampaignFields(Form):
    name = StringField(_l("Campaign name"), validators=[DataRequired(), Length(max=200)])
    name_en = english_name_field()
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
    comment_minimum = IntegerField(
        _l("Minimum group for free-text answers"),
        default=MIN_COMMENT_MINIMUM,
        # Left empty: the current setting stays (a new campaign gets the default).
        validators=[Optional(), NumberRange(min=MIN_COMMENT_MINIMUM, max=MAX_COMMENT_MINIMUM)],
        description=_l(
            "A group's free-text answers to a question, and their themes, are shown only when "
            "at least this many of its respondents answered it, and never fewer than the "
            "anonymity threshold (10-50). It cannot change once the campaign has opened."
        ),
    )
    individual_reports = BooleanField(
        _l("Respondents may download their individual report once the campaign has closed"),
        description=_l(
            "From their personal link: their own answers next to the averages of the "
            "organisation and of their role, only for groups at or above the anonymity threshold."
        ),
    )

    def dates(self) -> tuple[Any, Any]:
        """The opening and closing moments entered, in UTC (None when left empty)."""
        tz = self.timezone.data or "Asia/Tokyo"
        opens = self.opens_at.data
        closes = self.closes_at.data
        return (
            local_to_utc(opens.date(), opens.time(), tz) if opens else None,
            local_to_utc(closes.date(), closes.time(), tz) if closes else None,
        )


def _naive_local(moment: Any) -> Any:
    local = utc_to_local(moment)
    return local.replace(tzinfo=None) if local else None


class CampaignForm(_CampaignFields):
    questionnaire = RadioField(_l("Questionnaire"), validators=[DataRequired()])
    #: Each choice (``id@version``) with its questionnaire.
    library: dict[str, Questionnaire]

    @classmethod
    def for_library(cls) -> Self:
        """A new campaign's form offering every questionnaire of the library, each id's
        versions newest first; the newest version of the first id is chosen to begin with."""
        form = cls()
        form.library = {
            f"{q.id}@{q.version}": q
            for q in sorted(
                available_questionnaires(),
                key=lambda q: (q.id, [-part for part in version_key(q.version)], q.version),
            )
        }
        form.questionnaire.choices = options((key, key) for key in form.library)
        if request.method == "GET" and form.library:
            form.questionnaire.data = next(iter(form.library))
        return form

    def chosen_questionnaire(self) -> Questionnaire:
        """The questionnaire chosen (the form has validated against the library's choices)."""
        return self.library[self.questionnaire.data]


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
    campaign: Campaign
    #: The campaigns offered as companion, by id.
    companions: dict[int, Campaign]

    @classmethod
    def for_campaign(cls, campaign: Campaign) -> Self:
        """The campaign's settings, offering the campaigns that may be its companion."""
        companion = companion_of(campaign)
        form = cls(
            data=_on_get(
                {
                    "name": campaign.name,
                    "name_en": campaign.name_en or "",
                    "opens_at": _naive_local(campaign.opens_at),
                    "closes_at": _naive_local(campaign.closes_at),
                    "threshold": campaign.anonymity_threshold,
                    "comment_minimum": campaign.comment_minimum,
                    "individual_reports": campaign.individual_reports,
                    "companion": companion.id if companion is not None else 0,
                }
            )
        )
        form.campaign = campaign
        form.companions = {c.id: c for c in companion_choices(campaign)}
        form.companion.choices = options(
            [(0, _("No companion campaign"))]
            + [
                (c.id, f"{c.name} ({c.questionnaire_id} {c.questionnaire_version})")
                for c in form.companions.values()
            ]
        )
        return form

    def chosen_companion(self) -> Campaign | None:
        """The companion campaign chosen (None: no companion)."""
        return self.companions.get(self.companion.data)

    def posts_companion(self) -> bool:
        """Whether the companion was part of the posted form."""
        return "companion" in request.form

    def posts_targets(self) -> bool:
        """Whether target levels were part of the posted form."""
        return any(key.startswith(TARGET_FIELD) for key in request.form)

    def posted_targets(self) -> dict[str, float | None]:
        """The target level of each dimension as posted (empty: no target)."""
        found: dict[str, float | None] = {}
        for dimension in self.campaign.questionnaire.dimensions:
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

    def target_values(self) -> Mapping[str, str]:
        """The target fields' values to show: as posted, or the campaign's stored targets."""
        if request.method == "POST":
            return {
                d.id: request.form.get(TARGET_FIELD + d.id, "")
                for d in self.campaign.questionnaire.dimensions
            }
        return {k: f"{v:g}" for k, v in (self.campaign.targets or {}).items()}


class NextRoundForm(Form):
    name = StringField(_l("Name of the next round"), validators=[DataRequired(), Length(max=200)])
    name_en = english_name_field()
    version = SelectField(_l("Questionnaire version"))
    #: The library's versions of the campaign's questionnaire.
    versions: dict[str, Questionnaire]

    @classmethod
    def for_campaign(cls, campaign: Campaign) -> Self:
        """The next round's form, offering the library's versions of its questionnaire."""
        form = cls()
        form.versions = {
            q.version: q for q in available_questionnaires() if q.id == campaign.questionnaire_id
        }
        current = f"{campaign.questionnaire_version} " + _("(this campaign's version)")
        form.version.choices = options(
            [("", current)]
            + [(v, v) for v in sorted(form.versions) if v != campaign.questionnaire_version]
        )
        return form

    def chosen_questionnaire(self) -> Questionnaire | None:
        """The newer version chosen (None: the campaign's own version)."""
        return self.versions.get(self.version.data) if self.version.data else None


class UploadForm(Form):
    file = FileField(_l("CSV file"), validators=[FileRequired()])


class OutcomeForm(Form):
    """One outcome record, as text: checked by ``operations.outcomes.check_values`` like a
    CSV row, so that the form and the file accept the same figures."""

    department = SelectField(_l("Department"), coerce=int, default=0)
    period = StringField(
        _l("Period"),
        validators=[DataRequired(), Length(max=7)],
        description=_l(
            "A year (2026), a half (2026-H1), a quarter (2026-Q3) or a month (2026-04)."
        ),
    )
    promoters = StringField(_l("Promoters (9-10)"), validators=[Optional(), Length(max=16)])
    passives = StringField(_l("Passives (7-8)"), validators=[Optional(), Length(max=16)])
    detractors = StringField(_l("Detractors (0-6)"), validators=[Optional(), Length(max=16)])
    csat = StringField(_l("CSAT (share satisfied, %)"), validators=[Optional(), Length(max=16)])
    ces = StringField(_l("CES (mean effort, 1-7)"), validators=[Optional(), Length(max=16)])
    churn_rate = StringField(
        _l("Churn rate"),
        validators=[Optional(), Length(max=16)],
        description=_l("A fraction (0.05) or a percentage (5%)."),
    )
    arpa = StringField(
        _l("ARPA (average revenue per account)"), validators=[Optional(), Length(max=32)]
    )
    gross_margin = StringField(
        _l("Gross margin"),
        validators=[Optional(), Length(max=16)],
        description=_l("A fraction (0.4) or a percentage (40%)."),
    )

    FIGURES = (
        "promoters",
        "passives",
        "detractors",
        "csat",
        "ces",
        "churn_rate",
        "arpa",
        "gross_margin",
    )

    @classmethod
    def for_organization(cls, org: Organization, **kwargs: Any) -> Self:
        """The form offering the whole organisation and its departments."""
        form = cls(**kwargs)
        form.department.choices = options(
            [(0, _("Whole organisation"))]
            + [
                (d.id, d.name)
                for d in sorted(org.departments, key=lambda d: (d.position, d.name, d.id))
                if not d.archived
            ]
        )
        return form

    def raw_values(self) -> dict[str, str]:
        """The figures as entered, by field name."""
        return {name: (getattr(self, name).data or "").strip() for name in self.FIGURES}


class ConfirmImportForm(Form):
    #: The previewed file's ``public_id``: the file itself stays on the server.
    import_id = HiddenField(validators=[DataRequired(), Length(max=64)])


class ParticipantForm(Form):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    department = SelectField(_l("Department"), coerce=int)
    role = SelectField(_l("Role"), coerce=int)

    @classmethod
    def for_campaign(cls, campaign: Campaign, participant: Participant | None = None) -> Self:
        """A participant's form: the organisation's live departments and its roles.

        An existing participant of an archived department may stay there.
        """
        data = None
        if participant is not None:
            data = _on_get(
                {
                    "name": participant.name,
                    "email": participant.email,
                    "department": participant.department_id,
                    "role": participant.role_id,
                }
            )
        form = cls(data=data)
        org = campaign.organization
        form.department.choices = department_options(org)
        form.role.choices = options((r.id, r.label(current_locale())) for r in org.roles)
        if participant is not None and participant.department.archived:
            form.department.choices += options(
                [(participant.department_id, participant.department.name)]
            )
        return form

    def values(self, org: Organization) -> dict[str, Any]:
        """What was entered, with the department and role chosen (validated against the choices)."""
        return {
            "name": self.name.data,
            "email": self.email.data,
            "department": next(d for d in org.departments if d.id == self.department.data),
            "role": next(r for r in org.roles if r.id == self.role.data),
        }


class EmailForm(Form):
    locale = SelectField(_l("Language of the email"), choices=options(LOCALES), default="ja")
    resend = BooleanField(_l("Also send again to people invited before (earlier links still work)"))


class ActionReminderForm(Form):
    """Remind an organisation's owners of their overdue actions, in this language."""

    locale = SelectField(_l("Language of the email"), choices=options(LOCALES), default="ja")


class ExportForm(Form):
    format = RadioField(
        _l("Format"), choices=options((("xlsx", "Excel (XLSX)"), ("csv", "CSV"))), default="xlsx"
    )
    with_identities = BooleanField(_l("Include participants' names and emails"))
    locale = SelectField(_l("Language of labels"), choices=options(LOCALES), default="ja")


class WebhookForm(Form):
    """Register a webhook endpoint: its URL and the events it receives."""

    url = StringField(
        _l("Endpoint URL"),
        validators=[DataRequired(), Length(max=MAX_URL_LENGTH)],
        description=_l("https://… of the receiving system (http:// for a test receiver)."),
    )
    events = SelectMultipleField(
        _l("Events"),
        choices=options(WEBHOOK_EVENT_LABELS.items()),
        default=list(WEBHOOK_EVENT_LABELS),
        validators=[DataRequired(message=_l("Choose at least one event."))],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
