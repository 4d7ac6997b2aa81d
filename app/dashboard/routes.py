"""Dashboard pages and their CSV twins: thin views over :mod:`app.dashboard.viewmodel`.

Each view finds the campaign through :mod:`app.auth.access` (another organisation's campaign
is a 404), reads the one results object and hands it to the page builder; the CSV of a page
writes the same rows the page shows.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app.auth.access import campaign_or_404, campaigns_query, can_manage, can_update_actions
from app.dashboard import actions as agreed
from app.dashboard import benchmark as benchmarks
from app.dashboard import comments as free_text
from app.dashboard import outcomes as customer_outcomes
from app.dashboard import viewmodel as vm
from app.models import ENGLISH, Action, Campaign, Organization, pick_name
from app.operations.actions import CHANGEABLE as ACTION_CHANGEABLE
from app.operations.actions import EXECUTIVE_CHANGEABLE, check_action, create_action, update_action
from app.platform.extensions import db
from app.platform.i18n import current_locale
from app.platform.spreadsheet import csv_writer, xlsx_table
from app.presentation.profile import answered_rows
from app.queries.campaigns import companion_of
from app.queries.profile import campaign_profile
from app.results import CampaignResults, campaign_results

# Made here rather than in the package's __init__, so that the routes need not import the
# package that imports them.
bp = Blueprint("dashboard", "app.dashboard", template_folder="templates", url_prefix="/dashboard")


@bp.app_template_filter("as_entered")
@pass_context
def as_entered(context: Context, name: str) -> Markup | str:
    """A name an English page shows as entered, for want of an English name, marked so
    (its language, and a tooltip); any other text unchanged."""
    if name not in context.get("untranslated", ()):
        return name
    return Markup('<span class="as-entered" lang="ja" title="{}">{}</span>').format(
        _("No English name"), escape(name)
    )


class _Page:
    """The campaign, its results and the page builder for one request."""

    def __init__(self, campaign_id: int) -> None:
        self.campaign = campaign_or_404(current_user, campaign_id)
        self.locale = current_locale()
        # A page never waits for the answers received since the figures were computed.
        self.results: CampaignResults = campaign_results(
            self.campaign, locale=self.locale, allow_previous=True
        )
        self.builder = vm.Builder(self.results, self.campaign.questionnaire, self.locale)

    def render(self, template: str, tab: str, *, csv: bool = True, **context: Any) -> str:
        """The page; ``csv=False`` leaves out the CSV button (a page without a table)."""
        args = request.args.to_dict(flat=False)
        args.pop("lang", None)
        endpoint = request.endpoint or "dashboard.overview"
        csv_url = url_for(f"{endpoint}_csv", **(request.view_args or {}), **args) if csv else None
        return render_template(
            template,
            campaign=self.campaign,
            results=self.results,
            tab=tab,
            csv_url=csv_url,
            pdf_url=url_for(
                "reports.organization_pdf", campaign_id=self.campaign.id, lang=self.locale
            ),
            has_trend=self.results.previous is not None,
            campaign_name=self.results.campaign_title(self.locale),
            organization_name=self.results.organization_title(self.locale),
            untranslated=(
                frozenset(self.results.names_without_english())
                if self.locale == ENGLISH
                else frozenset()
            ),
            **context,
        )


def _csv(table: vm.Table, name: str) -> Response:
    buffer = io.StringIO()
    # The byte-order mark lets spreadsheet programs read the Japanese text as UTF-8.
    buffer.write("\ufeff")
    writer = csv_writer(buffer)
    writer.writerow(table.header)
    writer.writerows(table.rows)
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _lookup(build: Callable[[], Any]) -> Any:
    """A page model, or 404 when it names a department or dimension the campaign lacks."""
    try:
        return build()
    except KeyError:
        abort(404)


@bp.get("/")
@login_required
def index() -> str:
    """The campaigns the user may see, newest first, grouped by organisation."""
    query = (
        campaigns_query(current_user)
        .where(Campaign.status.in_(("open", "closed")))
        .join(Organization, Organization.id == Campaign.organization_id)
        .add_columns(Organization.name, Organization.name_en)
        .order_by(None)
        .order_by(Organization.name, Campaign.id.desc())
    )
    locale = current_locale()
    rows = [
        (
            campaign,
            pick_name(campaign.name, campaign.name_en, locale),
            pick_name(name, name_en, locale),
        )
        for campaign, name, name_en in db.session.execute(query)
    ]
    return render_template("dashboard/index.html", rows=rows)


# Overview ---------------------------------------------------------------------------------


def _companion(page: _Page) -> vm.Builder | None:
    """A page builder over the companion campaign's results, when the user may see it."""
    other = companion_of(page.campaign)
    if other is None:
        return None
    visible = db.session.scalar(
        campaigns_query(current_user).where(
            Campaign.id == other.id, Campaign.organization_id == page.campaign.organization_id
        )
    )
    if visible is None:
        return None
    # The diagnosis already read the companion's results: the same object serves here.
    results = page.results.companion
    if results is None or results.campaign_id != visible.id:
        results = campaign_results(visible, locale=page.locale)
    return vm.Builder(results, visible.questionnaire, page.locale)


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def overview(campaign_id: int) -> str:
    page = _Page(campaign_id)
    model = vm.overview(page.builder, _companion(page))
    _profile, entries = campaign_profile(page.campaign)
    manage = can_manage(current_user, page.campaign.organization_id)
    return page.render(
        "dashboard/overview.html",
        "overview",
        page=model,
        profile_facts=answered_rows(entries, page.locale),
        can_edit_profile=manage,
        offered=agreed.offered_keys(page.builder, page.campaign) if manage else frozenset(),
    )


