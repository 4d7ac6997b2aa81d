"""The respondent's pages: thin views over app/operations and the generated survey."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify, redirect, render_template, request, session, url_for
from flask import Response as FlaskResponse
from flask_babel import format_datetime
from flask_babel import gettext as _

from app.models import Answer, Participant, display_name, utcnow
from app.operations.errors import OperationError
from app.operations.participants import register_open_participant
from app.operations.responses import (
    OPEN,
    CampaignUnavailable,
    ResponseLocked,
    begin,
    campaign_availability,
    save_page,
    submit,
)
from app.platform.db_setup import reads_first
from app.platform.extensions import db
from app.platform.i18n import current_locale
from app.platform.rate_limits import Refusal
from app.queries.participants import (
    find_by_token,
    find_campaign_by_open_token,
    open_link_choices,
    participant_link,
)
from app.queries.responses import answers_of
from app.questionnaire import estimate
from app.reporting.filenames import safe_filename
from app.reporting.processes import app_factory
from app.reporting.service import (
    ReportUnavailableError,
    content_disposition,
    individual_report_state,
    render_individual_report_limited,
)
from app.survey.forms import ActionForm, OpenLinkForm
from app.survey.limits import claim_registration
from app.survey.questions import FIELD_PREFIX, UNCHANGED, Page, Survey, survey_for
from app.survey.respondent import RESUME_LINK_KEY, current_participant, sign_in

bp = Blueprint("survey", __name__, template_folder="templates")


#: The campaign whose open link registered this browser's respondent, to avoid duplicates.
OPEN_LINK_CAMPAIGN_KEY = "respondent_open_campaign"


@bp.after_request
def _no_store(response: FlaskResponse) -> FlaskResponse:
    # Answers and personal links must not stay in shared caches, nor leak through referrers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _wants_json() -> bool:
    return request.endpoint == "survey.autosave"


def _format_when(value: Any) -> str:
    return format_datetime(value, "yyyy/MM/dd HH:mm") if value is not None else ""


def _not_found() -> tuple[str, int]:
    return render_template("survey/not_found.html"), 404


def _unavailable(campaign: Any, state: str, *, has_draft: bool = False) -> Any:
    if _wants_json():
        return jsonify(status=state, error=_("This assessment is not open for answers.")), 410
    return (
        render_template(
            "survey/unavailable.html",
            state=state,
            opens_at=_format_when(campaign.opens_at),
            closes_at=_format_when(campaign.closed_at or campaign.closes_at),
            has_draft=has_draft,
        ),
        410,
    )


def _locked() -> Any:
    message = _("This response has already been submitted and can no longer be changed.")
    if _wants_json():
        return jsonify(status="submitted", error=message), 409
    return render_template("survey/locked.html"), 409


def respondent_view(*, allow_submitted: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """Load the session's participant and survey into ``g``; refuse what the state forbids."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            # Writes go through lock_participant, which starts the writing transaction.
            reads_first()
            participant = current_participant()
            if participant is None:
                if _wants_json():
                    return jsonify(status="signed_out", error=_("Open your personal link.")), 403
                return render_template("survey/no_session.html"), 403
            g.participant = participant
            g.campaign = participant.campaign
            g.survey = survey_for(participant.campaign, participant.role.key)
            if participant.status == "submitted" and not allow_submitted:
                if request.method == "GET":
                    return redirect(url_for("survey.thanks"))
                return _locked()
            state = campaign_availability(participant.campaign)
            if state != OPEN and participant.status != "submitted":
                return _unavailable(
                    participant.campaign, state, has_draft=participant.status == "started"
                )
            return view(*args, **kwargs)

        return wrapped

    return decorator


# --------------------------------------------------------------------------- links


@bp.get("/r/<token>")
def personal_link(token: str) -> Any:
    """Exchange a personal link for a session, then continue at a URL without the token."""
    participant = find_by_token(token)
    if participant is None:
        return _not_found()
    state = campaign_availability(participant.campaign)
    if state != OPEN and participant.status != "submitted":
        return _unavailable(participant.campaign, state, has_draft=participant.status == "started")
    sign_in(participant)
    session.pop(OPEN_LINK_CAMPAIGN_KEY, None)
    lang = request.args.get("lang")
    return redirect(url_for("survey.index", lang=lang) if lang else url_for("survey.index"))


