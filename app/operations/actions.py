"""Recording actions and their changes.

Every value is checked by :func:`check_action` before anything is written, and each problem
names its field, so the API (and later the forms) can say exactly what to fix. A change is
kept in the action's history (``ActionChange``) and in the audit log, without the notes'
text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.models import Action, ActionChange, Campaign, Department, User
from app.models.action import ACTION_STATUSES, NOTES_LENGTH, OWNER_LENGTH, TITLE_LENGTH
from app.operations import audit
from app.operations.participants import EMAIL_RE, MAX_EMAIL_LENGTH
from app.platform.extensions import db
from app.platform.routing import MAX_DATABASE_INT
from app.platform.text import clean_free_text

#: The fields an action is written with; ``notes`` and ``status`` may also change later.
FIELDS = (
    "title",
    "dimension",
    "item",
    "department",
    "owner",
    "owner_email",
    "due",
    "status",
    "notes",
)
#: The fields a change (PATCH) may carry.
CHANGEABLE = ("status", "owner", "owner_email", "due", "notes")
#: The fields an executive granted action updates may change.
EXECUTIVE_CHANGEABLE = ("status", "notes")


@dataclass(frozen=True)
class ActionProblem:
    """A value that cannot be written: its field and why (in English, for the API)."""

    field: str
    message: str


def _text(raw: Any, field: str, limit: int, *, required: bool) -> tuple[Any, ActionProblem | None]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            return None, ActionProblem(field, f"{field} is required")
        return None, None
    if not isinstance(raw, str):
        return None, ActionProblem(field, f"{field} must be text")
    text = clean_free_text(raw).strip()
    if len(text) > limit:
        return None, ActionProblem(field, f"{field} is longer than {limit} characters")
    return text, None


def check_action(
    campaign: Campaign, raw: Mapping[str, Any], *, fields: tuple[str, ...] = FIELDS
) -> tuple[dict[str, Any], list[ActionProblem]]:
    """The values of ``raw`` for ``fields`` (those present, or all required ones when
    creating), checked against ``campaign``'s questionnaire and organisation."""
    creating = fields == FIELDS
    found: dict[str, Any] = {}
    problems: list[ActionProblem] = []

    def take(field: str, value: Any, problem: ActionProblem | None) -> None:
        if problem is not None:
            problems.append(problem)
        else:
            found[field] = value

    for field in fields:
        if field not in raw and not (creating and field in ("title", "dimension", "owner")):
            continue
        value = raw.get(field)
        if field == "title":
            take(field, *_text(value, field, TITLE_LENGTH, required=True))
        elif field == "owner":
            take(field, *_text(value, field, OWNER_LENGTH, required=True))
        elif field == "owner_email":
            email, problem = _text(value, field, MAX_EMAIL_LENGTH, required=False)
            if problem is None and email is not None and not EMAIL_RE.match(email):
                problem = ActionProblem(field, f"{email!r} is not an e-mail address")
            take(field, email.lower() if email else None, problem)
        elif field == "notes":
            take(field, *_text(value, field, NOTES_LENGTH, required=False))
        elif field == "dimension":
            ids = [d.id for d in campaign.questionnaire.dimensions]
            if value not in ids:
                problems.append(
                    ActionProblem(field, f"{value!r} is not a dimension (known: {', '.join(ids)})")
                )
            else:
                found[field] = value
        elif field == "item":
            if value is None:
                found[field] = None
            else:
                try:
                    item = campaign.questionnaire.item(str(value))
                except KeyError:
                    problems.append(ActionProblem(field, f"{value!r} is not an item"))
                else:
                    dimension = found.get("dimension", raw.get("dimension"))
                    if dimension is not None and item.dimension_id != dimension:
                        problems.append(
                            ActionProblem(field, f"{value!r} is not an item of {dimension!r}")
                        )
                    else:
                        found[field] = item.id
        elif field == "department":
            if value is None:
                found[field] = None
            elif (
                isinstance(value, bool)
                or not isinstance(value, int)
                # Beyond an id column's range it names nothing (and must not reach SQL).
                or not 0 < value <= MAX_DATABASE_INT
                or (department := db.session.get(Department, value)) is None
                or department.organization_id != campaign.organization_id
            ):
                problems.append(
                    ActionProblem(field, f"{value!r} is not a department id of this organisation")
                )
            else:
                found[field] = department.id
        elif field == "due":
            if value is None:
                found[field] = None
            else:
                try:
                    found[field] = (
                        date.fromisoformat(str(value)) if isinstance(value, str) else None
                    )
                except ValueError:
                    found[field] = None
                if found[field] is None:
                    del found[field]
                    problems.append(ActionProblem(field, f"{value!r} is not a date (YYYY-MM-DD)"))
        elif field == "status":
            if value not in ACTION_STATUSES:
                problems.append(
                    ActionProblem(
                        field, f"{value!r} is not a status (known: {', '.join(ACTION_STATUSES)})"
                    )
                )
            else:
                found[field] = value
    return found, problems


def _stored(action: Action, field: str) -> Any:
    value = getattr(action, {"item": "item_id", "department": "department_id"}.get(field, field))
    return value.isoformat() if isinstance(value, date) else value


def _set(action: Action, field: str, value: Any) -> None:
    setattr(action, {"item": "item_id", "department": "department_id"}.get(field, field), value)


def create_action(
    campaign: Campaign,
    values: Mapping[str, Any],
    *,
    origin_text: str | None = None,
    actor: User | None = None,
) -> Action:
    """A new action of ``campaign`` (values checked by :func:`check_action`)."""
    action = Action(
        organization_id=campaign.organization_id,
        campaign_id=campaign.id,
        origin_text=origin_text,
        status="planned",
    )
    for field, value in values.items():
        _set(action, field, value)
    db.session.add(action)
    db.session.flush()
    fields = {field: [None, _stored(action, field)] for field in FIELDS}
    action.changes.append(ActionChange(user_id=_user_id(actor), fields=fields))
    db.session.flush()
    audit.record("action.created", campaign=campaign, user=actor, action_id=action.id)
    return action


def update_action(
    action: Action, values: Mapping[str, Any], *, actor: User | None = None
) -> Action:
    """Change ``action``'s fields (checked by :func:`check_action`), keeping the history."""
    changed = {}
    for field, value in values.items():
        before = _stored(action, field)
        _set(action, field, value)
        after = _stored(action, field)
        if before != after:
            changed[field] = [before, after]
    if changed:
        action.changes.append(ActionChange(user_id=_user_id(actor), fields=changed))
        db.session.flush()
        campaign = db.session.get(Campaign, action.campaign_id)
        audit.record(
            "action.updated",
            campaign=campaign,
            user=actor,
            action_id=action.id,
            fields=sorted(changed),
        )
    return action


def _user_id(actor: User | None) -> int | None:
    return actor.id if actor is not None and getattr(actor, "is_authenticated", True) else None
