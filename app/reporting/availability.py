"""Which reports a campaign can have: the anonymity rules decide, through its results object."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.models import Campaign, Department, Participant
from app.platform.extensions import db
from app.reporting.errors import ReportUnavailableError
from app.results import CampaignResults, campaign_results


def campaign_results_for(campaign: Campaign, locale: str | None = None) -> CampaignResults:
    """The campaign's results object (the one every report of a batch reads)."""
    return campaign_results(campaign, locale=locale)


def department_report_allowed(
    campaign: Campaign, department: Department, results: CampaignResults | None = None
) -> bool:
    """Whether ``department`` is shown in the campaign's results (so may have a report)."""
    results = results if results is not None else campaign_results_for(campaign)
    try:
        group = results.group("department", department=department.id)
    except KeyError:
        return False
    return group.shown


def department_unavailable_message(campaign: Campaign, department: Department) -> str:
    """Why ``department`` has no report of its own."""
    return _(
        "%(department)s has fewer submitted responses than the anonymity threshold "
        "(%(threshold)s), or is hidden so that a smaller group cannot be worked out: it has "
        "no report of its own.",
        department=department.name,
        threshold=campaign.anonymity_threshold,
    )


@dataclass(frozen=True)
class DepartmentChoice:
    department: Department
    depth: int
    shown: bool


def department_choices(campaign: Campaign) -> list[DepartmentChoice]:
    """The organisation's departments in results order, with whether each has a report."""
    results = campaign_results_for(campaign)
    by_id = {
        d.id: d
        for d in db.session.scalars(
            select(Department).where(Department.organization_id == campaign.organization_id)
        )
    }
    choices = []
    for group in results.by_department:
        department = by_id.get(group.key.get("department"))
        if department is not None:
            choices.append(DepartmentChoice(department, group.depth, group.shown))
    return choices


def individual_report_state(participant: Participant) -> str | None:
    """Why ``participant`` cannot have their individual report yet, or None when they can.

    One of ``"not_offered"``, ``"not_closed"`` and ``"not_submitted"``.
    """
    campaign = participant.campaign
    if not campaign.individual_reports:
        return "not_offered"
    if campaign.status != "closed":
        return "not_closed"
    response = participant.response
    if response is None or response.status != "submitted":
        return "not_submitted"
    return None


def check_individual_report(participant: Participant) -> None:
    """Raise :class:`ReportUnavailableError` with the reason when the report is not available."""
    state = individual_report_state(participant)
    if state == "not_offered":
        raise ReportUnavailableError(_("This assessment does not offer individual reports."))
    if state == "not_closed":
        raise ReportUnavailableError(
            _("Your individual report becomes available once the assessment has closed.")
        )
    if state == "not_submitted":
        raise ReportUnavailableError(_("There is no submitted response for this link."))
