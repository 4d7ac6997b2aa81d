"""Invitation and reminder emails: rendered per language, sent by SMTP or written to an outbox.

Personal links are stored only as hashes, so every email carries a link added for it; the
participant's earlier links keep working (the same rule as downloading the links CSV), so a
reminder never breaks the invitation or a session in progress, and a message that could not
be delivered leaves nothing broken: its link is simply never used. Without ``MAIL_SERVER``
each message is written as one ``.eml`` file to the outbox folder (``instance/outbox`` by
default), so nothing leaves the machine and the consultant can check the messages first.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from sqlalchemy import or_, select

from app.models import Campaign, Participant, User, display_name, utcnow
from app.operations import audit
from app.operations.campaigns import utc_to_local
from app.operations.errors import N_, OperationError
from app.operations.participants import add_link
from app.platform.extensions import db
from app.platform.i18n import localized
from app.queries.participants import participant_link

EMAIL_LOCALES = ("ja", "en")
KINDS = ("invitation", "reminder")
#: Nobody gets more than one email from a campaign in this period.
MIN_INTERVAL = timedelta(hours=24)


@dataclass
class Delivery:
    """What a send did: how (``smtp`` or ``outbox``), to how many, and what failed."""

    mode: str
    sent: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    outbox: str | None = None


def mail_configured() -> bool:
    """Whether an SMTP server is configured (otherwise messages go to the outbox folder)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def outbox_dir() -> Path:
    """The folder where messages are written when no SMTP server is configured."""
    configured = current_app.config.get("MAIL_OUTBOX_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "outbox"


def address(name: str | None, email: str) -> Address:
    """A recipient's header address: ``name`` (may be empty) and ``email``."""
    local, _, domain = email.partition("@")
    return Address(display_name=name or "", username=local, domain=domain)


def build_message(
    kind: str, participant: Participant, link: str, locale: str = "ja"
) -> EmailMessage:
    """The invitation or reminder for ``participant`` in ``locale``, text and HTML."""
    if kind not in KINDS:
        raise ValueError(f"unknown email kind {kind!r}")
    if locale not in EMAIL_LOCALES:
        locale = EMAIL_LOCALES[0]
    campaign = participant.campaign
    questionnaire = campaign.questionnaire
    closes = utc_to_local(campaign.closes_at)
    context = {
        "participant": participant,
        "campaign": campaign,
        "organization": campaign.organization,
        "campaign_name": display_name(campaign, locale),
        "organization_name": display_name(campaign.organization, locale),
        "link": link,
        "closes_on": closes.strftime("%Y-%m-%d") if closes else None,
        "minutes": questionnaire.estimated_minutes,
        "questionnaire_title": localized(questionnaire.title, locale),
    }
    return compose(
        f"email/{kind}.{locale}", context, address(participant.name, participant.email or "")
    )


def compose(template: str, context: dict[str, Any], to: Address) -> EmailMessage:
    """A message to ``to`` from ``template``'s ``.txt`` (its first line ``Subject: ...``) and
    ``.html`` versions rendered with ``context``."""
    text = render_template(f"{template}.txt", **context)
    subject, _, body = text.partition("\n")
    html = render_template(f"{template}.html", **context)
    message = EmailMessage()
    message["Subject"] = subject.removeprefix("Subject:").strip()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="cx-assessment")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body.lstrip("\n"), charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


class _Outbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        self.count = 0

    def send(self, message: EmailMessage) -> None:
        self.count += 1
        path = self.folder / f"{self.stamp}-{self.count:05d}.eml"
        while path.exists():
            self.count += 1
            path = self.folder / f"{self.stamp}-{self.count:05d}.eml"
        path.write_bytes(bytes(message))


class _Smtp:
    def __init__(self, connection: smtplib.SMTP) -> None:
        self.connection = connection

    def send(self, message: EmailMessage) -> None:
        self.connection.send_message(message)


