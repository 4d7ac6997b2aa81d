"""The workspace CLI: users, organisations, campaigns, responses, backups (same operations as
the web)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from app.auth.passwords import verify_password
from app.auth.tokens import user_for_api_token
from app.models import AuditEvent, Campaign, Membership, Organization, Response, User
from app.platform.extensions import db
from tests.factories import PASSWORD, add_people, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import fast_password_hashing

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


def _run(runner, *args, input=None):
    result = runner.invoke(args=list(args), input=input)
    db.session.expire_all()
    return result


def test_user_create_reads_the_password_from_stdin(runner):
    result = _run(
        runner, "user", "create", "Admin@Example.com", "--role", "admin", input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.is_admin) == ("admin@example.com", True)
    assert verify_password(user.password_hash, PASSWORD)


def test_user_create_refuses_weak_passwords_with_a_message(runner):
    result = _run(runner, "user", "create", "c@example.com", input="password1234\n")
    assert result.exit_code == 1
    assert "too common" in result.output
    result = _run(runner, "user", "create", "c@example.com", input="short\n")
    assert "at least 12 characters" in result.output
    assert db.session.scalar(select(User)) is None


def test_user_grant_and_token(runner):
    make_user("c@example.com")
    make_org("acme")
    result = _run(runner, "user", "grant", "c@example.com", "acme", "executive")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Membership.access)) == "executive"
    assert db.session.scalar(select(Membership.update_actions)) is False
    result = _run(runner, "user", "grant", "c@example.com", "acme", "executive", "--update-actions")
    assert "may update its actions" in result.output
    assert db.session.scalar(select(Membership.update_actions)) is True
    # Granting again without the option keeps the grant; --no-update-actions takes it back.
    _run(runner, "user", "grant", "c@example.com", "acme", "executive")
    assert db.session.scalar(select(Membership.update_actions)) is True
    _run(runner, "user", "grant", "c@example.com", "acme", "executive", "--no-update-actions")
    assert db.session.scalar(select(Membership.update_actions)) is False
    _run(runner, "user", "grant", "c@example.com", "acme", "consultant")
    assert db.session.scalars(select(Membership.access)).all() == ["consultant"]
    result = _run(runner, "user", "grant", "c@example.com", "nope", "consultant")
    assert result.exit_code == 1
    assert "No organisation with slug 'nope'" in result.output
    result = _run(runner, "user", "token", "c@example.com")
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert user_for_api_token(token).email == "c@example.com"


def test_org_create_with_departments(runner):
    result = _run(
        runner,
        "org",
        "create",
        "acme",
        "--name",
        "ACME 株式会社",
        "--departments",
        "営業部, 開発部,人事部",
    )
    assert result.exit_code == 0, result.output
    org = db.session.scalar(select(Organization))
    assert [d.name for d in org.departments] == ["営業部", "開発部", "人事部"]
    assert len(org.roles) == 3
    again = _run(runner, "org", "create", "acme", "--name", "X")
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_campaign_create_open_close_list(runner):
    make_org("acme")
    result = _run(
        runner,
        "campaign",
        "create",
        "acme",
        "cx-five-capabilities",
        "--name",
        "第1回",
        "--threshold",
        "4",
    )
    assert result.exit_code == 0, result.output
    campaign_id = int(result.output.strip().splitlines()[-1])
    campaign = db.session.get(Campaign, campaign_id)
    assert (campaign.name, campaign.anonymity_threshold, campaign.status) == ("第1回", 4, "draft")
    assert _run(runner, "campaign", "open", str(campaign_id)).exit_code == 0
    assert db.session.get(Campaign, campaign_id).status == "open"
    listing = _run(runner, "campaign", "list", "acme")
    assert f"{campaign_id}\tacme\topen" in listing.output
    assert _run(runner, "campaign", "close", str(campaign_id)).exit_code == 0
    assert db.session.get(Campaign, campaign_id).status == "closed"
    again = _run(runner, "campaign", "close", str(campaign_id))
    assert again.exit_code == 1
    assert "is not open" in again.output
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"campaign.created", "campaign.opened", "campaign.closed"} <= set(actions)
    bad = _run(
        runner,
        "campaign",
        "create",
        "acme",
        "cx-five-capabilities",
        "--name",
        "x",
        "--threshold",
        "2",
    )
    assert bad.exit_code == 1
    assert "between 3 and 10" in bad.output
    missing = _run(runner, "campaign", "create", "acme", "no-such-questionnaire", "--name", "x")
    assert "No valid questionnaire" in missing.output


def test_responses_import_and_export(runner, tmp_path):
    org = make_org("acme")
    campaign = make_campaign(org)
    for person in add_people(campaign, 2, department="営業部"):
        submit(person)
    item = campaign.questionnaire.items[0].id
    bad = tmp_path / "bad.csv"
    bad.write_text(f"department,role,{item}\n営業部,frontline,99\n", encoding="utf-8")
    result = _run(runner, "responses", "import", str(campaign.id), str(bad))
    assert result.exit_code == 1
    assert f"bad.csv:line 2, column {item}: 99 is outside the scale" in result.output
    good = tmp_path / "good.csv"
    good.write_text(
        f"department,role,{item}\n営業部,frontline,3\n開発部,executive,na\n", encoding="utf-8"
    )
    result = _run(runner, "responses", "import", str(campaign.id), str(good))
    assert result.exit_code == 0, result.output
    assert (
        db.session.scalar(select(Response.id).where(Response.source == "import").limit(1))
        is not None
    )
    out = tmp_path / "export.csv"
    result = _run(
        runner, "responses", "export", str(campaign.id), "-o", str(out), "--with-identities"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 4
    assert sum(1 for r in rows if r["email"]) == 2


def test_campaign_backup_and_restore(runner, tmp_path):
    org = make_org("acme")
    campaign = make_campaign(org)
    for person in add_people(campaign, 3):
        submit(person)
    make_org("copy", ())
    backup = tmp_path / "backup.json"
    result = _run(runner, "campaign", "backup", str(campaign.id), "-o", str(backup))
    assert result.exit_code == 0, result.output
    data = json.loads(backup.read_text(encoding="utf-8"))
    assert len(data["responses"]) == 3
    result = _run(runner, "campaign", "restore", str(backup), "--org", "copy")
    assert result.exit_code == 0, result.output
    restored = db.session.get(Campaign, int(result.output.strip().splitlines()[-1]))
    assert restored.organization.slug == "copy"
    assert len(restored.participants) == 3
    assert sorted(d.name for d in restored.organization.departments) == ["営業部"]
    not_json = tmp_path / "x.json"
    not_json.write_text("{nope", encoding="utf-8")
    result = _run(runner, "campaign", "restore", str(not_json), "--org", "copy")
    assert result.exit_code == 1
    assert "not a JSON backup" in result.output
