"""``flask actions``: agreed actions after a diagnosis, and reminders of the overdue ones."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli._support import operation
from app.operations.action_reminders import send_action_reminders
from app.operations.emails import EMAIL_LOCALES
from app.queries.organizations import get_organization

actions_cli = AppGroup("actions", help="Agreed actions and reminders to their owners.")


@actions_cli.command("remind")
@click.option("--org", "org_slug", help="Only this organisation (its slug); default: all.")
@click.option(
    "--lang",
    "locale",
    type=click.Choice(EMAIL_LOCALES),
    default=EMAIL_LOCALES[0],
    show_default=True,
    help="Language of the e-mails.",
)
@operation
def remind_command(org_slug: str | None, locale: str) -> None:
    """E-mail each owner a digest of their overdue actions (once a day at most).

    Without a mail server (MAIL_SERVER) the messages are written to the outbox folder.
    """
    org = get_organization(org_slug) if org_slug else None
    delivery = send_action_reminders(org, locale=locale)
    click.echo(
        f"Action reminders: {delivery.sent} sent, {delivery.skipped} skipped "
        f"(reminded in the last 24 hours), {len(delivery.failed)} failed."
    )
    if delivery.outbox:
        click.echo(f"No mail server configured: messages written to {delivery.outbox}")
