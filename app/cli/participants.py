"""``flask participants``: import participants from CSV and hand out their personal links."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import IO

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models import Participant
from app.operations.campaigns import get_campaign
from app.operations.organizations import OperationError
from app.operations.participant_import import import_participants
from app.operations.participants import (
    disable_open_link,
    enable_open_link,
    issue_links,
    open_link_url,
    participant_link,
)

participants_cli = AppGroup("participants", help="Participants of a campaign and their links.")

LINK_COLUMNS = ("name", "email", "department", "role", "status", "url")


def _campaign(campaign_id: int):
    try:
        return get_campaign(campaign_id)
    except OperationError as exc:
        raise click.ClickException(str(exc)) from None


def _write_links(rows: list[tuple[Participant, str]], output: IO[str]) -> None:
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(LINK_COLUMNS)
    for participant, token in rows:
        writer.writerow(
            [
                participant.name or "",
                participant.email or "",
                participant.department.name,
                participant.role.key,
                participant.status,
                participant_link(token),
            ]
        )


def _open_output(path: Path | None) -> IO[str]:
    # A file gets a byte-order mark so that Excel opens the Japanese names correctly.
    if path is None:
        return sys.stdout
    return path.open("w", encoding="utf-8-sig", newline="")


@participants_cli.command("import")
@click.argument("campaign_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the links CSV to this file (UTF-8 with BOM, for Excel) instead of stdout.",
)
def import_command(campaign_id: int, file: Path, output: Path | None) -> None:
    """Import participants of CAMPAIGN_ID from FILE (CSV) and print their personal links.

    FILE has a header line with the columns name, email, department and role (UTF-8 with or
    without BOM, or Shift_JIS as Excel saves it). Departments are matched by name; roles by key
    (frontline) or by label in any language (現場). Every problem is reported with its line
    (the header is line 1) and column, and any problem means nothing is imported (exit 1).

    On success the new participants' links are written as CSV (name, email, department, role,
    status, url). Keep them: links are stored hashed and can only be replaced later, not shown
    again.
    """
    campaign = _campaign(campaign_id)
    preview, imported = import_participants(campaign, file.read_bytes())
    if not preview.ok:
        for problem in preview.problems:
            click.echo(f"{file}:{problem}", err=True)
        click.echo(
            f"{len(preview.problems)} problem(s) found; no participant was imported.", err=True
        )
        raise SystemExit(1)
    db.session.commit()
    stream = _open_output(output)
    try:
        _write_links([(item.participant, item.token) for item in imported], stream)
    finally:
        if stream is not sys.stdout:
            stream.close()
    click.echo(
        f"Imported {len(imported)} participant(s) into campaign {campaign.id} "
        f"({preview.encoding}).",
        err=True,
    )


@participants_cli.command("links")
@click.argument("campaign_id", type=int)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the CSV to this file (UTF-8 with BOM, for Excel) instead of stdout.",
)
def links_command(campaign_id: int, output: Path | None) -> None:
    """Issue NEW personal links for everyone in CAMPAIGN_ID who has not submitted, as CSV.

    Links are stored only as hashes, so they cannot be printed again: this command replaces
    the link of every participant who has not submitted yet (and is not revoked) and prints
    the new URLs. Their earlier links stop working; answers they already saved are kept and
    the new link resumes them. Participants who have submitted are left out.
    """
    campaign = _campaign(campaign_id)
    rows = issue_links(campaign)
    db.session.commit()
    stream = _open_output(output)
    try:
        _write_links(rows, stream)
    finally:
        if stream is not sys.stdout:
            stream.close()
    click.echo(
        f"Warning: {len(rows)} new link(s) issued for campaign {campaign.id}; "
        "the earlier links of these participants no longer work.",
        err=True,
    )


@participants_cli.command("open-link")
@click.argument("campaign_id", type=int)
@click.option("--disable", is_flag=True, help="Turn the open link off instead.")
def open_link_command(campaign_id: int, disable: bool) -> None:
    """Turn on CAMPAIGN_ID's open link and print it (a new one each time), or --disable it.

    Anyone with the open link chooses a department and role and gets a personal link.
    """
    campaign = _campaign(campaign_id)
    if disable:
        disable_open_link(campaign)
        db.session.commit()
        click.echo(f"Open link of campaign {campaign.id} disabled.", err=True)
        return
    token = enable_open_link(campaign)
    db.session.commit()
    click.echo(open_link_url(token))
