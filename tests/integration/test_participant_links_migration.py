"""Migration 0007: every personal link handed out before it keeps working after it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from app import create_app
from app.platform.extensions import db
from app.platform.security import hash_token, new_token
from app.queries.participants import find_by_token
from tests.conftest import make_config

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def _fresh_app(test_database):
    url, options = test_database.new("links")
    return create_app(make_config(url, options))


def _rows(sql: str, **params):
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def _seed_at_0006(tokens: dict[str, str]) -> None:
    """An organisation, a campaign, three participants (one revoked) and a started response,
    written with the schema of revision 0006 (a single token_hash per participant)."""
    with db.engine.begin() as conn:

        def run(sql: str, **params) -> None:
            conn.execute(text(sql), params)

        run(
            "INSERT INTO organization (id, name, slug, created_at) VALUES (1, 'Acme', 'acme', :t)",
            t=NOW,
        )
        run(
            "INSERT INTO department (id, organization_id, name, position, archived)"
            " VALUES (1, 1, 'HQ', 0, :f)",
            f=False,
        )
        run(
            "INSERT INTO role (id, organization_id, key, labels, rank)"
            " VALUES (1, 1, 'frontline', '{}', 1)"
        )
        run(
            "INSERT INTO campaign (id, organization_id, name, questionnaire_id,"
            " questionnaire_version, questionnaire_hash, questionnaire_content, status,"
            " anonymity_threshold, open_link_enabled, individual_reports, targets, created_at)"
            " VALUES (1, 1, 'c', 'q', '1', 'h', '{}', 'open', 5, :f, :f, '{}', :t)",
            f=False,
            t=NOW,
        )
        for number, (name, token) in enumerate(tokens.items(), start=1):
            run(
                "INSERT INTO participant (id, campaign_id, department_id, role_id, email,"
                " token_hash, status, invited_at, revoked_at)"
                " VALUES (:id, 1, 1, 1, :email, :hash, :status, :t, :revoked)",
                id=number,
                email=f"{name}@example.jp",
                hash=hash_token(token),
                status="started" if name == "started" else "invited",
                t=NOW,
                revoked=NOW if name == "revoked" else None,
            )
        run(
            "INSERT INTO response (id, campaign_id, participant_id, department_id, role_id,"
            " status, source, current_page, created_at, updated_at)"
            " VALUES (1, 1, 2, 1, 1, 'draft', 'web', 2, :t, :t)",
            t=NOW,
        )
        run(
            "INSERT INTO answer (response_id, item_id, value, not_applicable, updated_at)"
            " VALUES (1, 'a1', 4, :f, :t)",
            f=False,
            t=NOW,
        )


def test_existing_links_become_participant_links_and_sessions_survive(test_database):
    app = _fresh_app(test_database)
    runner = app.test_cli_runner()
    tokens = {"waiting": new_token(), "started": new_token(), "revoked": new_token()}
    with app.app_context():
        assert runner.invoke(args=["db", "upgrade", "0006"]).exit_code == 0
        _seed_at_0006(tokens)

        upgrade = runner.invoke(args=["db", "upgrade", "0007"])
        assert upgrade.exit_code == 0, upgrade.output

        # Rebuilding the participant table deleted nothing that refers to it.
        assert _rows("SELECT count(*) FROM response")[0][0] == 1
        assert _rows("SELECT count(*) FROM answer")[0][0] == 1
        links = _rows(
            "SELECT participant_id, token_hash, channel, revoked_at IS NOT NULL"
            " FROM participant_link ORDER BY participant_id"
        )
        assert [(p, h, c, bool(r)) for p, h, c, r in links] == [
            (1, hash_token(tokens["waiting"]), "migrated", False),
            (2, hash_token(tokens["started"]), "migrated", False),
            (3, hash_token(tokens["revoked"]), "migrated", True),
        ]
        # Sessions opened before the upgrade carried token_hash[:16]: they stay valid.
        epochs = dict(_rows("SELECT id, link_epoch FROM participant"))
        assert epochs[2] == hash_token(tokens["started"])[:16]
        # The look-up reads the models of today: on today's schema.
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        assert find_by_token(tokens["waiting"]).id == 1
        assert find_by_token(tokens["started"]).id == 2
        assert find_by_token(tokens["revoked"]) is None
        db.session.rollback()

        downgrade = runner.invoke(args=["db", "downgrade", "0006"])
        assert downgrade.exit_code == 0, downgrade.output
        assert dict(_rows("SELECT id, token_hash FROM participant")) == {
            1: hash_token(tokens["waiting"]),
            2: hash_token(tokens["started"]),
            3: hash_token(tokens["revoked"]),
        }
        assert _rows("SELECT count(*) FROM answer")[0][0] == 1
        assert runner.invoke(args=["db", "upgrade", "0007"]).exit_code == 0
        assert _rows("SELECT count(*) FROM participant_link")[0][0] == 3
        db.session.remove()
        db.engine.dispose()
