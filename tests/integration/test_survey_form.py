"""The questionnaire pages: generated forms, validation, saving, review and submission."""

from __future__ import annotations

import html as html_module
import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField

from app.models import Answer, Participant, Response
from app.models.campaign import DEFAULT_ANONYMITY_THRESHOLD
from app.operations.campaigns import close_campaign
from app.platform.forms import BaseForm, wtforms_messages
from app.presentation.phrases import phrases
from app.questionnaire import load_questionnaire
from app.results.progress import campaign_progress
from app.survey.questions import QUESTION_TYPES, Survey
from tests import factories
from tests.integration.survey_fixtures import (
    csrf_from,
    in_language,
    invite,
    page_token,
    setup_survey,
    sign_in,
    start,
)


@pytest.fixture
def s(db, client):
    setup = setup_survey(db)
    sign_in(client, setup.token)
    start(client)
    return setup


def _items(setup, page):
    dimension = setup.campaign.questionnaire.dimensions[page - 1]
    return [item.id for item in dimension.items]


def _answers(db, participant_id):
    response = db.session.scalar(select(Response).where(Response.participant_id == participant_id))
    if response is None:
        return {}
    db.session.refresh(response)
    return {
        a.item_id: (a.text if a.text is not None else "na" if a.not_applicable else a.value)
        for a in db.session.scalars(select(Answer).where(Answer.response_id == response.id))
    }


def _response(db, participant_id):
    db.session.expire_all()
    return db.session.scalar(select(Response).where(Response.participant_id == participant_id))


def test_start_creates_a_draft_and_lands_on_page_one(db, client, s):
    response = _response(db, s.participant.id)
    assert response.status == "draft"
    assert response.current_page == 1
    assert db.session.get(Participant, s.participant.id).status == "started"
    assert client.get("/survey/").headers["Location"].endswith("/survey/page?n=1")


def test_page_is_generated_from_the_questionnaire_with_accessible_markup(db, client, s):
    html = client.get("/survey/page?n=1").get_data(as_text=True)
    q = s.campaign.questionnaire
    dimension = q.dimensions[0]
    assert "1 / 7 ページ" in html
    assert "回答済み <span data-answered-count>0</span> / 47 問" in html
    assert dimension.title.get("ja") in html
    assert dimension.description.get("ja") in html
    assert html.count("<fieldset") == len(dimension.items)
    assert html.count("<legend") == len(dimension.items)
    first = dimension.items[0]
    for point in q.scale.points:
        assert f'<input type="radio" id="q_{first.id}-{point}" name="q_{first.id}"' in html
        assert f'<label for="q_{first.id}-{point}">' in html
        assert first.level(point, "ja") in html.replace("<wbr>", "")
    # The item's own anchors take the place of the scale's generic labels.
    for point in q.scale.points:
        assert f'<span class="scale-label">{q.scale.label(point, "ja")}</span>' not in html
    # "Don't know" and "not applicable" are two options, each with its own label.
    assert f'id="q_{first.id}-dk" name="q_{first.id}"' in html
    assert f'id="q_{first.id}-na" name="q_{first.id}" value="na"' in html
    assert '<span class="scale-label">わからない</span>' in html
    assert '<span class="scale-label">該当しない</span>' in html
    assert "次へ" in html
    assert "戻る" in html
    # The autosave script is a file and configured through data attributes only.
    assert '<script src="/static/js/survey.js" defer></script>' in html
    assert "<script>" not in html
    assert 'data-autosave-url="/survey/autosave?n=1"' in html
    english = in_language(client, "/survey/page?n=1", "en").get_data(as_text=True)
    assert "Page 1 of 7" in english
    assert first.text.get("en") in english
    assert "Don&#39;t know</span>" in english
    assert "Not applicable</span>" in english


def test_open_questions_are_on_the_final_page_as_textareas(db, client, s):
    html = client.get("/survey/page?n=7").get_data(as_text=True)
    for question in s.campaign.questionnaire.open_questions:
        assert (
            f'<textarea id="q_{question.id}" name="q_{question.id}" rows="6" '
            f'maxlength="{question.max_length}"'
        ) in html
        assert f'<label class="question-text" for="q_{question.id}">' in html
    assert "回答内容の確認へ" in html


def test_post_without_csrf_token_is_rejected_and_saves_nothing(db, client, s):
    item = _items(s, 1)[0]
    for url in ("/survey/page?n=1", "/survey/autosave?n=1", "/survey/submit", "/survey/start"):
        response = client.post(url, data={f"q_{item}": "3", "action": "next"})
        assert response.status_code == 400, url
    assert _answers(db, s.participant.id) == {}
    assert _response(db, s.participant.id).status == "draft"


