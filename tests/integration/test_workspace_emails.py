"""Invitation and reminder emails through a real SMTP server on loopback, and the outbox."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.models import AuditEvent, Participant, utcnow
from app.operations.emails import send_invitations, send_reminders
from app.operations.errors import OperationError
from app.operations.participants import add_link, links_csv
from app.platform.extensions import db
from app.queries.participants import find_by_token
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.survey_fixtures import csrf_from, sign_in, start
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_USE_TLS=False,
        MAIL_USERNAME=None,
        MAIL_FROM="診断事務局 <cx@example.jp>",
    )
    yield inbox
    controller.stop()


def _link_in(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return next(line.strip() for line in body.splitlines() if "/r/" in line)


def test_invitations_reach_the_smtp_server_in_japanese(app, smtp):
    org = make_org("acme")
    campaign = make_campaign(org)
    people = add_people(campaign, 3)
    delivery = send_invitations(campaign, locale="ja")
    db.session.commit()
    assert (delivery.mode, delivery.sent, delivery.failed) == ("smtp", 3, [])
    assert sorted(r[0] for r in smtp.recipients) == sorted(p.email for p in people)
    message = smtp.messages[0]
    assert message["To"].addresses[0].addr_spec in {p.email for p in people}
    assert "参加者" in str(message["To"])
    assert message["Subject"] == f"【ご回答のお願い】{campaign.name}"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "ご回答をお願いいたします" in body
    link = _link_in(message)
    assert link.startswith("http://localhost/r/")
    participant = find_by_token(link.rsplit("/", 1)[1])
    assert participant is not None
    assert participant.email == message["To"].addresses[0].addr_spec
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{link}"' in html
    assert all(p.invited_by_email_at is not None for p in people)


def test_invitations_in_english_and_only_once(app, smtp):
    org = make_org("acme")
    campaign = make_campaign(org)
    add_people(campaign, 2)
    send_invitations(campaign, locale="en")
    db.session.commit()
    assert smtp.messages[0]["Subject"] == f"Your input requested: {campaign.name}"
    assert "personal link" in smtp.messages[0].get_body(preferencelist=("plain",)).get_content()
    again = send_invitations(campaign, locale="en")
    assert again.sent == 0
    assert len(smtp.messages) == 2


def test_reminders_skip_submitted_and_recently_emailed(app, smtp):
    org = make_org("acme")
    campaign = make_campaign(org)
    people = add_people(campaign, 3)
    send_invitations(campaign)
    db.session.commit()
    submit(people[0])
    first = send_reminders(campaign)
    assert (first.sent, first.skipped) == (0, 2), "invited less than a day ago"
    later = utcnow() + timedelta(hours=25)
    second = send_reminders(campaign, now=later)
    db.session.commit()
    assert second.sent == 2
    reminded = smtp.messages[-2:]
    assert {m["To"].addresses[0].addr_spec for m in reminded} == {p.email for p in people[1:]}
    assert all("【リマインド】" in m["Subject"] for m in reminded)
    third = send_reminders(campaign, now=later + timedelta(hours=12))
    assert (third.sent, third.skipped) == (0, 2), "never more than once a day"
    fourth = send_reminders(campaign, now=later + timedelta(hours=25))
    assert fourth.sent == 2
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.campaign_id == campaign.id)
    ).all()
    assert actions.count("reminders.sent") == 4
    assert actions.count("invitations.sent") == 1


def test_the_invitation_link_keeps_working_after_reminders_and_a_links_download(app, smtp):
    org = make_org("acme")
    campaign = make_campaign(org)
    person = add_people(campaign, 1)[0]
    send_invitations(campaign)
    db.session.commit()
    invitation = _link_in(smtp.messages[0]).rsplit("/", 1)[1]
    respondent = make_client(app)
    sign_in(respondent, invitation)
    start(respondent)
    csrf = csrf_from(respondent.get("/survey/page?n=1").get_data(as_text=True))
    # While the respondent is on page 1: a reminder, then the consultant downloads the links.
    send_reminders(campaign, now=utcnow() + timedelta(days=2))
    links_csv(campaign, locale="ja")
    db.session.commit()
    reminder = _link_in(smtp.messages[1]).rsplit("/", 1)[1]
    assert reminder != invitation
    first = campaign.questionnaire.items[0].id
    posted = respondent.post(
        "/survey/page?n=1", data={"csrf_token": csrf, f"q_{first}": "2", "action": "next"}
    )
    assert posted.status_code == 302
    assert posted.headers["Location"].endswith("/survey/page?n=2")
    db.session.expire_all()
    assert {a.item_id: a.value for a in person.response.answers} == {first: 2}
    assert find_by_token(invitation).id == person.id
    assert find_by_token(reminder).id == person.id
    body = smtp.messages[1].get_body(preferencelist=("plain",)).get_content()
    assert "以前にお送りしたリンクも引き続きご利用いただけます" in body
    assert "無効" not in body


def test_resending_invitations_keeps_the_first_link(app, smtp):
    org = make_org("acme")
    campaign = make_campaign(org)
    person = add_people(campaign, 1)[0]
    send_invitations(campaign)
    db.session.commit()
    send_invitations(campaign, resend=True, now=utcnow() + timedelta(days=2))
    db.session.commit()
    assert len(smtp.messages) == 2
    tokens = [_link_in(m).rsplit("/", 1)[1] for m in smtp.messages]
    assert tokens[0] != tokens[1]
    assert all(find_by_token(t).id == person.id for t in tokens)


def test_emails_need_an_open_campaign(app, smtp):
    org = make_org("acme")
    campaign = make_campaign(org, opened=False)
    add_people(campaign, 1)
    with pytest.raises(OperationError, match="Open the campaign"):
        send_invitations(campaign)


def test_refused_recipient_is_reported_and_not_marked(app, smtp):
    org = make_org("acme")
    campaign = make_campaign(org)
    people = add_people(campaign, 2)

    async def refuse_one(server, session, envelope, address, rcpt_options):
        if address == people[0].email:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    earlier = add_link(people[0], "csv")
    db.session.commit()
    smtp.handle_RCPT = refuse_one
    delivery = send_invitations(campaign)
    assert delivery.sent == 1
    assert delivery.failed == [people[0].email]
    db.session.commit()
    assert db.session.get(Participant, people[0].id).invited_by_email_at is None
    # The refused recipient's earlier link is untouched (the email's link is never used).
    assert find_by_token(earlier).id == people[0].id


def test_a_failing_server_mid_batch_breaks_nobody_s_link(app, smtp):
    org = make_org("acme")
    campaign = make_campaign(org)
    people = add_people(campaign, 3)
    earlier = {p.id: add_link(p, "csv") for p in people}
    db.session.commit()
    seen: list[str] = []

    async def fail_on_second(server, session, envelope, address, rcpt_options):
        seen.append(address)
        if len(seen) == 2:
            return "421 service shutting down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp.handle_RCPT = fail_on_second
    delivery = send_invitations(campaign)
    db.session.commit()
    assert delivery.sent == 1
    assert len(delivery.failed) == 2
    for person in people:
        assert find_by_token(earlier[person.id]).id == person.id
    sent = _link_in(smtp.messages[0]).rsplit("/", 1)[1]
    assert find_by_token(sent) is not None


def test_without_a_mail_server_messages_go_to_the_outbox(app, tmp_path):
    app.config.update(MAIL_SERVER=None, MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    user = make_user("c@example.com")
    org = make_org("acme")
    grant(user, org, "consultant")
    campaign = make_campaign(org)
    people = add_people(campaign, 2)
    client = make_client(app)
    login(client, "c@example.com")
    page = client.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    assert "No mail server is configured" in page
    response = client.post(
        f"/workspace/campaigns/{campaign.id}/invitations",
        data={"csrf_token": csrf_token(client, "/account"), "locale": "ja"},
        follow_redirects=True,
    )
    assert "written to the outbox folder" in response.get_data(as_text=True)
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec in {p.email for p in people}
    assert "ご回答をお願いいたします" in message.get_body(preferencelist=("plain",)).get_content()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitations.sent"))
    assert event.detail["mode"] == "outbox"
    assert event.user_id == user.id
