"""A campaign's diagnosis read with its companion's figures: weak roll-out together with weak
organisation & leadership is one message, in both campaigns, and only where both are shown."""

from __future__ import annotations

from flask import Flask

from app.models import Campaign
from app.operations.campaigns import close_campaign, pair_campaigns
from app.platform.extensions import db
from app.reporting import service
from app.results import campaign_results
from tests.factories import invite, make_campaign, make_org, submit

SYNTHESIS = "rollout_held_back_by_org_behavior"
#: (department, respondents in the five-capabilities campaign, in the cycle campaign, roll-out
#: answer): 営業部 is weak on both; 開発部 rolls out well; 人事部 is too small in the cycle
#: (法務部, as small and in the cycle only, keeps the two withheld without hiding 開発部).
LAYOUT = (("営業部", 8, 8, 2), ("開発部", 6, 6, 3), ("人事部", 6, 2, 2), ("法務部", 0, 2, 3))


def _answer(campaign: Campaign, department: str, count: int, weak: dict[str, int]) -> None:
    questionnaire = campaign.questionnaire
    for index in range(count):
        participant, _token = invite(campaign, department=department, name=f"{department}{index}")
        # Reverse-keyed items are answered the other way round: every score is as planted.
        answers = {
            item.id: 6 - weak.get(dimension.id, 3) if item.reverse else weak.get(dimension.id, 3)
            for dimension in questionnaire.dimensions
            for item in dimension.items
            if item in questionnaire.items_for("frontline")
        }
        submit(participant, answers=answers)


def _paired() -> tuple[Campaign, Campaign]:
    org = make_org("synthesis", departments=[name for name, *_ in LAYOUT])
    capabilities = make_campaign(org, name="5つの力", questionnaire="cx-five-capabilities")
    cycle = make_campaign(org, name="向上サイクル", questionnaire="cx-improvement-cycle")
    for department, in_capabilities, in_cycle, rollout in LAYOUT:
        _answer(capabilities, department, in_capabilities, {"org_behavior": 2})
        _answer(cycle, department, in_cycle, {"rollout": rollout})
    pair_campaigns(capabilities, cycle)
    for campaign in (capabilities, cycle):
        close_campaign(campaign)
    db.session.commit()
    return capabilities, cycle


def test_both_campaigns_tell_the_synthesis_where_both_sides_are_shown(app: Flask) -> None:
    capabilities, cycle = _paired()
    departments = {d.name: d.id for d in capabilities.organization.departments}
    own = campaign_results(capabilities)
    other = campaign_results(cycle)
    for results in (own, other):
        assert results.companion is not None
        assert SYNTHESIS in {f.rule for f in results.diagnosis.findings}
        message = next(m for m in results.diagnosis.key_messages if m.rule == SYNTHESIS)
        assert {(e.dimension, round(e.value, 2), e.n) for e in message.evidence} == {
            ("org_behavior", 2.0, 20),
            ("rollout", round((8 * 2 + 6 * 3 + 2 * 2 + 2 * 3) / 18, 2), 18),
        }
        by_department = {
            name: {f.rule for f in results.department_diagnoses[i].findings}
            for name, i in departments.items()
            if i in results.department_diagnoses
        }
        assert SYNTHESIS in by_department["営業部"]
        # 開発部 rolls out well: organisation & leadership alone is not the synthesis.
        assert SYNTHESIS not in by_department["開発部"]
    # 人事部 is shown in the five-capabilities campaign only: its roll-out score is withheld,
    # so no message rests on it.
    assert SYNTHESIS not in {
        f.rule for f in own.department_diagnoses[departments["人事部"]].findings
    }
    assert departments["人事部"] not in other.department_diagnoses
    # The companion's own findings are not repeated: only the five-capabilities campaign says
    # organisation & leadership is low on its own.
    assert "low_org_behavior" in {f.rule for f in own.diagnosis.findings}
    assert "low_org_behavior" not in {f.rule for f in other.diagnosis.findings}


def test_without_a_companion_the_synthesis_never_holds(app: Flask) -> None:
    org = make_org("alone", departments=["営業部"])
    campaign = make_campaign(org, name="5つの力", questionnaire="cx-five-capabilities")
    _answer(campaign, "営業部", 8, {"org_behavior": 2})
    close_campaign(campaign)
    db.session.commit()
    results = campaign_results(campaign)
    assert results.companion is None
    assert SYNTHESIS not in {f.rule for f in results.diagnosis.findings}
    assert "low_org_behavior" in {f.rule for f in results.diagnosis.findings}


def test_the_reports_show_the_synthesis_with_both_campaigns_dimensions(app: Flask) -> None:
    capabilities, cycle = _paired()
    for campaign in (capabilities, cycle):
        html = service.render_html(campaign, locale="ja").html
        summary = html[html.index('class="key-messages') :]
        summary = summary[: summary.index("</ol>")]
        assert "浸透の前提となる、CXビジョンと推進体制を固める" in summary
        # The evidence names both dimensions, one from each campaign, with its group size.
        assert "CX施策の展開・浸透：組織全体" in summary
        assert "組織行動の力：組織全体 2.00（n=20）" in summary
    english = service.render_html(cycle, locale="en").html
    assert "Secure the vision and governance that roll-out depends on" in english
    assert "Organisation &amp; leadership: Whole organisation 2.00 (n=20)" in english
