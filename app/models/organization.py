"""Client organisations, their departments (a hierarchy) and their respondent roles."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.campaign import Campaign
    from app.models.user import Membership

#: The roles every new organisation starts with, ordered from the top of the hierarchy down.
DEFAULT_ROLES: tuple[tuple[str, dict[str, str]], ...] = (
    ("executive", {"ja": "経営層", "en": "Executive"}),
    ("middle_manager", {"ja": "ミドルマネジメント", "en": "Middle management"}),
    ("frontline", {"ja": "現場", "en": "Front line"}),
)

#: The length limit of every organisation, department and campaign name, in each language.
NAME_LENGTH = 200

#: The locale whose outputs read the English names.
ENGLISH = "en"

#: The industries an organisation may be filed under for the benchmark, by key (their names
#: are in ``app.presentation.organizations``).
INDUSTRIES: tuple[str, ...] = (
    "banking",
    "insurance",
    "securities",
    "retail",
    "manufacturing",
    "telecom",
    "it_services",
    "healthcare",
    "public",
    "other",
)
#: Size bands by number of employees, smallest first.
SIZE_BANDS: tuple[str, ...] = ("1-99", "100-999", "1000-4999", "5000+")


def _one_of(column: str, keys: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{key}'" for key in keys)
    return f"{column} IS NULL OR {column} IN ({listed})"


class Named(Protocol):
    """Anything with a name as entered and an optional English name."""

    @property
    def name(self) -> str: ...

    @property
    def name_en(self) -> str | None: ...


def pick_name(name: str, name_en: str | None, locale: str | None) -> str:
    """The English name in English when there is one, else the name as entered."""
    if locale == ENGLISH and name_en:
        return name_en
    return name


def display_name(named: Named, locale: str | None) -> str:
    """The name of an organisation, department or campaign a reader in ``locale`` sees."""
    return pick_name(named.name, named.name_en, locale)


def name_labels(name: str, name_en: str | None) -> dict[str, str]:
    """A name in both languages, English falling back to the name as entered."""
    return {"ja": name, ENGLISH: pick_name(name, name_en, ENGLISH)}


def lacks_english(named: Named) -> bool:
    """Whether English outputs show this name as entered, for want of an English name."""
    return not named.name_en


class Organization(Base):
    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint(_one_of("industry", INDUSTRIES), name="industry"),
        CheckConstraint(_one_of("size_band", SIZE_BANDS), name="size_band"),
        CheckConstraint("retention_days IS NULL OR retention_days > 0", name="retention_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    #: The name English outputs show; without one they show ``name`` as entered.
    name_en: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: One of :data:`INDUSTRIES`; the benchmark compares with the same industry when it can.
    industry: Mapped[str | None] = mapped_column(String(32))
    #: One of :data:`SIZE_BANDS` (employees); the benchmark compares within it when it can.
    size_band: Mapped[str | None] = mapped_column(String(16))
    #: The organisation's scores join the anonymised benchmark pool, and only then does it
    #: see the pool's figures.
    benchmark_opt_in: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    #: Days after a campaign closes until its participants' names, e-mails and links are
    #: erased (their answers stay, anonymous); None keeps them until erased on request.
    retention_days: Mapped[int | None] = mapped_column(Integer)

    departments: Mapped[list[Department]] = relationship(
        back_populates="organization",
        cascade="all, delete-orphan",
        order_by=lambda: DEPARTMENT_ORDER,
    )
    roles: Mapped[list[Role]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", order_by="Role.rank"
    )
    campaigns: Mapped[list[Campaign]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"


class Department(Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    #: The enclosing department; a parent's results include all its descendants.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    #: The name English outputs show; without one they show ``name`` as entered.
    name_en: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    organization: Mapped[Organization] = relationship(back_populates="departments")
    parent: Mapped[Department | None] = relationship(
        remote_side="Department.id", back_populates="children"
    )
    children: Mapped[list[Department]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<Department {self.name}>"


def role_labels(labels: Mapping[str, Any], key: str) -> dict[str, str]:
    """A role's name in every language: its own, else Japanese, else English, else its key.

    Names in languages other than Japanese and English are kept as they are.
    """
    names = {str(locale): str(name) for locale, name in labels.items() if name}
    for locale in ("ja", "en"):
        names.setdefault(locale, names.get("ja") or names.get("en") or key)
    return names


def role_label(labels: Mapping[str, Any], key: str, locale: str) -> str:
    """A role's name in ``locale``, falling back as :func:`role_labels` does."""
    names = role_labels(labels, key)
    return names.get(locale) or names["ja"]


#: The order of departments in queries: position, then name, then id (as
#: :func:`app.analysis.tree.display_key`, which orders them as a tree).
DEPARTMENT_ORDER = (Department.position, Department.name, Department.id)


class Role(Base):
    __tablename__ = "role"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    #: Stable machine name such as ``frontline``; labels may be renamed freely.
    key: Mapped[str] = mapped_column(String(64))
    #: Display names per locale, e.g. ``{"ja": "現場", "en": "Front line"}``.
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Position in the hierarchy, 0 at the top; gaps are labelled by it.
    rank: Mapped[int] = mapped_column(Integer, default=0)

    organization: Mapped[Organization] = relationship(back_populates="roles")

    def label(self, locale: str) -> str:
        """The role's name in ``locale`` (see :func:`role_label`)."""
        return role_label(self.labels, self.key, locale)

    def __repr__(self) -> str:
        return f"<Role {self.key}>"
