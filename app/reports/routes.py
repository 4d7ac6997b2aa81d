"""Report downloads, HTML previews and batch jobs under ``/reports``.

Every view finds its campaign through ``app.auth.access`` (consultants and executives of the
organisation; executives too, since these reports hold aggregates only) and stays thin: the
work happens in :mod:`app.reporting.service` and :mod:`app.reporting.jobs`, which the CLI
calls as well.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth.access import campaign_or_404, can_manage
from app.models import Campaign, Department, ReportJob
from app.platform.extensions import db
from app.reporting import jobs, service
from app.reporting.processes import app_factory
from app.reporting.rendering import ASSET_SUFFIXES, reports_dir

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")


@bp.context_processor
def _job_labels() -> dict[str, object]:
    labels = {
        "queued": _("Waiting to start"),
        "running": _("Running"),
        "done": _("Finished"),
        "failed": _("Failed"),
        "partial": _("Finished with failed reports"),
        "interrupted": _("Interrupted"),
    }

    def job_state(job: ReportJob) -> str:
        if jobs.job_stalled(job):
            return "interrupted"
        return "partial" if job.status == "done" and job.failed else job.status

    return {
        "job_status_label": lambda status: labels.get(status, status),
        "job_state": job_state,
        "job_resumable": jobs.job_resumable,
        "job_error_text": _job_error_text,
    }


def _job_error_text(entry: dict[str, object]) -> str:
    """One entry of a job's ``errors`` as the page shows it: what failed, or why the job did."""
    report = str(entry.get("report") or "")
    if report == "job":
        if entry.get("error") == jobs.QUEUE_UNAVAILABLE:
            return _("The job queue is unavailable, so the batch could not run.")
        return _("The batch stopped because of an error (%(error)s).", error=entry.get("error"))
    if report == "organization":
        return _("Whole organisation")
    return report


def _locale() -> str:
    requested = request.args.get("lang")
    locales = current_app.config["CX_LOCALES"]
    return requested if requested in locales else locales[0]


