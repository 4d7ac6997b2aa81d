"""The action plan: the provider that fills the outline's place for it
(:mod:`app.reporting.sections.slots`) with the actions the organisation agreed
(:mod:`app.results.actions`).

The organisation report lists this round's agreed actions with their owner, due date and
status, and the progress on the open actions of earlier rounds: the change of each action's
dimension since the round in which it was set, with the trend's verdict. A department's
report lists the actions aimed at that department. Without any action the chapter is absent,
and the summary's priorities stand as the starting proposal.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from app.presentation.agreed_actions import AgreedActionView, agreed_action_views
from app.reporting.sections.base import ReportContext
from app.reporting.sections.slots import ACTION_PLAN, register_slot
from app.reporting.viewmodel import PlanContent, PlannedAction
from app.results.actions import action_names, campaign_actions


def _planned(row: AgreedActionView) -> PlannedAction:
    return PlannedAction(
        action=row.title,
        owner=row.owner,
        dimension=row.dimension,
        department=row.department,
        due=None if row.due == "–" else row.due,
        status=row.status_label,
        status_key=row.status,
        answers=row.origin_text,
        overdue=row.overdue,
        origin=row.origin_campaign if row.carried else None,
        baseline=row.baseline,
        current=row.current if row.carried else None,
        change=row.change if row.carried else None,
        verdict=row.verdict or None,
    )


def action_plan(report: ReportContext) -> PlanContent | None:
    """The report's agreed actions and the progress on earlier ones, or None without any."""
    listed = campaign_actions(report.campaign, report.results)
    if report.department is not None:
        listed = [a for a in listed if a.action.department_id == report.department.id]
    if not listed:
        return None
    departments, campaigns = action_names(report.campaign, report.locale)
    rows = agreed_action_views(report, listed, departments=departments, campaigns=campaigns)
    own = tuple(_planned(row) for row in rows if not row.carried)
    carried = tuple(_planned(row) for row in rows if row.carried)
    overdue = sum(1 for row in rows if row.overdue)
    note = None
    if not own:
        note = _(
            "No action is agreed in this round yet: the executive summary's priorities are "
            "the starting proposal."
        )
    return PlanContent(actions=own, note=note, carried=carried, overdue=overdue)


def register_action_plan(app: Flask) -> None:
    register_slot(app, ACTION_PLAN, action_plan)
