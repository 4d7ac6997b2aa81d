"""Reads of actions by their due date: which are overdue, and how many per organisation."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, func, select

from app.models import Action, utcnow
from app.models.action import OPEN_STATUSES
from app.operations.campaigns import utc_to_local
from app.platform.extensions import db


def local_today(now: datetime | None = None) -> date:
    """Today's date on the Japanese calendar (the day a due date is kept in)."""
    moment = utc_to_local(now or utcnow())
    assert moment is not None
    return moment.date()


def months_later(start: date, months: int) -> date:
    """The date ``months`` calendar months after ``start`` (its day kept up to the 28th, so
    that every month has it)."""
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, min(start.day, 28))


def is_open() -> ColumnElement[bool]:
    """Actions still to be carried out."""
    return Action.status.in_(OPEN_STATUSES)


def overdue(action: Action, today: date) -> bool:
    """Whether ``action`` is open and its due date has passed (:func:`is_overdue`, for one)."""
    return action.status in OPEN_STATUSES and action.due is not None and action.due < today


def is_overdue(today: date) -> ColumnElement[bool]:
    """Open actions whose due date has passed (:func:`overdue`, in SQL)."""
    return and_(is_open(), Action.due.is_not(None), Action.due < today)


def has_owner_email() -> ColumnElement[bool]:
    """Actions whose owner can be e-mailed."""
    return and_(Action.owner_email.is_not(None), Action.owner_email != "")


@dataclass(frozen=True)
class DeadlineCounts:
    """An organisation's open actions, those overdue, and the overdue ones with an address."""

    open: int = 0
    overdue: int = 0
    remindable: int = 0


def deadline_counts(organization_ids: Collection[int], today: date) -> dict[int, DeadlineCounts]:
    """The counts of each organisation with an open action, in one grouped query."""
    if not organization_ids:
        return {}
    overdue = is_overdue(today)
    rows = db.session.execute(
        select(
            Action.organization_id,
            func.count(),
            func.sum(case((overdue, 1), else_=0)),
            func.sum(case((and_(overdue, has_owner_email()), 1), else_=0)),
        )
        .where(Action.organization_id.in_(list(organization_ids)), is_open())
        .group_by(Action.organization_id)
    ).all()
    return {
        org_id: DeadlineCounts(int(total), int(late or 0), int(remindable or 0))
        for org_id, total, late, remindable in rows
    }


def overdue_with_owner_email(organization_ids: Collection[int], today: date) -> list[Action]:
    """The overdue actions of these organisations that have an owner's address, by
    organisation, then the longest overdue first."""
    if not organization_ids:
        return []
    return list(
        db.session.scalars(
            select(Action)
            .where(
                Action.organization_id.in_(list(organization_ids)),
                is_overdue(today),
                has_owner_email(),
            )
            .order_by(Action.organization_id, Action.due, Action.id)
        )
    )
