"""A respondent's personal report: their own answers against the shown group averages.

The respondent's own scores come from :mod:`app.results.individual` (the same rules as
everyone's); averages and item means come from the campaign's results object and appear only
for groups that passed the anonymity threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _

from app.models import Participant, display_name, utcnow
from app.presentation import charts
from app.presentation.charts import ScaleSpec, Series
from app.presentation.views import mean_of
from app.reporting.availability import campaign_results_for, check_individual_report
from app.reporting.rendering import RenderedReport, render_html
from app.results.individual import respondent_scores, response_answers
from app.results.model import GroupResult


@dataclass(frozen=True)
class IndividualItem:
    number: str
    text: str
    answer: int | None
    answer_label: str
    organization: float | None
    role: float | None


@dataclass(frozen=True)
class IndividualDimension:
    number: str
    title: str
    own: float | None
    own_level: int | None
    own_level_label: str
    role: float | None
    organization: float | None
    items: tuple[IndividualItem, ...]


@dataclass(frozen=True)
class NextStep:
    item: str
    next_level: int
    descriptor: str


@dataclass(frozen=True)
class IndividualView:
    locale: str
    title: str
    organization: str
    campaign: str
    questionnaire: str
    name: str | None
    department: str
    role: str
    submitted_at: datetime | None
    generated_at: datetime
    threshold: int
    role_shown: bool
    chart: str | None
    dimensions: tuple[IndividualDimension, ...]
    next_steps: tuple[NextStep, ...]
    scale_labels: tuple[str, ...]


def _item_mean(group: GroupResult | None, item_id: str) -> float | None:
    if group is None or not group.shown:
        return None
    cell = group.distributions.get(item_id)
    return None if cell is None else cell.mean


def build_individual_view(participant: Participant, locale: str) -> IndividualView:
    """What the personal report of ``participant`` shows, in ``locale``."""
    check_individual_report(participant)
    campaign = participant.campaign
    questionnaire = campaign.questionnaire
    results = campaign_results_for(campaign)
    own = respondent_scores(
        questionnaire, response_answers(participant.response), participant.role.key
    )
    answers = own.answers
    organization = results.organization if results.organization.shown else None
    try:
        role_group = results.group("role", role=participant.role.key)
    except KeyError:
        role_group = None
    if role_group is not None and not role_group.shown:
        role_group = None
    scale = questionnaire.scale
    scale_labels = tuple(scale.label(p, locale, questionnaire.default_locale) for p in scale.points)
    role_label = participant.role.label(locale)

    def group_mean(group: GroupResult | None, dimension_id: str) -> float | None:
        return None if group is None else mean_of(group, dimension_id)

    dimensions = []
    lowest: list[tuple[int, str, str]] = []
    for d_index, dimension in enumerate(questionnaire.dimensions, start=1):
        own_score = own.dimensions[dimension.id]
        level = own_score.level
        items = []
        for i_index, item in enumerate(dimension.items, start=1):
            answer = answers.get(item.id)
            label = (
                scale.label(answer, locale, questionnaire.default_locale)
                if answer is not None
                else _("Not applicable / no answer")
            )
            items.append(
                IndividualItem(
                    number=f"{d_index}.{i_index}",
                    text=questionnaire.text(item.text, locale),
                    answer=answer,
                    answer_label=label,
                    organization=_item_mean(organization, item.id),
                    role=_item_mean(role_group, item.id),
                )
            )
            if answer is not None:
                scored = int(questionnaire.scored_value(item.id, answer))
                lowest.append((scored, f"{d_index}.{i_index}", item.id))
        dimensions.append(
            IndividualDimension(
                number=str(d_index),
                title=questionnaire.text(dimension.title, locale),
                own=own_score.score,
                own_level=level,
                own_level_label=""
                if level is None
                else scale.label(level, locale, questionnaire.default_locale),
                role=group_mean(role_group, dimension.id),
                organization=group_mean(organization, dimension.id),
                items=tuple(items),
            )
        )
    next_steps = []
    for scored, _number, item_id in sorted(lowest)[:3]:
        if scored >= scale.max:
            continue
        item = questionnaire.item(item_id)
        descriptor = item.level(scored + 1, locale, questionnaire.default_locale)
        if descriptor:
            next_steps.append(
                NextStep(questionnaire.text(item.text, locale), scored + 1, descriptor)
            )
    chart = _chart(
        dimensions,
        role_label,
        role_group,
        organization,
        ScaleSpec(scale.min, scale.max, scale_labels),
        participant.role,
        radar=questionnaire.kinds == ("capability",) and len(dimensions) >= 3,
    )
    return IndividualView(
        locale=locale,
        title=_("Personal CX maturity report"),
        organization=results.organization_title(locale),
        campaign=results.campaign_title(locale),
        questionnaire=results.text(results.questionnaire.title, locale),
        name=participant.name,
        department=display_name(participant.department, locale),
        role=role_label,
        submitted_at=participant.response.submitted_at,
        generated_at=utcnow(),
        threshold=results.anonymity_threshold,
        role_shown=role_group is not None,
        chart=chart,
        dimensions=tuple(dimensions),
        next_steps=tuple(next_steps),
        scale_labels=scale_labels,
    )


def _chart(
    dimensions: list[IndividualDimension],
    role_label: str,
    role_group: object,
    organization: object,
    scale: ScaleSpec,
    role: object,
    *,
    radar: bool,
) -> str | None:
    titles = [d.title for d in dimensions]
    series = [
        Series(_("You"), tuple(d.own for d in dimensions), charts.SELF_COLOR, linewidth=2.4),
    ]
    if role_group is not None:
        series.append(
            Series(
                role_label,
                tuple(d.role for d in dimensions),
                charts.role_color(role.key, role.rank),
                n=role_group.n,
                linewidth=1.6,
            )
        )
    if organization is not None:
        series.append(
            Series(
                _("Whole organisation"),
                tuple(d.organization for d in dimensions),
                charts.ORGANIZATION_COLOR,
                n=organization.n,
                linestyle="dashed",
                linewidth=1.4,
            )
        )
    if all(value is None for value in series[0].values):
        return None
    if radar:
        svg = charts.radar_chart(titles, series, scale)
    else:
        svg = charts.bar_chart(titles, series, scale)
    return charts.svg_data_uri(svg)


def render_individual_html(participant: Participant, locale: str) -> RenderedReport:
    """The personal report of ``participant`` as HTML (raises when not available)."""
    with force_locale(locale):
        view = build_individual_view(participant, locale)
        return render_html("individual", {"report": view}, locale)