@contextmanager
def transport() -> Iterator[_Outbox | _Smtp]:
    """Where messages go for the duration of a send: the SMTP server, or the outbox folder."""
    config = current_app.config
    if not mail_configured():
        yield _Outbox(outbox_dir())
        return
    connection = smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30)
    try:
        if config.get("MAIL_USE_TLS"):
            connection.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        yield _Smtp(connection)
    finally:
        try:
            connection.quit()
        except smtplib.SMTPException:
            connection.close()


def _recently_emailed(participant: Participant, now: datetime) -> bool:
    last = [t for t in (participant.invited_by_email_at, participant.last_reminded_at) if t]
    return bool(last) and now - max(last) < MIN_INTERVAL


def _targets(campaign: Campaign, kind: str, resend: bool) -> list[Participant]:
    query = (
        select(Participant)
        .where(
            Participant.campaign_id == campaign.id,
            Participant.revoked_at.is_(None),
            Participant.status != "submitted",
            Participant.email.is_not(None),
            Participant.email != "",
        )
        .order_by(Participant.id)
    )
    if kind == "invitation" and not resend:
        query = query.where(Participant.invited_by_email_at.is_(None))
    if kind == "reminder":
        query = query.where(
            or_(Participant.invited_by_email_at.is_not(None), Participant.started_at.is_not(None))
        )
    return list(db.session.scalars(query))


def _send(
    campaign: Campaign,
    kind: str,
    participants: Iterable[Participant],
    *,
    locale: str,
    now: datetime,
) -> Delivery:
    delivery = Delivery(mode="smtp" if mail_configured() else "outbox")
    if delivery.mode == "outbox":
        delivery.outbox = str(outbox_dir())
    if campaign.status != "open":
        raise OperationError(N_("Open the campaign before sending emails to its participants."))
    pending = list(participants)
    if not pending:
        return delivery
    try:
        with transport() as sender:
            for participant in pending:
                if _recently_emailed(participant, now):
                    delivery.skipped += 1
                    continue
                token = add_link(participant, kind)
                message = build_message(kind, participant, participant_link(token), locale)
                try:
                    sender.send(message)
                except smtplib.SMTPRecipientsRefused:
                    delivery.failed.append(participant.email or "")
                    continue
                if kind == "invitation":
                    participant.invited_by_email_at = now
                else:
                    participant.last_reminded_at = now
                delivery.sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        # What was sent stays recorded (the caller commits); the rest can be sent again.
        current_app.logger.warning("sending %s emails failed: %s", kind, exc)
        done = delivery.sent + delivery.skipped + len(delivery.failed)
        delivery.failed.extend(p.email or "" for p in pending[done:])
    db.session.flush()
    return delivery


def send_invitations(
    campaign: Campaign,
    *,
    locale: str = "ja",
    resend: bool = False,
    actor: User | None = None,
    now: datetime | None = None,
) -> Delivery:
    """Email the personal link to every participant not yet invited by email.

    With ``resend`` participants invited earlier are emailed again (with one more link; the
    earlier ones keep working), but still nobody is emailed twice within 24 hours. Submitted
    and revoked participants never get one.
    """
    now = now or utcnow()
    delivery = _send(
        campaign, "invitation", _targets(campaign, "invitation", resend), locale=locale, now=now
    )
    audit.record(
        "invitations.sent",
        campaign=campaign,
        user=actor,
        sent=delivery.sent,
        skipped=delivery.skipped,
        failed=len(delivery.failed),
        mode=delivery.mode,
    )
    return delivery


def send_reminders(
    campaign: Campaign,
    *,
    locale: str = "ja",
    actor: User | None = None,
    now: datetime | None = None,
) -> Delivery:
    """Remind participants who have not submitted, at most once a day per person.

    Only participants who were invited by email (or have started) are reminded; anyone
    emailed in the last 24 hours (invitation or reminder) is skipped.
    """
    now = now or utcnow()
    delivery = _send(
        campaign, "reminder", _targets(campaign, "reminder", False), locale=locale, now=now
    )
    audit.record(
        "reminders.sent",
        campaign=campaign,
        user=actor,
        sent=delivery.sent,
        skipped=delivery.skipped,
        failed=len(delivery.failed),
        mode=delivery.mode,
    )
    return delivery
