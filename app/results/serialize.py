"""The results and findings documents: one JSON shape each, for the API and the CLI.

``GET /api/v1/campaigns/<id>/results`` and ``flask results show CAMPAIGN_ID --json`` both
print :func:`results_document`, for the breakdown a ``group_by`` value selects;
``GET /api/v1/campaigns/<id>/findings`` and ``flask results findings CAMPAIGN_ID --json``
print :func:`findings_document`, for the organisation or one department.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from app.analysis.actions import Action
from app.analysis.messages import Evidence, KeyMessage
from app.analysis.unanswered import UnansweredRate
from app.models import Department
from app.platform.extensions import db
from app.results.model import (
    CampaignResults,
    Diagnosis,
    GapResult,
    GroupResult,
    ItemGap,
    ScoreCell,
    TrendResult,
)
from app.results.owners import owner_label

#: Accepted ``group_by`` values and the breakdown each one selects.
GROUP_BY_CHOICES: Mapping[tuple[str, ...], str] = {
    (): "organization",
    ("role",): "role",
    ("department",): "department",
    ("role", "department"): "role_department",
}


class GroupByError(ValueError):
    """An invalid ``group_by`` value, with a message saying what is wrong."""


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
    result["dont_know"] = {item: _unanswered(rate) for item, rate in group.dont_know.items()}
    return result


def _unanswered(rate: UnansweredRate) -> dict[str, Any]:
    return {
        "asked": rate.asked,
        "dont_know": rate.dont_know,
        "not_applicable": rate.not_applicable,
        "rate": rate.rate,
        "na_rate": rate.na_rate,
        "suppressed": rate.status != "ok",
    }


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
        "ci95": None if gap.ci95 is None else list(gap.ci95),
        "verdict": gap.verdict,
    }


#: How many item gaps the results document lists: the largest, by absolute difference.
ITEM_GAPS_SHOWN = 10


def _item_gap(found: ItemGap, names: Mapping[int, str]) -> dict[str, Any]:
    gap = found.gap
    return {
        "item": found.item,
        "dimension": gap.dimension,
        "a": _key(gap.a, names),
        "b": _key(gap.b, names),
        "mean_a": gap.mean_a,
        "mean_b": gap.mean_b,
        "n_a": gap.n_a,
        "n_b": gap.n_b,
        "difference": gap.difference,
        "hedges_g": gap.hedges_g,
        "p_adjusted": gap.p_adjusted,
        "ci95": None if gap.ci95 is None else list(gap.ci95),
        "verdict": gap.verdict,
    }


def _trend(trend: TrendResult, names: Mapping[int, str]) -> dict[str, Any]:
    return {
        "dimension": trend.dimension,
        "group": _key(trend.key, names),
        "n_previous": trend.n_previous,
        "n_current": trend.n_current,
        "previous_mean": trend.previous_mean,
        "current_mean": trend.current_mean,
        "change": trend.change,
        "hedges_g": trend.hedges_g,
        "p_adjusted": trend.p_adjusted,
        "significant": trend.significant,
        "notable": trend.notable,
    }


def _names(results: CampaignResults) -> dict[int, str]:
    return dict(
        db.session.execute(
            select(Department.id, Department.name).where(
                Department.organization_id == results.organization_id
            )
        ).all()
    )


def _evidence(entry: Evidence, names: Mapping[int, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if entry.dimension is not None:
        found["dimension"] = entry.dimension
    if entry.item is not None:
        found["item"] = entry.item
    found.update({"group": _key(entry.group, names), "value": entry.value, "n": entry.n})
    if entry.change is not None:
        found["change"] = entry.change
    if entry.measure != "score":
        found["measure"] = entry.measure
    return found


def _message(message: KeyMessage, names: Mapping[int, str]) -> dict[str, Any]:
    return {
        "id": message.id,
        "rule": message.rule,
        "severity": message.severity,
        "headline": dict(message.headline),
        "detail": dict(message.detail),
        "evidence": [_evidence(entry, names) for entry in message.evidence],
        "recommendation": None
        if message.recommendation is None
        else action_document(message.recommendation),
    }


def action_document(action: Action) -> dict[str, Any]:
    """A recommended action as the API gives it, with its owner function's name."""
    return {
        "text": dict(action.text),
        "owner": action.owner,
        "owner_label": dict(owner_label(action.owner)),
        "horizon": action.horizon,
        "measure": dict(action.measure),
        "scope": action.scope,
    }


