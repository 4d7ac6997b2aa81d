"""``flask rules`` (validate report rules and recommendations), ``flask results show`` and
``flask results findings``."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from app.analysis.actions import check_owners_file, horizon_label
from app.analysis.findings import check_rules_file
from app.analysis.recommendations import check_recommendations_file
from app.models import Campaign
from app.platform.extensions import db
from app.queries.organizations import find_department
from app.queries.questionnaires import available_questionnaires
from app.results import (
    OWNERS_FILE,
    RECOMMENDATIONS_FILE,
    RULES_FILE,
    CampaignResults,
    campaign_results,
)
from app.results.comments import comment_themes
from app.results.serialize import (
    GroupByError,
    findings_document,
    parse_group_by,
    results_document,
)

rules_cli = AppGroup("rules", help="Validate report rules and recommendations.")
results_cli = AppGroup("results", help="Show a campaign's computed results.")


def known_dimensions() -> dict[str, str]:
    """Dimension id -> kind, over every questionnaire the library offers."""
    known: dict[str, str] = {}
    for questionnaire in available_questionnaires():
        for dimension in questionnaire.dimensions:
            known.setdefault(dimension.id, dimension.kind)
    return known


def _file_kind(path: Path) -> str:
    """``owners``, ``recommendations`` or ``rules``: what a file holds, by its top-level key
    (``owners:``, ``dimensions:`` or ``rules:``), else by its name."""
    by_name = "rules"
    for kind in ("owners", "recommendations"):
        if path.name.startswith(kind.rstrip("s")):
            by_name = kind
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, YAMLError):
        return by_name
    if isinstance(data, dict) and "rules" not in data:
        if "owners" in data:
            return "owners"
        if "dimensions" in data:
            return "recommendations"
    return by_name


@rules_cli.command("validate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def validate_command(files: tuple[Path, ...]) -> None:
    """Check report rule, recommendation and owner FILES; print problems as FILE:LINE:COL.

    Without FILES, checks owners.yaml, rules.yaml and recommendations.yaml in CX_REPORTS_DIR.
    Dimension ids are checked against the questionnaires in CX_QUESTIONNAIRE_DIR; the owner
    of every action against the owners file given (or, without one, CX_REPORTS_DIR's).
    """
    directory = Path(current_app.config["CX_REPORTS_DIR"])
    if not files:
        files = (directory / OWNERS_FILE, directory / RULES_FILE, directory / RECOMMENDATIONS_FILE)
    kinds = {path: _file_kind(path) for path in files}
    owners_path = next((p for p in files if kinds[p] == "owners"), directory / OWNERS_FILE)
    owners, owner_problems = check_owners_file(owners_path)
    known_owners = None if owners is None else tuple(owners.owners)
    known = known_dimensions() or None
    invalid = 0
    problem_count = 0
    for path in files:
        if kinds[path] == "owners":
            found, problems = (
                (owners, owner_problems) if path == owners_path else (check_owners_file(path))
            )
            summary = None if found is None else f"{len(found.owners)} owners"
        elif kinds[path] == "recommendations":
            catalogue, problems = check_recommendations_file(path, known, known_owners)
            summary = None if catalogue is None else f"{len(catalogue.entries)} dimensions"
        else:
            rules, problems = check_rules_file(path, known, known_owners)
            summary = None if rules is None else f"{len(rules.rules)} rules"
        for problem in problems:
            click.echo(str(problem))
        if summary is None:
            invalid += 1
            problem_count += len(problems)
        else:
            click.echo(f"{path}: ok ({summary})")
    if invalid:
        noun = "problem" if problem_count == 1 else "problems"
        files_noun = "file" if invalid == 1 else "files"
        click.echo(f"{problem_count} {noun} in {invalid} {files_noun}.", err=True)
        click.get_current_context().exit(1)


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _print_results(results: CampaignResults, breakdowns: Sequence[str]) -> None:
    text = results.text
    click.echo(
        f"{results.campaign_name} (campaign {results.campaign_id}, {results.status}) - "
        f"{results.questionnaire.id} {results.questionnaire.version}, "
        f"threshold {results.anonymity_threshold}"
    )
    counts = results.response_counts.total
    click.echo(f"invited {counts.invited}, started {counts.started}, submitted {counts.submitted}")
    for breakdown in breakdowns:
        click.echo("")
        header = ["group", "n"] + [d.id for d in results.dimensions]
        rows = [header]
        for group in results.groups(breakdown):
            row = [text(group.label), "-" if group.n is None else str(group.n)]
            for dimension in results.dimensions:
                if group.status != "ok":
                    row.append(group.status)
                    continue
                cell = group.scores[dimension.id]
                row.append(_number(cell.mean) if cell.shown else cell.status)
            rows.append(row)
        widths = [max(_width(r[i]) for r in rows) for i in range(len(header))]
        for row in rows:
            click.echo(
                "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row))
            )
    significant = [gap for gap in results.gaps if gap.significant]
    if significant:
        click.echo("")
        click.echo("significant gaps:")
        for gap in significant:
            click.echo(
                f"  {gap.breakdown} {gap.dimension}: {text(gap.a_label)} - {text(gap.b_label)} "
                f"= {gap.difference:+.2f} (g {_number(gap.hedges_g)}, "
                f"p adj {_number(gap.p_adjusted, 4)}, {text(gap.direction_label)})"
            )
    if results.findings:
        click.echo("")
        click.echo("findings:")
        for finding in results.findings:
            click.echo(f"  [{finding.severity}] {finding.rule}: {text(finding.text)}")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


#: The ``--group-by`` value that selects no breakdown (the API's ``group_by`` left out).
NO_GROUPING = "none"


@results_cli.command("show")
@click.argument("campaign_id", type=int)
@click.option(
    "--group-by",
    "group_by",
    default=None,
    help=(
        "Tables: the breakdowns to print after the organisation, comma separated: role, "
        "department, role_department (default role,department). With --json: the API's "
        "group_by, one of none, role, department or role,department (the role-by-department "
        "breakdown); default none."
    ),
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the API's results document (GET /api/v1/campaigns/ID/results) as JSON.",
)
@click.option("--locale", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
def show_command(campaign_id: int, group_by: str | None, as_json: bool, locale: str) -> None:
    """Compute and print the results of campaign CAMPAIGN_ID (anonymity rules applied)."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign with id {campaign_id}")
    results = campaign_results(campaign, locale=locale)
    if as_json:
        try:
            grouping = parse_group_by(None if group_by == NO_GROUPING else group_by)
        except GroupByError as exc:
            raise click.BadParameter(str(exc), param_hint="--group-by") from exc
        document = results_document(results, grouping)
        click.echo(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True))
        return
    breakdowns = ["organization"]
    parts = "" if group_by == NO_GROUPING else (group_by or "role,department")
    for part in (p.strip() for p in parts.split(",") if p.strip()):
        if part not in ("role", "department", "role_department"):
            raise click.BadParameter(
                f"unknown breakdown {part!r}; use role, department or role_department",
                param_hint="--group-by",
            )
        breakdowns.append(part)
    _print_results(results, breakdowns)


