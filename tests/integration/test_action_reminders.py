"""Reminders of overdue actions: one digest per owner's address, through the outbox or SMTP,
at most once a day, logged without addresses; and ``flask actions remind``."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.models import Action, AuditEvent, Campaign
from app.operations.action_reminders import send_action_reminders
from app.operations.actions import create_action
from app.platform.extensions import db
from app.queries.action_deadlines import local_today
from tests.factories import make_campaign, make_org


def add_action(
    campaign: Campaign,
    title: str,
    *,
    due: date | None,
    owner_email: str | None = None,
    owner: str = "経営企画部",
    status: str = "planned",
) -> Action:
    """An action of ``campaign`` with these values, committed."""
    questionnaire = campaign.questionnaire
    action = create_action(
        campaign,
        {
            "title": title,
            "dimension": questionnaire.dimensions[0].id,
            "owner": owner,
            "owner_email": owner_email,
            "due": due,
            "status": status,
        },
    )
    db.session.commit()
    return action


def outbox_messages(folder: Path) -> list[EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def outbox(app, tmp_path) -> Path:
    folder = tmp_path / "outbox"
    app.config.update(MAIL_SERVER=None, MAIL_OUTBOX_DIR=str(folder))
    return folder


@pytest.fixture
def overdue_world(app):
    """Acme: two overdue actions of one owner, one of another, and actions not to remind."""
    org = make_org("acme", name="アクメ株式会社")
    campaign = make_campaign(org)
    today = local_today()
    # Noon in Japan: 11 hours later is still the same day there.
    now = datetime.combine(today, time(12), tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(UTC)
    late = today - timedelta(days=10)
    return {
        "now": now,
        "org": org,
        "campaign": campaign,
        "tanaka_1": add_action(campaign, "顧客の声の共有会", due=late, owner_email="tanaka@ex.jp"),
        "tanaka_2": add_action(
            campaign,
            "ジャーニーマップの作成",
            due=today - timedelta(days=3),
            owner_email="Tanaka@ex.jp",
            status="in_progress",
        ),
        "sato": add_action(campaign, "KPIの見直し", due=late, owner_email="sato@ex.jp"),
        "no_address": add_action(campaign, "宛先なし", due=late),
        "done": add_action(
            campaign, "完了済み", due=late, owner_email="tanaka@ex.jp", status="done"
        ),
        "dropped": add_action(
            campaign, "中止済み", due=late, owner_email="sato@ex.jp", status="dropped"
        ),
        "not_due": add_action(
            campaign, "まだ先", due=today + timedelta(days=5), owner_email="tanaka@ex.jp"
        ),
        "due_today": add_action(campaign, "今日が期限", due=today, owner_email="sato@ex.jp"),
    }


def test_one_japanese_digest_per_owner_lists_only_overdue_open_actions(app, outbox, overdue_world):
    delivery = send_action_reminders(overdue_world["org"], locale="ja", now=overdue_world["now"])
    db.session.commit()
    assert (delivery.mode, delivery.sent, delivery.skipped, delivery.failed) == (
        "outbox",
        2,
        0,
        [],
    )
    assert delivery.outbox == str(outbox)
    messages = outbox_messages(outbox)
    by_address = {m["To"].addresses[0].addr_spec.lower(): m for m in messages}
    assert sorted(by_address) == ["sato@ex.jp", "tanaka@ex.jp"]

    tanaka = by_address["tanaka@ex.jp"]
    assert tanaka["Subject"] == "【期限超過】担当アクションのご確認（2件）"
    body = text_of(tanaka)
    assert "顧客の声の共有会" in body
    assert "ジャーニーマップの作成" in body
    assert "アクメ株式会社" in body
    assert "（10日超過）" in body
    assert "（3日超過）" in body
    assert "状態：未着手" in body
    assert "状態：対応中" in body
    for absent in ("完了済み", "まだ先", "今日が期限", "KPIの見直し", "宛先なし"):
        assert absent not in body
    campaign_id = overdue_world["campaign"].id
    assert f"http://localhost/dashboard/campaigns/{campaign_id}/" in body
    html = tanaka.get_body(preferencelist=("html",)).get_content()
    assert "顧客の声の共有会" in html

    sato = text_of(by_address["sato@ex.jp"])
    assert "KPIの見直し" in sato
    for absent in ("中止済み", "今日が期限", "顧客の声の共有会"):
        assert absent not in sato


def test_listed_actions_are_marked_and_not_reminded_again_within_a_day(app, outbox, overdue_world):
    now = overdue_world["now"]
    send_action_reminders(overdue_world["org"], now=now)
    db.session.commit()
    for key in ("tanaka_1", "tanaka_2", "sato"):
        db.session.refresh(overdue_world[key])
        assert overdue_world[key].reminded_at == now
    for key in ("no_address", "done", "not_due", "due_today"):
        db.session.refresh(overdue_world[key])
        assert overdue_world[key].reminded_at is None

    again = send_action_reminders(overdue_world["org"], now=now + timedelta(hours=11))
    db.session.commit()
    assert (again.sent, again.skipped) == (0, 2)
    assert len(outbox_messages(outbox)) == 2

    later = send_action_reminders(overdue_world["org"], now=now + timedelta(hours=25))
    db.session.commit()
    assert (later.sent, later.skipped) == (2, 0)
    assert len(outbox_messages(outbox)) == 4


def test_an_owner_with_a_newly_overdue_action_is_reminded_of_all_of_them(
    app, outbox, overdue_world
):
    now = overdue_world["now"]
    send_action_reminders(overdue_world["org"], now=now)
    db.session.commit()
    add_action(
        overdue_world["campaign"],
        "新しい期限超過",
        due=local_today() - timedelta(days=1),
        owner_email="sato@ex.jp",
    )
    delivery = send_action_reminders(overdue_world["org"], now=now + timedelta(hours=1))
    db.session.commit()
    assert (delivery.sent, delivery.skipped) == (1, 1)
    newest = outbox_messages(outbox)[-1]
    assert newest["To"].addresses[0].addr_spec == "sato@ex.jp"
    assert "新しい期限超過" in text_of(newest)
    assert "KPIの見直し" in text_of(newest)


def test_the_audit_event_counts_without_addresses(app, outbox, overdue_world):
    send_action_reminders(overdue_world["org"], now=overdue_world["now"])
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "actions.reminded"))
    assert event.organization_id == overdue_world["org"].id
    assert event.detail == {"sent": 2, "skipped": 0, "failed": 0, "mode": "outbox"}
    assert "@" not in repr(event.detail)


def test_english_digest(app, outbox, overdue_world):
    send_action_reminders(overdue_world["org"], locale="en", now=overdue_world["now"])
    db.session.commit()
    messages = {m["To"].addresses[0].addr_spec.lower(): m for m in outbox_messages(outbox)}
    tanaka = messages["tanaka@ex.jp"]
    assert tanaka["Subject"] == "Overdue: 2 actions you own"
    body = text_of(tanaka)
    assert "(10 days overdue)" in body
    assert "Status: Under way" in body


def test_other_organisations_are_left_alone(app, outbox, overdue_world):
    other = make_org("globex", name="グローベックス")
    other_campaign = make_campaign(other)
    add_action(other_campaign, "他社のアクション", due=date(2020, 1, 1), owner_email="tanaka@ex.jp")
    send_action_reminders(overdue_world["org"], now=overdue_world["now"])
    db.session.commit()
    assert all("他社のアクション" not in text_of(m) for m in outbox_messages(outbox))

    everyone = send_action_reminders(now=overdue_world["now"] + timedelta(hours=11))
    db.session.commit()
    assert (everyone.sent, everyone.skipped) == (1, 2)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "actions.reminded")
    ).all()
    assert sorted(e.organization_id for e in events) == sorted(
        [overdue_world["org"].id, overdue_world["org"].id, other.id]
    )


class RefusingInbox:
    """An aiosmtpd handler that refuses one address and keeps the other messages."""

    def __init__(self, refused: str) -> None:
        self.refused = refused
        self.messages: list[EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refused:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_address_counts_as_failed_and_is_reminded_next_time(app, overdue_world):
    inbox = RefusingInbox("sato@ex.jp")
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=controller.port,
            MAIL_USE_TLS=False,
            MAIL_USERNAME=None,
            MAIL_FROM="診断事務局 <cx@example.jp>",
        )
        delivery = send_action_reminders(overdue_world["org"], now=overdue_world["now"])
        db.session.commit()
    finally:
        controller.stop()
    assert (delivery.mode, delivery.sent, delivery.failed) == ("smtp", 1, ["sato@ex.jp"])
    assert [m["To"].addresses[0].addr_spec for m in inbox.messages] == ["tanaka@ex.jp"]
    assert inbox.messages[0]["Subject"] == "【期限超過】担当アクションのご確認（2件）"
    db.session.refresh(overdue_world["sato"])
    assert overdue_world["sato"].reminded_at is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "actions.reminded"))
    assert event.detail == {"sent": 1, "skipped": 0, "failed": 1, "mode": "smtp"}


def test_cli_reminds_and_says_where_the_outbox_is(app, runner, outbox, overdue_world):
    result = runner.invoke(args=["actions", "remind", "--org", "acme", "--lang", "ja"])
    assert result.exit_code == 0, result.output
    assert "2 sent, 0 skipped" in result.output
    assert "0 failed" in result.output
    assert str(outbox) in result.output
    assert len(outbox_messages(outbox)) == 2
    again = runner.invoke(args=["actions", "remind"])
    assert again.exit_code == 0, again.output
    assert "0 sent, 2 skipped" in again.output


def test_cli_refuses_an_unknown_organisation(app, runner, outbox):
    result = runner.invoke(args=["actions", "remind", "--org", "nobody"])
    assert result.exit_code != 0
    assert "No organisation with slug 'nobody'" in result.output
    assert not outbox.exists() or not list(outbox.glob("*.eml"))
