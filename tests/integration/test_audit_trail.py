"""The audit trail: a hash chain per organisation, its verification, its export, and nothing
that switches it off or changes a recorded event through the ORM."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import threading

import pytest
from sqlalchemy import delete, func, select, text, update

from app.models import AuditEvent, User
from app.models.audit import AuditLogImmutable, chain_hash, event_hash
from app.operations import audit
from app.platform.config import PROJECT_ROOT
from app.platform.db_setup import write_transactions
from app.platform.extensions import db
from tests.factories import grant, make_campaign, make_org, make_user
from tests.integration.workspace_support import fast_password_hashing, login, make_client

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


def _chain(org) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.organization_id == org.id).order_by(AuditEvent.seq)
        )
    )


@pytest.fixture
def two_orgs(app):
    """Two organisations with a few events each, interleaved."""
    alpha = make_org("alpha")
    beta = make_org("beta")
    campaign = make_campaign(alpha)
    user = make_user("consultant@example.com")
    audit.record("organization.updated", organization=beta, user=user, fields=["name"])
    audit.record("invitations.sent", campaign=campaign, user=user, sent=3, mode="outbox")
    audit.record("organization.updated", organization=alpha, note="長い名前", ratio=0.25)
    audit.record("organization.updated", organization=beta, pair=(1, 2))
    db.session.commit()
    return alpha, beta


def _event(org, action: str) -> AuditEvent:
    return db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.organization_id == org.id, AuditEvent.action == action)
        .order_by(AuditEvent.seq)
    )


def test_each_organisation_has_its_own_chain_without_gaps(two_orgs):
    for org in two_orgs:
        events = _chain(org)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].previous_hash is None
        for previous, current in itertools.pairwise(events):
            assert current.previous_hash == previous.hash
        for event in events:
            assert re.fullmatch(r"[0-9a-f]{64}", event.hash)
            assert event.hash == event_hash(event)
    # Details are hashed as stored: a tuple comes back as a list.
    assert _chain(two_orgs[1])[-1].detail == {"pair": [1, 2]}


def test_the_hash_covers_every_stored_field(two_orgs):
    event = _chain(two_orgs[0])[1]
    fields = {
        "organization_id": event.organization_id,
        "seq": event.seq,
        "campaign_id": event.campaign_id,
        "user_id": event.user_id,
        "action": event.action,
        "created_at": event.created_at,
        "detail": event.detail,
        "previous_hash": event.previous_hash,
    }
    assert chain_hash(**fields) == event.hash
    changed = {
        "organization_id": event.organization_id + 1,
        "seq": event.seq + 1,
        "campaign_id": 999,
        "user_id": 999,
        "action": "campaign.closed",
        "created_at": event.created_at.replace(
            microsecond=(event.created_at.microsecond + 1) % 10**6
        ),
        "detail": {**event.detail, "extra": 1},
        "previous_hash": "0" * 64,
    }
    for name, value in changed.items():
        assert chain_hash(**{**fields, name: value}) != event.hash, name


def _verify(runner, *args: str):
    return runner.invoke(args=["audit", "verify", *args])


def test_verify_holds_on_an_untouched_log(two_orgs, runner):
    total = db.session.scalar(select(func.count(AuditEvent.id)))
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert f"Audit trail holds: {total} events checked in 2 chains." in result.output
    head = _chain(two_orgs[0])[-1].hash
    assert f"alpha: {len(_chain(two_orgs[0]))} events, last hash {head}" in result.output

    only_beta = _verify(runner, "--org", "beta")
    assert only_beta.exit_code == 0, only_beta.output
    assert f"{len(_chain(two_orgs[1]))} events checked in 1 chains" in only_beta.output

    unknown = _verify(runner, "--org", "nowhere")
    assert unknown.exit_code == 1
    assert "nowhere" in unknown.output


def _set_detail_with_raw_sql(event_id: int, detail_json: str) -> None:
    value = "CAST(:detail AS JSON)" if db.engine.dialect.name == "postgresql" else ":detail"
    db.session.execute(
        text(f"UPDATE audit_event SET detail = {value} WHERE id = :id"),
        {"detail": detail_json, "id": event_id},
    )
    db.session.commit()


def test_verify_names_an_event_changed_in_the_database(two_orgs, runner):
    alpha, _beta = two_orgs
    target = _event(alpha, "invitations.sent")
    target_id, seq = target.id, target.seq
    _set_detail_with_raw_sql(target_id, '{"mode": "outbox", "sent": 300}')

    result = _verify(runner)
    assert result.exit_code == 1
    assert (
        f"Audit trail broken at event {target_id} (organisation alpha, seq {seq}, "
        "invitations.sent, " in result.output
    )
    assert "its own hash does not match its stored fields" in result.output
    # The other organisation's chain still holds, and says so.
    assert re.search(r"^beta: \d+ events, last hash [0-9a-f]{64}$", result.output, re.MULTILINE)


def test_verify_names_the_gap_a_deleted_event_leaves(two_orgs, runner):
    alpha, _beta = two_orgs
    events = _chain(alpha)
    gone_id, gone_seq = events[1].id, events[1].seq
    after_id, after_seq = events[2].id, events[2].seq
    db.session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": gone_id})
    db.session.commit()

    result = _verify(runner, "--org", "alpha")
    assert result.exit_code == 1
    assert f"Audit trail broken at event {after_id} (organisation alpha, seq {after_seq}" in (
        result.output
    )
    assert f"sequence number {gone_seq} missing before it (events deleted)" in result.output


def test_verify_names_the_link_when_a_changed_event_got_a_new_hash(two_orgs, runner):
    alpha, _beta = two_orgs
    events = _chain(alpha)
    forged, following = events[0], events[1]
    detail = {**forged.detail, "forged": True}
    new_hash = chain_hash(
        organization_id=forged.organization_id,
        seq=forged.seq,
        campaign_id=forged.campaign_id,
        user_id=forged.user_id,
        action=forged.action,
        created_at=forged.created_at,
        detail=detail,
        previous_hash=forged.previous_hash,
    )
    value = "CAST(:detail AS JSON)" if db.engine.dialect.name == "postgresql" else ":detail"
    db.session.execute(
        text(f"UPDATE audit_event SET detail = {value}, hash = :hash WHERE id = :id"),
        {"detail": json.dumps(detail), "hash": new_hash, "id": forged.id},
    )
    db.session.commit()

    result = _verify(runner)
    assert result.exit_code == 1
    assert f"Audit trail broken at event {following.id} (organisation alpha" in result.output
    assert f"does not match the hash of event {forged.id}" in result.output


def test_the_orm_refuses_to_change_or_delete_an_event(two_orgs):
    event = _chain(two_orgs[0])[0]
    event.detail = {"count": 1}
    with pytest.raises(AuditLogImmutable):
        db.session.flush()
    db.session.rollback()

    event = _chain(two_orgs[0])[0]
    db.session.delete(event)
    with pytest.raises(AuditLogImmutable):
        db.session.flush()
    db.session.rollback()

    with pytest.raises(AuditLogImmutable):
        db.session.execute(update(AuditEvent).values(action="campaign.closed"))
    db.session.rollback()
    with pytest.raises(AuditLogImmutable):
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == event.id))
    db.session.rollback()
    assert _chain(two_orgs[0])[0].hash == event_hash(_chain(two_orgs[0])[0])


def _audit_settings(app) -> set[str]:
    """Every setting the app knows (its config, and the names its config module reads) that
    mentions AUDIT."""
    source = (PROJECT_ROOT / "app" / "platform" / "config.py").read_text(encoding="utf-8")
    named = set(re.findall(r"[\"']([A-Z0-9_]*AUDIT[A-Z0-9_]*)[\"']", source))
    return named | {key for key in app.config if "AUDIT" in key.upper()}


def test_no_setting_switches_the_audit_log_off(app):
    org = make_org("always")
    flags = _audit_settings(app)
    for flag in sorted(flags):
        for value in (False, 0, "", "0", "false", "off", "no", None):
            app.config[flag] = value
            before = db.session.scalar(select(func.count(AuditEvent.id)))
            audit.record("organization.updated", organization=org)
            assert db.session.scalar(select(func.count(AuditEvent.id))) == before + 1, flag
    # With no such setting at all, recording still writes.
    before = db.session.scalar(select(func.count(AuditEvent.id)))
    audit.record("organization.updated", organization=org)
    assert db.session.scalar(select(func.count(AuditEvent.id))) == before + 1


def test_no_route_turns_auditing_off(app):
    rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]
    assert {rule.endpoint for rule in rules} == {"workspace.audit_log", "workspace.audit_log_csv"}
    assert all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in rules)


def test_simultaneous_writers_never_link_to_the_same_event(app):
    """Two transactions recording for one organisation at once: the second waits for the
    first and links to its event (PostgreSQL: the chain's advisory lock; SQLite: the write
    lock taken at BEGIN)."""
    org = make_org("busy")
    org_id = org.id
    db.session.commit()
    first_recorded = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with app.app_context(), write_transactions():
                audit.record("organization.updated", organization=db.session.get(type(org), org_id))
                first_recorded.set()
                # Hold the transaction open while the second writer tries to append.
                threading.Event().wait(0.5)
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)
            first_recorded.set()

    def second() -> None:
        try:
            first_recorded.wait(10)
            with app.app_context(), write_transactions():
                audit.record("organization.updated", organization=db.session.get(type(org), org_id))
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    events = _chain(org)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(b.previous_hash == a.hash for a, b in itertools.pairwise(events))


# --- The admins' page and the CSV -------------------------------------------------------------


@pytest.fixture
def people(app, two_orgs):
    admin = make_user("admin@example.com", role="admin")
    consultant = db.session.scalar(select(User).where(User.email == "consultant@example.com"))
    grant(consultant, two_orgs[0], "consultant")
    executive = make_user("exec@example.com")
    grant(executive, two_orgs[0], "executive")
    return admin, consultant, executive


def _signed_in(app, email: str):
    client = make_client(app)
    assert login(client, email).status_code == 302
    return client


def test_admins_see_the_log_filtered_by_organisation(app, two_orgs, people):
    client = _signed_in(app, "admin@example.com")
    home = client.get("/workspace/").get_data(as_text=True)
    assert 'href="/workspace/audit"' in home

    page = client.get("/workspace/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Audit log" in html
    assert html.count("data-event=") == db.session.scalar(select(func.count(AuditEvent.id)))
    assert 'data-action="invitations.sent"' in html
    assert "Invitations sent" in html
    assert "consultant@example.com" in html

    beta_only = client.get("/workspace/audit?org=beta").get_data(as_text=True)
    assert beta_only.count("data-event=") == len(_chain(two_orgs[1]))
    assert 'data-action="invitations.sent"' not in beta_only
    assert 'href="/workspace/audit.csv?org=beta"' in beta_only
    assert client.get("/workspace/audit?org=nowhere").status_code == 404


def test_the_log_is_for_site_administrators_only(app, people):
    for email in ("consultant@example.com", "exec@example.com"):
        client = _signed_in(app, email)
        assert client.get("/workspace/audit").status_code == 404
        assert client.get("/workspace/audit.csv").status_code == 404
        assert 'href="/workspace/audit"' not in client.get("/workspace/").get_data(as_text=True)
    anonymous = make_client(app)
    assert anonymous.get("/workspace/audit.csv").status_code == 302


def _csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_holds_every_event_with_its_hashes(app, two_orgs, people):
    alpha, _beta = two_orgs
    # A staff address that a spreadsheet would run as a formula.
    hostile = User(email="=cmd@example.com", password_hash="-")
    db.session.add(hostile)
    db.session.flush()
    audit.record("organization.updated", organization=alpha, user=hostile)
    db.session.commit()

    response = _signed_in(app, "admin@example.com").get("/workspace/audit.csv?org=alpha")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="audit-log-alpha.csv"' in response.headers["Content-Disposition"]
    rows = _csv_rows(response.data)
    events = _chain(alpha)
    assert list(rows[0]) == [
        "id",
        "time_utc",
        "organisation",
        "seq",
        "campaign_id",
        "user_email",
        "action",
        "action_label",
        "detail",
        "previous_hash",
        "hash",
    ]
    assert [int(row["id"]) for row in rows] == [e.id for e in events]
    sent = next(row for row in rows if row["action"] == "invitations.sent")
    event = _event(alpha, "invitations.sent")
    assert sent["organisation"] == "alpha"
    assert sent["campaign_id"] == str(event.campaign_id)
    assert sent["user_email"] == "consultant@example.com"
    assert sent["action_label"] == "Invitations sent"
    assert sent["detail"] == '{"mode":"outbox","sent":3}'
    assert sent["hash"] == event.hash
    assert sent["previous_hash"] == event.previous_hash
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", sent["time_utc"])
    assert rows[0]["previous_hash"] == ""
    assert rows[-1]["user_email"] == "'=cmd@example.com"


def test_the_cli_exports_the_same_csv(app, two_orgs, runner, tmp_path):
    target = tmp_path / "audit.csv"
    result = runner.invoke(args=["audit", "export", "--org", "beta", "-o", str(target)])
    assert result.exit_code == 0, result.output
    rows = _csv_rows(target.read_bytes())
    assert [int(row["id"]) for row in rows] == [e.id for e in _chain(two_orgs[1])]
    assert {row["organisation"] for row in rows} == {"beta"}

    everything = runner.invoke(args=["audit", "export"])
    assert everything.exit_code == 0
    all_rows = _csv_rows(everything.stdout_bytes)
    assert len(all_rows) == db.session.scalar(select(func.count(AuditEvent.id)))
    assert [int(row["id"]) for row in all_rows] == sorted(int(row["id"]) for row in all_rows)