def _department_named(campaign: Campaign, department_name: str | None) -> int | None:
    """The id of the campaign's department named ``department_name`` (None for none given);
    a usage error listing the departments when there is no such department."""
    if department_name is None:
        return None
    found = find_department(campaign.organization, department_name)
    if found is None:
        names = ", ".join(d.name for d in campaign.organization.departments if not d.archived)
        raise click.BadParameter(
            f"no department named {department_name!r} in {campaign.organization.name}; "
            f"departments: {names or '(none)'}",
            param_hint="--department",
        )
    return found.id


@results_cli.command("themes")
@click.argument("campaign_id", type=int)
@click.option(
    "--department",
    "department_name",
    metavar="NAME",
    help="The themes of one department's answers (its exact name) instead of everyone's.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the API's document (GET /api/v1/campaigns/ID/comments/themes) as JSON.",
)
@click.option("--locale", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
def themes_command(
    campaign_id: int, department_name: str | None, as_json: bool, locale: str
) -> None:
    """Print the themes of campaign CAMPAIGN_ID's open answers, with counts by role and by
    department and examples."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign with id {campaign_id}")
    department = _department_named(campaign, department_name)
    version = campaign_results(campaign).data_version
    document = comment_themes(campaign, version, department).document()
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True))
        return
    click.echo(f"{campaign.name}: {department_name or campaign.organization.name}")
    click.echo(f"themes shown for groups of at least {document['minimum_group']} answerers")
    names = {row["id"]: row["label"][locale] for row in document["departments"]}
    for question in document["questions"]:
        if question["answers"] is None:
            click.echo(f"{question['question']}: too few answers to show")
            continue
        click.echo(f"{question['question']}: {question['answers']} answers")
        for theme in question["themes"]:
            roles = ", ".join(
                f"{key} {'-' if count is None else count}"
                for key, count in theme["by_role"].items()
            )
            click.echo(f"  {theme['id']} {theme['label'][locale]} ({theme['count']}; {roles})")
            if theme["by_department"]:
                parts = ", ".join(
                    f"{names[int(key)]} {'-' if count is None else count}"
                    for key, count in theme["by_department"].items()
                )
                click.echo(f"     {parts}")
            for example in theme["examples"]:
                click.echo(f"     「{example}」" if locale == "ja" else f'     "{example}"')


@results_cli.command("findings")
@click.argument("campaign_id", type=int)
@click.option(
    "--department",
    "department_name",
    metavar="NAME",
    help="The diagnosis of one department (its exact name) instead of the organisation's.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the API's findings document (GET /api/v1/campaigns/ID/findings) as JSON.",
)
@click.option("--locale", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
def findings_command(
    campaign_id: int, department_name: str | None, as_json: bool, locale: str
) -> None:
    """Print the key messages, gaps and bottleneck verdict of campaign CAMPAIGN_ID."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign with id {campaign_id}")
    department = _department_named(campaign, department_name)
    document = findings_document(campaign_results(campaign, locale=locale), department)
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True))
        return
    scope = department_name or campaign.organization.name
    click.echo(f"{campaign.name}: {scope}")
    if document["status"] != "ok":
        click.echo(f"  no diagnosis ({document['status']})")
        return
    if not document["key_messages"]:
        click.echo("  no key message: no rule holds for these figures")
    for number, message in enumerate(document["key_messages"], start=1):
        click.echo(f"{number}. [{message['severity']}] {message['headline'][locale]}")
        click.echo(f"   {message['detail'][locale]}")
        for entry in message["evidence"]:
            subject = entry.get("item") or entry.get("dimension") or ""
            group = ", ".join(f"{k}={v}" for k, v in entry["group"].items()) or "organisation"
            change = f" ({entry['change']:+.2f})" if "change" in entry else ""
            value = f"{entry['value']:.2f}"
            if entry.get("measure") == "dont_know_rate":
                value = f"{entry['value']:.0%} don't know"
            click.echo(f"   - {subject} {group}: {value}{change} (n={entry['n']})")
        if message["recommendation"]:
            advice = message["recommendation"]
            click.echo(f"   -> [{advice['scope']}] {advice['text'][locale]}")
            click.echo(
                f"      {advice['owner_label'][locale]} / "
                f"{horizon_label(advice['horizon'], locale)} / {advice['measure'][locale]}"
            )
    bottleneck = document["bottleneck"]
    click.echo(f"bottleneck: {bottleneck['verdict']} {bottleneck['stage'] or ''}".rstrip())
