"""The cover: whose report, of which campaign, and how many answered."""

from __future__ import annotations

from app.models import utcnow
from app.reporting.sections.base import ReportContext
from app.reporting.viewmodel import Cover


def build(report: ReportContext) -> Cover:
    """The cover page, with the response counts of the report's scope."""
    results = report.results
    counts = results.response_counts.total
    if report.is_department:
        for row in results.response_counts.by_department:
            if row.key.get("department") == report.scope.department_id:
                counts = row
    campaign = report.campaign
    return Cover(
        organization=report.organization_name,
        campaign=report.campaign_name,
        questionnaire=report.text(results.questionnaire.title),
        scope=report.text(report.scope.group.label) if report.is_department else None,
        opens_at=campaign.opens_at or campaign.opened_at,
        closes_at=campaign.closes_at or campaign.closed_at,
        generated_at=utcnow(),
        status=results.status,
        invited=counts.invited,
        submitted=counts.submitted,
        response_rate=counts.response_rate,
        threshold=results.anonymity_threshold,
    )
