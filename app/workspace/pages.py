"""What the workspace's pages show: each function gathers one page's reads for its template."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from werkzeug.routing import BuildError

from app.analysis.anonymity import MINIMUM_POOL
from app.auth import access
from app.models import Campaign, Organization, User
from app.operations import audit, emails
from app.operations.campaigns import utc_to_local
from app.platform.i18n import current_locale
from app.queries.audit import campaign_events
from app.queries.campaigns import campaigns_of
from app.queries.organizations import (
    action_updaters_of,
    campaign_counts,
    department_tree,
    executives_of,
    names_without_english,
)
from app.queries.participants import participant_page
from app.queries.questionnaires import left_out
from app.questionnaire import estimate
from app.results import participation_by_campaign
from app.results.progress import campaign_progress
from app.workspace.forms import (
    CampaignForm,
    DepartmentForm,
    EmailForm,
    ExecutiveInviteForm,
    OrganizationSettingsForm,
    RoleForm,
)

#: Participants listed per page on the campaign page.
PAGE_SIZE = 100


def index_page(user: User) -> dict[str, Any]:
    """The organisations the user may see, with their number of campaigns."""
    orgs = access.visible_organizations(user)
    return {
        "orgs": orgs,
        "campaign_counts": campaign_counts([o.id for o in orgs]),
        "can_create": access.can_create_organizations(user),
        "show_portfolio": not access.is_executive_viewer(user),
        "show_audit_log": access.is_site_admin(user),
    }


def organization_page(user: User, org: Organization) -> dict[str, Any]:
    """An organisation's campaigns (newest first) with their progress, departments and roles."""
    campaigns = campaigns_of(org, newest_first=True)
    return {
        "org": org,
        "manage": access.can_manage(user, org.id),
        "campaigns": campaigns,
        "tree": department_tree(org),
        "department_form": DepartmentForm.for_organization(org),
        "role_form": RoleForm(prefix="role"),
        "progress": participation_by_campaign(campaigns),
        "untranslated": names_without_english(org),
    }


def organization_settings_page(
    org: Organization,
    form: OrganizationSettingsForm,
    invite: ExecutiveInviteForm | None = None,
) -> dict[str, Any]:
    """The organisation's name and slug, its benchmark settings, its executives and the form
    to invite one."""
    return {
        "org": org,
        "form": form,
        "minimum_pool": MINIMUM_POOL,
        "invite": invite or ExecutiveInviteForm(prefix="executive"),
        "executives": executives_of(org),
        "action_updaters": action_updaters_of(org),
    }


def staff_login_url() -> str:
    """The login page's address on ``CX_BASE_URL``, as the CLI prints it."""
    return current_app.config["CX_BASE_URL"].rstrip("/") + url_for("auth.login")


def new_campaign_page(org: Organization, form: CampaignForm) -> dict[str, Any]:
    """The new campaign form, with the library files it does not offer and why, and each
    questionnaire's questions and time as the welcome page states them."""
    locale = current_locale()
    return {
        "org": org,
        "form": form,
        "library": form.library,
        "estimates": {key: estimate(q, locale) for key, q in form.library.items()},
        "left_out": left_out(),
    }


def _optional_url(endpoint: str, **values: Any) -> str | None:
    """A link to another area (results, reports) when that area is installed."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _rate_class(rate: float, target: float) -> str:
    if rate >= target:
        return "rate-ok"
    if rate >= target * 0.6:
        return "rate-warn"
    return "rate-low"


def campaign_page(
    user: User, campaign: Campaign, *, status: str | None, page: int, search: str | None = None
) -> dict[str, Any]:
    """A campaign's progress; for those who manage it, its participants, log and emails.

    ``status`` filters the participant list, ``search`` finds people in it by name or email
    and ``page`` pages through it.
    """
    manage = access.can_manage(user, campaign.organization_id)
    target = float(current_app.config["CX_RESPONSE_RATE_TARGET"])
    context: dict[str, Any] = {
        "results_url": _optional_url("dashboard.overview", campaign_id=campaign.id),
        "reports_url": _optional_url("reports.index", campaign_id=campaign.id),
        "campaign": campaign,
        "org": campaign.organization,
        "manage": manage,
        "progress": campaign_progress(campaign),
        "target": target,
        "rate_class": lambda rate: _rate_class(rate, target),
        "local": utc_to_local,
        "untranslated": names_without_english(campaign.organization, campaign),
    }
    if manage:
        listed = participant_page(
            campaign, status=status, page=page, page_size=PAGE_SIZE, search=search
        )
        context.update(
            participants=listed.participants,
            participant_total=listed.total,
            page=listed.page,
            pages=listed.pages,
            status_filter=listed.status,
            search=listed.search,
            events=campaign_events(campaign),
            action_label=audit.action_label,
            email_form=EmailForm(),
            mail_configured=emails.mail_configured(),
            outbox=str(emails.outbox_dir()),
        )
    return context
