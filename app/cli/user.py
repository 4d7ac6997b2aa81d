"""``flask user``: staff accounts, their access to organisations and API tokens."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth import mfa
from app.auth.accounts import create_user, get_user, grant_access, set_password
from app.auth.tokens import READ_ONLY, READ_WRITE, create_api_token
from app.cli._support import NAME, operation
from app.models import Membership, Organization, User
from app.operations.staff import invite_executive
from app.platform.extensions import db
from app.queries.organizations import get_organization

F = TypeVar("F", bound=Callable[..., Any])

user_cli = AppGroup("user", help="Staff accounts, access to organisations and API tokens.")


def _password_option() -> Callable[[F], F]:
    return click.option(
        "--password",
        default=None,
        help="Not recommended (visible in the process list): by default it is read from "
        "standard input when piped, or asked for twice on a terminal.",
    )


def _read_password(given: str | None) -> str:
    """The password from the option, a pipe (first line) or a hidden prompt."""
    if given is not None:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_cli.command("create")
@click.argument("email", type=NAME)
@click.option(
    "--role",
    type=click.Choice(["admin", "consultant"]),
    default="consultant",
    show_default=True,
    help="admin sees every organisation; a consultant only those granted to them.",
)
@_password_option()
@operation
def create_command(email: str, role: str, password: str | None) -> None:
    """Create a staff account (a password of at least 12 characters, hard to guess)."""
    user = create_user(email, _read_password(password), role=role)
    click.echo(f"Created {role} {user.email} (id {user.id}).")


@user_cli.command("password")
@click.argument("email")
@_password_option()
@operation
def password_command(email: str, password: str | None) -> None:
    """Set a new password; every session of the account ends."""
    set_password(get_user(email), _read_password(password))
    click.echo(f"Password changed for {email.strip().lower()}.")


@user_cli.command("grant")
@click.argument("email")
@click.argument("org_slug")
@click.argument("access", type=click.Choice(["consultant", "executive"]))
@click.option(
    "--update-actions/--no-update-actions",
    default=None,
    help="Let an executive update the status and notes of the organisation's actions.",
)
@operation
def grant_command(email: str, org_slug: str, access: str, update_actions: bool | None) -> None:
    """Give EMAIL consultant (full control) or executive (read-only results) access."""
    user = get_user(email)
    org = get_organization(org_slug)
    membership = grant_access(user, org, access)
    if update_actions is not None:
        membership.update_actions = update_actions
    extra = (
        " and may update its actions" if access == "executive" and membership.update_actions else ""
    )
    click.echo(f"{user.email} now has {access} access to {org.slug}{extra}.")


@user_cli.command("invite-executive")
@click.argument("email", type=NAME)
@click.argument("org_slug")
@operation
def invite_executive_command(email: str, org_slug: str) -> None:
    """Give EMAIL read-only access to ORG_SLUG's results, creating the account if needed.

    A new account's first password is printed once; the workspace's organisation settings
    page does the same.
    """
    org = get_organization(org_slug)
    invitation = invite_executive(org, email)
    base = current_app.config["CX_BASE_URL"].rstrip("/")
    if invitation.created:
        click.echo(
            f"Executive login for {org.slug}: {invitation.user.email} / {invitation.password}"
        )
        click.echo(f"Sign in at {base}/login (the password is shown only now).")
    else:
        click.echo(
            f"{invitation.user.email} can now see the results of {org.slug} (existing account)."
        )


@user_cli.command("token")
@click.argument("email")
@click.option("--name", type=NAME, default=None, help="A label to recognise the token later.")
@click.option(
    "--write",
    is_flag=True,
    help="Let the token also write through the API (participants, actions, outcomes) what "
    "its user may change; by default it only reads.",
)
@operation
def token_command(email: str, name: str | None, write: bool) -> None:
    """Create an API token; it is printed once, on the last line, and stored only hashed."""
    user = get_user(email)
    token = create_api_token(user, name, READ_WRITE if write else READ_ONLY)
    scopes = "read and write" if write else "read-only"
    click.echo(f"API token for {user.email}, {scopes} (shown once, store it now):")
    click.echo(token)


@user_cli.command("mfa")
@click.argument("email")
@click.option(
    "--require/--no-require",
    default=None,
    help="Require two-factor login for this account (it enrols at its next password login), "
    "or stop requiring it (CX_MFA_REQUIRED still applies to consultants and admins).",
)
@click.option(
    "--reset",
    is_flag=True,
    help="Remove the account's two-factor secret and recovery codes (a lost phone): it logs "
    "in with its password alone, or enrols again if two-factor login is required for it.",
)
@operation
def mfa_command(email: str, require: bool | None, reset: bool) -> None:
    """Two-factor login of EMAIL: require it, reset it, or (with no option) show its state."""
    user = get_user(email)
    if reset:
        mfa.reset(user)
        click.echo(f"Two-factor login reset for {user.email}.")
    if require is not None:
        mfa.set_required(user, require)
    state = "on" if mfa.is_enabled(user) else "off"
    required = "required" if mfa.enrolment_required(user) else "not required"
    click.echo(f"{user.email}: two-factor login {state}, {required}.")


@user_cli.command("list")
@operation
def list_command() -> None:
    """List accounts with their role and access."""
    users = db.session.scalars(select(User).order_by(User.email)).all()
    for user in users:
        grants = db.session.execute(
            select(Organization.slug, Membership.access)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user.id)
            .order_by(Organization.slug)
        ).all()
        role = "admin" if user.is_admin else "consultant"
        state = "" if user.active else " (inactive)"
        access = ", ".join(f"{slug}:{level}" for slug, level in grants) or "-"
        click.echo(f"{user.email}\t{role}{state}\t{access}")
