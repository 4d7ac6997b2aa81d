"""A campaign's diagnosis read together with its companion campaign's figures.

A client assessed on both questionnaires (the five capabilities and the CX improvement cycle)
has one campaign for each. Seed 002's wall between the vertical layers and seed 000's cycle
meet there: weak roll-out together with weak organisational behaviour says more than either
alone. Each campaign's diagnosis gains the companion's dimension scores for the same scope
(the organisation, or the same department where the companion shows it), marked as the
companion's: only rules that name such a dimension see them, so the companion's own findings
are not repeated. The companion's anonymity rules hold: a suppressed cell has no score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from app.analysis.findings import DimensionFact, RuleSet
from app.results.diagnosis import diagnose
from app.results.model import CampaignResults, Diagnosis, GroupResult


def _companion_facts(
    companion: CampaignResults, group: GroupResult, own: Mapping[str, DimensionFact]
) -> dict[str, DimensionFact]:
    found = {}
    for dimension in companion.dimensions:
        if dimension.id in own:
            continue
        cell = group.scores.get(dimension.id)
        if cell is None or not cell.shown:
            continue
        found[dimension.id] = DimensionFact(
            id=dimension.id,
            kind=dimension.kind,
            title=dimension.title,
            score=cell.mean,
            level=cell.level,
            level_label=cell.level_label,
            agreement=cell.agreement,
            n=cell.n,
            companion=True,
        )
    return found


def _rediagnose(
    rules: RuleSet,
    diagnosis: Diagnosis,
    companion: CampaignResults,
    group: GroupResult | None,
) -> Diagnosis:
    facts = diagnosis.facts
    if facts is None or group is None or not group.shown:
        return diagnosis
    extra = _companion_facts(companion, group, facts.dimensions)
    if not extra:
        return diagnosis
    merged = replace(facts, dimensions={**facts.dimensions, **extra})
    found = diagnose(rules, merged, diagnosis.department)
    return replace(found, companion_campaign_id=companion.campaign_id)


def with_companion(
    results: CampaignResults, companion: CampaignResults, rules: RuleSet | None
) -> CampaignResults:
    """``results`` with every diagnosis also reading the companion's figures."""
    if companion.organization_id != results.organization_id:
        return results
    if rules is None or results.diagnosis is None:
        return replace(results, companion=companion)
    diagnosis = _rediagnose(rules, results.diagnosis, companion, companion.organization)
    departments = {}
    for department, found in results.department_diagnoses.items():
        shown = [g for g in companion.by_department if g.key.get("department") == department]
        departments[department] = _rediagnose(rules, found, companion, shown[0] if shown else None)
    return replace(
        results,
        diagnosis=diagnosis,
        department_diagnoses=departments,
        findings=diagnosis.findings,
        companion=companion,
    )


__all__ = ["with_companion"]
