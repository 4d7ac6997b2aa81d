"""``flask responses``: import responses from CSV and export them as CSV or XLSX."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.cli._support import operation
from app.operations.exports import ExportOptions, record_export, stream
from app.operations.response_import import import_responses
from app.queries.campaigns import get_campaign

responses_cli = AppGroup("responses", help="Import and export campaign responses.")


@responses_cli.command("import")
@click.argument("campaign_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@operation
def import_command(campaign_id: int, file: Path) -> None:
    """Import FILE (the export's CSV shape); nothing is imported unless every row is valid."""
    campaign = get_campaign(campaign_id)
    preview, count = import_responses(campaign, file.read_bytes())
    if not preview.ok:
        for problem in preview.problems:
            click.echo(f"{file}:{problem}", err=True)
        raise click.ClickException(
            f"{len(preview.problems)} problem(s) in {file}; nothing was imported."
        )
    click.echo(f"Imported {count} responses into campaign {campaign.id}.")


@responses_cli.command("export")
@click.argument("campaign_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None)
@click.option("--with-identities", is_flag=True, help="Add participants' names and emails.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@operation
def export_command(
    campaign_id: int, output: Path, fmt: str | None, with_identities: bool, lang: str
) -> None:
    """Export submitted responses, one row per response (format from --format or the suffix)."""
    campaign = get_campaign(campaign_id)
    fmt = fmt or ("xlsx" if output.suffix.lower() == ".xlsx" else "csv")
    options = ExportOptions(with_identities=with_identities, locale=lang)
    with output.open("wb") as handle:
        for chunk in stream(campaign, options, fmt):
            handle.write(chunk)
    record_export(campaign, fmt, options)
    click.echo(f"Wrote {output}.")
