"""JSON shapes of the API, built from models and from the one results object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import url_for
from sqlalchemy import func, select

from app.models import Campaign, Department, Organization, Participant, Response
from app.platform.extensions import db
from app.results import CampaignResults, GapResult, GroupResult, ScoreCell

#: Accepted ``group_by`` values and the breakdown each one selects.
GROUP_BY_CHOICES: Mapping[tuple[str, ...], str] = {
    (): "organization",
    ("role",): "role",
    ("department",): "department",
    ("role", "department"): "role_department",
}


class GroupByError(ValueError):
    """An invalid ``group_by`` query parameter, with a message saying what is wrong."""


def parse_group_by(raw: str | None) -> tuple[str, ...]:
    """``"department,role"`` -> ``("role", "department")``; raise GroupByError when invalid."""
    if raw is None or not raw.strip():
        return ()
    parts = [part.strip() for part in raw.split(",")]
    unknown = [part for part in parts if part not in ("role", "department")]
    if unknown:
        raise GroupByError(
            f"group_by: unknown value {unknown[0]!r}; use role, department or role,department"
        )
    if len(set(parts)) != len(parts):
        raise GroupByError("group_by: each of role and department may appear only once")
    return tuple(part for part in ("role", "department") if part in parts)


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat()


def campaign_summary(campaign: Campaign, organization: Organization) -> dict[str, Any]:
    """A campaign as listed: identity, status, questionnaire and links."""
    return {
        "id": campaign.id,
        "name": campaign.name,
        "status": campaign.status,
        "organization": {"slug": organization.slug, "name": organization.name},
        "questionnaire": {
            "id": campaign.questionnaire_id,
            "version": campaign.questionnaire_version,
            "hash": campaign.questionnaire_hash,
        },
        "anonymity_threshold": campaign.anonymity_threshold,
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
    statuses = dict(
        db.session.execute(
            select(Participant.status, func.count())
            .where(Participant.campaign_id == campaign.id, Participant.revoked_at.is_(None))
            .group_by(Participant.status)
        ).all()
    )
    submitted = db.session.scalar(
        select(func.count(Response.id)).where(
            Response.campaign_id == campaign.id, Response.status == "submitted"
        )
    )
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
                "invited": int(sum(statuses.values())),
                "started": int(statuses.get("started", 0)),
                "submitted": int(submitted or 0),
                "departments": int(departments or 0),
            },
        }
    )
    return detail


def dimensions(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"id": d.id, "kind": d.kind, "title": d.title.to_dict()} for d in items]


def _score(cell: ScoreCell) -> dict[str, Any]:
    return {
        "mean": cell.mean,
        "sd": cell.sd,
        "median": cell.median,
        "n": cell.n,
        "ci95": None if cell.ci_low is None else [cell.ci_low, cell.ci_high],
        "rwg": cell.agreement,
        "level": cell.level,
        "suppressed": cell.status == "suppressed",
    }


def _key(group_key: Mapping[str, Any], names: Mapping[int, str]) -> dict[str, Any]:
    key: dict[str, Any] = {}
    if "role" in group_key:
        key["role"] = group_key["role"]
    if "department" in group_key:
        key["department"] = names.get(group_key["department"], str(group_key["department"]))
    if group_key.get("rest"):
        key["rest"] = True
    return key


def _group(group: GroupResult, names: Mapping[int, str]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "key": _key(group.key, names),
        "n": group.n,
        "suppressed": group.status == "suppressed",
        "status": group.status,
    }
    if group.status == "suppressed":
        return result
    result["scores"] = {name: _score(cell) for name, cell in group.scores.items()}
    result["overall"] = {
        kind: cell.mean if cell.shown else None for kind, cell in group.overall.items()
    }
    return result


def _gap(gap: GapResult, names: Mapping[int, str]) -> dict[str, Any]:
    return {
        "dimension": gap.dimension,
        "a": _key(gap.a, names),
        "b": _key(gap.b, names),
        "difference": gap.difference,
        "hedges_g": gap.hedges_g,
        "p_value": gap.p_value,
        "p_adjusted": gap.p_adjusted,
        "significant": gap.significant,
        "notable": gap.notable,
        "direction": gap.direction,
    }


def results_document(
    results: CampaignResults, questionnaire_dimensions: Sequence[Any], group_by: tuple[str, ...]
) -> dict[str, Any]:
    """The ``/results`` document for one breakdown, anonymity already applied."""
    breakdown = GROUP_BY_CHOICES[group_by]
    names = dict(
        db.session.execute(
            select(Department.id, Department.name).where(
                Department.organization_id == results.organization_id
            )
        ).all()
    )
    return {
        "campaign_id": results.campaign_id,
        "questionnaire": {
            "id": results.questionnaire.id,
            "version": results.questionnaire.version,
        },
        "anonymity_threshold": results.anonymity_threshold,
        "group_by": list(group_by),
        "dimensions": dimensions(questionnaire_dimensions),
        "groups": [_group(group, names) for group in results.groups(breakdown)],
        "gaps": [_gap(gap, names) for gap in results.gaps_of(breakdown)],
        "findings": [
            {
                "rule": finding.rule,
                "severity": finding.severity,
                "dimension": finding.dimension,
                "text": dict(finding.text),
            }
            for finding in results.findings
        ],
    }
