"""The review page before submitting shows every answer given, with links to change it."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from tests.integration.survey_fixtures import in_language, page_token, setup_survey, sign_in, start


@pytest.fixture
def s(db, client):
    setup = setup_survey(db)
    sign_in(client, setup.token)
    start(client)
    return setup


def _row(html: str, question_id: str) -> str:
    return html.split(f'id="review-item-{question_id}"')[1].split('class="review-row')[0]


#: The outcome page follows the rated items' pages; the open questions come last.
OUTCOME_PAGE, OPEN_PAGE = 6, 7


def _answer_some(client, s):
    q = s.campaign.questionnaire
    first, second, third = q.dimensions[0].items[:3]
    token = page_token(client, 1)
    client.post(
        "/survey/page?n=1",
        data={"csrf_token": token, f"q_{first.id}": "4", f"q_{second.id}": "na"},
    )
    (outcome,) = q.outcomes
    client.post(
        f"/survey/page?n={OUTCOME_PAGE}", data={"csrf_token": token, f"q_{outcome.id}": "10"}
    )
    opened = q.open_questions[0]
    client.post(
        f"/survey/page?n={OPEN_PAGE}",
        data={"csrf_token": token, f"q_{opened.id}": "顧客の声を\n共有したい <b>"},
    )
    return q, first, second, third, opened


def test_review_shows_each_answer_with_its_level_and_label(db, client, s):
    q, first, second, third, opened = _answer_some(client, s)
    response = in_language(client, "/survey/review", "en")
    html = response.get_data(as_text=True)
    scale = dict(q.scale.labels)
    levels = dict(first.levels)

    chosen = _row(html, first.id)
    assert '<span class="review-point">4</span>' in chosen
    # The item's own anchor for a point takes the place of the scale's generic label.
    assert escape(q.text(levels.get(4, scale[4]), "en")) in chosen
    assert "None" not in chosen
    assert f'href="/survey/page?n=1#item-{first.id}"' in chosen

    na = _row(html, second.id)
    assert escape(q.text(q.scale.not_applicable, "en")) in na
    assert "review-na" in na

    missing = _row(html, third.id)
    assert "Not answered" in missing
    assert f'href="/survey/page?n=1#item-{third.id}"' in missing

    # The outcome item: the number chosen, with the end's label.
    (outcome,) = q.outcomes
    assert len(q.dimensions) + 1 == OUTCOME_PAGE
    rated = _row(html, outcome.id)
    assert '<span class="review-point">10</span> Extremely likely' in rated
    assert f'href="/survey/page?n={OUTCOME_PAGE}#item-{outcome.id}"' in rated

    text = _row(html, opened.id)
    assert "顧客の声を\n共有したい &lt;b&gt;" in text
    assert f'href="/survey/page?n={OPEN_PAGE}#item-{opened.id}"' in text
    # Every question is on the page, each once, in order.
    ids = re.findall(r'id="review-item-([^"]+)"', html)
    assert ids == [question.id for question in [*q.items, *q.outcomes, *q.open_questions]]
    assert "Submit answers" in html


def test_review_in_japanese(db, client, s):
    q, first, *_rest = _answer_some(client, s)
    html = in_language(client, "/survey/review", "ja").get_data(as_text=True)
    assert "あなたの回答" in html
    expected = dict(first.levels).get(4, dict(q.scale.labels)[4])
    assert q.text(expected, "ja") in _row(html, first.id)
    assert "未回答" in html
    assert "変更" in html
