"""Staff invited to an organisation from the workspace and the CLI (one write each, audited)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from app.auth.accounts import create_user, find_user, grant_access, normalise_email
from app.models import Membership, Organization, User
from app.operations import audit
from app.operations.errors import N_, OperationError
from app.platform.extensions import db


@dataclass(frozen=True)
class ExecutiveInvitation:
    """The invited account and, when it was created now, its first password (shown once)."""

    user: User
    password: str | None

    @property
    def created(self) -> bool:
        return self.password is not None


def new_password() -> str:
    """A random first password (about 96 bits): never stored or logged in clear."""
    return secrets.token_urlsafe(12)


def invite_executive(
    org: Organization, email: str, *, actor: User | None = None
) -> ExecutiveInvitation:
    """Give ``email`` read-only (executive) access to ``org``'s results.

    A new address gets an account with a random first password, returned once for the
    inviter to hand over; an existing account keeps its password. An address that already
    has access to ``org`` (or is an administrator) is refused with a message saying so.
    """
    email = normalise_email(email)
    user = find_user(email)
    password = None
    if user is None:
        password = new_password()
        user = create_user(email, password, organizations=[org])
    elif user.is_admin:
        raise OperationError(
            N_("%(email)s is an administrator and already sees every organisation."), email=email
        )
    else:
        level = db.session.scalar(
            select(Membership.access).where(
                Membership.user_id == user.id, Membership.organization_id == org.id
            )
        )
        if level == "executive":
            raise OperationError(
                N_("%(email)s can already see the results of %(org)s."), email=email, org=org.name
            )
        if level is not None:
            raise OperationError(
                N_("%(email)s is already a consultant of %(org)s."), email=email, org=org.name
            )
    grant_access(user, org, "executive")
    audit.record(
        "executive.invited",
        organization=org,
        user=actor,
        account_id=user.id,
        new_account=password is not None,
    )
    return ExecutiveInvitation(user, password)


def set_action_updates(
    org: Organization, user_id: int, allowed: bool, *, actor: User | None = None
) -> Membership:
    """Let an executive of ``org`` update the status and notes of its actions, or stop it.

    Raises :class:`OperationError` when ``user_id`` is not one of its executives.
    """
    membership = db.session.scalar(
        select(Membership).where(
            Membership.organization_id == org.id,
            Membership.user_id == user_id,
            Membership.access == "executive",
        )
    )
    if membership is None:
        raise OperationError(N_("This account is not an executive of the organisation."))
    if membership.update_actions != allowed:
        membership.update_actions = allowed
        db.session.flush()
        audit.record(
            "executive.action_updates",
            organization=org,
            user=actor,
            executive_id=user_id,
            allowed=allowed,
        )
    return membership
