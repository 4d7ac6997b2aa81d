"""Organisations, departments and roles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sqlalchemy import select

from app.models import (
    DEFAULT_ROLES,
    INDUSTRIES,
    NAME_LENGTH,
    SIZE_BANDS,
    Campaign,
    Department,
    Membership,
    Organization,
    Role,
    User,
)
from app.operations import audit
from app.operations.errors import N_, OperationError
from app.platform.extensions import db

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
ROLE_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_NAME_LENGTH = NAME_LENGTH


def _clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise OperationError(N_("A name is required."))
    if len(name) > MAX_NAME_LENGTH:
        raise OperationError(N_("The name is longer than %(n)d characters."), n=MAX_NAME_LENGTH)
    return name


def clean_english_name(name_en: str | None) -> str | None:
    """An English name trimmed, None when blank; too long raises OperationError."""
    name_en = (name_en or "").strip()
    if len(name_en) > MAX_NAME_LENGTH:
        raise OperationError(
            N_("The English name is longer than %(n)d characters."), n=MAX_NAME_LENGTH
        )
    return name_en or None


def set_english_name(
    target: Organization | Department | Campaign, name_en: str | None, *, actor: User | None = None
) -> None:
    """Give an organisation, department or campaign an English name (blank removes it)."""
    target.name_en = clean_english_name(name_en)
    db.session.flush()
    if isinstance(target, Campaign):
        audit.record("campaign.updated", campaign=target, user=actor)
    elif isinstance(target, Department):
        audit.record(
            "department.updated", organization=target.organization, user=actor, department=target.id
        )
    else:
        audit.record("organization.updated", organization=target, user=actor)


def check_slug(slug: str) -> str:
    """Return ``slug`` if it is a valid organisation slug, else raise OperationError."""
    if not SLUG_RE.match(slug or ""):
        raise OperationError(
            N_(
                "The slug %(slug)r must be lowercase letters, digits and hyphens "
                "(at most 64 characters)."
            ),
            slug=slug,
        )
    return slug


def create_organization(
    slug: str,
    name: str,
    departments: Iterable[str] = (),
    *,
    name_en: str | None = None,
    with_default_roles: bool = True,
    actor: User | None = None,
) -> Organization:
    """Create an organisation with the default roles and the given top-level departments.

    ``name_en`` is the name English reports show (without one they show ``name``).

    A consultant who creates an organisation gets consultant access to it; admins see every
    organisation anyway.
    """
    check_slug(slug)
    name = _clean_name(name)
    if db.session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        raise OperationError(N_("An organisation with slug %(slug)r already exists."), slug=slug)
    org = Organization(slug=slug, name=name, name_en=clean_english_name(name_en))
    db.session.add(org)
    if with_default_roles:
        for rank, (key, labels) in enumerate(DEFAULT_ROLES):
            org.roles.append(Role(key=key, labels=dict(labels), rank=rank))
    for name_ in departments:
        if name_.strip():
            add_department(org, name_.strip())
    db.session.flush()
    if actor is not None and not actor.is_admin:
        db.session.add(Membership(user_id=actor.id, organization_id=org.id, access="consultant"))
    audit.record("organization.created", organization=org, user=actor)
    return org


def update_organization(
    org: Organization,
    *,
    name: str,
    slug: str,
    name_en: str | None = None,
    actor: User | None = None,
) -> Organization:
    """Rename an organisation or change its slug (the slug must stay unique).

    ``name_en`` replaces the English name ("" removes it, None keeps it).
    """
    check_slug(slug)
    org.name = _clean_name(name)
    if name_en is not None:
        org.name_en = clean_english_name(name_en)
    if slug != org.slug:
        taken = db.session.scalar(
            select(Organization.id).where(Organization.slug == slug, Organization.id != org.id)
        )
        if taken is not None:
            raise OperationError(
                N_("An organisation with slug %(slug)r already exists."), slug=slug
            )
        org.slug = slug
    db.session.flush()
    audit.record("organization.updated", organization=org, user=actor)
    return org


def set_benchmark(
    org: Organization,
    *,
    industry: str | None,
    size_band: str | None,
    opt_in: bool,
    actor: User | None = None,
) -> Organization:
    """File an organisation under an industry and a size band (None or "": neither) and say
    whether it joins the benchmark: its scores then join the anonymised pool, and it sees
    the pool's figures. Audited when anything changes."""
    industry = industry or None
    size_band = size_band or None
    if industry is not None and industry not in INDUSTRIES:
        raise OperationError(
            N_("Unknown industry %(industry)r (known: %(known)s)."),
            industry=industry,
            known=", ".join(INDUSTRIES),
        )
    if size_band is not None and size_band not in SIZE_BANDS:
        raise OperationError(
            N_("Unknown size band %(band)r (known: %(known)s)."),
            band=size_band,
            known=", ".join(SIZE_BANDS),
        )
    settings = {"industry": industry, "size_band": size_band, "opt_in": bool(opt_in)}
    if settings == {
        "industry": org.industry,
        "size_band": org.size_band,
        "opt_in": bool(org.benchmark_opt_in),
    }:
        return org
    org.industry = industry
    org.size_band = size_band
    org.benchmark_opt_in = bool(opt_in)
    db.session.flush()
    audit.record("organization.benchmark_set", organization=org, user=actor, **settings)
    return org


