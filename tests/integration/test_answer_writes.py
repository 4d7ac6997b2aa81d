"""Saving a page writes only what changed, in one statement per kind of change, and keeps
everything a respondent entered (``app.operations.responses.save_page``)."""

from __future__ import annotations

from sqlalchemy import event, select

from app.models import Answer, Response
from app.operations.responses import save_page
from app.survey.questions import survey_for
from tests.integration.survey_fixtures import page_token, setup_survey, sign_in, start


def _stored(db, response_id: int) -> dict[str, tuple]:
    db.session.expire_all()
    return {
        a.item_id: (a.value, a.not_applicable, a.text, a.updated_at)
        for a in db.session.scalars(select(Answer).where(Answer.response_id == response_id))
    }


def _revision(db, response_id: int) -> int:
    return db.session.scalar(select(Response.revision).where(Response.id == response_id))


def test_a_save_writes_only_what_changed(db) -> None:
    setup = setup_survey(db)
    questionnaire = setup.campaign.questionnaire
    first, second, third = (item.id for item in questionnaire.items[:3])
    response = save_page(
        setup.participant, questionnaire, {first: 3, second: 4, third: 2}, current_page=2
    )
    db.session.commit()
    response_id = response.id
    before = _stored(db, response_id)
    assert {k: v[:3] for k, v in before.items()} == {
        first: (3, False, None),
        second: (4, False, None),
        third: (2, False, None),
    }
    revision = _revision(db, response_id)

    # The same answers again: nothing is written, not even their time.
    save_page(setup.participant, questionnaire, {first: 3, second: 4, third: 2}, current_page=3)
    db.session.commit()
    assert _stored(db, response_id) == before
    assert _revision(db, response_id) == revision
    assert db.session.get(Response, response_id).current_page == 3

    # One changed, one cleared, one untouched.
    save_page(setup.participant, questionnaire, {first: 5, second: None}, current_page=3)
    db.session.commit()
    after = _stored(db, response_id)
    assert set(after) == {first, third}
    assert after[first][0] == 5
    assert after[first][3] > before[first][3]
    assert after[third] == before[third]
    assert _revision(db, response_id) > revision


def test_answers_held_in_the_session_are_read_again_after_a_save(db) -> None:
    setup = setup_survey(db)
    questionnaire = setup.campaign.questionnaire
    item = questionnaire.items[0].id
    response = save_page(setup.participant, questionnaire, {item: 2})
    db.session.commit()
    held = {a.item_id: a for a in response.answers}
    assert held[item].value == 2
    save_page(setup.participant, questionnaire, {item: 4})
    # Within the same transaction, before any commit: what the session holds is current.
    assert held[item].value == 4
    assert [a.value for a in response.answers] == [4]
    db.session.commit()


def test_a_page_save_reads_without_the_write_lock_and_writes_in_few_statements(db, client) -> None:
    setup = setup_survey(db)
    sign_in(client, setup.token)
    start(client)
    csrf = page_token(client, 1)
    page = survey_for(setup.campaign, setup.participant.role.key).page(1)
    fields = {q.field_name: "4" for q in page.questions if q.kind == "scale"}
    assert fields
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        words = statement.split()
        if words[0] == "SELECT":
            words = ["SELECT", words[words.index("FROM") + 1]]
        statements.append(" ".join(words[:2] if words[0] != "INSERT" else words[:3]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        saved = client.post("/survey/page?n=1", data={"csrf_token": csrf, **fields})
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert saved.status_code == 302
    if db.engine.dialect.name == "sqlite":
        # The respondent is read without the write lock; the transaction that writes takes it
        # when it begins, after the form was read and checked.
        locked = statements.index("BEGIN IMMEDIATE")
        assert statements[locked + 1] == "UPDATE participant"
        assert all(s in ("BEGIN", "SELECT participant") for s in statements[:locked])
        statements = [s for s in statements if not s.startswith("BEGIN")]
    # The respondent; the participant's lock and time of activity; the response read under the
    # lock; its page and time; the answers stored for the page; the new ones.
    assert statements == [
        "SELECT participant",
        "UPDATE participant",
        "SELECT response",
        "UPDATE response",
        "SELECT answer",
        "INSERT INTO answer",
    ]
    stored = db.session.scalars(
        select(Answer.value).join(Response).where(Response.participant_id == setup.participant.id)
    ).all()
    assert stored == [4] * len(fields)
    assert db.session.get(Response, setup.participant.response.id).current_page == 2
