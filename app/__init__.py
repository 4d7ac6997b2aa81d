"""The CX maturity self-assessment application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.api import bp as api_bp
from app.auth import bp as auth_bp
from app.auth.sso import bp as sso_bp
from app.cli import GROUPS as CLI_GROUPS
from app.dashboard import bp as dashboard_bp
from app.main import bp as main_bp
from app.models import User, display_name
from app.operations.webhooks import register_dispatch
from app.platform import config as config_module
from app.platform import hardening, i18n, observability
from app.platform.db_setup import configure_engine_events
from app.platform.extensions import babel, csrf, db, limiter, login_manager
from app.platform.migrations import db_cli
from app.platform.routing import DatabaseIntegerConverter, LazyBuilderRule
from app.platform.text import SegmentConverter
from app.presentation.phrases import phrase_html
from app.reporting.processes import remember_factory
from app.reporting.sections.plan import register_action_plan
from app.reporting.sections.voice import register_leaders_voice
from app.reports import bp as reports_bp
from app.survey import bp as survey_bp
from app.workspace import bp as workspace_bp


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application from named steps; ``config`` overrides the environment."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    # Report workers build their own application with the factory that built this one.
    remember_factory(app, create_app)
    register_observability(app)
    register_extensions(app)
    register_hardening(app)
    register_url_converters(app)
    register_blueprints(app)
    register_commands(app)
    register_template_helpers(app)
    # The leaders' voice chapter of the reports: the themes of the free-text answers.
    register_leaders_voice(app)
    register_action_plan(app)
    return app


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    settings = config_module.from_environment(app.instance_path)
    if overrides:
        settings.update(overrides)
    if "SQLALCHEMY_DATABASE_URI" in settings:
        settings["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(
            settings["SQLALCHEMY_DATABASE_URI"]
        )
    config_module.check_secret_key(settings)
    config_module.check_rate_limits(settings)
    config_module.isolate_test_rate_limits(settings, overrides or {})
    config_module.apply_engine_defaults(settings)
    app.config.update(settings)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)


def register_observability(app: Flask) -> None:
    observability.register_observability(app)


def register_hardening(app: Flask) -> None:
    hardening.register_hardening(app)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    # Webhook deliveries queued by a transaction go to the job queue once it commits.
    register_dispatch(db.session)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    app.before_request(i18n.remember_requested_locale)
    login_manager.init_app(app)
    limiter.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    with app.app_context():
        configure_engine_events(db.engine)


def register_url_converters(app: Flask) -> None:
    # Before any rule is added: rules bind their converters when they are registered.
    app.url_map.converters["int"] = DatabaseIntegerConverter
    # And they compile their URL builders when first used, not at start-up.
    app.url_rule_class = LazyBuilderRule


def register_blueprints(app: Flask) -> None:
    # Before any rule is added: each rule compiles its converters when registered.
    app.url_map.converters["default"] = app.url_map.converters["string"] = SegmentConverter
    for blueprint in (
        main_bp,
        auth_bp,
        sso_bp,
        survey_bp,
        workspace_bp,
        dashboard_bp,
        api_bp,
        reports_bp,
    ):
        app.register_blueprint(blueprint)


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_cli)
    # Each group's module is imported when the group runs: ``flask --help`` imports none.
    for group in CLI_GROUPS:
        app.cli.add_command(group)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals["current_locale"] = i18n.current_locale
    app.jinja_env.globals["localized"] = i18n.localized
    app.jinja_env.globals["display_name"] = display_name
    app.jinja_env.globals["language_url"] = i18n.language_url
    app.jinja_env.globals["CX_LOCALES"] = app.config["CX_LOCALES"]
    # Japanese labels break between phrases (with ``word-break: keep-all`` in the CSS).
    app.jinja_env.filters["phrases"] = phrase_html
