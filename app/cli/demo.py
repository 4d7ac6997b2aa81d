"""``flask demo seed``: a fictional organisation with realistic answers."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.operations.demo import seed_demo
from app.platform.extensions import db

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
def seed_command() -> None:
    """Create the demo bank, its two open campaigns and 150+ submitted responses."""
    result = seed_demo()
    db.session.commit()
    n = sum(len(c.participants) for c in result.campaigns)
    click.echo(
        f"{'Created' if result.created else 'Already present'}: {result.organization.name} "
        f"({result.organization.slug}), {len(result.campaigns)} campaigns, {n} participants."
    )
    for campaign in result.campaigns:
        click.echo(f"  campaign {campaign.id}: {campaign.name} [{campaign.status}]")
    base = current_app.config["CX_BASE_URL"].rstrip("/")
    click.echo(f"Consultant login: {result.consultant_email} / {result.consultant_password}")
    click.echo(f"Executive login: {result.executive_email} / {result.executive_password}")
    if result.report_token:
        click.echo(f"Individual report (closed round): {base}/r/{result.report_token}")
    click.echo(f"Respondent link: {base}/r/{result.respondent_token}")
