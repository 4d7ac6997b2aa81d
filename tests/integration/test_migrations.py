"""The Alembic migrations build the schema from empty, and match the models exactly."""

from __future__ import annotations

from sqlalchemy import inspect, select, text

from app import create_app
from app.models import Answer, Base, Response
from app.models.response import ANSWER_REVISION_TRIGGERS
from app.operations.campaigns import create_campaign
from app.operations.organizations import add_department, create_organization
from app.platform.extensions import db
from app.queries.questionnaires import get_questionnaire
from tests.conftest import make_config


def _fresh_app(test_database):
    url, options = test_database.new("migrate")
    return create_app(make_config(url, options))


def test_upgrade_from_empty_then_no_drift(test_database):
    app = _fresh_app(test_database)
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade = runner.invoke(args=["db", "upgrade"])
        assert upgrade.exit_code == 0, upgrade.output
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        assert "alembic_version" in tables

        check = runner.invoke(args=["db", "check"])
        assert check.exit_code == 0, check.output

        downgrade = runner.invoke(args=["db", "downgrade", "base"])
        assert downgrade.exit_code == 0, downgrade.output
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_check_reports_drift_when_the_schema_lags(test_database):
    app = _fresh_app(test_database)
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE answer")
        check = runner.invoke(args=["db", "check"])
        assert check.exit_code != 0
        db.engine.dispose()


def _triggers() -> set[str]:
    if db.engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'answer'"
    else:
        query = (
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = 'answer'::regclass"
        )
    with db.engine.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql(query)}


def test_migrations_install_the_answer_revision_triggers(test_database):
    """Migrated databases keep the results cache honest exactly as ``create_all`` ones do."""
    app = _fresh_app(test_database)
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        assert _triggers() == set(ANSWER_REVISION_TRIGGERS)
        organization = create_organization("acme", "Acme")
        department = add_department(organization, "HQ")
        campaign = create_campaign(organization, get_questionnaire("cx-five-capabilities"), "c")
        response = Response(
            campaign_id=campaign.id,
            department_id=department.id,
            role_id=organization.roles[0].id,
            status="submitted",
        )
        db.session.add(response)
        db.session.flush()
        db.session.add(Answer(response_id=response.id, item_id="a", value=3))
        db.session.flush()
        db.session.execute(text("UPDATE answer SET value = 4"))
        db.session.execute(text("DELETE FROM answer"))
        revision = db.session.scalar(select(Response.revision))
        db.session.rollback()
        db.session.remove()
        assert revision == 3
        assert runner.invoke(args=["db", "downgrade", "0005"]).exit_code == 0
        assert _triggers() == set()
        db.engine.dispose()
