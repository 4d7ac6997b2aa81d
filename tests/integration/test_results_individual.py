"""A respondent's own scores and the item means, both computed in app/results."""

from __future__ import annotations

import statistics

import pytest

from app.questionnaire import parse_questionnaire
from app.results import campaign_results, clear_cache
from app.results.individual import OwnScore, respondent_scores, response_answers
from tests.integration.test_results_engine import ITEMS, QUESTIONNAIRE, build

SMALL = [("HQ", "executive", 6), ("HQ", "frontline", 7), ("Support", "frontline", 5)]


def _scale_answers(answers: dict[str, int | str]) -> dict[str, int | None]:
    """The scale answers of a built respondent as the database holds them."""
    items = {item for listed in ITEMS.values() for item, _reverse, _weight in listed}
    return {
        item: None if value == "na" else int(value)
        for item, value in answers.items()
        if item in items
    }


def test_own_scores_follow_reverse_coding_weights_and_the_half_answered_rule() -> None:
    questionnaire = parse_questionnaire(QUESTIONNAIRE)
    # a2 is reverse coded (2 scores 4) and a3 weighs double; beta has one of its two items
    # answered, which is enough; gamma has none.
    scores = respondent_scores(
        questionnaire, {"a1": 4, "a2": 2, "a3": 5, "b1": None, "b2": 3, "g1": None}
    )
    assert scores.dimensions == {
        "alpha": OwnScore(pytest.approx((4 + 4 + 2 * 5) / 4), 5),
        "beta": OwnScore(3.0, 3),
        "gamma": OwnScore(None, None),
    }
    assert scores.overall == {
        "capability": OwnScore(pytest.approx((4.5 + 3.0) / 2), 4),
        "stage": OwnScore(None, None),
    }
    assert scores.answers["a2"] == 2


def test_own_scores_average_to_the_results_figures(db) -> None:
    clear_cache()
    built = build(db, layout=SMALL, na_beta_in=None)
    campaign = built.campaign
    questionnaire = campaign.questionnaire
    results = campaign_results(campaign)
    everyone = [
        respondent_scores(questionnaire, _scale_answers(a)) for _d, _r, a in built.respondents
    ]
    for dimension in questionnaire.dimensions:
        own = [s.dimensions[dimension.id].score for s in everyone]
        mean = statistics.fmean(score for score in own if score is not None)
        assert results.organization.scores[dimension.id].mean == pytest.approx(mean)
    for kind in questionnaire.kinds:
        own = [s.overall[kind].score for s in everyone]
        mean = statistics.fmean(score for score in own if score is not None)
        assert results.organization.overall[kind].mean == pytest.approx(mean)

    # Read from the database, a participant's answers give the same scores.
    participant = next(p for p in campaign.participants if p.response is not None)
    answers = response_answers(participant.response)
    assert set(answers) <= {item.id for item in questionnaire.items}
    assert respondent_scores(questionnaire, answers).answers == answers


def test_item_means_are_reverse_coded(db) -> None:
    clear_cache()
    built = build(db, layout=SMALL, na_beta_in=None)
    results = campaign_results(built.campaign)
    reverse = {item: flag for listed in ITEMS.values() for item, flag, _weight in listed}
    for item, is_reverse in reverse.items():
        values = [
            (6 - value if is_reverse else value)
            for _d, _r, answers in built.respondents
            if isinstance(value := answers.get(item), int)
        ]
        cell = results.organization.distributions[item]
        assert cell.status == "ok"
        assert cell.mean == pytest.approx(statistics.fmean(values))
    # The counts stay as given: a reverse-coded item's mean lies on the other side of them.
    a2 = results.organization.distributions["a2"]
    as_given = sum(p * c for p, c in zip(a2.points, a2.counts, strict=True)) / a2.n
    assert a2.mean == pytest.approx(6 - as_given)
    assert a2.mean != pytest.approx(as_given)
