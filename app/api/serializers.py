"""JSON shapes of the API's campaigns, built from the models and the results' counts.

The results document itself comes from :mod:`app.results.serialize`, shared with the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import url_for
from sqlalchemy import func, select

from app.models import Campaign, Department, Organization
from app.platform.extensions import db
from app.results import campaign_participation


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat()


def campaign_summary(campaign: Campaign, organization: Organization) -> dict[str, Any]:
    """A campaign as listed: identity, status, questionnaire and links."""
    return {
        "id": campaign.id,
        "name": campaign.name,
        "name_en": campaign.name_en,
        "status": campaign.status,
        "organization": {
            "slug": organization.slug,
            "name": organization.name,
            "name_en": organization.name_en,
        },
        "questionnaire": {
            "id": campaign.questionnaire_id,
            "version": campaign.questionnaire_version,
            "hash": campaign.questionnaire_hash,
        },
        "anonymity_threshold": campaign.anonymity_threshold,
        "comment_minimum": campaign.comment_minimum,
        "opens_at": _iso(campaign.opens_at),
        "closes_at": _iso(campaign.closes_at),
        "previous_campaign_id": campaign.previous_campaign_id,
        "links": {
            "self": url_for("api.campaign", campaign_id=campaign.id),
            "results": url_for("api.campaign_results_view", campaign_id=campaign.id),
            "responses_csv": url_for("api.responses_csv", campaign_id=campaign.id),
        },
    }


def campaign_detail(campaign: Campaign, organization: Organization) -> dict[str, Any]:
    """A campaign with its dimensions and its invitation and response counts."""
    questionnaire = campaign.questionnaire
    counts = campaign_participation(campaign)
    departments = db.session.scalar(
        select(func.count(Department.id)).where(
            Department.organization_id == campaign.organization_id
        )
    )
    detail = campaign_summary(campaign, organization)
    detail.update(
        {
            "questionnaire": {
                **detail["questionnaire"],
                "title": questionnaire.title.to_dict(),
                "scale": {"min": questionnaire.scale.min, "max": questionnaire.scale.max},
            },
            "dimensions": dimensions(questionnaire.dimensions),
            "counts": {
                "invited": counts.invited,
                "started": counts.started,
                "submitted": counts.submitted,
                "departments": int(departments or 0),
            },
        }
    )
    return detail


def dimensions(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"id": d.id, "kind": d.kind, "title": d.title.to_dict()} for d in items]