@bp.get("/campaigns/<int:campaign_id>/overview.csv")
@login_required
def overview_csv(campaign_id: int) -> Response:
    page = _Page(campaign_id)
    model = vm.overview(page.builder, _companion(page))
    return _csv(model.table(), f"campaign-{campaign_id}-overview")


# Departments ------------------------------------------------------------------------------


def _departments(page: _Page) -> vm.DepartmentsPage:
    return vm.departments(
        page.builder,
        sort=request.args.get("sort"),
        direction=request.args.get("dir"),
        compare=request.args.getlist("compare", type=int),
    )


@bp.get("/campaigns/<int:campaign_id>/departments")
@login_required
def departments(campaign_id: int) -> str:
    page = _Page(campaign_id)
    return page.render("dashboard/departments.html", "departments", page=_departments(page))


@bp.get("/campaigns/<int:campaign_id>/departments.csv")
@login_required
def departments_csv(campaign_id: int) -> Response:
    page = _Page(campaign_id)
    return _csv(_departments(page).table(), f"campaign-{campaign_id}-departments")


@bp.get("/campaigns/<int:campaign_id>/departments/<int:department_id>")
@login_required
def department(campaign_id: int, department_id: int) -> str:
    page = _Page(campaign_id)
    model = _lookup(lambda: vm.department(page.builder, department_id))
    department_pdf = url_for(
        "reports.department_pdf",
        campaign_id=campaign_id,
        department_id=department_id,
        lang=page.locale,
    )
    return page.render(
        "dashboard/department.html", "departments", page=model, department_pdf=department_pdf
    )


@bp.get("/campaigns/<int:campaign_id>/departments/<int:department_id>.csv")
@login_required
def department_csv(campaign_id: int, department_id: int) -> Response:
    page = _Page(campaign_id)
    model = _lookup(lambda: vm.department(page.builder, department_id))
    return _csv(model.table(), f"campaign-{campaign_id}-department-{department_id}")


# Roles ------------------------------------------------------------------------------------


def _roles(page: _Page) -> vm.RolesPage:
    department_id = request.args.get("department", type=int)
    return _lookup(lambda: vm.roles(page.builder, department_id))


@bp.get("/campaigns/<int:campaign_id>/roles")
@login_required
def roles(campaign_id: int) -> str:
    page = _Page(campaign_id)
    return page.render("dashboard/roles.html", "roles", page=_roles(page))


@bp.get("/campaigns/<int:campaign_id>/roles.csv")
@login_required
def roles_csv(campaign_id: int) -> Response:
    page = _Page(campaign_id)
    return _csv(_roles(page).table(), f"campaign-{campaign_id}-roles")


# Dimensions -------------------------------------------------------------------------------


@bp.get("/campaigns/<int:campaign_id>/dimensions/<dimension_id>")
@login_required
def dimension(campaign_id: int, dimension_id: str) -> str:
    page = _Page(campaign_id)
    model = _lookup(lambda: vm.dimension(page.builder, dimension_id))
    return page.render("dashboard/dimension.html", "overview", page=model)


@bp.get("/campaigns/<int:campaign_id>/dimensions/<dimension_id>.csv")
@login_required
def dimension_csv(campaign_id: int, dimension_id: str) -> Response:
    page = _Page(campaign_id)
    model = _lookup(lambda: vm.dimension(page.builder, dimension_id))
    return _csv(model.table(), f"campaign-{campaign_id}-dimension-{dimension_id}")


# Trend ------------------------------------------------------------------------------------


