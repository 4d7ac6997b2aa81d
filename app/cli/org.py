"""``flask org``: client organisations, their departments and their names in English."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli._support import NAME, operation
from app.models import INDUSTRIES, SIZE_BANDS, Department, Organization
from app.operations.organizations import (
    add_department,
    create_organization,
    rename_role,
    set_benchmark,
    set_english_name,
)
from app.operations.retention import set_retention
from app.queries.organizations import department_tree, get_organization, organizations

org_cli = AppGroup("org", help="Client organisations.")


@org_cli.command("create")
@click.argument("slug", type=NAME)
@click.option("--name", type=NAME, required=True, help="The organisation's display name.")
@click.option("--name-en", type=NAME, default=None, help="Its English name, for English reports.")
@click.option(
    "--departments", type=NAME, default="", help='Top-level departments, e.g. "Sales,IT,HR".'
)
@operation
def create_command(slug: str, name: str, name_en: str | None, departments: str) -> None:
    """Create an organisation SLUG with the default roles and optional departments."""
    names = [part.strip() for part in departments.split(",") if part.strip()]
    org = create_organization(slug, name, names, name_en=name_en)
    click.echo(
        f"Created {org.slug}: {org.name} ({len(names)} departments, {len(org.roles)} roles)."
    )


def _department(org: Organization, name: str) -> Department:
    """The organisation's department of that exact name (archived ones included)."""
    for dept in org.departments:
        if dept.name == name.strip():
            return dept
    known = ", ".join(d.name for d in org.departments) or "none"
    raise click.BadParameter(f"{org.slug} has no department named {name!r} (known: {known}).")


@org_cli.command("add-department")
@click.argument("slug")
@click.argument("name", type=NAME)
@click.option("--parent", default=None, help="The department it belongs to (its name).")
@click.option("--name-en", type=NAME, default=None, help="Its English name, for English reports.")
@operation
def add_department_command(slug: str, name: str, parent: str | None, name_en: str | None) -> None:
    """Add a department NAME to organisation SLUG."""
    org = get_organization(slug)
    dept = add_department(org, name, _department(org, parent) if parent else None, name_en=name_en)
    click.echo(f"Added department {dept.name} to {org.slug}.")


@org_cli.command("name-en")
@click.argument("slug")
@click.argument("english_name", type=NAME)
@click.option("--department", default=None, help="Name the department of this name instead.")
@click.option("--role", default=None, help="Name the role of this key instead.")
@operation
def name_en_command(slug: str, english_name: str, department: str | None, role: str | None) -> None:
    """Set the English name of organisation SLUG, or of one of its departments or roles.

    English reports and dashboards show it; "" removes an organisation's or department's
    English name (they then show the name as entered).
    """
    org = get_organization(slug)
    if department and role:
        raise click.UsageError("Give --department or --role, not both.")
    if role:
        found = next((r for r in org.roles if r.key == role), None)
        if found is None:
            known = ", ".join(r.key for r in org.roles)
            raise click.BadParameter(
                f"{org.slug} has no role {role!r} (known: {known}).", param_hint="--role"
            )
        if not english_name.strip():
            raise click.UsageError("A role always has an English name: give one.")
        rename_role(found, {"en": english_name})
        click.echo(f"Role {found.key}: {found.label('en')}.")
        return
    target: Organization | Department = _department(org, department) if department else org
    set_english_name(target, english_name)
    shown = target.name_en or f"none (shown as entered: {target.name})"
    click.echo(f"English name of {target.name}: {shown}.")


#: What ``--industry none`` and ``--size none`` stand for: no industry, no size band.
NONE = "none"


def benchmark_summary(org: Organization) -> str:
    """One line on the organisation's industry, size band and place in the benchmark."""
    joined = "joined" if org.benchmark_opt_in else "not joined"
    size = f"{org.size_band} employees" if org.size_band else NONE
    return f"Benchmark: {joined}; industry {org.industry or NONE}; size {size}."


def _setting(given: str | None, current: str | None) -> str | None:
    """A setting given on the command line (``none``: unset it), else the current one."""
    if given is None:
        return current
    return None if given == NONE else given


@org_cli.command("set-benchmark")
@click.argument("slug")
@click.option(
    "--industry",
    type=click.Choice([*INDUSTRIES, NONE]),
    default=None,
    help="The organisation's industry (none: not set).",
)
@click.option(
    "--size",
    "size_band",
    type=click.Choice([*SIZE_BANDS, NONE]),
    default=None,
    help="Its number of employees (none: not set).",
)
@click.option(
    "--opt-in/--opt-out",
    "opt_in",
    default=None,
    help="Join the benchmark (its scores join the anonymised pool, and it sees the pool's "
    "figures), or leave it.",
)
@operation
def set_benchmark_command(
    slug: str, industry: str | None, size_band: str | None, opt_in: bool | None
) -> None:
    """Set the industry, size band and benchmark participation of organisation SLUG.

    Left out, a setting stays as it is. The benchmark compares an organisation with the
    narrowest pool of at least five others that have joined: the same industry and size,
    else the same industry, else the same size, else all of them.
    """
    org = get_organization(slug)
    set_benchmark(
        org,
        industry=_setting(industry, org.industry),
        size_band=_setting(size_band, org.size_band),
        opt_in=org.benchmark_opt_in if opt_in is None else opt_in,
    )
    click.echo(f"{org.slug}: {benchmark_summary(org)}")


def _retention_days(value: str) -> int | None:
    if value.strip().lower() == NONE:
        return None
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither a number of days nor {NONE!r}", param_hint="DAYS"
        ) from None


@org_cli.command("set-retention")
@click.argument("slug")
@click.argument("days")
@operation
def set_retention_command(slug: str, days: str) -> None:
    """Keep participants' personal data of SLUG for DAYS days after a campaign closes.

    DAYS is a whole number of days (1-36500), or none to keep personal data until it is
    erased on request. `retention apply` (run daily) erases the names, e-mail addresses and
    links of the participants of campaigns closed longer ago; their answers stay, anonymous.
    """
    org = get_organization(slug)
    set_retention(org, _retention_days(days))
    kept = (
        f"{org.retention_days} days after a campaign closes"
        if org.retention_days
        else "until erased on request"
    )
    click.echo(f"{org.slug}: participants' personal data kept {kept}.")


@org_cli.command("list")
@operation
def list_command() -> None:
    """List organisations."""
    for org in organizations():
        click.echo(f"{org.slug}\t{org.name}\t{len(org.departments)} departments")


@org_cli.command("show")
@click.argument("slug")
@operation
def show_command(slug: str) -> None:
    """Show an organisation's departments (as a tree) and roles."""
    org = get_organization(slug)
    english = f" / {org.name_en}" if org.name_en else " (no English name)"
    click.echo(f"{org.name}{english} ({org.slug})")
    click.echo(benchmark_summary(org))
    click.echo("Departments:")
    for depth, dept in department_tree(org):
        archived = " [archived]" if dept.archived else ""
        english = f" / {dept.name_en}" if dept.name_en else " (no English name)"
        click.echo(f"  {'  ' * depth}{dept.name}{english}{archived}")
    click.echo("Roles:")
    for role in org.roles:
        labels = " / ".join(str(v) for v in role.labels.values())
        click.echo(f"  {role.key}: {labels}")
