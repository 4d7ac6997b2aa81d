"""``flask report``: render a campaign's diagnostic PDF reports."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.models import Campaign, Department
from app.platform.extensions import db
from app.platform.lazy import lazy_module
from app.reporting.jobs import BatchFolderError, TargetResult, cpu_count, run_batch
from app.reporting.processes import app_factory
from app.reporting.service import ReportUnavailableError, render_html, render_pdf

#: The batch's progress bar and summary table: only ``report batch`` draws them.
rich_console = lazy_module("rich.console")
rich_progress = lazy_module("rich.progress")
rich_table = lazy_module("rich.table")

report_cli = AppGroup("report", help="Render diagnostic PDF reports.")

LANGUAGES = click.Choice(["ja", "en"])


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign with id {campaign_id}")
    return campaign


def _department(campaign: Campaign, name: str) -> Department:
    departments = db.session.scalars(
        select(Department).where(Department.organization_id == campaign.organization_id)
    ).all()
    for department in departments:
        if department.name == name or str(department.id) == name:
            return department
    known = ", ".join(d.name for d in departments) or "none"
    raise click.ClickException(
        f"campaign {campaign.id} has no department {name!r} (departments: {known})"
    )


@report_cli.command("render")
@click.argument("campaign_id", type=int)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The PDF file to write.",
)
@click.option("--department", help="A department's name (or id): its report instead.")
@click.option("--lang", type=LANGUAGES, default="ja", show_default=True)
@click.option("--html", "as_html", is_flag=True, help="Write the report's HTML instead.")
@click.option(
    "--technical-note",
    is_flag=True,
    help="Write the report's technical note instead: versions, the statistics behind every "
    "verdict and the full methodology (not part of the client report).",
)
def render_command(
    campaign_id: int,
    output: Path,
    department: str | None,
    lang: str,
    as_html: bool,
    technical_note: bool,
) -> None:
    """Render the organisation (or one department's) report of CAMPAIGN_ID."""
    campaign = _campaign(campaign_id)
    scope = _department(campaign, department) if department else None
    started = time.perf_counter()
    options = {"department": scope, "locale": lang, "technical_note": technical_note}
    try:
        if as_html:
            output.write_text(render_html(campaign, **options).html, "utf-8")
        else:
            output.write_bytes(render_pdf(campaign, **options))
    except ReportUnavailableError as exc:
        raise click.ClickException(str(exc)) from None
    size = output.stat().st_size
    click.echo(f"wrote {output} ({size / 1024:.0f} KiB in {time.perf_counter() - started:.1f} s)")


@report_cli.command("batch")
@click.argument("campaign_id", type=int)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the PDFs into (created if missing).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: the number of CPUs).",
)
@click.option("--lang", type=LANGUAGES, default="ja", show_default=True)
@click.option(
    "--resume",
    is_flag=True,
    help="Keep the reports already complete in the folder; render only the missing ones.",
)
def batch_command(
    campaign_id: int, output: Path, jobs: int | None, lang: str, resume: bool
) -> None:
    """Render the organisation report and one per department of CAMPAIGN_ID in parallel.

    Every PDF is written under a temporary name and renamed when complete, so after a failed
    or interrupted run ``--resume`` renders only what is missing.
    """
    campaign = _campaign(campaign_id)
    workers = jobs or cpu_count()
    console = rich_console.Console(stderr=True)
    started = time.perf_counter()
    with rich_progress.Progress(
        rich_progress.TextColumn("[bold]{task.description}"),
        rich_progress.BarColumn(),
        rich_progress.MofNCompleteColumn(),
        rich_progress.TimeElapsedColumn(),
        console=console,
        transient=False,
        # Redrawn on each event rather than by a thread of its own: a process running a
        # single thread starts the batch's workers as copies of itself.
        auto_refresh=False,
    ) as progress:
        task = progress.add_task("reports", total=None)

        def on_start(targets: list, skipped: list[str]) -> None:
            progress.update(task, total=len(targets), refresh=True)
            for name in skipped:
                progress.console.print(f"[yellow]skipped[/] {name}: below the anonymity threshold")

        def on_result(result: TargetResult) -> None:
            if not result.ok:
                progress.console.print(f"[red]failed[/] {result.target.label}: {result.error}")
            progress.advance(task)
            progress.refresh()

        try:
            results = run_batch(
                campaign,
                output,
                jobs=workers,
                locale=lang,
                resume=resume,
                on_start=on_start,
                on_result=on_result,
                app_factory=app_factory(),
            )
        except BatchFolderError as exc:
            raise click.ClickException(str(exc)) from None
    table = rich_table.Table(
        title=f"campaign {campaign.id}: {len(results)} reports, {workers} jobs"
    )
    for column in ("report", "status", "seconds", "peak MB", "file"):
        # Long department names and file names wrap rather than being cut short.
        table.add_column(column, overflow="fold")
    # The peak memory of the process that rendered each report: its worker's so far, or
    # this process's when the reports were rendered here.
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for result in results:
        status = "[green]ok[/]" if result.ok else "[red]failed[/]"
        peak = result.peak_memory_mb if result.peak_memory_mb is not None else own_peak
        if result.reused:
            status, peak = "[cyan]reused[/]", None
        table.add_row(
            result.target.label,
            status,
            f"{result.seconds:.1f}",
            "-" if peak is None else f"{peak:.0f}",
            result.target.filename,
        )
    console.print(table)
    failed = sum(not result.ok for result in results)
    reused = sum(result.reused for result in results)
    written = len(results) - failed - reused
    elapsed = time.perf_counter() - started
    counts = f"{written} written, {reused} reused," if resume else f"{written} written,"
    click.echo(f"{counts} {failed} failed in {elapsed:.1f} s to {output}")
    if failed:
        click.echo("run it again with --resume to render only the missing reports", err=True)
        click.get_current_context().exit(1)