def test_next_and_back_both_save_and_remember_the_page(db, client, s):
    first, second = _items(s, 1)[:2]
    token = page_token(client, 1)
    response = client.post(
        "/survey/page?n=1", data={"csrf_token": token, f"q_{first}": "4", "action": "next"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/survey/page?n=2")
    assert _response(db, s.participant.id).current_page == 2
    page2_item = _items(s, 2)[0]
    token = page_token(client, 2)
    response = client.post(
        "/survey/page?n=2", data={"csrf_token": token, f"q_{page2_item}": "na", "action": "back"}
    )
    assert response.headers["Location"].endswith("/survey/page?n=1")
    assert _answers(db, s.participant.id) == {first: 4, page2_item: "na"}
    assert _response(db, s.participant.id).current_page == 1
    html = client.get("/survey/page?n=1").get_data(as_text=True)
    assert f'id="q_{first}-4" name="q_{first}" value="4" checked' in html
    assert "回答済み <span data-answered-count>2</span>" in html
    # A radio group that is not posted leaves its stored answer alone (a stale second tab).
    token = page_token(client, 1)
    client.post(
        "/survey/page?n=1", data={"csrf_token": token, f"q_{second}": "2", "action": "next"}
    )
    assert _answers(db, s.participant.id) == {first: 4, second: 2, page2_item: "na"}
    # Back from the first page returns to the welcome page.
    back = client.post("/survey/page?n=1", data={"csrf_token": token, "action": "back"})
    assert back.headers["Location"].endswith("/survey/welcome")
    assert "続きから回答する" in client.get("/survey/welcome").get_data(as_text=True)


def test_out_of_scale_value_is_shown_next_to_its_item_and_the_rest_is_saved(db, client, s):
    first, second, third = _items(s, 1)[:3]
    token = page_token(client, 1)
    response = client.post(
        "/survey/page?n=1",
        data={
            "csrf_token": token,
            f"q_{first}": "9",
            f"q_{second}": "5",
            f"q_{third}": "true",
            "action": "next",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    fieldset = html.split(f'id="item-{first}"')[1].split("</fieldset>")[0]
    assert "表示されている選択肢から選んでください" in fieldset
    assert f'aria-describedby="q_{first}-error"' in html
    assert "強調表示された設問をご確認ください" in html
    assert f'href="#item-{first}"' in html
    assert f'id="q_{second}-5" name="q_{second}" value="5" checked' in html
    assert _answers(db, s.participant.id) == {second: 5}
    assert _response(db, s.participant.id).current_page == 1  # stayed on the page


def test_unknown_item_is_refused_and_nothing_is_saved(db, client, s):
    first = _items(s, 1)[0]
    page2_item = _items(s, 2)[0]
    token = page_token(client, 1)
    for bogus in ("q_does_not_exist", f"q_{page2_item}"):
        response = client.post(
            "/survey/page?n=1",
            data={"csrf_token": token, f"q_{first}": "3", bogus: "3", "action": "next"},
        )
        assert response.status_code == 400
        assert bogus in response.get_data(as_text=True)
    assert _answers(db, s.participant.id) == {}


def test_oversized_text_is_refused_on_the_server(db, client, s):
    question = s.campaign.questionnaire.open_questions[0]
    token = page_token(client, 7)
    response = client.post(
        "/survey/page?n=7",
        data={"csrf_token": token, f"q_{question.id}": "あ" * (question.max_length + 1)},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"{question.max_length}文字以内でご記入ください" in page
    assert "あ" * (question.max_length + 1) in page  # what was typed is still in the form
    assert question.id not in _answers(db, s.participant.id)
    # Exactly the limit is fine, and browser line breaks (CRLF) count as one character.
    text = "い" * (question.max_length - 2) + "\r\n" + "う"
    response = client.post("/survey/page?n=7", data={"csrf_token": token, f"q_{question.id}": text})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/survey/review")
    assert _answers(db, s.participant.id)[question.id] == text.replace("\r\n", "\n")
    # Emptying the box removes the answer.
    client.post("/survey/page?n=7", data={"csrf_token": token, f"q_{question.id}": "  "})
    assert question.id not in _answers(db, s.participant.id)


def test_autosave_answers_json_and_reports_errors_per_item(db, client, s):
    first, second = _items(s, 3)[:2]
    token = page_token(client, 3)
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    response = client.post("/survey/autosave?n=3", data={f"q_{first}": "2"}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "saved"
    assert body["saved"] == [first]
    assert body["answered"] == 1
    assert body["total"] == 47
    assert _response(db, s.participant.id).current_page == 3
    bad = client.post(
        "/survey/autosave?n=3", data={f"q_{first}": "3", f"q_{second}": "0"}, headers=headers
    )
    assert bad.status_code == 422
    assert list(bad.get_json()["errors"]) == [second]
    assert _answers(db, s.participant.id) == {first: 3}
    unknown = client.post("/survey/autosave?n=3", data={"q_nope": "3"}, headers=headers)
    assert unknown.status_code == 400
    assert unknown.get_json()["unknown"] == ["q_nope"]
    assert client.post("/survey/autosave?n=99", data={}, headers=headers).status_code == 400


def test_review_lists_unanswered_items_with_links_to_their_page(db, client, s):
    q = s.campaign.questionnaire
    answered = {item.id for item in q.items} - {q.dimensions[1].items[2].id}
    token = page_token(client, 1)
    for number, dimension in enumerate(q.dimensions, start=1):
        data = {f"q_{i.id}": "3" for i in dimension.items if i.id in answered}
        client.post(f"/survey/page?n={number}", data={"csrf_token": token, **data})
    # The outcome page, then the open questions: both may be left unanswered.
    for number in (6, 7):
        assert client.get("/survey/").headers["Location"].endswith(f"/survey/page?n={number}")
        client.post(f"/survey/page?n={number}", data={"csrf_token": token, "action": "next"})
    assert client.get("/survey/").headers["Location"].endswith("/survey/review")
    html = client.get("/survey/review").get_data(as_text=True)
    missing = q.dimensions[1].items[2].id
    # The item above, the outcome item and the two open questions.
    assert "未回答の設問（4問）" in html
    assert f'href="/survey/page?n=2#item-{missing}"' in html
    assert 'href="/survey/page?n=6#item-co_recommend"' in html
    for question in q.open_questions:
        assert f'href="/survey/page?n=7#item-{question.id}"' in html
    assert "回答を送信" in html
    assert "送信後は回答を変更できません" in html


def test_submit_locks_the_response_and_a_second_submit_changes_nothing(db, client, s):
    first = _items(s, 1)[0]
    token = page_token(client, 1)
    client.post("/survey/page?n=1", data={"csrf_token": token, f"q_{first}": "5"})
    for _ in range(2):
        response = client.post("/survey/submit", data={"csrf_token": token})
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/survey/thanks")
    response = _response(db, s.participant.id)
    assert response.status == "submitted"
    submitted_at = response.submitted_at
    assert db.session.scalar(select(func.count(Response.id))) == 1
    thanks = client.get("/survey/thanks").get_data(as_text=True)
    assert "ご回答ありがとうございました" in thanks
    # Saving after submission is refused clearly, as a page and as JSON, and changes nothing.
    page = client.post("/survey/page?n=1", data={"csrf_token": token, f"q_{first}": "1"})
    assert page.status_code == 409
    assert "この回答は送信済みのため、変更できません" in page.get_data(as_text=True)
    auto = client.post(
        "/survey/autosave?n=1",
        data={f"q_{first}": "1"},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert auto.status_code == 409
    assert auto.get_json()["status"] == "submitted"
    assert client.get("/survey/page?n=1").headers["Location"].endswith("/survey/thanks")
    assert client.post("/survey/start", data={"csrf_token": token}).status_code == 409
    assert _answers(db, s.participant.id) == {first: 5}
    assert _response(db, s.participant.id).submitted_at == submitted_at


def test_campaign_closing_mid_way_keeps_the_draft_as_partial(db, client, s):
    first = _items(s, 1)[0]
    token = page_token(client, 1)
    client.post("/survey/page?n=1", data={"csrf_token": token, f"q_{first}": "2"})
    close_campaign(s.campaign)
    db.session.commit()
    page = client.get("/survey/page?n=2")
    assert page.status_code == 410
    body = page.get_data(as_text=True)
    assert "この診断の受付は終了しました" in body
    assert "それまでに保存された回答は、削除されずに保持されています" in body
    save = client.post(
        "/survey/autosave?n=1",
        data={f"q_{first}": "5"},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert save.status_code == 410
    assert client.post("/survey/submit", data={"csrf_token": token}).status_code == 410
    assert _answers(db, s.participant.id) == {first: 2}
    assert _response(db, s.participant.id).status == "draft"
    assert db.session.get(Participant, s.participant.id).status == "started"
    invite(db, s.campaign, role_key="frontline")
    progress = campaign_progress(s.campaign)
    assert (progress.total.invited, progress.total.started, progress.total.submitted) == (2, 1, 0)
    by_role = {r.key: r.counts for r in progress.by_role}
    assert by_role["middle_manager"].started == 1
    assert by_role["frontline"].not_started == 1
    by_dept = {d.name: d.counts for d in progress.by_department}
    assert by_dept["営業本部"].invited == 2
    assert by_dept["事務統括部"].invited == 0


def test_progress_counts_submitted_by_department_and_role(db, client, s):
    token = page_token(client, 1)
    client.post("/survey/submit", data={"csrf_token": token})
    progress = campaign_progress(s.campaign)
    assert progress.total.submitted == 1
    assert progress.total.response_rate == 1.0
    dept = next(d for d in progress.by_department if d.name == "営業本部")
    role = next(r for r in progress.by_role if r.key == "middle_manager")
    assert progress.by_department_and_role[(dept.department_id, role.role_id)].submitted == 1


def test_every_questionnaire_is_generated_through_the_registry(db, app, tmp_path):
    source = tmp_path / "mini.yaml"
    source.write_text(
        """
id: mini
version: "1.0.0"
locales: [ja, en]
title: {ja: ミニ診断, en: Mini}
scale:
  min: 1
  max: 3
  labels:
    1: {ja: いいえ, en: "No"}
    2: {ja: 一部, en: Partly}
    3: {ja: はい, en: "Yes"}
dimensions:
  - id: only
    kind: stage
    title: {ja: 唯一の段階, en: The only stage}
    items:
      - id: data
        text: {ja: データは一元化されている。, en: Data is in one place.}
  - id: outcome
    kind: outcome
    title: {ja: 顧客成果, en: Customer outcome}
    scale: {min: 0, max: 10, labels: {0: {ja: 低, en: Low}, 10: {ja: 高, en: High}}}
    items:
      - id: meta
        text: {ja: 勧めると思います。, en: They would recommend us.}
open_questions:
  - id: errors
    text: {ja: ご意見, en: Comments}
    max_length: 10
""",
        encoding="utf-8",
    )
    questionnaire = load_questionnaire(source)
    survey = Survey(questionnaire)
    assert [p.key for p in survey.pages] == ["only", "outcome", "__open__"]
    assert [q.kind for q in survey.questions] == list(QUESTION_TYPES)
    # Ids that are also form attributes ("data", "meta", "errors") are safe behind the field
    # prefix.
    for number, name in ((1, "q_data"), (2, "q_meta"), (3, "q_errors")):
        form_class = survey.form_class(number)
        assert name in form_class.__dict__ or hasattr(form_class, name)
    org = factories.make_org("mini", ["本部"], name="Mini")
    campaign = factories.make_campaign(
        org, name="mini", questionnaire=questionnaire, threshold=DEFAULT_ANONYMITY_THRESHOLD
    )
    participant, token = factories.invite(campaign, role="executive")
    client = app.test_client()
    sign_in(client, token)
    start(client)
    html = client.get("/survey/page?n=1").get_data(as_text=True)
    assert "q_data-na" not in html  # no "don't know" option on this scale
    assert len(re.findall(r'type="radio"', html)) == 3
    csrf = csrf_from(html)
    refused = client.post("/survey/page?n=1", data={"csrf_token": csrf, "q_data": "na"})
    assert refused.status_code == 422
    ok = client.post("/survey/page?n=1", data={"csrf_token": csrf, "q_data": "3"})
    assert ok.headers["Location"].endswith("/survey/page?n=2")
    assert _answers(db, participant.id) == {"data": 3}


def test_the_choice_headings_break_between_phrases(db, client, s) -> None:
    page = client.get("/survey/page?n=1").get_data(as_text=True)
    headings = re.findall(r'<span class="scale-(?:label|level)">(.*?)</span>', page)
    assert headings
    broken = [h for h in headings if "<wbr>" in h]
    assert broken, headings
    for heading in broken:
        pieces = heading.split("<wbr>")
        assert tuple(html_module.unescape(p) for p in pieces) == phrases(
            html_module.unescape("".join(pieces))
        )
    css = (Path(__file__).resolve().parents[2] / "app/static/css/survey.css").read_text("utf-8")
    assert re.search(r"\.scale-label, \.scale-level \{[^}]*word-break: keep-all", css)


def test_wtforms_own_messages_follow_the_locale_from_a_catalogue_read_once(app) -> None:
    class Choice(BaseForm):
        class Meta:
            csrf = False

        pick = IntegerField()

    messages = {}
    for locale in ("ja", "en"):
        with app.test_request_context("/"), force_locale(locale):
            form = Choice(formdata=MultiDict({"pick": "two"}))
            assert not form.validate()
            messages[locale] = form.pick.errors[0]
    assert messages == {"ja": "無効な整数です。", "en": "Not a valid integer value."}
    assert wtforms_messages("ja") is wtforms_messages("ja")
