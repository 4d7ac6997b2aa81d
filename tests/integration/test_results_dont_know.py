"""Don't-know rates in the results: per group and item, over the respondents asked."""

from __future__ import annotations

from app.results import campaign_results
from tests import factories, versions_support


def test_dont_know_rates_per_role_and_item_over_the_respondents_asked(db) -> None:
    org = factories.make_org("unknowns", ("営業部",))
    campaign = factories.make_campaign(org, questionnaire=versions_support.new(), threshold=3)
    executives = factories.add_people(campaign, 4, role="executive")
    front_line = factories.add_people(campaign, 5, role="frontline")
    for index, person in enumerate(executives):
        factories.submit(person, answers={"org_owner_seen": "dk" if index == 0 else 4})
    for index, person in enumerate(front_line):
        answers = {"org_vision_daily": "dk" if index < 3 else 3, "org_blame": "na"}
        factories.submit(person, answers=answers)

    results = campaign_results(campaign)
    organization = results.organization.to_dict()["dont_know"]
    # Only executives were asked org_owner_seen: one of four did not know.
    assert organization["org_owner_seen"]["asked"] == 4
    assert organization["org_owner_seen"]["rate"] == 0.25
    assert organization["org_vision_daily"]["asked"] == 9
    assert organization["org_vision_daily"]["dont_know"] == 3
    assert organization["org_blame"]["na_rate"] == 5 / 9
    by_role = {group.key["role"]: group.to_dict()["dont_know"] for group in results.by_role}
    assert by_role["frontline"]["org_vision_daily"]["rate"] == 0.6
    assert by_role["executive"]["org_vision_daily"]["rate"] == 0.0
    # The front line was not asked about the owner: no rate, not a rate of zero.
    assert by_role["frontline"]["org_owner_seen"]["status"] == "suppressed"
    assert by_role["frontline"]["org_owner_seen"]["rate"] is None


def test_a_rate_over_fewer_respondents_than_the_threshold_is_hidden(db) -> None:
    org = factories.make_org("few", ("営業部",))
    campaign = factories.make_campaign(org, questionnaire=versions_support.new(), threshold=3)
    for person in factories.add_people(campaign, 2, role="executive"):
        factories.submit(person, answers={"org_owner_seen": "dk"})
    for person in factories.add_people(campaign, 3, role="frontline"):
        factories.submit(person, answers={"org_vision_daily": 2})
    rates = campaign_results(campaign).organization.to_dict()["dont_know"]
    assert rates["org_owner_seen"] == {
        "item": "org_owner_seen",
        "status": "suppressed",
        "asked": None,
        "dont_know": None,
        "not_applicable": None,
        "rate": None,
        "na_rate": None,
    }
    assert rates["org_vision_daily"]["asked"] == 5
