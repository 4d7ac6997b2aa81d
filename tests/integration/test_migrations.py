"""The Alembic migrations build the schema from empty, and match the models exactly."""

from __future__ import annotations

from sqlalchemy import inspect

from app import create_app
from app.extensions import db
from app.models import Base
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
