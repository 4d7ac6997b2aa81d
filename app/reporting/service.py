"""The reporting entry points the web views, the CLI and the batch jobs call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_babel import force_locale

from app.models import Campaign, Department, Participant
from app.platform.children import add_forkserver_preload
from app.platform.extensions import db
from app.platform.hardening import run_limited
from app.platform.memory import gc_paused
from app.presentation.profile import FactRow, answered_rows
from app.queries.campaigns import companion_of
from app.queries.profile import campaign_profile
from app.reporting.assembler import build_report_view
from app.reporting.availability import (
    DepartmentChoice,
    campaign_results_for,
    check_individual_report,
    department_choices,
    department_report_allowed,
    department_unavailable_message,
    individual_report_state,
)
from app.reporting.errors import ReportUnavailableError
from app.reporting.filenames import archive_filename, content_disposition, report_filename
from app.reporting.individual import render_individual_html
from app.reporting.processes import AppFactory, worker_settings
from app.reporting.rendering import RenderedReport, html_to_pdf
from app.reporting.rendering import render_html as render_template_html

# Web downloads and batch workers render in children of the fork server: it imports the
# report pipeline first.
add_forkserver_preload("app.reporting.preload")

__all__ = [
    "DepartmentChoice",
    "ReportUnavailableError",
    "archive_filename",
    "campaign_results_for",
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


def render_html(
    campaign: Campaign,
    *,
    department: Department | None = None,
    locale: str = "ja",
    asset_url: Callable[[str], str] | None = None,
    technical_note: bool = False,
) -> RenderedReport:
    """The organisation report of ``campaign`` (or ``department``'s report) as HTML.

    ``technical_note`` renders the report's technical note instead: how its figures were made
    (versions, statistics behind every verdict, the full methodology), for whoever checks the
    diagnosis; never part of the client report.

    When the campaign has a companion campaign (the other questionnaire kind, same
    organisation), the report adds the companion's sections from its own results object.
    Raises :class:`ReportUnavailableError` when the group the report is about is too small
    to be shown.
    """
    with force_locale(locale), gc_paused():
        results = campaign_results_for(campaign, locale)
        other = companion_of(campaign)
        companion = None
        if other is not None:
            # The diagnosis already read the companion's results: the same object serves here.
            found = results.companion
            if found is None or found.campaign_id != other.id:
                found = campaign_results_for(other, locale)
            companion = (found.with_locale(locale), other)
        view = build_report_view(
            results,
            campaign,
            locale=locale,
            department=department,
            companion=companion,
            profile=() if department is not None else _profile_rows(campaign, locale),
        )
        name = "department" if department is not None else "organization"
        if technical_note:
            name = "technical"
        return render_template_html(name, {"report": view}, locale, asset_url=asset_url)


def _profile_rows(campaign: Campaign, locale: str) -> list[FactRow]:
    """The organisation profile's recorded facts in ``locale``."""
    _profile, entries = campaign_profile(campaign)
    return answered_rows(entries, locale)


def render_pdf(
    campaign: Campaign,
    *,
    department: Department | None = None,
    locale: str = "ja",
    technical_note: bool = False,
) -> bytes:
    """The organisation report of ``campaign`` (or ``department``'s report, or either's
    technical note) as PDF bytes."""
    return html_to_pdf(
        render_html(campaign, department=department, locale=locale, technical_note=technical_note)
    )


# The child cannot raise our exception across the process boundary with its message intact
# through run_limited, so an unavailable report comes back as a tagged message instead.
_UNAVAILABLE = b"\x00unavailable\x00"


def _render_in_child(
    app_factory: AppFactory,
    settings: dict[str, Any],
    campaign_id: int,
    department_id: int | None,
    locale: str,
) -> bytes:
    app = app_factory(settings)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        department = None if department_id is None else db.session.get(Department, department_id)
        if campaign is None:
            raise LookupError(f"campaign {campaign_id} not found")
        try:
            return render_pdf(campaign, department=department, locale=locale)
        except ReportUnavailableError as exc:
            return _UNAVAILABLE + str(exc).encode("utf-8")


def _run_limited(func: Callable[..., bytes], *args: Any) -> bytes:
    """``func(*args)`` in a child process under ``CX_PDF_TIMEOUT_S`` and ``CX_PDF_MEMORY_MB``."""
    config = current_app.config
    pdf = run_limited(
        func,
        *args,
        timeout=float(config["CX_PDF_TIMEOUT_S"]),
        memory_mb=int(config["CX_PDF_MEMORY_MB"]),
    )
    if pdf.startswith(_UNAVAILABLE):
        raise ReportUnavailableError(pdf[len(_UNAVAILABLE) :].decode("utf-8"))
    return pdf


def render_pdf_limited(
    campaign: Campaign,
    *,
    department: Department | None = None,
    locale: str = "ja",
    app_factory: AppFactory,
) -> bytes:
    """:func:`render_pdf` in a child process with ``CX_PDF_TIMEOUT_S`` and ``CX_PDF_MEMORY_MB``.

    Web requests render this way, so a pathological report cannot take the web worker's
    memory or time with it; the child builds its own app with ``app_factory`` from this
    app's settings. Checking that the report is available first answers the common refusal
    without starting a process.
    """
    if department is not None and not department_report_allowed(campaign, department):
        raise ReportUnavailableError(department_unavailable_message(campaign, department))
    return _run_limited(
        _render_in_child,
        app_factory,
        worker_settings(current_app),
        campaign.id,
        None if department is None else department.id,
        locale,
    )


def render_individual_report(participant: Participant, locale: str) -> bytes:
    """A respondent's own answers against the organisation's and their role's, as PDF.

    Raises :class:`ReportUnavailableError` unless the campaign is closed, offers individual
    reports and the participant submitted a response.
    """
    return html_to_pdf(render_individual_html(participant, locale))


def _render_individual_in_child(
    app_factory: AppFactory, settings: dict[str, Any], participant_id: int, locale: str
) -> bytes:
    app = app_factory(settings)
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        if participant is None:
            raise LookupError(f"participant {participant_id} not found")
        try:
            return render_individual_report(participant, locale)
        except ReportUnavailableError as exc:
            return _UNAVAILABLE + str(exc).encode("utf-8")


def render_individual_report_limited(
    participant: Participant, locale: str, *, app_factory: AppFactory
) -> bytes:
    """:func:`render_individual_report` under the web's PDF time limit and memory cap."""
    check_individual_report(participant)
    return _run_limited(
        _render_individual_in_child,
        app_factory,
        worker_settings(current_app),
        participant.id,
        locale,
    )
