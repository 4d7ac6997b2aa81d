"""The reporting entry points the web views, the CLI and the batch jobs call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from app.models import Campaign, Department, Participant
from app.platform.extensions import db
from app.platform.memory import gc_paused
from app.reporting.jobs import safe_filename, worker_settings
from app.reporting.rendering import RenderedReport, html_to_pdf
from app.reporting.rendering import render_html as render_template_html

__all__ = [
    "ReportUnavailableError",
    "archive_filename",
    "check_individual_report",
    "content_disposition",
    "department_choices",
    "department_report_allowed",
    "individual_report_state",
    "render_html",
    "render_individual_report",
    "render_individual_report_limited",
    "render_pdf",
    "render_pdf_limited",
    "report_filename",
]


class ReportUnavailableError(Exception):
    """The report cannot be produced (a group too small to show, a campaign without data)."""


def _results(campaign: Campaign, locale: str | None) -> Any:
    from app.results import campaign_results

    return campaign_results(campaign, locale=locale)


def campaign_results_for(campaign: Campaign) -> Any:
    """The campaign's results object (the one every report of a batch reads)."""
    return _results(campaign, None)


def render_html(
    campaign: Campaign,
    *,
    department: Department | None = None,
    locale: str = "ja",
    asset_url: Callable[[str], str] | None = None,
) -> RenderedReport:
    """The organisation report of ``campaign`` (or ``department``'s report) as HTML.

    When the campaign has a companion campaign (the other questionnaire kind, same
    organisation), the report adds the companion's sections from its own results object.
    Raises :class:`ReportUnavailableError` when the group the report is about is too small
    to be shown.
    """
    # Charts pull in matplotlib: imported on first render, not when the app starts.
    from app.queries.campaigns import companion_of
    from app.reporting.context import build_report_view

    with force_locale(locale), gc_paused():
        other = companion_of(campaign)
        companion = (_results(other, locale), other) if other is not None else None
        view = build_report_view(
            _results(campaign, locale),
            campaign,
            locale=locale,
            department=department,
            companion=companion,
        )
        name = "department" if department is not None else "organization"
        return render_template_html(name, {"report": view}, locale, asset_url=asset_url)


def render_pdf(
    campaign: Campaign, *, department: Department | None = None, locale: str = "ja"
) -> bytes:
    """The organisation report of ``campaign`` (or ``department``'s report) as PDF bytes."""
    return html_to_pdf(render_html(campaign, department=department, locale=locale))


def _render_in_child(
    settings: dict[str, Any], campaign_id: int, department_id: int | None, locale: str
) -> bytes:
    from app import create_app

    app = create_app(settings)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        department = None if department_id is None else db.session.get(Department, department_id)
        if campaign is None:
            raise LookupError(f"campaign {campaign_id} not found")
        try:
            return render_pdf(campaign, department=department, locale=locale)
        except ReportUnavailableError as exc:
            return _UNAVAILABLE + str(exc).encode("utf-8")


# The child cannot raise our exception across the process boundary with its message intact
# through run_limited, so an unavailable report comes back as a tagged message instead.
_UNAVAILABLE = b"\x00unavailable\x00"


def render_pdf_limited(
    campaign: Campaign, *, department: Department | None = None, locale: str = "ja"
) -> bytes:
    """:func:`render_pdf` in a child process with ``CX_PDF_TIMEOUT_S`` and ``CX_PDF_MEMORY_MB``.

    Web requests render this way, so a pathological report cannot take the web worker's
    memory or time with it. Checking that the report is available first answers the common
    refusal without starting a process.
    """
    from app.platform.hardening import run_limited

    config = current_app.config
    if department is not None and not department_report_allowed(campaign, department):
        raise ReportUnavailableError(_unavailable_message(campaign, department))
    pdf = run_limited(
        _render_in_child,
        worker_settings(current_app),
        campaign.id,
        None if department is None else department.id,
        locale,
        timeout=float(config["CX_PDF_TIMEOUT_S"]),
        memory_mb=int(config["CX_PDF_MEMORY_MB"]),
    )
    if pdf.startswith(_UNAVAILABLE):
        raise ReportUnavailableError(pdf[len(_UNAVAILABLE) :].decode("utf-8"))
    return pdf


