"""The actions page: the actions a campaign follows with their progress, the proposals a
consultant turns into actions in one click, and the forms that add and change an action.

:mod:`app.results.actions` finds the actions and their progress and
:mod:`app.operations.actions` checks and writes them; this module only names and lays out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Self

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateField, EmailField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.models import Action, Campaign, User, pick_name
from app.models.action import NOTES_LENGTH, OWNER_LENGTH, TITLE_LENGTH
from app.operations.actions import ActionProblem
from app.platform.extensions import db
from app.platform.forms import Form
from app.presentation import agreed_actions as words
from app.presentation.agreed_actions import AgreedActionView, Proposal
from app.presentation.views import ResultsView
from app.queries.organizations import department_tree
from app.results import campaign_results
from app.results.actions import ActionProgress, action_names, campaign_actions


class ActionForm(Form):
    """An action's values, as a consultant enters them (checked by
    :func:`app.operations.actions.check_action` like the API's)."""

    title = StringField(_l("Action title"), validators=[DataRequired(), Length(max=TITLE_LENGTH)])
    dimension = SelectField(_l("Dimension it aims to move"))
    department = SelectField(_l("Department"), coerce=int, default=0)
    owner = StringField(
        _l("Owner"),
        validators=[DataRequired(), Length(max=OWNER_LENGTH)],
        description=_l("A person's name or a function (CX office)."),
    )
    owner_email = EmailField(
        _l("Owner's e-mail"),
        validators=[Optional(), Length(max=320)],
        description=_l("Reminders of the action, once overdue, go to this address."),
    )
    due = DateField(_l("Due date"), validators=[Optional()])
    status = SelectField(_l("Status"), default="planned")
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=NOTES_LENGTH)])

    FIELDS = ("title", "dimension", "department", "owner", "owner_email", "due", "status", "notes")

    @classmethod
    def for_campaign(cls, campaign: Campaign, view: ResultsView, **kwargs: Any) -> Self:
        form = cls(**kwargs)
        if "dimension" in form:
            form.dimension.choices = [
                SelectChoice(d.id, view.text(d.title)) for d in campaign.questionnaire.dimensions
            ]
            locale = view.locale
            form.department.choices = [SelectChoice(0, str(_l("Whole organisation")))] + [
                SelectChoice(dept.id, "\u3000" * depth + pick_name(dept.name, dept.name_en, locale))
                for depth, dept in department_tree(campaign.organization, include_archived=False)
            ]
        form.status.choices = [SelectChoice(k, v) for k, v in words.status_choices()]
        return form

    def raw(self, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """The entered values as :func:`check_action` reads them."""
        raw: dict[str, Any] = {}
        for name in fields or self.FIELDS:
            value = getattr(self, name).data
            if name == "department":
                value = value or None
            elif name == "due":
                value = value.isoformat() if value else None
            elif isinstance(value, str) and not value.strip():
                value = None
            raw[name] = value
        return raw

    def show(self, problems: Iterable[ActionProblem]) -> None:
        """Put ``problems`` under the fields they name."""
        for problem in problems:
            field = getattr(self, problem.field, None)
            if field is not None:
                field.errors = [*field.errors, problem.message]


class ActionStatusForm(ActionForm):
    """What an executive granted action updates changes: the status and the notes."""

    FIELDS = ("status", "notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("title", "dimension", "department", "owner", "owner_email", "due"):
            delattr(self, name)


def action_data(action: Action) -> dict[str, Any]:
    """An action's stored values as a form's data."""
    return {
        "title": action.title,
        "dimension": action.dimension,
        "department": action.department_id or 0,
        "owner": action.owner,
        "owner_email": action.owner_email,
        "due": action.due,
        "status": action.status,
        "notes": action.notes,
    }


@dataclass(frozen=True)
class ActionsPage:
    rows: tuple[AgreedActionView, ...]
    proposals: tuple[Proposal, ...]

    @property
    def own(self) -> tuple[AgreedActionView, ...]:
        return tuple(row for row in self.rows if not row.carried)

    @property
    def carried(self) -> tuple[AgreedActionView, ...]:
        return tuple(row for row in self.rows if row.carried)

    @property
    def overdue(self) -> int:
        return sum(1 for row in self.rows if row.overdue)

    def table(self) -> tuple[list[str], list[list[str]]]:
        return words.table(self.rows)


def action_rows(
    view: ResultsView, campaign: Campaign, listed: Iterable[ActionProgress]
) -> tuple[AgreedActionView, ...]:
    departments, campaigns = action_names(campaign, view.locale)
    return words.agreed_action_views(view, listed, departments=departments, campaigns=campaigns)


def actions_page(view: ResultsView, campaign: Campaign, *, with_proposals: bool) -> ActionsPage:
    """The actions ``campaign`` follows and, for a consultant, the proposals not yet taken."""
    rows = action_rows(view, campaign, campaign_actions(campaign, view.results))
    proposals: tuple[Proposal, ...] = ()
    if with_proposals:
        taken = taken_titles(campaign)
        proposals = tuple(p for p in words.proposals(view) if p.title not in taken)
    return ActionsPage(rows, proposals)


def taken_titles(campaign: Campaign) -> set[str]:
    """The titles of the actions agreed in ``campaign`` (a proposal taken is not offered)."""
    return set(db.session.scalars(select(Action.title).where(Action.campaign_id == campaign.id)))


def offered_keys(view: ResultsView, campaign: Campaign) -> frozenset[str]:
    """The keys of the proposals still offered (for the key messages' one-click buttons)."""
    taken = taken_titles(campaign)
    return frozenset(p.key for p in words.proposals(view) if p.title not in taken)


def proposal(view: ResultsView, key: str) -> Proposal | None:
    """The proposal ``key`` as the figures give it now (None when it is no longer offered)."""
    return next((p for p in words.proposals(view) if p.key == key), None)


def action_row(view: ResultsView, campaign: Campaign, action: Action) -> AgreedActionView:
    """``action`` as ``campaign`` (``view``'s) lists it; an action the campaign no longer
    lists (closed in an earlier round) is shown as its own round lists it."""
    listed = {item.action.id: item for item in campaign_actions(campaign, view.results)}
    item = listed.get(action.id)
    if item is None:
        origin = db.session.get(Campaign, action.campaign_id)
        assert origin is not None
        results = campaign_results(origin, locale=view.locale, allow_previous=True)
        view = ResultsView(results, view.locale)
        campaign = origin
        item = next(i for i in campaign_actions(origin, results) if i.action.id == action.id)
    return action_rows(view, campaign, [item])[0]


@dataclass(frozen=True)
class HistoryEntry:
    when: str
    who: str
    changes: tuple[tuple[str, str, str], ...]


def history(action: Action, view: ResultsView, campaign: Campaign) -> tuple[HistoryEntry, ...]:
    """The action's changes, newest first, each field named as the form names it and each
    value in words (a dimension's title, a department's name, a status)."""
    user_ids = {c.user_id for c in action.changes if c.user_id is not None}
    users: dict[int, str] = {
        row.id: row.email
        for row in db.session.execute(select(User.id, User.email).where(User.id.in_(user_ids)))
    }
    departments, _campaigns = action_names(campaign, view.locale)
    dimensions = {d.id: view.text(d.title) for d in campaign.questionnaire.dimensions}
    in_words: dict[str, dict[Any, str]] = {
        "status": dict(words.status_choices()),
        "dimension": dimensions,
        "department": dict(departments),
    }
    labels = {name: str(getattr(ActionForm, name).args[0]) for name in ActionForm.FIELDS}
    entries = []
    for change in sorted(action.changes, key=lambda c: c.id, reverse=True):
        rows = []
        for field in ActionForm.FIELDS:
            if field not in change.fields:
                continue
            before, after = change.fields[field]
            if before is None and after is None:
                continue
            named = in_words.get(field, {})
            rows.append(
                (labels[field], _shown(named.get(before, before)), _shown(named.get(after, after)))
            )
        entries.append(
            HistoryEntry(
                change.changed_at.strftime("%Y-%m-%d %H:%M UTC"),
                users.get(change.user_id, "–") if change.user_id else "–",
                tuple(rows),
            )
        )
    return tuple(entries)


def _shown(value: Any) -> str:
    return "–" if value is None or value == "" else str(value)