def _earlier_rounds(page: _Page) -> list[CampaignResults]:
    """The earlier rounds' results, oldest first, following the previous-round chain."""
    rounds: list[CampaignResults] = []
    seen = {page.campaign.id}
    previous_id = page.campaign.previous_campaign_id
    visible = campaigns_query(current_user).where(
        Campaign.organization_id == page.campaign.organization_id
    )
    while previous_id is not None and previous_id not in seen and len(rounds) < vm.MAX_ROUNDS:
        previous = db.session.scalar(visible.where(Campaign.id == previous_id))
        if previous is None:
            break
        seen.add(previous.id)
        rounds.insert(0, campaign_results(previous, locale=page.locale))
        previous_id = previous.previous_campaign_id
    return rounds


@bp.get("/campaigns/<int:campaign_id>/trend")
@login_required
def trend(campaign_id: int) -> str:
    page = _Page(campaign_id)
    model = vm.trend(page.builder, _earlier_rounds(page))
    return page.render("dashboard/trend.html", "trend", page=model)


@bp.get("/campaigns/<int:campaign_id>/trend.csv")
@login_required
def trend_csv(campaign_id: int) -> Response:
    page = _Page(campaign_id)
    model = vm.trend(page.builder, _earlier_rounds(page))
    return _csv(model.table(), f"campaign-{campaign_id}-trend")


# Benchmark --------------------------------------------------------------------------------


def _benchmark(page: _Page) -> benchmarks.BenchmarkPage:
    return benchmarks.benchmark(page.builder, page.campaign)


@bp.get("/campaigns/<int:campaign_id>/benchmark")
@login_required
def benchmark(campaign_id: int) -> str:
    page = _Page(campaign_id)
    found = _benchmark(page)
    return page.render(
        "dashboard/benchmark.html",
        "benchmark",
        csv=found.available,
        page=found,
        is_consultant=can_manage(current_user, page.campaign.organization_id),
    )


@bp.get("/campaigns/<int:campaign_id>/benchmark.csv")
@login_required
def benchmark_csv(campaign_id: int) -> Response:
    page = _Page(campaign_id)
    found = _benchmark(page)
    if not found.available:
        abort(404)
    return _csv(found.table(), f"campaign-{campaign_id}-benchmark")


# Customer outcomes ------------------------------------------------------------------------


def _outcomes(page: _Page) -> customer_outcomes.OutcomesPage:
    metric = request.args.get("metric", "nps")
    period = request.args.get("period") or None
    return _lookup(lambda: customer_outcomes.outcomes(page.builder, page.campaign, metric, period))


@bp.get("/campaigns/<int:campaign_id>/outcomes")
@login_required
def outcomes(campaign_id: int) -> str:
    page = _Page(campaign_id)
    found = _outcomes(page)
    return page.render(
        "dashboard/outcomes.html",
        "outcomes",
        csv=bool(found.rows),
        page=found,
        is_consultant=can_manage(current_user, page.campaign.organization_id),
    )


@bp.get("/campaigns/<int:campaign_id>/outcomes.csv")
@login_required
def outcomes_csv(campaign_id: int) -> Response:
    page = _Page(campaign_id)
    return _csv(_outcomes(page).table(), f"campaign-{campaign_id}-outcomes")


# Free-text answers ------------------------------------------------------------------------


def _comments(page: _Page) -> free_text.CommentsPage:
    department_id = request.args.get("department", type=int)
    return _lookup(lambda: free_text.comments(page.builder, page.campaign, department_id))


@bp.get("/campaigns/<int:campaign_id>/comments")
@login_required
def comments(campaign_id: int) -> str:
    page = _Page(campaign_id)
    return page.render(
        "dashboard/comments.html",
        "comments",
        page=_comments(page),
        language_of=free_text.language_of,
    )


@bp.get("/campaigns/<int:campaign_id>/comments.csv")
@login_required
def comments_csv(campaign_id: int) -> Response:
    page = _Page(campaign_id)
    return _csv(_comments(page).table(), f"campaign-{campaign_id}-free-text-themes")


# Actions ----------------------------------------------------------------------------------


def _actions_page(page: _Page) -> agreed.ActionsPage:
    manage = can_manage(current_user, page.campaign.organization_id)
    return agreed.actions_page(page.builder, page.campaign, with_proposals=manage)


@bp.get("/campaigns/<int:campaign_id>/actions")
@login_required
def actions(campaign_id: int) -> str:
    page = _Page(campaign_id)
    manage = can_manage(current_user, page.campaign.organization_id)
    form = agreed.ActionForm.for_campaign(page.campaign, page.builder) if manage else None
    return _render_actions(page, form)


def _render_actions(page: _Page, form: agreed.ActionForm | None) -> str:
    found = _actions_page(page)
    return page.render(
        "dashboard/actions.html",
        "actions",
        # The page shown again with a form's errors (after a POST) has no CSV twin.
        csv=bool(found.rows) and request.endpoint == "dashboard.actions",
        page=found,
        form=form,
        can_update=can_update_actions(current_user, page.campaign.organization_id),
        xlsx_url=url_for("dashboard.actions_xlsx", campaign_id=page.campaign.id),
    )