def _department_or_404(campaign: Campaign, department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None or department.organization_id != campaign.organization_id:
        abort(404)
    return department


def _asset_url(relative: str) -> str:
    return url_for("reports.asset", filename=relative)


def _unavailable(campaign: Campaign, error: service.ReportUnavailableError) -> tuple[str, int]:
    return render_template("reports/unavailable.html", campaign=campaign, message=str(error)), 409


def _pdf_response(pdf: bytes, filename: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = service.content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def index(campaign_id: int) -> str:
    """The campaign's reports: downloads, previews and the batch of all of them."""
    campaign = campaign_or_404(current_user, campaign_id)
    departments = service.department_choices(campaign)
    recent = db.session.scalars(
        select(ReportJob)
        .where(ReportJob.campaign_id == campaign.id)
        .order_by(ReportJob.id.desc())
        .limit(5)
    ).all()
    return render_template(
        "reports/index.html",
        campaign=campaign,
        departments=departments,
        jobs=recent,
        can_batch=can_manage(current_user, campaign.organization_id),
    )


@bp.get("/campaigns/<int:campaign_id>/organization.pdf")
@login_required
def organization_pdf(campaign_id: int) -> Response | tuple[str, int]:
    campaign = campaign_or_404(current_user, campaign_id)
    locale = _locale()
    try:
        pdf = service.render_pdf_limited(
            campaign, department=None, locale=locale, app_factory=app_factory()
        )
    except service.ReportUnavailableError as error:
        return _unavailable(campaign, error)
    return _pdf_response(pdf, service.report_filename(campaign, None, locale))


@bp.get("/campaigns/<int:campaign_id>/organization.html")
@login_required
def organization_html(campaign_id: int) -> str | tuple[str, int]:
    campaign = campaign_or_404(current_user, campaign_id)
    try:
        report = service.render_html(campaign, locale=_locale(), asset_url=_asset_url)
    except service.ReportUnavailableError as error:
        return _unavailable(campaign, error)
    return report.html


@bp.get("/campaigns/<int:campaign_id>/departments/<int:department_id>.pdf")
@login_required
def department_pdf(campaign_id: int, department_id: int) -> Response | tuple[str, int]:
    campaign = campaign_or_404(current_user, campaign_id)
    department = _department_or_404(campaign, department_id)
    locale = _locale()
    try:
        pdf = service.render_pdf_limited(
            campaign, department=department, locale=locale, app_factory=app_factory()
        )
    except service.ReportUnavailableError as error:
        return _unavailable(campaign, error)
    return _pdf_response(pdf, service.report_filename(campaign, department, locale))


@bp.get("/campaigns/<int:campaign_id>/departments/<int:department_id>.html")
@login_required
def department_html(campaign_id: int, department_id: int) -> str | tuple[str, int]:
    campaign = campaign_or_404(current_user, campaign_id)
    department = _department_or_404(campaign, department_id)
    try:
        report = service.render_html(
            campaign, department=department, locale=_locale(), asset_url=_asset_url
        )
    except service.ReportUnavailableError as error:
        return _unavailable(campaign, error)
    return report.html


@bp.get("/assets/<path:filename>")
def asset(filename: str) -> Response:
    """The report stylesheets, for the HTML preview (the PDF reads them from disk)."""
    if Path(filename).suffix not in ASSET_SUFFIXES:
        abort(404)
    return send_from_directory(reports_dir(), filename, max_age=300)


@bp.post("/campaigns/<int:campaign_id>/batch")
@login_required
def start_batch(campaign_id: int) -> Response:
    """Start producing every report of the campaign in the background."""
    campaign = campaign_or_404(current_user, campaign_id, manage=True)
    job = jobs.create_report_job(campaign, current_user.id, _form_locale())
    db.session.commit()
    _dispatch(job, jobs.dispatch_report_job)
    return redirect(url_for("reports.job_status", job_id=job.id))


def _dispatch(job: ReportJob, start: Callable[..., None]) -> None:
    """Start or resume ``job``; without a reachable job queue, say so (the job is failed).

    A job run without Redis runs in a local process, which builds its app with this app's
    factory.
    """
    try:
        start(job, app_factory=app_factory())
    except jobs.QueueUnavailableError:
        flash(
            _(
                "The job queue is unavailable, so the reports could not be produced now. "
                "Please resume the batch in a few minutes."
            ),
            "error",
        )


@bp.post("/jobs/<int:job_id>/resume")
@login_required
def resume_job(job_id: int) -> Response:
    """Produce what a failed or interrupted batch is missing, then its zip."""
    job = db.session.get(ReportJob, job_id)
    if job is None:
        abort(404)
    campaign_or_404(current_user, job.campaign_id, manage=True)
    if not jobs.job_resumable(job):
        flash(_("This batch is still running or already complete."), "info")
    else:
        _dispatch(job, jobs.resume_report_job)
    return redirect(url_for("reports.job_status", job_id=job.id))


def _form_locale() -> str:
    requested = request.form.get("lang")
    locales = current_app.config["CX_LOCALES"]
    return requested if requested in locales else locales[0]


def _job_or_404(job_id: int) -> ReportJob:
    job = db.session.get(ReportJob, job_id)
    if job is None:
        abort(404)
    # The job is only as visible as its campaign.
    campaign_or_404(current_user, job.campaign_id)
    return job


@bp.get("/jobs/<int:job_id>")
@login_required
def job_status(job_id: int) -> str:
    job = _job_or_404(job_id)
    return render_template(
        "reports/job.html",
        job=job,
        campaign=job.campaign,
        can_resume=can_manage(current_user, job.campaign.organization_id),
    )


@bp.get("/jobs/<int:job_id>.json")
@login_required
def job_status_json(job_id: int) -> Response:
    job = _job_or_404(job_id)
    return jsonify(
        {
            "id": job.id,
            "status": job.status,
            "interrupted": jobs.job_stalled(job),
            "resumable": jobs.job_resumable(job),
            "total": job.total,
            "completed": job.completed,
            "failed": job.failed,
            "progress": job.progress,
            "errors": [entry.get("report") for entry in job.errors or []],
            "download": (
                url_for("reports.job_download", job_id=job.id) if job.status == "done" else None
            ),
        }
    )


@bp.get("/jobs/<int:job_id>/download")
@login_required
def job_download(job_id: int) -> Response:
    job = _job_or_404(job_id)
    archive = jobs.report_job_archive(job)
    if job.status != "done" or archive is None:
        abort(404)
    name = service.archive_filename(job.campaign, job.locale)
    return send_file(archive, mimetype="application/zip", as_attachment=True, download_name=name)
