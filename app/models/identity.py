"""Single sign-on: the OpenID Connect providers staff may log in through, and the accounts
linked to a provider's user.

A provider is configured by an administrator, for every organisation or for one. An account
is linked the first time its owner logs in through a provider with a verified e-mail address
that an existing account uses; access to organisations still comes only from grants.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow

PROVIDER_KEY_LENGTH = 40
PROVIDER_NAME_LENGTH = 100
ISSUER_LENGTH = 500
CLIENT_ID_LENGTH = 200


class IdentityProvider(Base):
    __tablename__ = "identity_provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: In the provider's login address (``/login/sso/<key>``) and its secret's variable.
    key: Mapped[str] = mapped_column(String(PROVIDER_KEY_LENGTH), unique=True)
    #: On the login button ("Log in with <name>").
    name: Mapped[str] = mapped_column(String(PROVIDER_NAME_LENGTH))
    issuer: Mapped[str] = mapped_column(String(ISSUER_LENGTH))
    client_id: Mapped[str] = mapped_column(String(CLIENT_ID_LENGTH))
    #: The client secret, sealed (None: taken from the environment, ``CX_OIDC_SECRET_<KEY>``).
    client_secret_sealed: Mapped[str | None] = mapped_column(Text)
    #: The one organisation whose staff it serves (None: every organisation).
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<IdentityProvider {self.key}>"


class UserIdentity(Base):
    """An account linked to one provider's user (its ``sub``)."""

    __tablename__ = "user_identity"
    __table_args__ = (UniqueConstraint("provider_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("identity_provider.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str] = mapped_column(String(255))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    provider: Mapped[IdentityProvider] = relationship()