@bp.route("/o/<token>", methods=["GET", "POST"])
def open_link(token: str) -> Any:
    """A campaign's open link: the respondent chooses department and role, and gets a link."""
    campaign = find_campaign_by_open_token(token)
    if campaign is None:
        return _not_found()
    state = campaign_availability(campaign)
    if state != OPEN:
        return _unavailable(campaign, state)
    if session.get(OPEN_LINK_CAMPAIGN_KEY) == campaign.id and current_participant() is not None:
        return redirect(url_for("survey.index"))
    departments, roles = open_link_choices(campaign)
    locale = current_locale()
    form = OpenLinkForm()
    form.department.choices = [(d.id, d.name) for d in departments]
    form.role.choices = [(r.id, r.label(locale)) for r in roles]
    if form.validate_on_submit():
        refusal = claim_registration(campaign.id, request.remote_addr or "unknown")
        if refusal is not None:
            return _too_many_registrations(refusal)
        try:
            participant, personal_token = register_open_participant(
                campaign, form.department.data, form.role.data
            )
        except OperationError:
            form.department.errors = [_("Choose your department.")]
        else:
            db.session.commit()
            sign_in(participant, resume_token=personal_token)
            session[OPEN_LINK_CAMPAIGN_KEY] = campaign.id
            return redirect(url_for("survey.your_link"))
    status = 422 if form.errors else 200
    return (
        render_template(
            "survey/open_link.html",
            form=form,
            campaign=campaign,
            questionnaire=survey_for(campaign).questionnaire,
        ),
        status,
    )


