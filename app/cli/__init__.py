"""The ``flask`` command groups, each imported when it runs.

``flask --help`` lists every group with its one-line help from :data:`GROUPS` and imports
none of the modules that define their commands, nor what only they use (the demo's seed
data). ``flask user ...``, ``flask user --help`` and
``app.test_cli_runner().invoke(args=["user", ...])`` import :mod:`app.cli.user` and hand over
to its group, which parses, helps and runs exactly as if it were registered itself. The
one-line help is the group's own (``tests/unit/test_cli_registry.py`` checks that they agree).

This is the one place where app modules are imported by name: the architecture test
(``tests/unit/test_architecture.py``) reads each :class:`LazyGroup`'s module as an import
edge of this package, so the dependency rules see it as they see a statement.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import click


class LazyGroup(click.Group):
    """A top-level group standing in for the group ``target`` (``"module:attribute"``) until
    it is used: the module is imported when a command of the group runs or its help is
    asked for."""

    def __init__(self, name: str, target: str, help: str) -> None:
        super().__init__(name, help=help)
        self.target = target

    @functools.cached_property
    def group(self) -> click.Group:
        """The group itself, imported on first use."""
        module, _, attribute = self.target.partition(":")
        group: click.Group = getattr(importlib.import_module(module), attribute)
        return group

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # The context is the group's own: click invokes ``ctx.command``, so from here on the
        # real group parses the arguments, prints its help and runs its commands.
        return self.group.make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self.group.list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.group.get_command(ctx, cmd_name)


#: Every command group of the app, by name (``flask db`` is Flask-Migrate's, in
#: :mod:`app.platform.migrations`).
GROUPS: tuple[LazyGroup, ...] = (
    LazyGroup(
        "actions", "app.cli.actions:actions_cli", "Agreed actions and reminders to their owners."
    ),
    LazyGroup(
        "audit", "app.cli.audit:audit_cli", "The audit trail: verify its hash chains, export it."
    ),
    LazyGroup("campaign", "app.cli.campaign:campaign_cli", "Assessment campaigns."),
    LazyGroup("demo", "app.cli.demo:demo_cli", "Demo data."),
    LazyGroup("org", "app.cli.org:org_cli", "Client organisations."),
    LazyGroup(
        "outcomes", "app.cli.outcomes:outcomes_cli", "Customer outcomes beside the assessments."
    ),
    LazyGroup(
        "participants",
        "app.cli.participants:participants_cli",
        "Participants of a campaign and their links.",
    ),
    LazyGroup(
        "questionnaire",
        "app.cli.questionnaire:questionnaire_cli",
        "Validate and list questionnaire definitions.",
    ),
    LazyGroup("report", "app.cli.report:report_cli", "Render diagnostic PDF reports."),
    LazyGroup(
        "responses", "app.cli.responses:responses_cli", "Import and export campaign responses."
    ),
    LazyGroup("results", "app.cli.results:results_cli", "Show a campaign's computed results."),
    LazyGroup(
        "retention", "app.cli.retention:retention_cli", "Retention of participants' personal data."
    ),
    LazyGroup("rules", "app.cli.results:rules_cli", "Validate report rules and recommendations."),
    LazyGroup("sso", "app.cli.sso:sso_cli", "Single sign-on: OpenID Connect identity providers."),
    LazyGroup(
        "user",
        "app.cli.user:user_cli",
        "Staff accounts, access to organisations and API tokens.",
    ),
    LazyGroup(
        "webhooks",
        "app.cli.webhooks:webhooks_cli",
        "Webhook deliveries to the integrators' endpoints.",
    ),
)
