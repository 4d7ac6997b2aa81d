"""The customer-outcome item in a campaign: asked of everyone after the rated items on 0-10,
saved, resumed and reviewed like the other answers, exported and imported in a column of its
own, carried by backups, and never part of a maturity figure."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.models import Answer, Response
from app.operations import exports
from app.operations.backup import backup_campaign, restore_campaign
from app.operations.errors import OperationError
from app.operations.exports import ExportOptions, stream_csv
from app.operations.response_import import import_responses, parse_responses
from app.operations.responses import save_answers, start_response
from app.platform.extensions import db as database
from app.results import campaign_results
from app.survey.questions import survey_for
from tests import factories
from tests.integration.survey_fixtures import (
    in_language,
    page_token,
    setup_survey,
    sign_in,
    start,
)

OUTCOME = "co_recommend"
FIELD = f"q_{OUTCOME}"
#: Five rated pages, then the outcome page, then the open questions.
OUTCOME_PAGE, OPEN_PAGE = 6, 7


@pytest.fixture
def s(db, client):
    setup = setup_survey(db)
    sign_in(client, setup.token)
    start(client)
    return setup


def _stored(db, participant_id: int) -> Answer | None:
    database.session.expire_all()
    return db.session.scalar(
        select(Answer)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.participant_id == participant_id, Answer.item_id == OUTCOME)
    )


def _fieldset(html: str) -> str:
    return html.split(f'id="item-{OUTCOME}"')[1].split("</fieldset>")[0]


@pytest.mark.parametrize("questionnaire", ["cx-five-capabilities", "cx-improvement-cycle"])
def test_every_role_is_asked_it_after_the_rated_items(db, questionnaire):
    campaign = factories.make_campaign(
        factories.make_org(f"asked-{questionnaire}"), questionnaire=questionnaire
    )
    q = campaign.questionnaire
    assert [item.id for item in q.outcomes] == [OUTCOME]
    for role in ("executive", "middle_manager", "frontline", None):
        survey = survey_for(campaign, role)
        keys = [page.key for page in survey.pages]
        assert keys[-2:] == ["customer_outcome", "__open__"]
        assert [page.key for page in survey.pages[:-2]] == [
            d.id for d in q.dimensions if any(item.asks(role) for item in d.items)
        ]
        (question,) = survey.pages[-2].questions
        assert (question.id, question.kind) == (OUTCOME, "outcome")
        assert survey.pages[-2].is_outcome


def test_the_page_asks_one_number_from_0_to_10_labelled_at_its_ends(db, client, s):
    html = client.get(f"/survey/page?n={OUTCOME_PAGE}").get_data(as_text=True)
    assert "6 / 7 ページ" in html
    assert "<h1>顧客成果</h1>" in html
    assert "この設問は成熟度の評価には含まれません。" in html
    assert html.count("<fieldset") == 1
    fieldset = _fieldset(html)
    assert '<legend class="question-text">' in fieldset
    assert "当社のお客さまは、当社を親しい人に勧めると思います。" in fieldset
    radios = re.findall(
        rf'<input type="radio" id="{FIELD}-(\d+)" name="{FIELD}" value="(\d+)"', html
    )
    assert [(int(a), int(b)) for a, b in radios] == [(n, n) for n in range(11)]
    for point in range(11):
        assert f'<label for="{FIELD}-{point}">{point}</label>' in fieldset
    # Labels at both ends only, each describing its own radio button.
    plain = fieldset.replace("<wbr>", "")
    assert f'<span id="{FIELD}-end-0">まったくそう思わない</span>' in plain
    assert f'<span id="{FIELD}-end-10">非常にそう思う</span>' in plain
    assert f'value="0" aria-describedby="{FIELD}-end-0"' in fieldset
    assert f'value="10" aria-describedby="{FIELD}-end-10"' in fieldset
    assert fieldset.count("aria-describedby") == 2
    # No "don't know" or "not applicable" here, and no maturity-level instructions.
    assert 'value="dk"' not in fieldset
    assert 'value="na"' not in fieldset
    assert "choose the level" not in html
    english = in_language(client, f"/survey/page?n={OUTCOME_PAGE}", "en").get_data(as_text=True)
    assert "Page 6 of 7" in english
    assert "Our customers would recommend us to people close to them." in english
    assert "Not at all likely" in english.replace("<wbr>", "")
    assert "Extremely likely" in english.replace("<wbr>", "")
    assert "You may leave this question unanswered." in english


def test_0_to_10_are_saved_and_resumed_and_anything_else_is_refused(db, client, s):
    token = page_token(client, OUTCOME_PAGE)
    for value in ("0", "10", "7"):
        response = client.post(
            f"/survey/page?n={OUTCOME_PAGE}",
            data={"csrf_token": token, FIELD: value, "action": "next"},
        )
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/survey/page?n={OPEN_PAGE}")
        stored = _stored(db, s.participant.id)
        assert (stored.value, stored.text, stored.not_applicable, stored.dont_know) == (
            int(value),
            None,
            False,
            False,
        )
    # Resumed where it was left: the page shows the stored answer.
    assert client.get("/survey/").headers["Location"].endswith(f"/survey/page?n={OPEN_PAGE}")
    html = client.get(f"/survey/page?n={OUTCOME_PAGE}").get_data(as_text=True)
    assert f'id="{FIELD}-7" name="{FIELD}" value="7" checked' in html
    assert html.count(" checked") == 1
    for bad in ("11", "-1", "na", "dk", "3.5", "true"):
        response = client.post(
            f"/survey/page?n={OUTCOME_PAGE}", data={"csrf_token": token, FIELD: bad}
        )
        assert response.status_code == 422, bad
        assert "表示されている選択肢から選んでください" in _fieldset(
            response.get_data(as_text=True)
        )
        assert _stored(db, s.participant.id).value == 7
    # Saved as it is chosen, too.
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    saved = client.post(f"/survey/autosave?n={OUTCOME_PAGE}", data={FIELD: "0"}, headers=headers)
    assert saved.status_code == 200
    assert saved.get_json()["saved"] == [OUTCOME]
    assert saved.get_json()["total"] == 47
    assert _stored(db, s.participant.id).value == 0
    refused = client.post(f"/survey/autosave?n={OUTCOME_PAGE}", data={FIELD: "11"}, headers=headers)
    assert refused.status_code == 422
    assert list(refused.get_json()["errors"]) == [OUTCOME]
    assert _stored(db, s.participant.id).value == 0


def test_it_may_be_left_unanswered_and_the_response_submitted(db, client, s):
    token = page_token(client, OUTCOME_PAGE)
    response = client.post(
        f"/survey/page?n={OUTCOME_PAGE}", data={"csrf_token": token, "action": "next"}
    )
    assert response.headers["Location"].endswith(f"/survey/page?n={OPEN_PAGE}")
    html = client.get("/survey/review").get_data(as_text=True)
    row = html.split(f'id="review-item-{OUTCOME}"')[1].split('class="review-row')[0]
    assert "未回答" in row
    assert f'href="/survey/page?n={OUTCOME_PAGE}#item-{OUTCOME}"' in html
    assert client.post("/survey/submit", data={"csrf_token": token}).status_code == 302
    assert _stored(db, s.participant.id) is None


def test_the_write_operation_takes_only_numbers_on_the_outcome_scale(db, s):
    questionnaire = s.campaign.questionnaire
    response = start_response(s.participant)
    for value in (0, 10):
        save_answers(response, questionnaire, {OUTCOME: value})
        assert _stored(db, s.participant.id).value == value
    for bad in (11, -1, "na", "dk", True, 3.5, "7", "text"):
        with pytest.raises(OperationError):
            save_answers(response, questionnaire, {OUTCOME: bad})
    # The rated items keep their own scale: 0 is not on it.
    with pytest.raises(OperationError, match="outside the scale 1-5"):
        save_answers(response, questionnaire, {questionnaire.items[0].id: 0})
    save_answers(response, questionnaire, {OUTCOME: None})
    assert _stored(db, s.participant.id) is None


def _campaign_with_answers(slug: str, outcomes: list[int | None], org=None):
    org = org or factories.make_org(slug, ("営業部",))
    campaign = factories.make_campaign(org, name=slug, threshold=3)
    questionnaire = campaign.questionnaire
    for index, (person, outcome) in enumerate(
        zip(factories.add_people(campaign, len(outcomes)), outcomes, strict=True)
    ):
        answers: dict[str, int | str] = {
            item.id: 1 + (index + position) % 5
            for position, item in enumerate(questionnaire.items_for("frontline"))
        }
        if outcome is not None:
            answers[OUTCOME] = outcome
        factories.submit(person, answers=answers)
    return campaign


def test_outcome_answers_never_move_a_maturity_figure(db):
    plain = _campaign_with_answers("without-outcome", [None] * 5)
    answered = _campaign_with_answers("with-outcome", [0, 3, 7, 10, 1], plain.organization)
    before, after = campaign_results(plain), campaign_results(answered)
    assert [d.id for d in after.dimensions] == [d.id for d in before.dimensions]
    assert OUTCOME not in {d.id for d in after.dimensions}
    assert after.dimensions == before.dimensions
    assert after.organization.to_dict() == before.organization.to_dict()
    assert after.reliability == before.reliability
    assert after.findings == before.findings
    assert after.item_gaps == before.item_gaps


def _rows(campaign, **options) -> list[dict[str, str]]:
    data = b"".join(stream_csv(campaign, ExportOptions(**options))).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(data)))


def test_the_export_has_its_column_and_imports_back(db, tmp_path):
    campaign = _campaign_with_answers("outcome-export", [0, 7, None, 10])
    questionnaire = campaign.questionnaire
    rows = _rows(campaign)
    header = list(rows[0])
    assert header.index(OUTCOME) == 3 + len(questionnaire.items)
    assert header[header.index(OUTCOME) + 1 :] == [q.id for q in questionnaire.open_questions]
    assert sorted(row[OUTCOME] for row in rows) == ["", "0", "10", "7"]

    path = tmp_path / "export.xlsx"
    exports.write_xlsx(campaign, ExportOptions(locale="ja"), str(path))
    workbook = load_workbook(path, read_only=True)
    try:
        sheet = list(workbook.active.iter_rows(values_only=True))
    finally:
        workbook.close()
    column = sheet[0].index(OUTCOME)
    assert sheet[1][column] == "当社のお客さまは、当社を親しい人に勧めると思います。"
    assert sorted(row[column] for row in sheet[2:] if row[column] is not None) == [0, 7, 10]

    target = factories.make_campaign(campaign.organization, name="紙の回答")
    preview, count = import_responses(target, b"".join(stream_csv(campaign, ExportOptions())))
    assert preview.ok, [str(problem) for problem in preview.problems]
    assert count == 4
    database.session.commit()
    assert sorted(row[OUTCOME] for row in _rows(target)) == ["", "0", "10", "7"]
    assert sorted(
        database.session.scalars(
            select(Answer.value)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.campaign_id == target.id, Answer.item_id == OUTCOME)
        )
    ) == [0, 7, 10]


def test_the_import_refuses_anything_but_0_to_10_in_its_column(db):
    campaign = _campaign_with_answers("outcome-import", [5])
    item = campaign.questionnaire.items[0].id
    text = (
        f"department,role,{item},{OUTCOME}\n"
        "営業部,frontline,3,0\n"
        "営業部,frontline,3,10\n"
        "営業部,frontline,3,11\n"
        "営業部,frontline,3,-1\n"
        "営業部,frontline,3,na\n"
        "営業部,frontline,3,x\n"
        "営業部,frontline,3,3.5\n"
        f"営業部,frontline,,4\n"
    )
    preview = parse_responses(campaign, text)
    assert [(p.line, p.column, p.code) for p in preview.problems] == [
        (4, OUTCOME, "out_of_scale"),
        (5, OUTCOME, "out_of_scale"),
        (6, OUTCOME, "outcome_na"),
        (7, OUTCOME, "outcome_not_a_number"),
        (8, OUTCOME, "outcome_not_a_number"),
    ]
    assert str(preview.problems[0]) == f"line 4, column {OUTCOME}: 11 is outside the scale 0-10."
    assert str(preview.problems[2]) == (
        f"line 6, column {OUTCOME}: {OUTCOME} takes a number from 0 to 10, or nothing; not na."
    )
    assert str(preview.problems[3]) == (
        f"line 7, column {OUTCOME}: x is not a number from 0 to 10 (or empty)."
    )
    # The valid rows, one answering the outcome item alone.
    good = "\n".join(text.splitlines()[:3] + text.splitlines()[-1:]) + "\n"
    preview, count = import_responses(campaign, good.encode("utf-8"))
    assert preview.ok, [str(problem) for problem in preview.problems]
    assert [row.answers for row in preview.rows] == [
        {item: 3, OUTCOME: 0},
        {item: 3, OUTCOME: 10},
        {OUTCOME: 4},
    ]
    assert count == 3


def test_backups_carry_the_outcome_answers(db):
    campaign = _campaign_with_answers("outcome-backup", [2, 9])
    original = backup_campaign(campaign)
    assert original["questionnaire"]["outcome"]["items"][0]["id"] == OUTCOME
    answered = sorted(
        answer["value"]
        for response in original["responses"]
        for answer in response["answers"]
        if answer["item_id"] == OUTCOME
    )
    assert answered == [2, 9]
    restored = restore_campaign(original, factories.make_org("outcome-restored", ()))
    database.session.commit()
    assert [item.id for item in restored.questionnaire.outcomes] == [OUTCOME]
    again = sorted(
        answer["value"]
        for response in backup_campaign(restored)["responses"]
        for answer in response["answers"]
        if answer["item_id"] == OUTCOME
    )
    assert again == [2, 9]