def _check_parent(dept: Department | None, parent: Department | None, org: Organization) -> None:
    if parent is None:
        return
    if parent.organization_id != org.id and parent.organization is not org:
        raise OperationError(N_("A parent department must belong to the same organisation."))
    if parent.archived:
        raise OperationError(N_("An archived department cannot be a parent."))
    node: Department | None = parent
    while node is not None:
        if dept is not None and node is dept:
            raise OperationError(
                N_("A department cannot be nested under itself or one of its sub-departments.")
            )
        node = node.parent


def add_department(
    org: Organization,
    name: str,
    parent: Department | None = None,
    *,
    name_en: str | None = None,
    actor: User | None = None,
) -> Department:
    """Add a department, optionally nested under ``parent`` of the same organisation.

    Audited only when ``actor`` is given (a consultant's edit); departments created with
    their organisation or restored from a backup are covered by that event.
    """
    name = _clean_name(name)
    name_en = clean_english_name(name_en)
    if any(d.name == name for d in org.departments):
        raise OperationError(
            N_("Department %(name)r already exists in %(org)s."), name=name, org=org.name
        )
    _check_parent(None, parent, org)
    dept = Department(name=name, name_en=name_en, parent=parent, position=len(org.departments))
    org.departments.append(dept)
    db.session.flush()
    if actor is not None:
        audit.record("department.added", organization=org, user=actor, department=dept.id)
    return dept


def update_department(
    dept: Department,
    *,
    name: str,
    parent: Department | None,
    archived: bool | None = None,
    name_en: str | None = None,
    actor: User | None = None,
) -> Department:
    """Rename a department, move it under another parent (or to the top), archive it.

    Archived departments keep their participants and answers (results still show them) but
    are no longer offered for new participants. ``name_en`` replaces the English name (""
    removes it, None keeps it).
    """
    org = dept.organization
    name = _clean_name(name)
    if name_en is not None:
        dept.name_en = clean_english_name(name_en)
    if any(d.name == name and d is not dept for d in org.departments):
        raise OperationError(
            N_("Department %(name)r already exists in %(org)s."), name=name, org=org.name
        )
    _check_parent(dept, parent, org)
    dept.name = name
    dept.parent = parent
    if archived is not None:
        dept.archived = archived
    db.session.flush()
    if actor is not None:
        audit.record("department.updated", organization=org, user=actor, department=dept.id)
    return dept


def add_role(org: Organization, key: str, labels: Mapping[str, str]) -> Role:
    """Add a respondent role below the existing ones; ``labels`` maps locale to name."""
    key = (key or "").strip().lower()
    if not ROLE_KEY_RE.match(key):
        raise OperationError(
            N_(
                "The role key %(key)r must start with a letter and use only lowercase "
                "letters, digits and underscores."
            ),
            key=key,
        )
    if any(role.key == key for role in org.roles):
        raise OperationError(N_("A role with key %(key)r already exists."), key=key)
    clean = {locale: (text or "").strip() for locale, text in labels.items()}
    clean = {locale: text for locale, text in clean.items() if text}
    if not clean:
        raise OperationError(N_("The role needs a name."))
    rank = max((role.rank for role in org.roles), default=-1) + 1
    role = Role(key=key, labels=clean, rank=rank)
    org.roles.append(role)
    db.session.flush()
    return role


def rename_role(role: Role, labels: Mapping[str, str]) -> Role:
    """Change a role's display names per locale; empty names keep the previous one."""
    merged = dict(role.labels)
    for locale, text in labels.items():
        text = (text or "").strip()
        if text:
            if len(text) > MAX_NAME_LENGTH:
                raise OperationError(
                    N_("The name is longer than %(n)d characters."), n=MAX_NAME_LENGTH
                )
            merged[locale] = text
    role.labels = merged  # a new dict, so the JSON column is marked as changed
    db.session.flush()
    return role
