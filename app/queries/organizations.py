"""Reads of organisations, their departments and roles."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select

from app.analysis import tree
from app.models import (
    Campaign,
    Department,
    Membership,
    Organization,
    Role,
    User,
    lacks_english,
)
from app.operations.errors import N_, OperationError
from app.platform.extensions import db


def get_organization(slug: str) -> Organization:
    """The organisation with that slug; raise OperationError when there is none."""
    org = db.session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise OperationError(N_("No organisation with slug %(slug)r."), slug=slug)
    return org


def organizations() -> list[Organization]:
    """Every organisation, by slug (unscoped: CLI use)."""
    return list(db.session.scalars(select(Organization).order_by(Organization.slug)))


def campaign_counts(org_ids: Collection[int]) -> dict[int, int]:
    """How many campaigns each of these organisations has (organisations with none left out)."""
    rows = db.session.execute(
        select(Campaign.organization_id, func.count(Campaign.id))
        .where(Campaign.organization_id.in_(list(org_ids)))
        .group_by(Campaign.organization_id)
    ).all()
    return dict(rows)


def find_role(org: Organization, key_or_label: str) -> Role | None:
    """A role by its key (``frontline``) or its label in any locale (``現場``)."""
    wanted = key_or_label.strip()
    for role in org.roles:
        if role.key == wanted or wanted.casefold() == role.key.casefold():
            return role
    for role in org.roles:
        if any(
            str(label).strip().casefold() == wanted.casefold() for label in role.labels.values()
        ):
            return role
    return None


def department_of(organization_id: int, department_id: int) -> Department | None:
    """The department with that id if it belongs to the organisation; None otherwise."""
    return db.session.scalar(
        select(Department).where(
            Department.id == department_id, Department.organization_id == organization_id
        )
    )


def find_department(org: Organization, name: str) -> Department | None:
    """An active department by its exact name."""
    wanted = name.strip()
    for dept in org.departments:
        if dept.name == wanted and not dept.archived:
            return dept
    return None


def names_without_english(org: Organization, campaign: Campaign | None = None) -> list[str]:
    """The names English reports and dashboards show as entered, for want of an English name.

    The organisation's, its active departments' and, for the organisation, its campaigns';
    for one ``campaign``, that campaign's and those of its previous and companion rounds.
    """
    named: list[Organization | Department | Campaign] = [org]
    if campaign is None:
        named.extend(
            db.session.scalars(
                select(Campaign).where(Campaign.organization_id == org.id).order_by(Campaign.id)
            )
        )
    else:
        named.append(campaign)
        for other in (campaign.previous_campaign, campaign.companion_campaign):
            if other is not None and other.organization_id == org.id:
                named.append(other)
    named.extend(dept for _depth, dept in department_tree(org) if not dept.archived)
    return list(dict.fromkeys(item.name for item in named if lacks_english(item)))


def department_tree(
    org: Organization, *, include_archived: bool = True
) -> list[tuple[int, Department]]:
    """Departments in display order as ``(depth, department)``, children under their parent."""
    depts = [d for d in org.departments if include_archived or not d.archived]
    return [(depth, dept) for dept, depth in tree.department_tree(depts).ordered]


def executives_of(org: Organization) -> list[User]:
    """The accounts with executive (read-only results) access to ``org``, by email."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id == org.id, Membership.access == "executive")
            .order_by(User.email)
        )
    )


def action_updaters_of(org: Organization) -> set[int]:
    """The ids of ``org``'s executives who may update the status and notes of its actions."""
    return set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.organization_id == org.id,
                Membership.access == "executive",
                Membership.update_actions.is_(True),
            )
        )
    )