@bp.post("/campaigns/<int:campaign_id>/actions")
@login_required
def add_action(campaign_id: int) -> BaseResponse | str | tuple[str, int]:
    """Add an action by hand, or from a proposal in one click (its values prefilled)."""
    campaign = campaign_or_404(current_user, campaign_id, manage=True)
    page = _Page(campaign.id)
    form = agreed.ActionForm.for_campaign(campaign, page.builder)
    key = request.form.get("proposal")
    if key is not None:
        # CSRFProtect has checked the request's token before this view.
        proposal = agreed.proposal(page.builder, key)
        made = (
            db.session.scalar(
                select(Action.id).where(
                    Action.campaign_id == campaign.id, Action.title == proposal.title
                )
            )
            if proposal is not None
            else None
        )
        if made is not None:
            # Made already (a second click, or from another page): show that action.
            flash(_("This proposal is already an action of this round."), "info")
            return redirect(url_for("dashboard.action", action_id=made, campaign=campaign.id))
        if proposal is None:
            flash(_("That proposal is no longer offered: the figures have changed."), "error")
            return redirect(url_for("dashboard.actions", campaign_id=campaign.id))
        raw = {
            "title": proposal.title,
            "dimension": proposal.dimension,
            "owner": proposal.owner,
            "due": proposal.due.isoformat(),
        }
        origin = proposal.answers or proposal.source
    else:
        if not form.validate_on_submit():
            return _render_actions(page, form), 400
        raw = form.raw()
        origin = None
    values, problems = check_action(campaign, raw)
    if problems:
        form.show(problems)
        return _render_actions(page, form), 400
    action = create_action(campaign, values, origin_text=origin, actor=current_user)
    db.session.commit()
    flash(
        _("Action added. Check its owner and due date.") if key is not None else _("Action added."),
        "success",
    )
    return redirect(url_for("dashboard.action", action_id=action.id, campaign=campaign.id))


def _action_or_404(action_id: int) -> tuple[Action, Campaign]:
    action = db.session.get(Action, action_id)
    if action is None:
        abort(404)
    origin = campaign_or_404(current_user, action.campaign_id)
    return action, origin


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
@login_required
def action(action_id: int) -> BaseResponse | str | tuple[str, int]:
    """One action: its values, its history and, for who may, the form that changes it."""
    found, origin = _action_or_404(action_id)
    # The round the page was opened from (for the way back), when it is the same client's.
    listed_in = origin
    asked = request.args.get("campaign", type=int)
    if asked is not None and asked != origin.id:
        other = db.session.scalar(
            campaigns_query(current_user).where(
                Campaign.id == asked, Campaign.organization_id == origin.organization_id
            )
        )
        listed_in = other or origin
    manage = can_manage(current_user, origin.organization_id)
    may_update = can_update_actions(current_user, origin.organization_id)
    locale = current_locale()
    view = vm.Builder(
        campaign_results(listed_in, locale=locale, allow_previous=True),
        listed_in.questionnaire,
        locale,
    )
    form_class = agreed.ActionForm if manage else agreed.ActionStatusForm
    form = form_class.for_campaign(origin, view, data=agreed.action_data(found))
    status = 200
    if request.method == "POST":
        if not may_update:
            abort(403)
        if form.validate_on_submit():
            fields = ACTION_CHANGEABLE if manage else EXECUTIVE_CHANGEABLE
            values, problems = check_action(origin, form.raw(fields), fields=fields)
            if not problems:
                update_action(found, values, actor=current_user)
                db.session.commit()
                flash(_("Action saved."), "success")
                return redirect(
                    url_for("dashboard.action", action_id=found.id, campaign=listed_in.id)
                )
            form.show(problems)
        status = 400
    row = agreed.action_row(view, listed_in, found)
    return render_template(
        "dashboard/action.html",
        action=found,
        row=row,
        form=form if may_update else None,
        manage=manage,
        history=agreed.history(found, view, origin),
        campaign=listed_in,
        organization_name=pick_name(
            origin.organization.name, origin.organization.name_en, current_locale()
        ),
    ), status


@bp.get("/campaigns/<int:campaign_id>/actions.csv")
@login_required
def actions_csv(campaign_id: int) -> Response:
    page = _Page(campaign_id)
    header, rows = _actions_page(page).table()
    return _csv(vm.Table(header, rows), f"campaign-{campaign_id}-actions")


@bp.get("/campaigns/<int:campaign_id>/actions.xlsx")
@login_required
def actions_xlsx(campaign_id: int) -> Response:
    page = _Page(campaign_id)
    header, rows = _actions_page(page).table()
    response = Response(
        xlsx_table(header, rows, "actions"),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="campaign-{campaign_id}-actions.xlsx"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
