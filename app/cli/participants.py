"""``flask participants``: import participants from CSV and hand out their personal links."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from app.cli._support import operation
from app.operations import participants as participant_ops
from app.operations.erasure import (
    Erasure,
    erase_participant,
    find_participant,
    plan_participant_erasure,
)
from app.operations.errors import OperationError
from app.operations.participant_import import apply_import, parse_participants
from app.operations.participants import disable_open_link, enable_open_link
from app.platform.db_setup import write_transactions
from app.platform.extensions import db
from app.queries.campaigns import get_campaign
from app.queries.participants import open_link_url

participants_cli = AppGroup("participants", help="Participants of a campaign and their links.")

LANGUAGE_OPTION = click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default="ja",
    show_default=True,
    help="Language of the role_label column.",
)


def _campaign(campaign_id: int):
    try:
        return get_campaign(campaign_id)
    except OperationError as exc:
        raise click.ClickException(str(exc)) from None


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
@LANGUAGE_OPTION
def import_command(campaign_id: int, file: Path, output: Path | None, lang: str) -> None:
    """Import participants of CAMPAIGN_ID from FILE (CSV) and print their personal links.

    FILE has a header line with the columns name, email, department and role (UTF-8 with or
    without BOM, or Shift_JIS as Excel saves it). Departments are matched by name; roles by key
    (frontline) or by label in any language (現場). Every problem is reported with its line
    (the header is line 1) and column, and any problem means nothing is imported (exit 1).

    On success the new participants' links are written as CSV (name, email, department, role,
    role_label, status, url). Links are stored hashed and cannot be shown again; more links
    can be handed out later (`participants links`, emails), and these keep working.
    """
    campaign = _campaign(campaign_id)
    preview = parse_participants(campaign, file.read_bytes())
    imported = []
    try:
        if preview.ok:
            # Checking only read: the writes take SQLite's write lock when they begin, and
            # check the emails again.
            db.session.commit()
            with write_transactions():
                imported = apply_import(campaign, preview, with_links=True)
                db.session.commit()
    except OperationError as exc:
        db.session.rollback()
        raise click.ClickException(f"{file}: {exc} No participant was imported.") from None
    except SQLAlchemyError as exc:
        db.session.rollback()
        raise click.ClickException(
            f"{file}: the database refused the import ({type(exc).__name__}: "
            f"{str(exc.orig if getattr(exc, 'orig', None) else exc).splitlines()[0]}); "
            "no participant was imported."
        ) from None
    if not preview.ok:
        for problem in preview.problems:
            click.echo(f"{file}:{problem}", err=True)
        click.echo(
            f"{len(preview.problems)} problem(s) found; no participant was imported.", err=True
        )
        raise SystemExit(1)
    stream = _open_output(output)
    try:
        participant_ops.write_links(
            [(item, item.token) for item in imported if item.token], stream, lang
        )
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
@LANGUAGE_OPTION
def links_command(campaign_id: int, output: Path | None, lang: str) -> None:
    """Print a personal link for everyone in CAMPAIGN_ID who has not submitted, as CSV.

    Links are stored only as hashes, so they cannot be printed again: this command adds a
    link for every participant who has not submitted yet (and is not revoked) and prints
    the new URLs, in the same CSV as the workspace's download (name, email, department,
    role, role_label, status, url). Links handed out before keep working, and so do sessions
    in progress. Participants who registered through the open link without an email are left
    out: they were shown their own link, which keeps working.
    """
    campaign = _campaign(campaign_id)
    text, count = participant_ops.links_csv(campaign, locale=lang)
    db.session.commit()
    stream = _open_output(output)
    try:
        stream.write(text)
    finally:
        if stream is not sys.stdout:
            stream.close()
    click.echo(f"{count} link(s) issued for campaign {campaign.id}.", err=True)


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


#: How the CLI names each kind an erasure counts.
ERASURE_LABELS = {
    "participants": "participant (name, e-mail and erased_at; the row stays for the counts)",
    "links": "personal links",
    "answers_kept": "answers kept as anonymous answers",
    "texts_edited": "free-text answers with the name or e-mail taken out",
    "import_records": "participant-import records",
    "outbox_messages": "outbox messages",
    "responses_deleted": "responses deleted",
    "answers_deleted": "answers deleted",
    "report_jobs": "report batches",
    "report_files": "report files",
}


def echo_erasure(erasure: Erasure, kinds: tuple[str, ...]) -> None:
    """Print the counts of ``kinds``, one line each."""
    counts = erasure.counts()
    for kind in kinds:
        click.echo(f"  {ERASURE_LABELS[kind]}: {counts[kind]}")


PARTICIPANT_KINDS = (
    "participants",
    "links",
    "answers_kept",
    "texts_edited",
    "import_records",
    "outbox_messages",
)


@participants_cli.command("erase")
@click.argument("campaign_id", type=int)
@click.argument("email")
@click.option("--dry-run", is_flag=True, help="Print what would be erased; change nothing.")
@operation
def erase_command(campaign_id: int, email: str, dry_run: bool) -> None:
    """Erase the personal data of the participant of CAMPAIGN_ID with EMAIL.

    Their name, e-mail address and links are removed everywhere (the participant row stays,
    anonymous, so that the counts hold); their answers stay as anonymous answers, so every
    figure of the results is unchanged. Their name and address are taken out of the
    campaign's free-text answers, and import records and outbox messages mentioning the
    address are deleted. Backups made before the erasure still hold the data: replace them.
    """
    campaign = get_campaign(campaign_id)
    participant = find_participant(campaign, email)
    if dry_run:
        click.echo(f"Would erase participant {participant.id} of campaign {campaign.id}:")
        echo_erasure(plan_participant_erasure(participant), PARTICIPANT_KINDS)
        click.echo("Dry run: nothing was changed.")
        return
    erasure = erase_participant(participant)
    click.echo(f"Erased participant {participant.id} of campaign {campaign.id}:")
    echo_erasure(erasure, PARTICIPANT_KINDS)
