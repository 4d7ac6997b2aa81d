"""Single sign-on set-up and its refusals: the providers page is for site administrators,
its form names the field at fault and seals the secret; the account matching links by
verified e-mail only, never grants access, and keeps a per-organisation provider to that
organisation's staff; the callback explains a provider's refusal and a state that does not
match. (The whole trip through a real provider is the browser test.)"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.sso import SignInRefused, account_for
from app.models import IdentityProvider, Membership, UserIdentity
from app.operations.identity_providers import client_secret, save_provider, secret_variable
from app.platform.extensions import db
from tests.factories import grant, make_org, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


def _provider(key: str = "corp-idp", org_id: int | None = None) -> IdentityProvider:
    provider = save_provider(
        {
            "key": key,
            "name": "Corp ID",
            "issuer": "https://id.example.com",
            "client_id": "cx",
            "client_secret": "very-secret",
            "organization_id": org_id,
        }
    )
    db.session.commit()
    return provider


def test_the_providers_page_is_for_site_administrators(app) -> None:
    make_user("sso-admin@example.com", role="admin")
    consultant = make_user("sso-consultant@example.com")
    grant(consultant, make_org("sso-org"), "consultant")
    plain = make_client(app)
    assert login(plain, "sso-consultant@example.com").status_code == 302
    assert plain.get("/workspace/sso").status_code == 404

    admin = make_client(app)
    assert login(admin, "sso-admin@example.com").status_code == 302
    token = csrf_token(admin, "/workspace/sso")
    fields = {
        "csrf_token": token,
        "key": "Corp IdP",
        "name": "Corp ID",
        "issuer": "ftp://id.example.com",
        "client_id": "cx",
        "client_secret": "very-secret",
        "organization": "sso-org",
    }
    refused = admin.post("/workspace/sso", data=fields)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "use lowercase letters, digits and hyphens" in html
    assert "https:// address" in html
    assert db.session.scalar(select(IdentityProvider)) is None
    saved = admin.post(
        "/workspace/sso", data={**fields, "key": "corp-idp", "issuer": "https://id.example.com/"}
    )
    assert saved.status_code == 302
    provider = db.session.scalar(select(IdentityProvider))
    assert provider.issuer == "https://id.example.com"
    assert provider.organization_id is not None
    # Sealed: the stored value is not the secret, and opens to it.
    assert "very-secret" not in (provider.client_secret_sealed or "")
    assert client_secret(provider) == "very-secret"
    page = admin.get("/workspace/sso").get_data(as_text=True)
    assert "/login/sso/corp-idp/callback" in page
    # The login page offers its button; disabled, it is gone.
    assert "/login/sso/corp-idp" in make_client(app).get("/login").get_data(as_text=True)
    admin.post(f"/workspace/sso/{provider.id}/enabled", data={"csrf_token": token, "enabled": "0"})
    assert "/login/sso/corp-idp" not in make_client(app).get("/login").get_data(as_text=True)
    assert make_client(app).get("/login/sso/corp-idp").status_code == 404


def test_a_secret_from_the_environment(app) -> None:
    provider = save_provider(
        {
            "key": "env-idp",
            "name": "Env ID",
            "issuer": "https://id.example.com",
            "client_id": "cx",
            "organization_id": None,
        }
    )
    assert secret_variable("env-idp") == "CX_OIDC_SECRET_ENV_IDP"
    assert client_secret(provider) is None
    app.config["OIDC_CLIENT_SECRETS"] = {"ENV_IDP": "from-env"}
    assert client_secret(provider) == "from-env"


@pytest.fixture
def in_request(app):
    """The refusals are messages in the reader's language: read in a request."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.usefixtures("in_request")
def test_accounts_are_matched_by_verified_email_and_never_granted(app) -> None:
    provider = _provider()
    executive = make_user("exec@bank.example")
    org = make_org("sso-bank")
    grant(executive, org, "executive")
    claims = {"sub": "abc", "email": "EXEC@bank.example", "email_verified": True}
    with pytest.raises(SignInRefused, match="did not confirm"):
        account_for(provider, {**claims, "email_verified": False})
    with pytest.raises(SignInRefused, match="did not confirm"):
        account_for(provider, {"sub": "abc", "email": "exec@bank.example"})
    with pytest.raises(SignInRefused, match=r"nobody@bank\.example"):
        account_for(provider, {**claims, "email": "nobody@bank.example"})
    with pytest.raises(SignInRefused, match="did not say who"):
        account_for(provider, {**claims, "sub": ""})
    assert account_for(provider, claims) == executive
    link = db.session.scalar(select(UserIdentity))
    assert (link.user_id, link.subject) == (executive.id, "abc")
    # Later logins follow the link, even when the provider's e-mail changed.
    assert account_for(provider, {"sub": "abc", "email": "new@bank.example"}) == executive
    # Access still comes only from the grant.
    assert db.session.scalars(select(Membership.access)).all() == ["executive"]
    executive.active = False
    with pytest.raises(SignInRefused, match="disabled"):
        account_for(provider, claims)


@pytest.mark.usefixtures("in_request")
def test_an_organisations_provider_serves_only_its_staff(app) -> None:
    bank = make_org("sso-bank")
    other = make_org("sso-other")
    provider = _provider("bank-idp", bank.id)
    outsider = make_user("outsider@other.example")
    grant(outsider, other, "executive")
    with pytest.raises(SignInRefused, match="another organisation"):
        account_for(provider, {"sub": "x", "email": outsider.email, "email_verified": True})
    insider = make_user("insider@bank.example")
    grant(insider, bank, "executive")
    assert account_for(provider, {"sub": "y", "email": insider.email, "email_verified": "true"})


def test_the_callback_explains_refusals(app) -> None:
    _provider()
    client = make_client(app)
    refused = client.get("/login/sso/corp-idp/callback?error=access_denied")
    assert refused.status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert "Corp ID did not sign you in (access_denied)." in page
    # A state this browser never started: not a login.
    forged = client.get("/login/sso/corp-idp/callback?code=abc&state=forged")
    assert forged.status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert "could not be completed" in page
    assert client.get("/dashboard/").status_code == 302
    assert make_client(app).get("/login/sso/nobody/callback").status_code == 404
