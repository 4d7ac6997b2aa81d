"""Accounts and their access to organisations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
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
    from app.models.organization import Organization

ACCESS_LEVELS = ("consultant", "executive")


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased so that look-ups are case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Site administrators see every organisation.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Bumped at logout and password change; a session cookie carrying an older value is void.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The two-factor (TOTP) secret, encrypted with a key derived from SECRET_KEY
    #: (``app.auth.mfa``); set from the start of enrolment, in use once ``mfa_enabled_at`` is.
    mfa_secret: Mapped[str | None] = mapped_column(String(255))
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Two-factor login required for this account whatever ``CX_MFA_REQUIRED`` says.
    mfa_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The 30-second time step of the last code accepted: a code of that step or an earlier
    #: one is refused (a replayed code).
    mfa_last_step: Mapped[int | None] = mapped_column(Integer)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "organization_id"),
        CheckConstraint("access IN ('consultant', 'executive')", name="access"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    #: ``consultant`` (full control) or ``executive`` (read-only results).
    access: Mapped[str] = mapped_column(String(16))
    #: An executive who may also update the status and notes of the organisation's actions.
    update_actions: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships")


class ApiToken(Base):
    """A personal API token; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    #: What the token may do, space-separated: ``read``, or ``read write`` for the API's
    #: writes (tokens made before scopes existed are read-only).
    scopes: Mapped[str] = mapped_column(String(32), default="read", server_default="read")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        """The token's scopes as a set."""
        return frozenset(self.scopes.split())


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator app; only its keyed hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: HMAC-SHA256 of the normalised code under a key derived from SECRET_KEY.
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
