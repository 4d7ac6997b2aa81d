"""Role gaps compare the items both roles were asked: scores recomputed on the common items."""

from __future__ import annotations

import itertools
import random

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.questionnaire import Questionnaire, parse_questionnaire
from app.results import campaign_results
from app.results.compute import role_pair_questionnaires
from app.results.load import load_campaign_data, load_campaign_data_with
from tests import factories, versions_support

_orgs = itertools.count()
FAST = settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _hand_score(questionnaire: Questionnaire, given_answers: dict, items: list[str]):
    """A respondent's dimension score over ``items``: the mean of the recoded answers, when
    at least half of them were answered."""
    values = [
        questionnaire.scored_value(item, given_answers[item])
        for item in items
        if isinstance(given_answers.get(item), int)
    ]
    return sum(values) / len(values) if values and 2 * len(values) >= len(items) else None


def _hand_mean(questionnaire, people_answers, items):
    scores = [_hand_score(questionnaire, a, items) for a in people_answers]
    scores = [s for s in scores if s is not None]
    return (sum(scores) / len(scores), len(scores)) if scores else (None, 0)


def _role_gaps(results) -> dict[str, object]:
    return {
        gap.dimension: gap
        for gap in results.gaps
        if gap.breakdown == "role"
        and gap.a == {"role": "executive"}
        and gap.b == {"role": "frontline"}
    }


def _run(questionnaire: Questionnaire, executives: list[dict], front_line: list[dict]):
    org = factories.make_org(f"gaps-{next(_orgs)}", ("営業部",))
    campaign = factories.make_campaign(org, questionnaire=questionnaire, threshold=3)
    for person, given_answers in zip(
        factories.add_people(campaign, len(executives), role="executive"), executives, strict=True
    ):
        factories.submit(person, answers=given_answers)
    for person, given_answers in zip(
        factories.add_people(campaign, len(front_line), role="frontline"), front_line, strict=True
    ):
        factories.submit(person, answers=given_answers)
    return campaign_results(campaign)


def _people(questionnaire: Questionnaire, role: str):
    items = [item.id for item in questionnaire.items_for(role)]
    unanswered = "dk" if questionnaire.scale.allows_dont_know else "na"
    answers = st.integers(1, 5) | st.just(unanswered)
    return st.lists(st.fixed_dictionaries(dict.fromkeys(items, answers)), min_size=3, max_size=5)


def _check(questionnaire, results, executives, front_line, *, common: bool) -> None:
    gaps = _role_gaps(results)
    for dimension in questionnaire.dimensions:
        items = [
            item.id
            for item in dimension.items
            if not common or (item.asks("executive") and item.asks("frontline"))
        ]
        mean_a, n_a = _hand_mean(questionnaire, executives, items)
        mean_b, n_b = _hand_mean(questionnaire, front_line, items)
        if n_a < 3 or n_b < 3:
            # Fewer scores than the threshold: the cell is withheld, and so is its gap.
            assert dimension.id not in gaps
            continue
        gap = gaps[dimension.id]
        assert (gap.n_a, gap.n_b) == (n_a, n_b)
        assert abs(gap.mean_a - mean_a) < 1e-9
        assert abs(gap.mean_b - mean_b) < 1e-9
        assert abs(gap.difference - (mean_a - mean_b)) < 1e-9


@FAST
@given(data=st.data())
def test_a_role_gap_compares_the_items_both_roles_were_asked(db, data) -> None:
    questionnaire = versions_support.new()
    executives = data.draw(_people(questionnaire, "executive"))
    front_line = data.draw(_people(questionnaire, "frontline"))
    results = _run(questionnaire, executives, front_line)
    _check(questionnaire, results, executives, front_line, common=True)
    # The executives' own score on the organisation dimension still counts every item
    # they were asked, the owner included.
    organization_items = [item.id for item in questionnaire.dimension("org").items]
    own, n = _hand_mean(questionnaire, executives, organization_items)
    cell = results.group("role", role="executive").scores["org"]
    if n >= 3 and cell.mean is not None:
        assert abs(cell.mean - own) < 1e-9


@FAST
@given(data=st.data())
def test_without_audience_a_role_gap_compares_whole_dimensions(db, data) -> None:
    questionnaire = versions_support.old()
    executives = data.draw(_people(questionnaire, "executive"))
    front_line = data.draw(_people(questionnaire, "frontline"))
    results = _run(questionnaire, executives, front_line)
    _check(questionnaire, results, executives, front_line, common=False)


def test_a_dimension_with_no_item_asked_of_both_roles_has_no_gap(db) -> None:
    text = versions_support.NEW.replace(
        "        text: {ja: 顧客の声で仕事が変わる。, en: Customers' voices change our work.}\n",
        "        text: {ja: 顧客の声で仕事が変わる。, en: Customers' voices change our work.}\n"
        "        audience: [executive]\n",
    ).replace(
        "        text: {ja: 小さく試している。, en: We try things small.}\n",
        "        text: {ja: 小さく試している。, en: We try things small.}\n"
        "        audience: [executive, middle_manager]\n",
    )
    questionnaire = parse_questionnaire(text, "mini.yaml")
    executives = [{item.id: 4 for item in questionnaire.items_for("executive")}] * 4
    front_line = [{item.id: 2 for item in questionnaire.items_for("frontline")}] * 4
    results = _run(questionnaire, executives, front_line)
    gaps = _role_gaps(results)
    assert "ops" not in gaps
    assert "org" in gaps
    # The executives and middle managers share both operations items: no gap for lack of
    # answers, only for lack of common items (no middle manager answered here).
    assert results.group("role", role="executive").scores["ops"].mean == 4


def test_the_common_items_data_of_one_pass_equal_a_load_of_their_own(db) -> None:
    questionnaire = versions_support.new()
    rng = random.Random(5)
    org = factories.make_org(f"gaps-{next(_orgs)}", ("営業部", "開発部"))
    campaign = factories.make_campaign(org, questionnaire=questionnaire, threshold=3)
    for role in ("executive", "middle_manager", "frontline"):
        for person in factories.add_people(campaign, 6, role=role):
            answers = {
                item.id: rng.choice([1, 2, 3, 4, 5, "na"])
                for item in questionnaire.items_for(role)
                if rng.random() > 0.1
            }
            factories.submit(person, answers=answers)
    pairs = role_pair_questionnaires(questionnaire, ["executive", "middle_manager", "frontline"])
    restrictions = list({q.content_hash: q for q in pairs.values() if q is not None}.values())
    assert restrictions
    full, together = load_campaign_data_with(campaign, questionnaire, restrictions)
    for restriction, found in zip(restrictions, together, strict=True):
        alone = load_campaign_data(campaign, restriction)
        assert np.array_equal(found.response_ids, alone.response_ids)
        for name in ("weighted_totals", "weight_totals", "answered", "plain_totals"):
            mine, theirs = getattr(found, name), getattr(alone, name)
            assert mine.keys() == theirs.keys()
            for dimension in mine:
                assert np.array_equal(mine[dimension], theirs[dimension]), (name, dimension)
        assert found.cells == alone.cells
        assert np.array_equal(found.cell_counts, alone.cell_counts)
        # Of the items kept (a load of its own also lists the other items' answers).
        kept = {item.id for item in restriction.items}
        assert found.unanswered == {k: v for k, v in alone.unanswered.items() if k[2] in kept}
    assert np.array_equal(full.cell_counts, load_campaign_data(campaign, questionnaire).cell_counts)
