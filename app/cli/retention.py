"""``flask retention``: erase personal data whose retention period has run out."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli._support import operation
from app.operations.retention import apply_retention
from app.queries.organizations import get_organization

retention_cli = AppGroup("retention", help="Retention of participants' personal data.")


@retention_cli.command("apply")
@click.option("--dry-run", is_flag=True, help="List what would be erased; change nothing.")
@click.option("--org", "slug", default=None, help="Only this organisation (its slug).")
@operation
def apply_command(dry_run: bool, slug: str | None) -> None:
    """Erase the personal data of participants of campaigns past their retention period.

    For every organisation with a retention period (`org set-retention`), the participants
    of each campaign closed longer ago than that period lose their name, e-mail address and
    links, as an erasure on request; their answers stay, anonymous. Meant to run once a day.
    """
    organization = get_organization(slug) if slug else None
    runs = apply_retention(organization=organization, dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    for run in runs:
        erasure = run.erasure
        click.echo(
            f"{run.organization.slug}\tcampaign {run.campaign.id}\t{run.campaign.name}\t"
            f"closed {run.campaign.closed_at:%Y-%m-%d}\t{verb} {erasure.participants} "
            f"participant(s), {erasure.links} link(s); {erasure.answers_kept} answer(s) kept"
        )
    total = sum(run.erasure.participants for run in runs)
    click.echo(
        f"{'Dry run: ' if dry_run else ''}{len(runs)} campaign(s), {total} participant(s) "
        f"{'to erase' if dry_run else 'erased'}." + (" Nothing was changed." if dry_run else "")
    )