def _unavailable_message(campaign: Campaign, department: Department) -> str:
    from flask_babel import gettext as _

    return _(
        "%(department)s has fewer submitted responses than the anonymity threshold "
        "(%(threshold)s), or is hidden so that a smaller group cannot be worked out: it has "
        "no report of its own.",
        department=department.name,
        threshold=campaign.anonymity_threshold,
    )


def department_report_allowed(
    campaign: Campaign, department: Department, results: Any | None = None
) -> bool:
    """Whether ``department`` is shown in the campaign's results (so may have a report)."""
    results = results if results is not None else _results(campaign, None)
    try:
        group = results.group("department", department=department.id)
    except KeyError:
        return False
    return group.shown


@dataclass(frozen=True)
class DepartmentChoice:
    department: Department
    depth: int
    shown: bool


def department_choices(campaign: Campaign) -> list[DepartmentChoice]:
    """The organisation's departments in results order, with whether each has a report."""
    results = _results(campaign, None)
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


def report_filename(campaign: Campaign, department: Department | None, locale: str) -> str:
    """The download name of a report, e.g. ``みなと地域銀行-2026年度…-organization-ja.pdf``."""
    scope = "organization" if department is None else safe_filename(department.name)
    return f"{safe_filename(campaign.name)}-{scope}-{locale}.pdf"


def archive_filename(campaign: Campaign, locale: str) -> str:
    """The download name of a batch's zip."""
    return f"{safe_filename(campaign.name)}-reports-{locale}.zip"


def content_disposition(filename: str) -> str:
    """An attachment header that carries a Japanese file name to every browser."""
    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "pdf"
    fallback = filename if filename.isascii() else f"report.{suffix}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


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
    from flask_babel import gettext as _

    state = individual_report_state(participant)
    if state == "not_offered":
        raise ReportUnavailableError(_("This assessment does not offer individual reports."))
    if state == "not_closed":
        raise ReportUnavailableError(
            _("Your individual report becomes available once the assessment has closed.")
        )
    if state == "not_submitted":
        raise ReportUnavailableError(_("There is no submitted response for this link."))


def render_individual_report(participant: Participant, locale: str) -> bytes:
    """A respondent's own answers against the organisation's and their role's, as PDF.

    Raises :class:`ReportUnavailableError` unless the campaign is closed, offers individual
    reports and the participant submitted a response.
    """
    from app.reporting.individual import render_individual_html

    return html_to_pdf(render_individual_html(participant, locale))


def _render_individual_in_child(
    settings: dict[str, Any], participant_id: int, locale: str
) -> bytes:
    from app import create_app

    app = create_app(settings)
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        if participant is None:
            raise LookupError(f"participant {participant_id} not found")
        try:
            return render_individual_report(participant, locale)
        except ReportUnavailableError as exc:
            return _UNAVAILABLE + str(exc).encode("utf-8")


def render_individual_report_limited(participant: Participant, locale: str) -> bytes:
    """:func:`render_individual_report` under the web's PDF time limit and memory cap."""
    from app.platform.hardening import run_limited

    check_individual_report(participant)
    config = current_app.config
    pdf = run_limited(
        _render_individual_in_child,
        worker_settings(current_app),
        participant.id,
        locale,
        timeout=float(config["CX_PDF_TIMEOUT_S"]),
        memory_mb=int(config["CX_PDF_MEMORY_MB"]),
    )
    if pdf.startswith(_UNAVAILABLE):
        raise ReportUnavailableError(pdf[len(_UNAVAILABLE) :].decode("utf-8"))
    return pdf
