"""The themes of a campaign's open answers through the API and the CLI: minimums for words,
counts by role, scrubbed examples, and the department parameter."""

from __future__ import annotations

import json

import pytest

from app.analysis.anonymity import OPEN_TEXT_MINIMUM
from app.auth.tokens import create_api_token
from app.models import Membership, User
from app.results import campaign_results
from app.results.comments import comment_themes
from tests import factories
from tests.integration.workspace_support import login, make_client
from tests.open_answers_support import labelled_answers

PATH = "/api/v1/campaigns/{}/comments/themes"


@pytest.fixture
def world(db):
    """営業部: 24 front-line and 12 middle-manager answers; 法務部: 4 answers; executives 3."""
    org = factories.make_org("themes-org", ("営業部", "法務部"))
    campaign = factories.make_campaign(org, threshold=3)
    texts = iter(text for text, _label in labelled_answers(per_theme=6, seed=3))
    people = {
        ("営業部", "frontline"): 24,
        ("営業部", "middle_manager"): 12,
        ("営業部", "executive"): 3,
        ("法務部", "frontline"): 4,
    }
    for (department, role), count in people.items():
        for person in factories.add_people(campaign, count, department=department, role=role):
            factories.submit(person, text=next(texts))
    # One answer names a colleague and gives an address; one is only an address.
    named = factories.add_people(campaign, 2, department="営業部", role="frontline")
    factories.submit(
        named[0], text="参加者 3さん（p3@example.jp）の部署では予算の確保が進まず、投資判断も遅い。"
    )
    factories.submit(named[1], text="p9@example.jp")
    user = User(email="reader@example.com", active=True)
    db.session.add(user)
    user.memberships.append(Membership(organization=org, access="executive"))
    db.session.flush()
    token = create_api_token(user, "tests")
    db.session.commit()
    return campaign, token


def _get(client, campaign_id, token, query=""):
    return client.get(
        PATH.format(campaign_id) + query, headers={"Authorization": f"Bearer {token}"}
    )


def test_the_api_gives_themes_with_counts_by_role_and_scrubbed_examples(client, world) -> None:
    campaign, token = world
    response = _get(client, campaign.id, token)
    assert response.status_code == 200
    document = response.get_json()
    assert document["minimum_group"] == OPEN_TEXT_MINIMUM
    question, *others = document["questions"]
    assert question["question"] == campaign.questionnaire.open_questions[0].id
    # The other open questions were not answered: nothing to show.
    assert [other["answers"] for other in others] == [None] * len(others)
    assert question["answers"] == 24 + 12 + 3 + 4 + 2
    themes = question["themes"]
    assert 2 <= len(themes) <= 8
    for theme in themes:
        assert set(theme["label"]) == {"ja", "en"}
        assert theme["id"].startswith("t")
        # Executives (3 answerers) are below the minimum: never counted apart.
        assert theme["by_role"]["executive"] is None
        assert isinstance(theme["by_role"]["frontline"], int)
        assert len(theme["examples"]) <= 3
        assert len(set(theme["examples"])) == len(theme["examples"])
    assert sum(theme["count"] for theme in themes) <= question["answers"]
    sales, legal = (
        next(d.id for d in campaign.organization.departments if d.name == name)
        for name in ("営業部", "法務部")
    )
    assert document["departments"] == [
        {"id": sales, "label": {"ja": "営業部", "en": "営業部"}},
        {"id": legal, "label": {"ja": "法務部", "en": "法務部"}},
    ]
    for theme in themes:
        # 法務部 has 4 answerers: below the minimum, never counted apart.
        assert theme["by_department"][str(legal)] is None
        assert 0 <= theme["by_department"][str(sales)] <= theme["count"]
    assert sum(theme["by_department"][str(sales)] for theme in themes) > 0
    quoted = " ".join(example for theme in themes for example in theme["examples"])
    assert "@" not in quoted
    assert "参加者" not in quoted
    # The small department's name is not quoted either.
    assert "法務部" not in quoted


def test_a_group_below_the_minimum_gets_no_themes(client, world) -> None:
    campaign, token = world
    small = next(d for d in campaign.organization.departments if d.name == "法務部")
    document = _get(client, campaign.id, token, f"?department={small.id}").get_json()
    assert document["questions"][0] == {
        "question": campaign.questionnaire.open_questions[0].id,
        "answers": None,
        "themes": [],
    }
    large = next(d for d in campaign.organization.departments if d.name == "営業部")
    found = _get(client, campaign.id, token, f"?department={large.id}").get_json()
    assert found["questions"][0]["answers"] == 24 + 12 + 3 + 2
    # 営業部 has no sub-departments: its themes are not counted by department.
    assert found["departments"] == []
    assert all(theme["by_department"] == {} for theme in found["questions"][0]["themes"])


