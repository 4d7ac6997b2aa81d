"""Migration 0018: the audit events recorded before it are chained, and verify holds."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, text

from app import create_app
from app.models.audit import chain_hash
from app.platform.extensions import db
from tests.conftest import make_config

START = datetime(2026, 4, 1, 9, 0, 0, 123456, tzinfo=UTC)


def _fresh_app(test_database):
    url, options = test_database.new("audit")
    return create_app(make_config(url, options))


def _seed_at_0017() -> None:
    """Two organisations, a campaign, and events of both organisations interleaved."""
    with db.engine.begin() as conn:
        for org_id, slug in ((1, "acme"), (2, "globex")):
            conn.execute(
                text(
                    "INSERT INTO organization (id, name, slug, created_at) VALUES (:i, :s, :s, :t)"
                ),
                {"i": org_id, "s": slug, "t": START},
            )
        conn.execute(
            text(
                "INSERT INTO campaign (id, organization_id, name, questionnaire_id,"
                " questionnaire_version, questionnaire_hash, questionnaire_content, status,"
                " anonymity_threshold, open_link_enabled, individual_reports, targets, created_at)"
                " VALUES (1, 1, 'c', 'q', '1', 'h', '{}', 'open', 5, :f, :f, '{}', :t)"
            ),
            {"f": False, "t": START},
        )
        events = [
            (1, None, "organization.created", {}),
            (2, None, "organization.created", {}),
            (1, 1, "campaign.created", {"questionnaire": "cx"}),
            (1, 1, "invitations.sent", {"sent": 3, "mode": "outbox", "名前": "営業部"}),
            (2, None, "organization.updated", {"ratio": 0.25}),
        ]
        for number, (org_id, campaign_id, action, detail) in enumerate(events, start=1):
            conn.execute(
                text(
                    "INSERT INTO audit_event (id, organization_id, campaign_id, user_id, action,"
                    " detail, created_at) VALUES (:i, :o, :c, NULL, :a, :d, :t)"
                ),
                {
                    "i": number,
                    "o": org_id,
                    "c": campaign_id,
                    "a": action,
                    "d": json.dumps(detail, ensure_ascii=False),
                    "t": START + timedelta(seconds=number),
                },
            )


def test_existing_events_are_chained_in_id_order_per_organisation(test_database):
    app = _fresh_app(test_database)
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["db", "upgrade", "0017"]).exit_code == 0
        _seed_at_0017()
        upgrade = runner.invoke(args=["db", "upgrade", "0018"])
        assert upgrade.exit_code == 0, upgrade.output

        with db.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, organization_id, seq, campaign_id, user_id, action, detail,"
                    " created_at, previous_hash, hash FROM audit_event"
                    " ORDER BY organization_id, seq"
                )
            ).all()
        assert [(r.organization_id, r.seq, r.id) for r in rows] == [
            (1, 1, 1),
            (1, 2, 3),
            (1, 3, 4),
            (2, 1, 2),
            (2, 2, 5),
        ]
        for _org, chain in itertools.groupby(rows, key=lambda r: r.organization_id):
            previous = None
            for row in chain:
                detail = row.detail if isinstance(row.detail, dict) else json.loads(row.detail)
                assert row.previous_hash == previous
                assert row.hash == chain_hash(
                    organization_id=row.organization_id,
                    seq=row.seq,
                    campaign_id=row.campaign_id,
                    user_id=row.user_id,
                    action=row.action,
                    created_at=START + timedelta(seconds=row.id),
                    detail=detail,
                    previous_hash=previous,
                )
                previous = row.hash

        verify = runner.invoke(args=["audit", "verify"])
        assert verify.exit_code == 0, verify.output
        assert "Audit trail holds: 5 events checked in 2 chains." in verify.output

        # The events no longer depend on the campaign and user rows.
        keys = inspect(db.engine).get_foreign_keys("audit_event")
        assert [key["referred_table"] for key in keys] == ["organization"]

        db.session.remove()  # the check's read transaction would block the downgrade's DDL
        downgrade = runner.invoke(args=["db", "downgrade", "0017"])
        assert downgrade.exit_code == 0, downgrade.output
        columns = {c["name"] for c in inspect(db.engine).get_columns("audit_event")}
        assert not {"seq", "previous_hash", "hash"} & columns
        referred = {
            key["referred_table"] for key in inspect(db.engine).get_foreign_keys("audit_event")
        }
        assert referred == {"organization", "campaign", "user_account"}
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() == 5
        db.session.remove()
        db.engine.dispose()
