"""``flask webhooks``: sending the organisations' webhook deliveries that are due.

Run ``deliver`` every minute from cron (``* * * * * cd /srv/cx && flask --app wsgi webhooks
deliver``): it sends the new deliveries and retries the failed ones when their wait is over.
With ``REDIS_URL`` set, the worker also sends new deliveries right after they are queued.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli._support import operation
from app.operations.webhooks import BATCH_SIZE, deliver_due

webhooks_cli = AppGroup("webhooks", help="Webhook deliveries to the integrators' endpoints.")


@webhooks_cli.command("deliver")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=BATCH_SIZE,
    show_default=True,
    help="Deliveries sent by this run at most (the next run sends the rest).",
)
@operation
def deliver_command(limit: int) -> None:
    """Send the webhook deliveries whose (next) attempt is due."""
    run = deliver_due(limit=limit)
    click.echo(
        f"Webhook deliveries: {run.delivered} delivered, {run.retrying} to retry later, "
        f"{run.failed} failed."
    )
