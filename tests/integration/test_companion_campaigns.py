"""Companion campaigns: the pairing rules, the CLI and the campaign settings form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import AuditEvent, Campaign
from app.operations.campaigns import create_campaign, pair_campaigns, unpair_campaign
from app.operations.errors import OperationError
from app.platform.extensions import db
from app.queries.campaigns import companion_choices, companion_of
from app.questionnaire import parse_questionnaire
from tests.factories import grant, make_campaign, make_org, make_user
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)

#: A questionnaire asking about a capability and a stage at once: it needs no companion.
MIXED = """
id: mixed-test
version: "1.0.0"
locales: [ja, en]
title: {ja: 混合診断, en: Mixed assessment}
scale:
  min: 1
  max: 5
  labels:
    1: {ja: 未着手, en: Not started}
    2: {ja: 部分的, en: Ad hoc}
    3: {ja: 途上, en: Developing}
    4: {ja: 定着, en: Established}
    5: {ja: 先進的, en: Leading}
dimensions:
  - id: vision
    kind: capability
    title: {ja: ビジョン力, en: Vision}
    items:
      - {id: v1, text: {ja: CXビジョンが共有されている, en: The CX vision is shared}}
  - id: strategy
    kind: stage
    title: {ja: 戦略策定, en: Strategy}
    items:
      - {id: s1, text: {ja: CX戦略がある, en: There is a CX strategy}}
