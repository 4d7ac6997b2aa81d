"""A dimension score needs half of the items the respondent's role was asked, not of all."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.questionnaire import Questionnaire
from app.results import campaign_results
from app.results.individual import respondent_scores
from tests import factories, versions_support

_orgs = itertools.count()
FAST = settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _hand_score(questionnaire: Questionnaire, answers: dict, role: str, dimension: str):
    """The mean of the recoded answers over the items ``role`` was asked, when at least half
    of those were answered."""
    asked = [item.id for item in questionnaire.dimension(dimension).items if item.asks(role)]
    values = [
        questionnaire.scored_value(item, answers[item])
        for item in asked
        if isinstance(answers.get(item), int)
    ]
    return sum(values) / len(values) if values and 2 * len(values) >= len(asked) else None


def _run(questionnaire: Questionnaire, role: str, people: list[dict]):
    org = factories.make_org(f"asked-{next(_orgs)}", ("営業部",))
    campaign = factories.make_campaign(org, questionnaire=questionnaire, threshold=3)
    for person, answers in zip(
        factories.add_people(campaign, len(people), role=role), people, strict=True
    ):
        factories.submit(person, answers=answers)
    return campaign_results(campaign)


def test_a_front_line_respondent_asked_two_of_three_items_needs_to_answer_one(db) -> None:
    questionnaire = versions_support.new()
    # The front line is not asked org_owner_seen: one of its two items answered is half.
    answers = {"org_vision_daily": 4, "org_blame": "dk", "ops_metrics_seen": 3, "ops_new": 3}
    results = _run(questionnaire, "frontline", [answers] * 3)
    cell = results.group("role", role="frontline").scores["org"]
    assert (cell.n, cell.mean) == (3, 4.0)
    own = respondent_scores(questionnaire, {"org_vision_daily": 4, "org_blame": None}, "frontline")
    assert own.dimensions["org"].score == 4.0
    # An executive, asked all three, still needs two.
    executive = respondent_scores(
        questionnaire,
        {"org_vision_daily": 4, "org_owner_seen": None, "org_blame": None},
        "executive",
    )
    assert executive.dimensions["org"].score is None


@FAST
@given(data=st.data())
def test_property_role_scores_count_the_items_the_role_was_asked(db, data) -> None:
    questionnaire = versions_support.new()
    role = data.draw(st.sampled_from(["frontline", "executive"]))
    items = [item.id for item in questionnaire.items_for(role)]
    answer = st.integers(1, 5) | st.just("dk") | st.just("na")
    people = data.draw(
        st.lists(st.fixed_dictionaries(dict.fromkeys(items, answer)), min_size=3, max_size=5)
    )
    results = _run(questionnaire, role, people)
    group = results.group("role", role=role)
    for dimension in questionnaire.dimensions:
        scores = [_hand_score(questionnaire, a, role, dimension.id) for a in people]
        scored = [s for s in scores if s is not None]
        cell = group.scores[dimension.id]
        if len(scored) < 3:
            assert cell.mean is None
            continue
        assert cell.n == len(scored)
        assert abs(cell.mean - sum(scored) / len(scored)) < 1e-9
        for answers, expected in zip(people, scores, strict=True):
            given_answers = {k: v if isinstance(v, int) else None for k, v in answers.items()}
            own = respondent_scores(questionnaire, given_answers, role).dimensions[dimension.id]
            assert own.score == expected or abs(own.score - expected) < 1e-9