def _too_many_registrations(refusal: Refusal) -> Any:
    minutes = max(1, (refusal.retry_after + 59) // 60)
    page = render_template("survey/too_many.html", reason=refusal.name, minutes=minutes)
    return page, 429, {"Retry-After": str(refusal.retry_after)}


@bp.get("/survey/link")
@respondent_view(allow_submitted=True)
def your_link() -> Any:
    """The personal link of a respondent registered through the open link."""
    token = session.get(RESUME_LINK_KEY)
    if not token:
        return redirect(url_for("survey.index"))
    return render_template("survey/your_link.html", link=participant_link(token))


# --------------------------------------------------------------------------- the survey


@bp.get("/survey/")
@respondent_view()
def index() -> Any:
    """Send the respondent to where they left off."""
    response = g.participant.response
    survey: Survey = g.survey
    if response is None or response.current_page < 1:
        return redirect(url_for("survey.welcome"))
    if response.current_page > survey.page_count:
        return redirect(url_for("survey.review"))
    return redirect(url_for("survey.page", n=response.current_page))


@bp.get("/survey/welcome")
@respondent_view()
def welcome() -> Any:
    participant: Participant = g.participant
    locale = current_locale()
    token = session.get(RESUME_LINK_KEY)
    return render_template(
        "survey/welcome.html",
        questionnaire=g.survey.questionnaire,
        survey=g.survey,
        estimate=estimate(g.survey.questionnaire, locale, participant.role.key),
        campaign=g.campaign,
        department=display_name(participant.department, locale),
        role=participant.role.label(locale),
        started=participant.response is not None,
        form=ActionForm(),
        resume_link=participant_link(token) if token else None,
    )


@bp.post("/survey/start")
@respondent_view()
def start() -> Any:
    try:
        response = begin(g.participant)
        response.locale = current_locale()
    except CampaignUnavailable as exc:
        return _unavailable(g.campaign, exc.state, has_draft=True)
    except ResponseLocked:
        return _locked()
    db.session.commit()
    return redirect(url_for("survey.index"))


def _page_number(survey: Survey, default: int) -> int:
    number = request.args.get("n", type=int)
    if number is None or not 1 <= number <= survey.page_count:
        return min(max(default, 1), survey.page_count)
    return number


def _values(page: Page, answers: dict[str, Answer]) -> dict[str, str | None]:
    return {q.id: q.type.form_value(answers.get(q.id)) for q in page.questions}


def _render_page(page: Page, answers: dict[str, Answer], **extra: Any) -> str:
    survey: Survey = g.survey
    values = _values(page, answers)
    values.update(extra.pop("posted", {}))
    return render_template(
        "survey/page.html",
        survey=survey,
        questionnaire=survey.questionnaire,
        page=page,
        values=values,
        errors=extra.pop("errors", {}),
        answered=len(survey.answered(answers)),
        **extra,
    )


class _UnknownFields(Exception):
    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


def _read_page_form(page: Page) -> tuple[Any, dict[str, Any], dict[str, list[str]]]:
    """Parse and validate a posted page: (form, answers to save, errors by question id)."""
    survey: Survey = g.survey
    form = survey.form_class(page.number)()
    unknown = [
        name for name in request.form if name.startswith(FIELD_PREFIX) and name not in form._fields
    ]
    if unknown:
        raise _UnknownFields(unknown)
    form.validate()
    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for question in page.questions:
        field = form[question.field_name]
        if field.errors:
            errors[question.id] = [str(error) for error in field.errors]
            continue
        value = question.type.answer_value(field)
        if value is not UNCHANGED:
            answers[question.id] = value
    return form, answers, errors


@bp.route("/survey/page", methods=["GET", "POST"])
@respondent_view()
def page() -> Any:
    """One page of questions; posting it saves its answers and moves back or on."""
    survey: Survey = g.survey
    response = g.participant.response
    if response is None:
        return redirect(url_for("survey.welcome"))
    current = _page_number(survey, response.current_page)
    if request.method == "GET" and request.args.get("n", type=int) != current:
        return redirect(url_for("survey.page", n=current))
    page = survey.page(current)
    if request.method == "GET":
        return _render_page(page, answers_of(response))

    try:
        _form, answers, errors = _read_page_form(page)
    except _UnknownFields as exc:
        message = _("Unknown question(s) on this page: %(names)s", names=", ".join(exc.names))
        return render_template("survey/bad_request.html", message=message), 400
    action = request.form.get("action", "next")
    if action == "back":
        target, url = (
            max(current - 1, 1),
            (url_for("survey.page", n=current - 1) if current > 1 else url_for("survey.welcome")),
        )
    elif current >= survey.page_count:
        target, url = survey.review_page, url_for("survey.review")
    else:
        target, url = current + 1, url_for("survey.page", n=current + 1)
    try:
        response = save_page(
            g.participant,
            survey.questionnaire,
            answers,
            current_page=current if errors else target,
            locale=current_locale(),
        )
    except ResponseLocked:
        return _locked()
    except CampaignUnavailable as exc:
        return _unavailable(g.campaign, exc.state, has_draft=True)
    db.session.commit()
    if errors:
        posted = {q.id: request.form.get(q.field_name) for q in page.questions if q.id in errors}
        return (
            _render_page(page, answers_of(response), errors=errors, posted=posted),
            422,
        )
    return redirect(url)


@bp.post("/survey/autosave")
@respondent_view()
def autosave() -> Any:
    """Save a page's answers while the respondent is still on it (the page's script)."""
    survey: Survey = g.survey
    number = request.args.get("n", type=int)
    if number is None or not 1 <= number <= survey.page_count:
        return jsonify(status="invalid", error=_("Unknown page.")), 400
    page = survey.page(number)
    try:
        _form, answers, errors = _read_page_form(page)
    except _UnknownFields as exc:
        message = _("Unknown question(s) on this page: %(names)s", names=", ".join(exc.names))
        return jsonify(status="invalid", error=message, unknown=exc.names), 400
    try:
        response = save_page(
            g.participant,
            survey.questionnaire,
            answers,
            current_page=number,
            locale=current_locale(),
        )
    except ResponseLocked:
        return _locked()
    except CampaignUnavailable as exc:
        return _unavailable(g.campaign, exc.state, has_draft=True)
    db.session.commit()
    stored = answers_of(response)
    body = {
        "status": "invalid" if errors else "saved",
        "saved": sorted(answers),
        "errors": errors,
        "answered": len(survey.answered(stored)),
        "total": len(survey.questions),
        "saved_at": utcnow().isoformat(),
    }
    return jsonify(body), 422 if errors else 200


@bp.get("/survey/review")
@respondent_view()
def review() -> Any:
    """Every answer given and what is still unanswered, page by page, before submitting."""
    survey: Survey = g.survey
    response = g.participant.response
    if response is None:
        return redirect(url_for("survey.welcome"))
    answers = answers_of(response)
    unanswered = survey.unanswered(answers)
    by_page: dict[int, list[Any]] = {}
    for question in unanswered:
        by_page.setdefault(question.page, []).append(question)
    return render_template(
        "survey/review.html",
        survey=survey,
        questionnaire=survey.questionnaire,
        unanswered=unanswered,
        unanswered_by_page=by_page,
        answered=len(survey.questions) - len(unanswered),
        review=survey.review(answers, current_locale()),
        form=ActionForm(),
    )


@bp.post("/survey/submit")
@respondent_view(allow_submitted=True)
def submit_answers() -> Any:
    """Submit once: a double click, a second tab or a retry lands on the same thank-you page."""
    try:
        submit(g.participant)
    except CampaignUnavailable as exc:
        return _unavailable(g.campaign, exc.state, has_draft=True)
    except OperationError:
        return render_template("survey/no_session.html"), 403
    db.session.commit()
    return redirect(url_for("survey.thanks"))


@bp.get("/survey/thanks")
@respondent_view(allow_submitted=True)
def thanks() -> Any:
    participant: Participant = g.participant
    if participant.status != "submitted":
        return redirect(url_for("survey.index"))
    return render_template(
        "survey/thanks.html",
        questionnaire=g.survey.questionnaire,
        submitted_at=_format_when(participant.submitted_at),
        report_state=individual_report_state(participant),
        closes_at=_format_when(participant.campaign.closes_at),
    )


@bp.get("/survey/report.pdf")
@respondent_view(allow_submitted=True)
def individual_report() -> Any:
    """The respondent's own report, once the campaign has closed, when the consultant allows it."""
    participant: Participant = g.participant
    try:
        pdf = render_individual_report_limited(
            participant, current_locale(), app_factory=app_factory()
        )
    except ReportUnavailableError as exc:
        return render_template("survey/report_unavailable.html", message=str(exc)), 409
    campaign = participant.campaign
    locale = current_locale()
    filename = f"{safe_filename(display_name(campaign, locale))}-individual-{locale}.pdf"
    response = FlaskResponse(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response
