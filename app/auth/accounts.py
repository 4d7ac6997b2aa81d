"""Staff accounts: creation, passwords, access to organisations (shared by web and CLI)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select

from app.auth.passwords import check_password_policy, hash_password
from app.models import Membership, Organization, User
from app.models.user import ACCESS_LEVELS
from app.operations.errors import N_, OperationError
from app.platform.extensions import db

#: Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = ("admin", "consultant")


def normalise_email(email: str) -> str:
    """Lower-cased, stripped email; raise OperationError when it cannot be an address."""
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise OperationError(N_("%(email)r is not a valid email address."), email=email)
    return email


def find_user(email: str) -> User | None:
    """The account with that email (case-insensitive), or None."""
    return db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))


def get_user(email: str) -> User:
    """The account with that email; raise OperationError when there is none."""
    user = find_user(email)
    if user is None:
        raise OperationError(N_("No account with email %(email)s."), email=email)
    return user


def create_user(
    email: str,
    password: str,
    *,
    role: str = "consultant",
    organizations: Iterable[Organization] = (),
) -> User:
    """Create an active staff account; ``role`` is ``admin`` or ``consultant``.

    A consultant sees nothing until granted access to an organisation (or creates one). The
    password must not be guessable from the email address or the names of
    ``organizations`` (those the account is created for).
    """
    if role not in ROLES:
        raise OperationError(N_("The role must be admin or consultant."))
    email = normalise_email(email)
    if find_user(email) is not None:
        raise OperationError(N_("An account with email %(email)s already exists."), email=email)
    check_password_policy(password, email=email, context=organization_words(organizations))
    user = User(email=email, password_hash=hash_password(password), is_admin=role == "admin")
    user.active = True
    user.session_generation = 0
    db.session.add(user)
    db.session.flush()
    return user


def organization_words(organizations: Iterable[Organization]) -> list[str]:
    """The slugs and names of ``organizations``: words a password must not be built from."""
    return [text for org in organizations for text in (org.slug, org.name) if text]


def organizations_of(user: User) -> list[Organization]:
    """The organisations ``user`` has access to through a membership."""
    return list(
        db.session.scalars(
            select(Organization)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user.id)
        )
    )


def set_password(user: User, password: str) -> None:
    """Change the password and end every session of the account.

    The password must not be guessable from the email address or the names of the
    organisations the account has access to.
    """
    context = organization_words(organizations_of(user))
    check_password_policy(password, email=user.email, context=context)
    user.password_hash = hash_password(password)
    user.session_generation = (user.session_generation or 0) + 1
    db.session.flush()


def grant_access(user: User, org: Organization, access: str) -> Membership:
    """Give ``user`` consultant or executive access to ``org`` (replacing any previous level)."""
    if access not in ACCESS_LEVELS:
        raise OperationError(N_("The access level must be consultant or executive."))
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organization_id == org.id
        )
    )
    if membership is None:
        membership = Membership(user_id=user.id, organization_id=org.id, access=access)
        db.session.add(membership)
    membership.access = access
    db.session.flush()
    return membership
