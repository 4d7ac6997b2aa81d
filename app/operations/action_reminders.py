"""Reminders of overdue actions: one digest e-mail per owner's address and organisation.

An action is overdue when it is still open (planned or in progress) and its due date has
passed on the Japanese calendar. Each owner with an address gets one message per organisation
listing all their overdue actions there, at most once a day: an owner whose overdue actions
were all listed in a reminder in the last 24 hours is skipped. The messages take the
invitations' way out (SMTP, or the outbox folder); the log records counts per organisation,
never an address.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from app.models import Action, Campaign, Organization, User, display_name, utcnow
from app.operations import audit
from app.operations.emails import (
    EMAIL_LOCALES,
    MIN_INTERVAL,
    Delivery,
    address,
    compose,
    mail_configured,
    outbox_dir,
    transport,
)
from app.platform.extensions import db
from app.queries.action_deadlines import local_today, overdue_with_owner_email
from app.queries.organizations import organizations


@dataclass(frozen=True)
class OverdueLine:
    """One overdue action as a reminder lists it."""

    title: str
    organization: str
    campaign: str
    due: date
    days_overdue: int
    status: str
    link: str


@dataclass
class Digest:
    """The overdue actions of one organisation that one address owns."""

    organization: Organization
    email: str
    actions: list[Action]

    def recently_reminded(self, now: datetime) -> bool:
        """Whether every action listed was already in a reminder in the last 24 hours."""
        return all(
            action.reminded_at is not None and now - action.reminded_at < MIN_INTERVAL
            for action in self.actions
        )

    @property
    def owner_name(self) -> str:
        """The owner's name when the actions agree on one (the To header's name), else ""."""
        names = {action.owner for action in self.actions}
        return names.pop() if len(names) == 1 else ""


def actions_link(campaign_id: int) -> str:
    """The campaign's actions page on ``CX_BASE_URL``, also outside a request."""
    base = urlsplit(current_app.config["CX_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build("dashboard.actions", {"campaign_id": campaign_id}, force_external=True)


def digests(organizations_: Iterable[Organization], today: date) -> list[Digest]:
    """The digests due for these organisations: overdue actions grouped by owner's address
    (letter case aside), in the order of the organisations and the first overdue action."""
    by_id = {org.id: org for org in organizations_}
    found: dict[tuple[int, str], Digest] = {}
    for action in overdue_with_owner_email(list(by_id), today):
        email = (action.owner_email or "").strip()
        key = (action.organization_id, email.casefold())
        if key not in found:
            found[key] = Digest(by_id[action.organization_id], email, [])
        found[key].actions.append(action)
    return list(found.values())


def _lines(
    digest: Digest, campaigns: dict[int, Campaign], today: date, locale: str
) -> list[OverdueLine]:
    organization = display_name(digest.organization, locale)
    return [
        OverdueLine(
            title=action.title,
            organization=organization,
            campaign=display_name(campaigns[action.campaign_id], locale),
            due=action.due,
            days_overdue=(today - action.due).days,
            status=action.status,
            link=actions_link(action.campaign_id),
        )
        for action in digest.actions
        if action.due is not None
    ]


def _message(digest: Digest, lines: list[OverdueLine], locale: str) -> EmailMessage:
    context = {
        "organization_name": lines[0].organization,
        "lines": lines,
        "link": None,
    }
    return compose(
        f"email/action_reminder.{locale}",
        context,
        address(digest.owner_name, digest.email),
    )


def _campaigns(found: list[Digest]) -> dict[int, Campaign]:
    ids = {action.campaign_id for digest in found for action in digest.actions}
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(Campaign).where(Campaign.id.in_(ids)))}


def _tally(kind: str, digest: Digest, counts: dict[int, dict[str, int]]) -> None:
    counts.setdefault(digest.organization.id, {"sent": 0, "skipped": 0, "failed": 0})[kind] += 1


def send_action_reminders(
    organization: Organization | None = None,
    *,
    locale: str = "ja",
    actor: User | None = None,
    now: datetime | None = None,
) -> Delivery:
    """E-mail each owner a digest of their overdue actions, per organisation (every
    organisation, or only ``organization``), and mark the listed actions reminded.

    Owners reminded of all their overdue actions in the last 24 hours are skipped. A message
    the server refuses, or every message left when the connection fails, counts as failed
    and can be sent again later.
    """
    now = now or utcnow()
    today = local_today(now)
    if locale not in EMAIL_LOCALES:
        locale = EMAIL_LOCALES[0]
    orgs = [organization] if organization is not None else organizations()
    delivery = Delivery(mode="smtp" if mail_configured() else "outbox")
    if delivery.mode == "outbox":
        delivery.outbox = str(outbox_dir())
    found = digests(orgs, today)
    counts: dict[int, dict[str, int]] = {}
    due = []
    for digest in found:
        if digest.recently_reminded(now):
            delivery.skipped += 1
            _tally("skipped", digest, counts)
        else:
            due.append(digest)
    if due:
        _deliver(due, _campaigns(due), delivery, counts, locale=locale, now=now, today=today)
    _record(orgs if organization is not None else _organizations_of(found), counts, delivery, actor)
    db.session.flush()
    return delivery


def _organizations_of(found: list[Digest]) -> list[Organization]:
    """The organisations of these digests, each once, in order."""
    return list({digest.organization.id: digest.organization for digest in found}.values())


def _deliver(
    due: list[Digest],
    campaigns: dict[int, Campaign],
    delivery: Delivery,
    counts: dict[int, dict[str, int]],
    *,
    locale: str,
    now: datetime,
    today: date,
) -> None:
    def fail(digest: Digest) -> None:
        delivery.failed.append(digest.email)
        _tally("failed", digest, counts)

    handled = 0
    try:
        with transport() as sender:
            for digest in due:
                message = _message(digest, _lines(digest, campaigns, today, locale), locale)
                try:
                    sender.send(message)
                except smtplib.SMTPRecipientsRefused:
                    fail(digest)
                else:
                    for action in digest.actions:
                        action.reminded_at = now
                    delivery.sent += 1
                    _tally("sent", digest, counts)
                handled += 1
    except (OSError, smtplib.SMTPException) as exc:
        # What was sent stays recorded (the caller commits); the rest can be sent again.
        current_app.logger.warning("sending action reminders failed: %s", exc)
        for digest in due[handled:]:
            fail(digest)


def _record(
    orgs: Iterable[Organization],
    counts: dict[int, dict[str, int]],
    delivery: Delivery,
    actor: User | None,
) -> None:
    for org in orgs:
        found = counts.get(org.id, {"sent": 0, "skipped": 0, "failed": 0})
        audit.record("actions.reminded", organization=org, user=actor, mode=delivery.mode, **found)
