"""The one place where organisation data is scoped to the caller.

Every view, export and API endpoint that touches an organisation's data goes through these
functions; an object of an organisation the user may not see is reported as not found (404),
never as forbidden, so its existence is not revealed.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, select

from app.models import Campaign, Department, Membership, Organization, Participant, Role, User
from app.platform.extensions import db

#: Access levels that may change an organisation's set-up and see participant identities.
MANAGE = "consultant"
#: Access levels that may read results.
READ = ("consultant", "executive")


def access_level(user: User, organization_id: int) -> str | None:
    """``admin``, ``consultant``, ``executive`` or None for this user and organisation."""
    if not user or not getattr(user, "is_authenticated", False) or not user.active:
        return None
    if user.is_admin:
        return "admin"
    return db.session.scalar(
        select(Membership.access).where(
            Membership.user_id == user.id, Membership.organization_id == organization_id
        )
    )


def can_manage(user: User, organization_id: int) -> bool:
    return access_level(user, organization_id) in ("admin", MANAGE)


def can_update_actions(user: User, organization_id: int) -> bool:
    """Whether ``user`` may update the status and notes of the organisation's actions:
    its consultants and admins, and executives granted it."""
    level = access_level(user, organization_id)
    if level in ("admin", MANAGE):
        return True
    return level == "executive" and bool(
        db.session.scalar(
            select(Membership.update_actions).where(
                Membership.user_id == user.id, Membership.organization_id == organization_id
            )
        )
    )


def organizations_query(user: User, *, manage: bool = False) -> Select[tuple[Organization]]:
    """The organisations the user may see (or manage), as a query to refine."""
    query = select(Organization).order_by(Organization.name)
    if user.is_admin:
        return query
    levels = (MANAGE,) if manage else READ
    return query.join(Membership, Membership.organization_id == Organization.id).where(
        Membership.user_id == user.id, Membership.access.in_(levels)
    )


def visible_organizations(user: User) -> list[Organization]:
    """The organisations the user may see, by name."""
    return list(db.session.scalars(organizations_query(user)))


def campaigns_query(user: User, *, manage: bool = False) -> Select[tuple[Campaign]]:
    """The campaigns the user may see (or manage), as a query to refine."""
    query = select(Campaign).order_by(Campaign.id)
    if user.is_admin:
        return query
    levels = (MANAGE,) if manage else READ
    return query.join(Membership, Membership.organization_id == Campaign.organization_id).where(
        Membership.user_id == user.id, Membership.access.in_(levels)
    )


def organization_or_404(user: User, slug: str, *, manage: bool = False) -> Organization:
    org = db.session.scalar(
        organizations_query(user, manage=manage).where(Organization.slug == slug)
    )
    if org is None:
        abort(404)
    return org


def campaign_or_404(user: User, campaign_id: int, *, manage: bool = False) -> Campaign:
    campaign = db.session.scalar(
        campaigns_query(user, manage=manage).where(Campaign.id == campaign_id)
    )
    if campaign is None:
        abort(404)
    return campaign


def participant_or_404(user: User, participant_id: int) -> Participant:
    """Participants carry names and emails: consultants and admins only."""
    participant = db.session.scalar(
        select(Participant)
        .join(Campaign, Campaign.id == Participant.campaign_id)
        .where(
            Participant.id == participant_id,
            Campaign.id.in_(campaigns_query(user, manage=True).with_only_columns(Campaign.id)),
        )
    )
    if participant is None:
        abort(404)
    return participant


def can_see_identities(user: User, organization_id: int) -> bool:
    """Participant names and emails: the organisation's consultants and admins, not executives."""
    return can_manage(user, organization_id)


def can_create_organizations(user: User) -> bool:
    """Admins, and staff who are not executive viewers only (a new consultant starts with none)."""
    if not user or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.is_admin:
        return True
    levels = set(db.session.scalars(select(Membership.access).where(Membership.user_id == user.id)))
    return not levels or MANAGE in levels


def is_executive_viewer(user: User) -> bool:
    """Staff whose every access is executive (read-only results): their home is the dashboard.

    Admins, consultants and staff with no access yet start in the workspace.
    """
    if not user or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.is_admin:
        return False
    levels = set(db.session.scalars(select(Membership.access).where(Membership.user_id == user.id)))
    return levels == {"executive"}


def home_endpoint(user: User) -> str:
    """Where a signed-in user starts: executives on their dashboard, others in the workspace."""
    return "dashboard.index" if is_executive_viewer(user) else "workspace.index"


def department_or_404(user: User, department_id: int) -> Department:
    """A department of an organisation the user manages."""
    department = db.session.scalar(
        select(Department).where(
            Department.id == department_id,
            Department.organization_id.in_(
                organizations_query(user, manage=True).with_only_columns(Organization.id)
            ),
        )
    )
    if department is None:
        abort(404)
    return department


def role_or_404(user: User, role_id: int) -> Role:
    """A role of an organisation the user manages."""
    role = db.session.scalar(
        select(Role).where(
            Role.id == role_id,
            Role.organization_id.in_(
                organizations_query(user, manage=True).with_only_columns(Organization.id)
            ),
        )
    )
    if role is None:
        abort(404)
    return role


def is_site_admin(user: User) -> bool:
    """Whether ``user`` is an active site administrator."""
    return bool(user and getattr(user, "is_authenticated", False) and user.active and user.is_admin)


def require_site_admin(user: User) -> None:
    """Pages for site administrators only (the whole audit log): a 404 for anyone else."""
    if not is_site_admin(user):
        abort(404)
