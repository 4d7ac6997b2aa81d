"""The organisation profile of a campaign: facts recorded by the CX office or the consultant."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.auth import access
from app.operations.errors import OperationError
from app.operations.profile import save_profile
from app.platform.forms import Form
from app.platform.i18n import current_locale
from app.platform.text import find_control_character
from app.queries.profile import ProfileEntry, campaign_profile
from app.questionnaire.profile import MAX_NUMBER, Fact, Profile, clean_answer
from app.workspace import common
from app.workspace.blueprint import bp

#: Form field names: the answer and the evidence note of each fact.
ANSWER_FIELD = "fact-"
EVIDENCE_FIELD = "evidence-"


def _answer_problem(fact: Fact, problem: str) -> str:
    messages = {
        "option": _("Choose one of the options."),
        "yes_no": _("Choose yes or no."),
        "number": _("Enter a whole number from 0 to %(max)d.", max=MAX_NUMBER),
        "length": _("At most %(limit)d characters.", limit=fact.max_length),
    }
    return messages[problem]


def _check_posted(profile: Profile) -> tuple[dict[str, tuple[str, str]], dict[str, list[str]]]:
    """The posted answers and notes of the facts on the form, with the problems of each."""
    posted: dict[str, tuple[str, str]] = {}
    problems: dict[str, list[str]] = {}
    for fact in profile.facts:
        if (
            ANSWER_FIELD + fact.id not in request.form
            and EVIDENCE_FIELD + fact.id not in request.form
        ):
            continue  # not on the posted form: kept as stored
        value = request.form.get(ANSWER_FIELD + fact.id, "")
        evidence = request.form.get(EVIDENCE_FIELD + fact.id, "")
        posted[fact.id] = (value, evidence)
        found: list[str] = []
        _clean, problem = clean_answer(fact, value)
        if problem is not None:
            found.append(_answer_problem(fact, problem))
        if len(evidence.strip()) > profile.evidence_max_length:
            found.append(
                _(
                    "The evidence note is %(length)d characters long; at most %(limit)d.",
                    length=len(evidence.strip()),
                    limit=profile.evidence_max_length,
                )
            )
        for text in (value, evidence):
            if find_control_character(text, allow_line_breaks=True) is not None:
                found.append(_("Remove the invisible control characters."))
                break
        if found:
            problems[fact.id] = found
    return posted, problems


def _shown(entries: list[ProfileEntry], posted: dict[str, tuple[str, str]] | None) -> dict:
    """The values to show in each field: as posted, or as stored."""
    shown = {
        entry.fact.id: {"value": entry.value or "", "evidence": entry.evidence or ""}
        for entry in entries
    }
    for fact_id, (value, evidence) in (posted or {}).items():
        shown[fact_id] = {"value": value, "evidence": evidence}
    return shown


@bp.route("/campaigns/<int:campaign_id>/profile", methods=["GET", "POST"])
def campaign_profile_view(campaign_id: int) -> BaseResponse | tuple[str, int] | str:
    campaign = access.campaign_or_404(common.user(), campaign_id, manage=True)
    profile, entries = campaign_profile(campaign)
    if profile is None:
        abort(404)
    form = Form()
    posted = None
    problems: dict[str, list[str]] = {}
    status = 200
    if form.validate_on_submit():
        posted, problems = _check_posted(profile)
        if not problems:
            try:
                save_profile(
                    campaign, profile, posted, actor=common.user(), locale=current_locale()
                )
            except OperationError as exc:
                common.fail(exc)
                status = 400
            else:
                common.commit_and_flash(_("Organisation profile saved."))
                return redirect(url_for(".campaign_profile_view", campaign_id=campaign.id))
        else:
            status = 400
    elif request.method == "POST":
        status = 400
    page = render_template(
        "workspace/profile.html",
        campaign=campaign,
        profile=profile,
        entries=entries,
        form=form,
        values=_shown(entries, posted),
        problems=problems,
        answer_field=ANSWER_FIELD,
        evidence_field=EVIDENCE_FIELD,
    )
    return (page, status) if status != 200 else page