def test_the_campaigns_minimum_for_words_raises_the_minimum_group(client, db, world) -> None:
    campaign, token = world
    campaign.comment_minimum = 13
    db.session.commit()
    document = _get(client, campaign.id, token).get_json()
    assert document["minimum_group"] == 13
    themes = document["questions"][0]["themes"]
    assert themes
    # 12 middle managers answered: enough under the default 10, too few under 13.
    assert all(theme["by_role"]["middle_manager"] is None for theme in themes)
    assert any(isinstance(theme["by_role"]["frontline"], int) for theme in themes)
    campaign.comment_minimum = 50
    db.session.commit()
    closed = _get(client, campaign.id, token).get_json()
    assert closed["minimum_group"] == 50
    assert closed["questions"][0] == {
        "question": campaign.questionnaire.open_questions[0].id,
        "answers": None,
        "themes": [],
    }


def test_the_department_parameter_is_checked(client, world) -> None:
    campaign, token = world
    assert _get(client, campaign.id, token, "?department=abc").status_code == 400
    assert _get(client, campaign.id, token, "?department=1&department=2").status_code == 400
    assert _get(client, campaign.id, token, "?department=99999999999").status_code == 404
    assert _get(client, 99999999999, token).status_code == 404


def test_the_cli_prints_the_same_document(runner, world) -> None:
    campaign, _token = world
    result = runner.invoke(args=["results", "themes", str(campaign.id), "--json"])
    assert result.exit_code == 0, result.output
    version = campaign_results(campaign).data_version
    assert json.loads(result.output) == comment_themes(campaign, version).document()
    readable = runner.invoke(args=["results", "themes", str(campaign.id)])
    assert readable.exit_code == 0, readable.output
    assert f"at least {OPEN_TEXT_MINIMUM} answerers" in readable.output
    missing = runner.invoke(args=["results", "themes", str(campaign.id), "--department", "X"])
    assert missing.exit_code != 0
    assert "no department named 'X'" in missing.output


def test_new_answers_theme_afresh(db, world) -> None:
    campaign, _token = world
    before = comment_themes(campaign, campaign_results(campaign).data_version)
    person = factories.add_people(campaign, 1, department="営業部")[0]
    factories.submit(person, text="研修の機会が足りず、ノウハウの継承も進まない。")
    after = comment_themes(campaign, campaign_results(campaign).data_version)
    assert after is not before
    assert after.questions[0].answers == before.questions[0].answers + 1


def _dashboard(app, campaign, language="ja"):
    user = factories.make_user(f"viewer-{language}@example.com")
    factories.grant(user, campaign.organization, "executive")
    client = make_client(app, language)
    assert login(client, user.email).status_code == 302
    return client


def test_the_dashboard_shows_the_themes_as_bars_that_open_their_quotes(app, world) -> None:
    campaign, _token = world
    client = _dashboard(app, campaign)
    response = client.get(f"/dashboard/campaigns/{campaign.id}/comments")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    document = comment_themes(campaign, campaign_results(campaign).data_version).document()
    for theme in document["questions"][0]["themes"]:
        assert theme["label"]["ja"] in html
        for example in theme["examples"]:
            assert example in html
    assert html.count("<details>") == len(document["questions"][0]["themes"])
    assert html.count('class="small theme-departments"') == len(document["questions"][0]["themes"])
    assert "部署別：" in html
    # A theme opens every answer on it that can be quoted, scrubbed.
    largest = comment_themes(campaign, campaign_results(campaign).data_version)
    biggest = max(largest.questions[0].themes, key=lambda theme: theme.count)
    assert len(biggest.answers) > len(biggest.examples)
    assert "このテーマの回答をすべて表示（引用できるもの" in html
    for text, _edited in biggest.answers:
        assert text in html
    assert "回答者が少ない部署（部署別に数えません）" in html
    assert "自由記述" in html
    assert "p3@example.jp" not in html
    assert "参加者 3さん" not in html
    # Bars are drawn without inline styles (the pages' content security policy forbids them).
    assert 'style="' not in html.split("<main", 1)[-1]
    csv = client.get(f"/dashboard/campaigns/{campaign.id}/comments.csv").get_data(as_text=True)
    assert "テーマ" in csv
    assert "営業部" in csv.splitlines()[0]
    assert document["questions"][0]["themes"][0]["label"]["ja"] in csv


def test_the_dashboard_page_of_a_small_department_shows_no_words(app, world) -> None:
    campaign, _token = world
    client = _dashboard(app, campaign, "en")
    small = next(d for d in campaign.organization.departments if d.name == "法務部")
    html = client.get(f"/dashboard/campaigns/{campaign.id}/comments?department={small.id}")
    assert html.status_code == 200
    text = html.get_data(as_text=True)
    assert "Fewer than 10 respondents of this group answered this question" in text
    assert "<blockquote>" not in text
    missing = client.get(f"/dashboard/campaigns/{campaign.id}/comments?department=99999999")
    assert missing.status_code == 404
