"""The portfolio page: the organisations a consultant manages with their campaigns, response
rates, open and overdue actions and last report; sorting; reminding an organisation's owners."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import AuditEvent, ReportJob
from app.platform.extensions import db
from app.queries.action_deadlines import local_today
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.test_action_reminders import add_action
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@pytest.fixture
def world(app, tmp_path):
    """Two organisations of one consultant, one of another, and an executive."""
    app.config.update(MAIL_SERVER=None, MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    consultant = make_user("c@example.com")
    other = make_user("other@example.com")
    executive = make_user("exec@example.com")
    admin = make_user("admin@example.com", role="admin")
    alpha = make_org("alpha", name="アルファ商事")
    beta = make_org("beta", name="ベータ工業")
    gamma = make_org("gamma", name="ガンマ銀行")
    grant(consultant, alpha, "consultant")
    grant(consultant, beta, "consultant")
    grant(other, gamma, "consultant")
    grant(executive, alpha, "executive")

    today = local_today()
    alpha_round = make_campaign(alpha, name="2026 第1回")
    people = add_people(alpha_round, 4)
    submit(people[0])
    submit(people[1])
    add_action(alpha_round, "遅れ1", due=today - timedelta(days=4), owner_email="a@ex.jp")
    add_action(alpha_round, "進行中", due=today + timedelta(days=30))

    beta_round = make_campaign(beta, name="2026 ベータ診断")
    add_people(beta_round, 2)
    for title in ("遅れA", "遅れB", "遅れC"):
        add_action(beta_round, title, due=today - timedelta(days=2))
    add_action(beta_round, "済み", due=today - timedelta(days=2), status="done")
    db.session.add(
        ReportJob(
            campaign_id=beta_round.id,
            status="done",
            finished_at=datetime(2026, 3, 31, 16, 0, tzinfo=UTC),
        )
    )
    db.session.add(ReportJob(campaign_id=beta_round.id, status="failed"))
    gamma_round = make_campaign(gamma, name="ガンマの回")
    add_action(gamma_round, "他社の遅れ", due=today - timedelta(days=9), owner_email="g@ex.jp")
    db.session.commit()
    return {
        "consultant": consultant,
        "other": other,
        "executive": executive,
        "admin": admin,
        "alpha": alpha,
        "beta": beta,
        "gamma": gamma,
        "outbox": tmp_path / "outbox",
    }


def _signed_in(app, email_address: str, language: str = "en"):
    client = make_client(app, language)
    assert login(client, email_address).status_code == 302
    return client


def _order(html: str) -> list[str]:
    return re.findall(r'<tr data-org="([^"]+)">', html)


def _cell(html: str, slug: str, column: str) -> str:
    row = html.split(f'<tr data-org="{slug}">', 1)[1].split("</tr>", 1)[0]
    match = re.search(rf'data-col="{column}">(.*?)</td>', row, re.S)
    assert match, (slug, column)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_lists_the_managed_organisations_with_their_figures(app, world):
    client = _signed_in(app, "c@example.com")
    response = client.get("/workspace/portfolio")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _order(html) == ["alpha", "beta"]
    assert "ガンマ銀行" not in html
    assert "他社の遅れ" not in html
    assert "2026 第1回" in html
    assert re.search(r'href="/workspace/campaigns/\d+">2026 第1回</a>', html)
    assert 'href="/workspace/orgs/alpha"' in html
    assert "50% (2 of 4)" in html
    assert _cell(html, "alpha", "response_rate") == "50%"
    assert _cell(html, "alpha", "open") == "2"
    assert _cell(html, "alpha", "overdue") == "1"
    assert _cell(html, "alpha", "last_report") == "–"
    assert _cell(html, "beta", "response_rate") == "0%"
    assert _cell(html, "beta", "open") == "3"
    assert _cell(html, "beta", "overdue") == "3"
    # Finished at 16:00 UTC on 31 March: 1 April in Japan.
    assert _cell(html, "beta", "last_report") == "2026-04-01"


def test_the_remind_button_shows_only_where_owners_have_addresses(app, world):
    client = _signed_in(app, "c@example.com")
    html = client.get("/workspace/portfolio").get_data(as_text=True)
    assert "/workspace/portfolio/alpha/remind" in html
    assert "/workspace/portfolio/beta/remind" not in html


def test_sorting_by_overdue_and_unknown_sorts(app, world):
    client = _signed_in(app, "c@example.com")
    by_overdue = client.get("/workspace/portfolio?sort=overdue&order=desc")
    assert _order(by_overdue.get_data(as_text=True)) == ["beta", "alpha"]
    by_name_desc = client.get("/workspace/portfolio?sort=name&order=desc")
    assert _order(by_name_desc.get_data(as_text=True)) == ["beta", "alpha"]
    by_rate = client.get("/workspace/portfolio?sort=response_rate&order=desc")
    assert _order(by_rate.get_data(as_text=True)) == ["alpha", "beta"]
    by_report = client.get("/workspace/portfolio?sort=last_report&order=asc")
    assert _order(by_report.get_data(as_text=True)) == ["beta", "alpha"]
    for query in ("sort=bogus", "sort=overdue&order=sideways", "sort=", "order=desc&sort=%00"):
        response = client.get(f"/workspace/portfolio?{query}")
        assert response.status_code == 200, query
    assert _order(client.get("/workspace/portfolio?sort=bogus").get_data(as_text=True)) == [
        "alpha",
        "beta",
    ]


def test_admin_sees_every_organisation(app, world):
    client = _signed_in(app, "admin@example.com")
    html = client.get("/workspace/portfolio").get_data(as_text=True)
    assert _order(html) == ["alpha", "gamma", "beta"]  # by name: アルファ, ガンマ, ベータ


def test_executives_are_refused(app, world):
    client = _signed_in(app, "exec@example.com")
    assert client.get("/workspace/portfolio").status_code == 404
    token = csrf_token(client, "/account")
    response = client.post("/workspace/portfolio/alpha/remind", data={"csrf_token": token})
    assert response.status_code == 404


def test_the_index_links_the_portfolio(app, world):
    client = _signed_in(app, "c@example.com")
    assert 'href="/workspace/portfolio"' in client.get("/workspace/").get_data(as_text=True)
    executive = _signed_in(app, "exec@example.com")
    assert 'href="/workspace/portfolio"' not in executive.get("/workspace/").get_data(as_text=True)


def test_reminding_one_organisation_from_the_portfolio(app, world):
    client = _signed_in(app, "c@example.com")
    token = csrf_token(client, "/workspace/portfolio")
    response = client.post(
        "/workspace/portfolio/alpha/remind?sort=overdue&order=desc",
        data={"csrf_token": token, "locale": "ja"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/workspace/portfolio?sort=overdue&order=desc")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "written to the outbox folder" in page
    files = sorted(Path(world["outbox"]).glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "a@ex.jp"
    assert message["Subject"].startswith("【期限超過】")
    assert "遅れ1" in message.get_body(preferencelist=("plain",)).get_content()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "actions.reminded"))
    assert event.organization_id == world["alpha"].id
    assert event.user_id == world["consultant"].id
    assert event.detail["sent"] == 1

    again = client.post(
        "/workspace/portfolio/alpha/remind", data={"csrf_token": token, "locale": "ja"}
    )
    assert "already reminded in the last 24 hours" in client.get(
        again.headers["Location"]
    ).get_data(as_text=True)
    assert len(list(Path(world["outbox"]).glob("*.eml"))) == 1


def test_reminding_needs_the_csrf_token_and_access(app, world):
    client = _signed_in(app, "c@example.com")
    assert client.post("/workspace/portfolio/alpha/remind", data={"locale": "ja"}).status_code == (
        400
    )
    token = csrf_token(client, "/workspace/portfolio")
    response = client.post(
        "/workspace/portfolio/gamma/remind", data={"csrf_token": token, "locale": "ja"}
    )
    assert response.status_code == 404
    assert not list(Path(world["outbox"]).glob("*.eml"))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "actions.reminded")) is (
        None
    )


def test_the_page_in_japanese(app, world):
    client = _signed_in(app, "c@example.com", "ja")
    html = client.get("/workspace/portfolio").get_data(as_text=True)
    assert "担当クライアント一覧" in html
    assert "期限超過" in html
    assert "期限超過を担当者にリマインド" in html
