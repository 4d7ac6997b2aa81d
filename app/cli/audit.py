"""``flask audit``: check the audit trail's hash chains, and export the log as CSV."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from app.models import Organization
from app.models.audit import iso_utc
from app.operations.errors import OperationError
from app.queries.audit import GAP, LINK, ChainBreak, check_chains, stream_csv
from app.queries.organizations import get_organization

audit_cli = AppGroup("audit", help="The audit trail: verify its hash chains, export it.")


def _organization(slug: str | None) -> Organization | None:
    if slug is None:
        return None
    try:
        return get_organization(slug)
    except OperationError as exc:
        raise click.ClickException(str(exc)) from None


def describe_break(broken: ChainBreak) -> str:
    """One line naming the event where a chain stops holding, and what failed."""
    where = (
        f"event {broken.event_id} (organisation {broken.organization}, seq {broken.seq}, "
        f"{broken.action}, {iso_utc(broken.created_at)})"
    )
    if broken.reason == GAP:
        if broken.seq > broken.expected_seq:
            missing = (
                f"sequence number {broken.expected_seq}"
                if broken.seq == broken.expected_seq + 1
                else f"sequence numbers {broken.expected_seq} to {broken.seq - 1}"
            )
            return f"{where}: {missing} missing before it (events deleted)"
        return (
            f"{where}: sequence number {broken.seq} out of order (expected {broken.expected_seq})"
        )
    if broken.reason == LINK:
        previous = f"event {broken.previous_id}" if broken.previous_id else "no previous event"
        return (
            f"{where}: its link to the previous event does not match the hash of {previous} "
            "(that event was changed and its hash recomputed)"
        )
    return f"{where}: its own hash does not match its stored fields (changed after recording)"


@audit_cli.command("verify")
@click.option("--org", "org_slug", help="Only this organisation's chain (its slug); default: all.")
def verify_command(org_slug: str | None) -> None:
    """Recompute every hash of every chain; exit 1 naming the first event that does not hold.

    Prints each chain's last hash: keep it elsewhere, so that a later check can tell that the
    newest events are still there.
    """
    checks = check_chains(_organization(org_slug))
    broken = [check.broken for check in checks if check.broken is not None]
    for check in checks:
        if check.broken is None:
            click.echo(f"{check.organization}: {check.events} events, last hash {check.head_hash}")
    if broken:
        for item in broken:
            click.echo(f"Audit trail broken at {describe_break(item)}.", err=True)
        click.get_current_context().exit(1)
    total = sum(check.events for check in checks)
    click.echo(f"Audit trail holds: {total} events checked in {len(checks)} chains.")


@audit_cli.command("export")
@click.option("--org", "org_slug", help="Only this organisation's events (its slug); default: all.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    help="Write the CSV to this file (default, or -: standard output).",
)
def export_command(org_slug: str | None, output: str | None) -> None:
    """Write the audit log as CSV: one row per event, oldest first, with its hashes."""
    organization = _organization(org_slug)
    with force_locale("en"), click.open_file(output or "-", "wb") as handle:
        for chunk in stream_csv(organization):
            handle.write(chunk)
    if output not in (None, "-"):
        click.echo(f"Audit log written to {output}.", err=True)
