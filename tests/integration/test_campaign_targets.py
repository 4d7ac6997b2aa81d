"""Target levels per dimension: set from the campaign settings page and the CLI, read by the
results engine (progress to target) and refused when off the scale or unknown."""

from __future__ import annotations

import pytest

from app.models import AuditEvent, Campaign
from app.operations.campaigns import set_targets
from app.operations.errors import OperationError
from app.platform.extensions import db
from app.reporting.sections.summary import progress_card
from app.results import campaign_results
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@pytest.fixture
def campaign(app):
    org = make_org("acme")
    grant(make_user("c@example.com"), org, "consultant")
    campaign = make_campaign(org)
    for person in add_people(campaign, 3):
        submit(person, value=3)
    db.session.commit()
    return campaign


def _settings_form(campaign: Campaign, client) -> dict[str, str]:
    url = f"/workspace/campaigns/{campaign.id}/settings"
    return {
        "csrf_token": csrf_token(client, url),
        "name": campaign.name,
        "timezone": "Asia/Tokyo",
        "threshold": str(campaign.anonymity_threshold),
    }


def test_settings_page_sets_and_clears_targets(app, campaign):
    client = make_client(app)
    assert login(client, "c@example.com").status_code == 302
    url = f"/workspace/campaigns/{campaign.id}/settings"
    page = client.get(url).get_data(as_text=True)
    assert "Target levels" in page
    assert 'name="target-digital"' in page
    form = _settings_form(campaign, client)
    form.update({"target-digital": "4", "target-org_behavior": "3.5", "target-design": ""})
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Campaign, campaign.id)
    assert saved.targets == {"digital": 4.0, "org_behavior": 3.5}
    # Everyone answered 3, so the shortfall is 1 + 0.5; without a previous round there is no
    # baseline, so no progress is given (it is never counted from zero).
    results = campaign_results(saved)
    assert results.targets.targets == {"digital": 4.0, "org_behavior": 3.5}
    assert results.targets.shortfalls == pytest.approx({"digital": 1.0, "org_behavior": 0.5})
    assert results.targets.progress is None
    assert results.targets.baseline == {}
    assert 'value="3.5"' in client.get(url).get_data(as_text=True)
    event = db.session.query(AuditEvent).filter_by(action="campaign.targets_set").one()
    assert event.detail["targets"] == {"digital": 4.0, "org_behavior": 3.5}

    form = _settings_form(saved, client)
    form.update({"target-digital": "", "target-org_behavior": ""})
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).targets == {}


def test_settings_page_refuses_a_target_off_the_scale_and_keeps_the_input(app, campaign):
    client = make_client(app)
    assert login(client, "c@example.com").status_code == 302
    url = f"/workspace/campaigns/{campaign.id}/settings"
    form = _settings_form(campaign, client)
    form.update({"target-digital": "7", "target-design": "abc"})
    page = client.post(url, data=form).get_data(as_text=True)
    assert "must be between 1 and 5" in page or "must be a number" in page
    assert 'value="7"' in page
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).targets == {}


def test_operation_checks_dimension_and_scale(campaign):
    with pytest.raises(OperationError, match="Unknown dimension nope"):
        set_targets(campaign, {"nope": 3})
    with pytest.raises(OperationError, match="between 1 and 5"):
        set_targets(campaign, {"digital": 0.5})


def test_cli_sets_and_clears_targets(runner, campaign):
    result = runner.invoke(args=["campaign", "targets", str(campaign.id), "digital=4.5"])
    assert result.exit_code == 0, result.output
    assert "digital=4.5" in result.output
    result = runner.invoke(args=["campaign", "targets", str(campaign.id), "design=3"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).targets == {"digital": 4.5, "design": 3.0}
    bad = runner.invoke(args=["campaign", "targets", str(campaign.id), "digital=9"])
    assert bad.exit_code != 0
    assert "between 1 and 5" in bad.output
    cleared = runner.invoke(args=["campaign", "targets", str(campaign.id), "--clear"])
    assert cleared.exit_code == 0, cleared.output
    assert "none" in cleared.output
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).targets == {}


@pytest.mark.parametrize(
    ("before", "now", "shown"),
    [(2, 3, "%"), (3, 2, "前回を下回っています"), (2, 5, "100%")],
)
def test_progress_to_target_counts_from_the_previous_round(app, before, now, shown):
    org = make_org("acme")
    earlier = make_campaign(org, name="2025")
    for person in add_people(earlier, 3):
        submit(person, value=before)
    campaign = make_campaign(org, name="2026")
    for person in add_people(campaign, 3):
        submit(person, value=now)
    campaign.previous_campaign_id = earlier.id
    campaign.targets = {"digital": 4.0}
    db.session.commit()
    results = campaign_results(campaign)
    baseline = campaign_results(earlier).organization.scores["digital"].mean
    current = results.organization.scores["digital"].mean
    targets = results.targets
    assert targets.baseline == pytest.approx({"digital": baseline})
    assert targets.progress == pytest.approx((current - baseline) / (4.0 - baseline))
    with app.test_request_context():
        card = progress_card(targets.progress)
        assert card is not None
        assert card.value.endswith(shown)
        if shown == "%":
            assert card.value == f"{targets.progress * 100:.0f}%"
            assert 0 < targets.progress < 1
        assert progress_card(None) is None