"""


def _campaigns():
    org = make_org("acme")
    other_org = make_org("other")
    return {
        "cap": make_campaign(org, name="5つの力 2026"),
        "cap2": make_campaign(org, name="5つの力 2027", opened=False),
        "cycle": make_campaign(org, name="向上サイクル 2026", questionnaire="cx-improvement-cycle"),
        "cycle2": make_campaign(
            org, name="向上サイクル 2027", questionnaire="cx-improvement-cycle", opened=False
        ),
        "foreign": make_campaign(
            other_org, name="他社 向上サイクル", questionnaire="cx-improvement-cycle"
        ),
    }


def _events(campaign: Campaign, action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.campaign_id == campaign.id, AuditEvent.action == action
            )
        )
    )


def test_pairing_rules_and_symmetry(app) -> None:
    c = _campaigns()
    cap, cap2, cycle, cycle2, foreign = (
        c["cap"],
        c["cap2"],
        c["cycle"],
        c["cycle2"],
        c["foreign"],
    )
    with pytest.raises(OperationError, match="cannot be its own companion"):
        pair_campaigns(cap, cap)
    with pytest.raises(OperationError, match=f"Campaign {foreign.id} belongs to another org"):
        pair_campaigns(cap, foreign)
    with pytest.raises(OperationError, match="ask the same kind of questionnaire"):
        pair_campaigns(cap, cap2)
    with pytest.raises(OperationError, match="ask the same kind of questionnaire"):
        pair_campaigns(cycle2, cycle)
    mixed = create_campaign(cap.organization, parse_questionnaire(MIXED), "混合")
    with pytest.raises(OperationError, match=f"Campaign {mixed.id} asks about both"):
        pair_campaigns(cap, mixed)
    assert companion_choices(mixed) == []
    assert companion_choices(cap) == [cycle, cycle2]
    assert companion_choices(cycle) == [cap, cap2]
    assert companion_of(cap) is None

    pair_campaigns(cap, cycle)
    db.session.commit()
    assert (cap.companion_campaign_id, cycle.companion_campaign_id) == (cycle.id, cap.id)
    assert companion_of(cap) == cycle
    assert companion_of(cycle) == cap
    assert len(_events(cap, "campaign.paired")) == 1
    assert _events(cycle, "campaign.paired")[0].detail == {"companion_campaign_id": cap.id}
    # Pairing the same couple again changes nothing and records nothing.
    pair_campaigns(cycle, cap)
    assert len(_events(cap, "campaign.paired")) == 1

    # A new companion releases the earlier one on both sides.
    pair_campaigns(cap2, cycle)
    db.session.commit()
    assert cap.companion_campaign_id is None
    assert companion_of(cap) is None
    assert companion_of(cycle) == cap2
    assert companion_of(cap2) == cycle
    assert _events(cap, "campaign.unpaired")[0].detail == {"companion_campaign_id": cycle.id}

    assert unpair_campaign(cycle) == cap2
    db.session.commit()
    assert (cycle.companion_campaign_id, cap2.companion_campaign_id) == (None, None)
    assert companion_of(cycle) is None
    assert companion_of(cap2) is None
    assert unpair_campaign(cycle) is None


def test_links_are_read_both_ways_and_invalid_ones_ignored(app) -> None:
    c = _campaigns()
    cap, cycle, foreign = c["cap"], c["cycle"], c["foreign"]
    # A link on one row only (written by hand) is read from either side.
    cycle.companion_campaign_id = cap.id
    db.session.commit()
    assert companion_of(cap) == cycle
    assert companion_of(cycle) == cap
    # A link to another organisation's campaign is never followed.
    cycle.companion_campaign_id = None
    cap.companion_campaign_id = foreign.id
    foreign.companion_campaign_id = cap.id
    db.session.commit()
    assert companion_of(cap) is None
    assert companion_of(foreign) is None
    # Deleting a campaign leaves its companion unpaired (ON DELETE SET NULL).
    pair_campaigns(cap, cycle)
    db.session.commit()
    db.session.delete(cycle)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Campaign, cap.id).companion_campaign_id is None


def test_cli_pair_and_unpair(app, runner) -> None:
    c = _campaigns()
    cap, cap2, cycle = c["cap"].id, c["cap2"].id, c["cycle"].id
    result = runner.invoke(args=["campaign", "pair", str(cap), str(cycle)])
    assert result.exit_code == 0, result.output
    assert f"Campaigns {cap} and {cycle} are companions." in result.output
    db.session.expire_all()
    assert db.session.get(Campaign, cycle).companion_campaign_id == cap

    result = runner.invoke(args=["campaign", "pair", str(cap), str(cap2)])
    assert result.exit_code == 1
    assert "ask the same kind of questionnaire" in result.output
    result = runner.invoke(args=["campaign", "pair", str(cap), "999999"])
    assert result.exit_code == 1
    assert "No campaign with id 999999" in result.output

    result = runner.invoke(args=["campaign", "unpair", str(cycle)])
    assert result.exit_code == 0, result.output
    assert f"Campaigns {cycle} and {cap} are no longer companions." in result.output
    db.session.expire_all()
    assert db.session.get(Campaign, cap).companion_campaign_id is None
    result = runner.invoke(args=["campaign", "unpair", str(cycle)])
    assert result.exit_code == 0
    assert "has no companion campaign" in result.output


def _options(html: str) -> dict[str, str]:
    select_html = re.search(r'<select[^>]*name="companion".*?</select>', html, re.S).group(0)
    return dict(re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', select_html))


def test_settings_form_round_trip(app) -> None:
    c = _campaigns()
    cap, cap2, cycle, foreign = c["cap"], c["cap2"], c["cycle"], c["foreign"]
    consultant = make_user("consultant@acme.test")
    grant(consultant, cap.organization, "consultant")
    client = make_client(app, "ja")
    assert login(client, consultant.email).status_code == 302
    url = f"/workspace/campaigns/{cap.id}/settings"
    page = client.get(url).get_data(as_text=True)
    assert "対になるキャンペーン" in page
    options = _options(page)
    # Campaigns of the other kind in the same organisation, or none.
    assert set(options) == {"0", str(cycle.id), str(c["cycle2"].id)}
    assert options["0"] == "対になるキャンペーンなし"
    assert str(cap2.id) not in options
    assert str(foreign.id) not in options

    form = {
        "csrf_token": csrf_token(client, url),
        "name": cap.name,
        "timezone": "Asia/Tokyo",
        "threshold": str(cap.anonymity_threshold),
        "companion": str(cycle.id),
    }
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, cap.id).companion_campaign_id == cycle.id
    assert db.session.get(Campaign, cycle.id).companion_campaign_id == cap.id
    page = client.get(url).get_data(as_text=True)
    assert re.search(
        rf'<option[^>]*selected[^>]*value="{cycle.id}"|value="{cycle.id}"[^>]*selected', page
    )
    # The other side's form shows the pairing too, and the campaign page links to it.
    other = client.get(f"/workspace/campaigns/{cycle.id}/settings").get_data(as_text=True)
    assert re.search(rf'value="{cap.id}"[^>]*selected|selected[^>]*value="{cap.id}"', other)
    campaign_page = client.get(f"/workspace/campaigns/{cap.id}").get_data(as_text=True)
    assert f'href="/workspace/campaigns/{cycle.id}"' in campaign_page
    assert "対になるキャンペーンを設定" in campaign_page  # the audit log

    # A campaign that is not offered (same kind, or another organisation's) is refused.
    for refused in (cap2.id, foreign.id):
        response = client.post(url, data={**form, "companion": str(refused)})
        assert response.status_code == 200
        db.session.expire_all()
        assert db.session.get(Campaign, cap.id).companion_campaign_id == cycle.id

    # Posting without CSRF changes nothing.
    no_csrf = {key: value for key, value in form.items() if key != "csrf_token"}
    assert client.post(url, data={**no_csrf, "companion": "0"}).status_code in (200, 400)
    db.session.expire_all()
    assert db.session.get(Campaign, cap.id).companion_campaign_id == cycle.id

    assert client.post(url, data={**form, "companion": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, cap.id).companion_campaign_id is None
    assert db.session.get(Campaign, cycle.id).companion_campaign_id is None
    assert _options(client.get(url).get_data(as_text=True))


def test_executives_cannot_change_the_pairing(app) -> None:
    c = _campaigns()
    cap, cycle = c["cap"], c["cycle"]
    executive = make_user("executive@acme.test")
    grant(executive, cap.organization, "executive")
    client = make_client(app)
    assert login(client, executive.email).status_code == 302
    url = f"/workspace/campaigns/{cap.id}/settings"
    assert client.get(url).status_code == 404
    response = client.post(url, data={"name": cap.name, "companion": str(cycle.id)})
    assert response.status_code in (400, 404)
    db.session.expire_all()
    assert db.session.get(Campaign, cap.id).companion_campaign_id is None
