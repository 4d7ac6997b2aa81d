"""Customer outcomes of an organisation: the list with NPS and LTV, one record's form, the CSV
import. Consultants record; everyone with access to the organisation reads."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.analysis.outcomes import MIN_NPS_ANSWERS
from app.auth import access
from app.models import Organization, OutcomeRecord
from app.operations.errors import OperationError
from app.operations.outcomes import (
    CSV_COLUMNS,
    OutcomeInput,
    OutcomePreview,
    OutcomeProblem,
    check_period,
    check_values,
    delete_outcome,
    parse_outcomes,
    save_outcomes,
)
from app.platform.extensions import db
from app.platform.hardening import check_upload_size
from app.results.outcomes import organization_outcomes
from app.workspace import common
from app.workspace.blueprint import bp
from app.workspace.forms import OutcomeForm, UploadForm


def _page(
    org: Organization,
    form: OutcomeForm,
    upload: UploadForm,
    *,
    problems: list[OutcomeProblem] | None = None,
    preview: OutcomePreview | None = None,
) -> str:
    manage = access.can_manage(common.user(), org.id)
    return render_template(
        "workspace/outcomes.html",
        org=org,
        records=organization_outcomes(org),
        form=form,
        upload=upload,
        problems=problems or [],
        preview=preview,
        manage=manage,
        columns=CSV_COLUMNS,
        minimum=MIN_NPS_ANSWERS,
    )


@bp.route("/orgs/<slug>/outcomes", methods=["GET", "POST"])
def outcomes(slug: str) -> BaseResponse | str:
    org = access.organization_or_404(common.user(), slug)
    form = OutcomeForm.for_organization(org)
    editing = request.args.get("edit", type=int)
    if request.method == "GET" and editing is not None:
        record = db.session.get(OutcomeRecord, editing) if editing < 2**31 else None
        if record is not None and record.organization_id == org.id:
            form = OutcomeForm.for_organization(org, data=_form_data(record))
    problems: list[OutcomeProblem] = []
    if request.method == "POST":
        org = access.organization_or_404(common.user(), slug, manage=True)
        if form.validate_on_submit():
            period = check_period(form.period.data)
            values, found = check_values(form.raw_values())
            problems = [OutcomeProblem(1, column, code, params) for column, code, params in found]
            if period is None:
                problems.insert(
                    0, OutcomeProblem(1, "period", "bad_period", {"value": form.period.data})
                )
            department = form.department.data or None
            if not problems:
                try:
                    save_outcomes(
                        org,
                        [OutcomeInput(1, department, period or "", values)],
                        actor=common.user(),
                    )
                except OperationError as exc:
                    common.fail(exc)
                else:
                    common.commit_and_flash(_("Customer outcomes saved."))
                    return redirect(url_for(".outcomes", slug=org.slug))
    return _page(org, form, UploadForm(), problems=problems)


def _form_data(record: OutcomeRecord) -> dict[str, object]:
    def text(value: float | int | None, *, percent: bool = False) -> str:
        if value is None:
            return ""
        return f"{value * 100:g}%" if percent else f"{value:g}"

    return {
        "department": record.department_id or 0,
        "period": record.period,
        "promoters": text(record.promoters),
        "passives": text(record.passives),
        "detractors": text(record.detractors),
        "csat": text(record.csat),
        "ces": text(record.ces),
        "churn_rate": text(record.churn_rate, percent=True),
        "arpa": text(record.arpa),
        "gross_margin": text(record.gross_margin, percent=True),
    }


@bp.post("/orgs/<slug>/outcomes/import")
def import_outcomes(slug: str) -> BaseResponse | str:
    org = access.organization_or_404(common.user(), slug, manage=True)
    upload = UploadForm()
    preview = None
    if upload.validate_on_submit():
        check_upload_size(upload.file.data)
        preview = parse_outcomes(org, upload.file.data.read())
        if preview.ok:
            saved = save_outcomes(org, preview.records, actor=common.user(), source="csv")
            common.commit_and_flash(_("%(n)d outcome records imported.", n=len(saved)))
            return redirect(url_for(".outcomes", slug=org.slug))
    return _page(org, OutcomeForm.for_organization(org, formdata=None), upload, preview=preview)


@bp.post("/orgs/<slug>/outcomes/<int:record_id>/delete")
def delete_outcome_view(slug: str, record_id: int) -> BaseResponse:
    org = access.organization_or_404(common.user(), slug, manage=True)
    record = db.session.get(OutcomeRecord, record_id)
    if record is None or record.organization_id != org.id:
        abort(404)
    try:
        delete_outcome(org, record_id, actor=common.user())
    except OperationError as exc:
        common.fail(exc)
    else:
        common.commit_and_flash(_("The outcome record was deleted."))
    return redirect(url_for(".outcomes", slug=org.slug))
