"""``flask org``: client organisations and their departments."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli._support import NAME, operation
from app.operations.organizations import create_organization
from app.queries.organizations import department_tree, get_organization, organizations

org_cli = AppGroup("org", help="Client organisations.")


@org_cli.command("create")
@click.argument("slug", type=NAME)
@click.option("--name", type=NAME, required=True, help="The organisation's display name.")
@click.option(
    "--departments", type=NAME, default="", help='Top-level departments, e.g. "Sales,IT,HR".'
)
@operation
def create_command(slug: str, name: str, departments: str) -> None:
    """Create an organisation SLUG with the default roles and optional departments."""
    names = [part.strip() for part in departments.split(",") if part.strip()]
    org = create_organization(slug, name, names)
    click.echo(
        f"Created {org.slug}: {org.name} ({len(names)} departments, {len(org.roles)} roles)."
    )


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
    click.echo(f"{org.name} ({org.slug})")
    click.echo("Departments:")
    for depth, dept in department_tree(org):
        archived = " [archived]" if dept.archived else ""
        click.echo(f"  {'  ' * depth}{dept.name}{archived}")
    click.echo("Roles:")
    for role in org.roles:
        labels = " / ".join(str(v) for v in role.labels.values())
        click.echo(f"  {role.key}: {labels}")
