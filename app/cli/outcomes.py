"""``flask outcomes``: customer outcomes (NPS answers, CSAT, CES, churn, ARPA, gross margin)
per organisation, department and period."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from app.cli._support import operation
from app.operations.outcomes import CSV_COLUMNS, parse_outcomes, save_outcomes
from app.queries.organizations import get_organization
from app.results.outcomes import organization_outcomes

outcomes_cli = AppGroup("outcomes", help="Customer outcomes beside the assessments.")


@outcomes_cli.command("import")
@click.argument("org_slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@operation
def import_command(org_slug: str, file: Path) -> None:
    """Import the customer outcomes of organisation ORG_SLUG from FILE (CSV).

    Columns: department (empty: the whole organisation), period (2026, 2026-H1, 2026-Q3 or
    2026-04), then nps_0 ... nps_10 or promoters, passives, detractors, and any of csat,
    ces, churn_rate, arpa, gross_margin. UTF-8 or Shift_JIS. A record for a department and
    period already stored replaces the figures the file gives. Every problem is reported with
    its line and column, and any problem means nothing is imported (exit 1).
    """
    org = get_organization(org_slug)
    preview = parse_outcomes(org, file.read_bytes())
    if not preview.ok:
        for problem in preview.problems:
            click.echo(f"{file}:{problem}", err=True)
        click.echo(f"{len(preview.problems)} problem(s) found; no outcome was imported.", err=True)
        raise SystemExit(1)
    saved = save_outcomes(org, preview.records, source="cli")
    click.echo(f"Imported {len(saved)} outcome record(s) into {org.slug} ({preview.encoding}).")


@outcomes_cli.command("list")
@click.argument("org_slug")
@click.option("--json", "as_json", is_flag=True, help="Print the API's document as JSON.")
@operation
def list_command(org_slug: str, as_json: bool) -> None:
    """Print the customer outcomes of ORG_SLUG with NPS (and its 95% interval) and LTV."""
    org = get_organization(org_slug)
    found = organization_outcomes(org)
    if as_json:
        document = {"outcomes": [item.document() for item in found]}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True))
        return
    if not found:
        click.echo(f"{org.slug}: no outcome recorded (columns: {', '.join(CSV_COLUMNS)}).")
        return
    for item in found:
        where = item.department["ja"] if item.department else org.name
        parts = []
        shown = item.document()
        if shown["nps"] is not None:
            low, high = shown["nps_ci95"]
            parts.append(
                f"NPS {shown['nps']:+.1f} [{low:+.1f}, {high:+.1f}] n={shown['nps_answers']}"
            )
        elif shown["nps_answers"] is not None:
            parts.append(f"NPS not shown (n={shown['nps_answers']} < 30)")
        for name in ("csat", "ces", "churn_rate", "arpa", "gross_margin"):
            if item.values[name] is not None:
                parts.append(f"{name} {item.values[name]:g}")
        if item.ltv is not None:
            parts.append(f"LTV {item.ltv:,.0f}")
        click.echo(f"{item.period} {where}: " + "; ".join(parts))
