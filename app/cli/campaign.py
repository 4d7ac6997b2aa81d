"""``flask campaign``: create, open, close, list, invite, back up and restore campaigns."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from app.cli._support import NAME, operation
from app.cli.participants import echo_erasure
from app.models.campaign import MIN_COMMENT_MINIMUM
from app.operations.backup import backup_campaign, restore_campaign
from app.operations.campaigns import (
    DEFAULT_TIMEZONE,
    close_campaign,
    copy_campaign,
    create_campaign,
    local_to_utc,
    open_campaign,
    pair_campaigns,
    reopen_campaign,
    set_targets,
    unpair_campaign,
)
from app.operations.emails import Delivery, send_invitations, send_reminders
from app.operations.erasure import erase_campaign, plan_campaign_erasure
from app.operations.organizations import set_english_name
from app.queries.campaigns import all_campaigns, get_campaign
from app.queries.organizations import get_organization
from app.queries.questionnaires import get_questionnaire
from app.results import participation_by_campaign

campaign_cli = AppGroup("campaign", help="Assessment campaigns.")


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


@campaign_cli.command("create")
@click.argument("org_slug")
@click.argument("questionnaire_id")
@click.option(
    "--name", type=NAME, required=True, help="The campaign's name, as respondents will see it."
)
@click.option("--name-en", type=NAME, default=None, help="Its English name, for English reports.")
@click.option(
    "--threshold", type=int, default=5, show_default=True, help="Anonymity threshold (3-10)."
)
@click.option(
    "--comment-minimum",
    type=int,
    default=MIN_COMMENT_MINIMUM,
    show_default=True,
    help="Fewest answerers a group needs for its free-text answers and themes to show (10-50).",
)
@click.option("--version", "version", default=None, help="Questionnaire version (default: latest).")
@click.option("--opens", default=None, help=f"Opening date YYYY-MM-DD ({DEFAULT_TIMEZONE}).")
@click.option("--closes", default=None, help=f"Closing date YYYY-MM-DD ({DEFAULT_TIMEZONE}).")
@click.option(
    "--individual-reports",
    is_flag=True,
    help="Respondents may download their own report from their link once it has closed.",
)
@operation
def create_command(
    org_slug: str,
    questionnaire_id: str,
    name: str,
    name_en: str | None,
    threshold: int,
    comment_minimum: int,
    version: str | None,
    opens: str | None,
    closes: str | None,
    individual_reports: bool,
) -> None:
    """Create a draft campaign; its id is printed on the last line."""
    org = get_organization(org_slug)
    questionnaire = get_questionnaire(questionnaire_id, version)
    campaign = create_campaign(
        org,
        questionnaire,
        name,
        threshold=threshold,
        comment_minimum=comment_minimum,
        opens_at=local_to_utc(_day(opens, "--opens")),
        closes_at=local_to_utc(_day(closes, "--closes")),
        individual_reports=individual_reports,
        name_en=name_en,
    )
    click.echo(
        f"Created draft campaign {campaign.name!r} in {org.slug} "
        f"({questionnaire.id} {questionnaire.version}, {len(questionnaire.items)} items)."
    )
    click.echo(campaign.id)


@campaign_cli.command("name-en")
@click.argument("campaign_id", type=int)
@click.argument("english_name", type=NAME)
@operation
def name_en_command(campaign_id: int, english_name: str) -> None:
    """Set the English name of a campaign ("" removes it: English reports then show the name
    as entered)."""
    campaign = get_campaign(campaign_id)
    set_english_name(campaign, english_name)
    shown = campaign.name_en or f"none (shown as entered: {campaign.name})"
    click.echo(f"English name of campaign {campaign.id}: {shown}.")


@campaign_cli.command("open")
@click.argument("campaign_id", type=int)
@operation
def open_command(campaign_id: int) -> None:
    """Open a draft campaign (or reopen a closed one)."""
    campaign = open_campaign(get_campaign(campaign_id))
    click.echo(f"Campaign {campaign.id} is open.")


@campaign_cli.command("targets")
@click.argument("campaign_id", type=int)
@click.argument("targets", nargs=-1)
@click.option("--clear", is_flag=True, help="Remove every target first.")
@operation
def targets_command(campaign_id: int, targets: tuple[str, ...], clear: bool) -> None:
    """Set target levels per dimension: DIMENSION=LEVEL ... (DIMENSION= removes one)."""
    campaign = get_campaign(campaign_id)
    wanted: dict[str, float | None] = {} if clear else dict(campaign.targets or {})
    for text in targets:
        dimension, sep, value = text.partition("=")
        if not sep or not dimension:
            raise click.BadParameter(f"{text!r}: write DIMENSION=LEVEL", param_hint="TARGETS")
        try:
            wanted[dimension] = float(value) if value.strip() else None
        except ValueError:
            raise click.BadParameter(
                f"{text!r}: {value!r} is not a number", param_hint="TARGETS"
            ) from None
    set_targets(campaign, wanted)
    shown = ", ".join(f"{k}={v:g}" for k, v in campaign.targets.items()) or "none"
    click.echo(f"Targets of campaign {campaign.id}: {shown}.")


@campaign_cli.command("reopen")
@click.argument("campaign_id", type=int)
@operation
def reopen_command(campaign_id: int) -> None:
    """Reopen a closed campaign."""
    campaign = reopen_campaign(get_campaign(campaign_id))
    click.echo(f"Campaign {campaign.id} is open again.")


@campaign_cli.command("close")
@click.argument("campaign_id", type=int)
@operation
def close_command(campaign_id: int) -> None:
    """Close an open campaign."""
    campaign = close_campaign(get_campaign(campaign_id))
    click.echo(f"Campaign {campaign.id} is closed.")


@campaign_cli.command("list")
@click.argument("org_slug", required=False)
@operation
def list_command(org_slug: str | None) -> None:
    """List campaigns (of one organisation when ORG_SLUG is given) with their progress."""
    campaigns = all_campaigns(get_organization(org_slug) if org_slug else None)
    if not campaigns:
        click.echo("No campaigns.")
        return
    counts = participation_by_campaign(campaigns)
    for campaign in campaigns:
        total = counts[campaign.id]
        click.echo(
            f"{campaign.id}\t{campaign.organization.slug}\t{campaign.status}\t"
            f"{campaign.questionnaire_id} {campaign.questionnaire_version}\t"
            f"{total.submitted}/{total.invited} submitted\t{campaign.name}"
        )


@campaign_cli.command("copy")
@click.argument("campaign_id", type=int)
@click.option("--name", type=NAME, required=True, help="The next round's name.")
@click.option("--version", default=None, help="A newer version of the same questionnaire.")
@operation
def copy_command(campaign_id: int, name: str, version: str | None) -> None:
    """Create the next round of a campaign (same participants, new links); prints its id last."""
    campaign = get_campaign(campaign_id)
    questionnaire = get_questionnaire(campaign.questionnaire_id, version) if version else None
    new = copy_campaign(campaign, name, questionnaire=questionnaire)
    click.echo(f"Created campaign {new.id} as the next round of {campaign.id}.")
    click.echo(new.id)


@campaign_cli.command("pair")
@click.argument("campaign_id", type=int)
@click.argument("other_id", type=int)
@operation
def pair_command(campaign_id: int, other_id: int) -> None:
    """Make OTHER_ID the companion campaign of CAMPAIGN_ID, and the reverse.

    Both campaigns belong to the same organisation and ask the other questionnaire kind (the
    five capabilities with the CX improvement cycle); each one's reports and dashboard then
    show the other's results. Either campaign's earlier companion is released.
    """
    campaign = get_campaign(campaign_id)
    other = get_campaign(other_id)
    pair_campaigns(campaign, other)
    click.echo(f"Campaigns {campaign.id} and {other.id} are companions.")


@campaign_cli.command("unpair")
@click.argument("campaign_id", type=int)
@operation
def unpair_command(campaign_id: int) -> None:
    """Release the companion campaign of CAMPAIGN_ID (on both sides)."""
    campaign = get_campaign(campaign_id)
    former = unpair_campaign(campaign)
    if former is None:
        click.echo(f"Campaign {campaign.id} has no companion campaign.")
    else:
        click.echo(f"Campaigns {campaign.id} and {former.id} are no longer companions.")


@campaign_cli.command("invite")
@click.argument("campaign_id", type=int)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.option("--resend", is_flag=True, help="Also email those invited before again.")
@operation
def invite_command(campaign_id: int, lang: str, resend: bool) -> None:
    """Email personal links to participants not yet invited."""
    delivery = send_invitations(get_campaign(campaign_id), locale=lang, resend=resend)
    _report(delivery)


@campaign_cli.command("remind")
@click.argument("campaign_id", type=int)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@operation
def remind_command(campaign_id: int, lang: str) -> None:
    """Remind participants who have not submitted (at most once a day each)."""
    _report(send_reminders(get_campaign(campaign_id), locale=lang))


def _report(delivery: Delivery) -> None:
    where = f"written to {delivery.outbox}" if delivery.mode == "outbox" else "sent by SMTP"
    click.echo(
        f"{delivery.sent} email(s) {where}; "
        f"{delivery.skipped} skipped (emailed in the last 24 hours)."
    )
    if delivery.failed:
        click.echo(f"{len(delivery.failed)} failed: {', '.join(delivery.failed)}", err=True)


@campaign_cli.command("backup")
@click.argument("campaign_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@operation
def backup_command(campaign_id: int, output: Path) -> None:
    """Write a full JSON backup of the campaign (no link tokens) to OUTPUT."""
    data = backup_campaign(get_campaign(campaign_id))
    output.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    click.echo(
        f"Wrote {output}: {len(data['participants'])} participants, "
        f"{len(data['responses'])} responses."
    )


@campaign_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_slug", required=True, help="The organisation to restore into.")
@operation
def restore_command(file: Path, org_slug: str) -> None:
    """Rebuild a campaign from a backup FILE inside organisation --org; prints its id last."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{file}: not a JSON backup ({exc})") from None
    campaign = restore_campaign(data, get_organization(org_slug))
    click.echo(
        f"Restored {campaign.name!r} into {org_slug} with new personal links "
        f"(hand them out again from the campaign page)."
    )
    click.echo(campaign.id)


CAMPAIGN_ERASURE_KINDS = (
    "responses_deleted",
    "answers_deleted",
    "participants",
    "links",
    "import_records",
    "report_jobs",
    "report_files",
    "outbox_messages",
)


@campaign_cli.command("erase")
@click.argument("campaign_id", type=int)
@click.option("--dry-run", is_flag=True, help="Print what would be deleted; change nothing.")
@operation
def erase_command(campaign_id: int, dry_run: bool) -> None:
    """Delete CAMPAIGN_ID's answers, participants, links, imports and reports.

    The campaign itself (its name, settings and audit log) stays, marked erased, and can no
    longer be opened; an open campaign must be closed first. Backups made before still hold
    the data: replace them.
    """
    campaign = get_campaign(campaign_id)
    if dry_run:
        click.echo(f"Erasing campaign {campaign.id} would remove:")
        echo_erasure(plan_campaign_erasure(campaign), CAMPAIGN_ERASURE_KINDS)
        click.echo("Dry run: nothing was changed.")
        return
    erasure = erase_campaign(campaign)
    click.echo(f"Erased campaign {campaign.id}:")
    echo_erasure(erasure, CAMPAIGN_ERASURE_KINDS)
