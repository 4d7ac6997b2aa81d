"""``flask sso``: the OpenID Connect providers staff may log in through."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli._support import operation
from app.models import IdentityProvider, Organization
from app.operations.errors import OperationError
from app.operations.identity_providers import check_provider, save_provider, secret_variable
from app.platform.extensions import db

sso_cli = AppGroup("sso", help="Single sign-on: OpenID Connect identity providers.")


@sso_cli.command("add")
@click.argument("key")
@click.option("--name", required=True, help="Shown on the login button.")
@click.option("--issuer", required=True, help="The provider's issuer URL.")
@click.option("--client-id", required=True)
@click.option(
    "--secret-from-stdin",
    is_flag=True,
    help="Read the client secret from stdin and store it sealed (else CX_OIDC_SECRET_<KEY>).",
)
@click.option("--org", "org_slug", default=None, help="Serve only this organisation's staff.")
@operation
def add_command(
    key: str, name: str, issuer: str, client_id: str, secret_from_stdin: bool, org_slug: str | None
) -> None:
    """Add the identity provider KEY (lowercase letters, digits and hyphens)."""
    secret = click.get_text_stream("stdin").readline().strip() if secret_from_stdin else ""
    values, problems = check_provider(
        {
            "key": key,
            "name": name,
            "issuer": issuer,
            "client_id": client_id,
            "client_secret": secret,
            "organization": org_slug or "",
        }
    )
    if problems:
        raise OperationError("; ".join(f"{p.field}: {p.message}" for p in problems))
    provider = save_provider(values)
    where = "its stored secret" if secret else f"the secret in {secret_variable(provider.key)}"
    click.echo(f"Identity provider {provider.key} added; it signs in with {where}.")


@sso_cli.command("list")
def list_command() -> None:
    """The identity providers, one per line."""
    rows = db.session.execute(
        select(IdentityProvider, Organization.slug)
        .outerjoin(Organization, Organization.id == IdentityProvider.organization_id)
        .order_by(IdentityProvider.key)
    )
    for provider, slug in rows:
        state = "enabled" if provider.enabled else "disabled"
        click.echo(f"{provider.key}\t{provider.name}\t{provider.issuer}\t{slug or '*'}\t{state}")


@sso_cli.command("enable")
@click.argument("key")
@click.option("--off", is_flag=True, help="Disable it instead (its button goes).")
@operation
def enable_command(key: str, off: bool) -> None:
    """Enable (or with --off disable) the identity provider KEY."""
    provider = db.session.scalar(select(IdentityProvider).where(IdentityProvider.key == key))
    if provider is None:
        raise OperationError(f"No identity provider {key!r}.")
    provider.enabled = not off
    click.echo(f"Identity provider {key} {'disabled' if off else 'enabled'}.")