def _scope_gap(gap: GapResult, names: Mapping[int, str], item: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"item": item} if item is not None else {"dimension": gap.dimension}
    found.update(
        {
            "a": _key(gap.a, names),
            "b": _key(gap.b, names),
            "difference": gap.difference,
            "ci95": None if gap.ci95 is None else list(gap.ci95),
            "verdict": gap.verdict,
        }
    )
    if item is not None:
        found["dimension"] = gap.dimension
    return found


def findings_document(results: CampaignResults, department: int | None = None) -> dict[str, Any]:
    """The diagnosis of the organisation, or of one department (by id), as the dashboard and
    the report read it. A department that is not shown (under the anonymity threshold, or
    without answers) gets no message, gap or verdict: ``status`` says why."""
    names = _names(results)
    diagnosis: Diagnosis | None = results.diagnosis
    status = "ok"
    if department is None and not results.organization.shown:
        diagnosis, status = None, results.organization.status
    elif department is not None:
        diagnosis = results.department_diagnoses.get(department)
        if diagnosis is None:
            shown = [g for g in results.by_department if g.key.get("department") == department]
            status = shown[0].status if shown else "no_data"
    if diagnosis is None:
        diagnosis = Diagnosis(
            scope="department" if department else "organisation", department=department
        )
    return {
        "campaign_id": results.campaign_id,
        "scope": {"department": department},
        "status": status,
        "key_messages": [_message(m, names) for m in diagnosis.key_messages],
        "gaps": [_scope_gap(gap, names) for gap in diagnosis.gaps]
        + [_scope_gap(g.gap, names, g.item) for g in diagnosis.item_gaps[:ITEM_GAPS_SHOWN]],
        "bottleneck": {
            "verdict": diagnosis.bottleneck.verdict,
            "stage": diagnosis.bottleneck.stage,
        },
        "findings": [
            {
                "rule": finding.rule,
                "severity": finding.severity,
                "dimension": finding.dimension,
                "text": dict(finding.text),
            }
            for finding in diagnosis.findings
        ],
    }


def results_document(results: CampaignResults, group_by: tuple[str, ...] = ()) -> dict[str, Any]:
    """The results document for one breakdown (see :data:`GROUP_BY_CHOICES`), anonymity
    already applied; ``group_by`` as :func:`parse_group_by` returns it."""
    breakdown = GROUP_BY_CHOICES[group_by]
    names = _names(results)
    return {
        "campaign_id": results.campaign_id,
        "questionnaire": {
            "id": results.questionnaire.id,
            "version": results.questionnaire.version,
        },
        "anonymity_threshold": results.anonymity_threshold,
        "group_by": list(group_by),
        "dimensions": [
            {"id": d.id, "kind": d.kind, "title": dict(d.title)} for d in results.dimensions
        ],
        "groups": [_group(group, names) for group in results.groups(breakdown)],
        "gaps": [_gap(gap, names) for gap in results.gaps_of(breakdown)],
        "item_gaps": [_item_gap(g, names) for g in results.item_gaps[:ITEM_GAPS_SHOWN]],
        "trends": [_trend(t, names) for t in results.trends if t.breakdown == breakdown],
        "trend_comparability": [
            {
                "dimension": c.dimension,
                "comparable": c.comparable,
                "items": [{"item": item, "was": was} for item, was in c.items],
                "recomputed": c.recomputed,
            }
            for c in results.trend_comparability
        ],
        "findings": [
            {
                "rule": finding.rule,
                "severity": finding.severity,
                "dimension": finding.dimension,
                "text": dict(finding.text),
            }
            for finding in results.findings
        ],
        "bottleneck": results.bottleneck.to_dict(),
    }
