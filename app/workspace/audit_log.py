"""The audit log for site administrators: the newest events, filtered by organisation, and
the whole log as CSV."""

from __future__ import annotations

from flask import abort, render_template, request, stream_with_context
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app.auth import access
from app.models import Organization
from app.operations.audit import action_label
from app.operations.campaigns import utc_to_local
from app.platform.extensions import db
from app.queries.audit import recent_events, stream_csv
from app.workspace import common
from app.workspace.blueprint import bp

#: Events listed on the page; the CSV holds them all.
PAGE_EVENTS = 200


def _filtered_organization() -> Organization | None:
    """The organisation of the ``org`` filter (a slug), None for all; unknown: 404."""
    slug = request.args.get("org") or None
    if slug is None:
        return None
    org = db.session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        abort(404)
    return org


@bp.get("/audit")
def audit_log() -> str:
    access.require_site_admin(common.user())
    organization = _filtered_organization()
    return render_template(
        "workspace/audit_log.html",
        events=recent_events(organization, limit=PAGE_EVENTS),
        organizations=db.session.scalars(select(Organization).order_by(Organization.name)),
        selected=organization,
        page_events=PAGE_EVENTS,
        action_label=action_label,
        local=utc_to_local,
    )


@bp.get("/audit.csv")
def audit_log_csv() -> BaseResponse:
    access.require_site_admin(common.user())
    organization = _filtered_organization()
    name = f"audit-log-{organization.slug}.csv" if organization else "audit-log.csv"
    return common.download(
        stream_with_context(stream_csv(organization)), "text/csv; charset=utf-8", name
    )
