"""Identity providers for single sign-on: checked, added, changed by administrators.

Every value is checked before anything is written and a problem names its field. The
client secret is stored sealed (:mod:`app.platform.sealing`) or, left empty, read from the
environment (``CX_OIDC_SECRET_<KEY>``) so that it need not be in the database at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from app.models import IdentityProvider, Organization
from app.models.identity import (
    CLIENT_ID_LENGTH,
    ISSUER_LENGTH,
    PROVIDER_KEY_LENGTH,
    PROVIDER_NAME_LENGTH,
)
from app.platform.config import OIDC_SECRET_PREFIX
from app.platform.extensions import db
from app.platform.sealing import seal, unseal

KEY_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
SECRET_LENGTH = 500
#: The purpose client secrets are sealed for.
SEAL_PURPOSE = "oidc-client-secret"


@dataclass(frozen=True)
class ProviderProblem:
    field: str
    message: str


def secret_variable(key: str) -> str:
    """The environment variable that holds ``key``'s client secret when the database does not."""
    return OIDC_SECRET_PREFIX + key.upper().replace("-", "_")


def check_provider(
    raw: Mapping[str, Any], *, existing: IdentityProvider | None = None
) -> tuple[dict[str, Any], list[ProviderProblem]]:
    """The provider's values from ``raw`` (``key``, ``name``, ``issuer``, ``client_id``,
    ``client_secret``, ``organization``: a slug or empty), each problem naming its field."""
    found: dict[str, Any] = {}
    problems: list[ProviderProblem] = []

    def text(field: str, limit: int, *, required: bool = True) -> str | None:
        value = (raw.get(field) or "").strip()
        if not value:
            if required:
                problems.append(ProviderProblem(field, f"{field} is required"))
            return None
        if len(value) > limit:
            problems.append(ProviderProblem(field, f"{field} is longer than {limit} characters"))
            return None
        return value

    if existing is None:
        key = text("key", PROVIDER_KEY_LENGTH)
        if key is not None:
            if not KEY_RE.fullmatch(key):
                problems.append(ProviderProblem("key", "use lowercase letters, digits and hyphens"))
            elif db.session.scalar(select(IdentityProvider.id).where(IdentityProvider.key == key)):
                problems.append(ProviderProblem("key", f"{key!r} is already a provider's key"))
            else:
                found["key"] = key
    name = text("name", PROVIDER_NAME_LENGTH)
    if name is not None:
        found["name"] = name
    issuer = text("issuer", ISSUER_LENGTH)
    if issuer is not None:
        parts = urlsplit(issuer)
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.query:
            problems.append(
                ProviderProblem("issuer", "the issuer is an https:// address without a query")
            )
        else:
            found["issuer"] = issuer.rstrip("/")
    client_id = text("client_id", CLIENT_ID_LENGTH)
    if client_id is not None:
        found["client_id"] = client_id
    secret = text("client_secret", SECRET_LENGTH, required=False)
    if secret is not None:
        found["client_secret"] = secret
    slug = (raw.get("organization") or "").strip()
    if slug:
        org = db.session.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            problems.append(ProviderProblem("organization", f"no organisation {slug!r}"))
        else:
            found["organization_id"] = org.id
    else:
        found["organization_id"] = None
    return found, problems


def save_provider(
    values: Mapping[str, Any], provider: IdentityProvider | None = None
) -> IdentityProvider:
    """Add a provider, or change ``provider``, with values checked by :func:`check_provider`
    (an empty secret keeps the one stored)."""
    if provider is None:
        provider = IdentityProvider(key=values["key"], enabled=True)
        db.session.add(provider)
    for field in ("name", "issuer", "client_id", "organization_id"):
        if field in values:
            setattr(provider, field, values[field])
    if values.get("client_secret"):
        provider.client_secret_sealed = seal(values["client_secret"], SEAL_PURPOSE)
    db.session.flush()
    return provider


def client_secret(provider: IdentityProvider) -> str | None:
    """The provider's client secret: the one stored, else the environment's, else None."""
    if provider.client_secret_sealed:
        return unseal(provider.client_secret_sealed, SEAL_PURPOSE)
    secrets = current_app.config.get("OIDC_CLIENT_SECRETS") or {}
    return secrets.get(secret_variable(provider.key).removeprefix(OIDC_SECRET_PREFIX))


def providers_for_login() -> list[IdentityProvider]:
    """The enabled providers, by name, for the login page's buttons."""
    return list(
        db.session.scalars(
            select(IdentityProvider)
            .where(IdentityProvider.enabled.is_(True))
            .order_by(IdentityProvider.name)
        )
    )
