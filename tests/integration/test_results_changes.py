"""Results change when what they depend on changes: the cache of closed campaigns.

The cache is keyed by a data version read from the campaign's responses only; every way of
writing an answer (the survey, imports, the ORM, bulk statements, SQL by hand) must change it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import delete, event, func, insert, select, text, update

from app import results as results_module
from app.models import Answer, Response
from app.operations.campaigns import close_campaign, open_campaign, reopen_campaign
from app.operations.response_import import import_responses
from app.platform.cache import private_cache_folder
from app.results import campaign_results, clear_cache, kept
from app.results.load import data_version
from tests.factories import invite, submit
from tests.integration.survey_fixtures import csrf_from, page_token, setup_survey, sign_in, start
from tests.integration.test_results_engine import build

SMALL = [
    ("HQ", "executive", 5),
    ("HQ", "frontline", 6),
    ("Support", "frontline", 5),
]


@pytest.fixture
def closed(db):
    clear_cache()
    built = build(db, layout=SMALL, na_beta_in=None)
    close_campaign(built.campaign)
    db.session.commit()
    return built


def test_closed_results_are_cached_until_an_answer_changes(db, closed) -> None:
    first = campaign_results(closed.campaign)
    assert campaign_results(closed.campaign) is first
    answer = db.session.scalar(
        select(Answer).where(Answer.item_id == "b1", Answer.value.is_not(None)).order_by(Answer.id)
    )
    answer.value = 1 if answer.value != 1 else 5
    db.session.commit()
    second = campaign_results(closed.campaign)
    assert second is not first
    assert second.data_version != first.data_version
    assert second.organization.scores["beta"].mean != first.organization.scores["beta"].mean
    assert campaign_results(closed.campaign) is second


def test_a_response_added_after_closing_is_counted(db, closed) -> None:
    first = campaign_results(closed.campaign)
    participant, _ = invite(closed.campaign, department="HQ", role="frontline")
    submit(participant, answers={"a1": 5, "a2": 1, "a3": 5, "b1": 5})
    second = campaign_results(closed.campaign)
    assert second.organization.n == first.organization.n + 1
    assert second.response_counts.total.invited == first.response_counts.total.invited + 1


def test_settings_and_report_files_are_part_of_the_version(
    db, closed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = campaign_results(closed.campaign)
    closed.campaign.targets = {"alpha": 5}
    db.session.commit()
    second = campaign_results(closed.campaign)
    assert second is not first
    assert second.targets.targets == {"alpha": 5.0}
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'rules:\n  - id: always\n    when: {score: alpha, op: ">", value: 0}\n'
        '    text: {ja: "常に", en: "always"}\n',
        encoding="utf-8",
    )
    monkeypatch.setitem(current_app.config, "CX_REPORTS_DIR", str(tmp_path))
    third = campaign_results(closed.campaign)
    assert [f.rule for f in third.findings] == ["always"]
    rules.write_text("rules: [", encoding="utf-8")
    fourth = campaign_results(closed.campaign)
    # A broken rules file never breaks the results: no findings, and the problem is logged.
    assert fourth.findings == ()
    assert fourth.organization.n == first.organization.n


def test_reopening_a_campaign_computes_its_results_afresh(db, closed) -> None:
    before = campaign_results(closed.campaign)
    open_campaign(closed.campaign)
    db.session.commit()
    reopened = campaign_results(closed.campaign)
    assert reopened is not before
    assert (before.status, reopened.status) == ("closed", "open")
    assert campaign_results(closed.campaign) is reopened  # kept until something changes


# Every write to an answer shows in the data version ----------------------------------------


def _submitted_part(version: tuple) -> tuple:
    """The part of a data version that describes the submitted responses."""
    return version[1]


def _revision(db, response_id: int) -> int:
    return db.session.scalar(select(Response.revision).where(Response.id == response_id))


def _scored_answer(db, campaign) -> Answer:
    """A scale answer of a submitted response of ``campaign``, the same one every time."""
    return db.session.scalar(
        select(Answer)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.campaign_id == campaign.id, Response.status == "submitted")
        .where(Answer.item_id == "b1", Answer.value.is_not(None))
        .order_by(Answer.id)
    )


def _missing_item(db, campaign) -> tuple[int, str]:
    """A submitted response of ``campaign`` and a scored item it has no answer to."""
    answered: dict[int, set[str]] = {}
    rows = db.session.execute(
        select(Response.id, Answer.item_id)
        .join(Answer, Answer.response_id == Response.id, isouter=True)
        .where(Response.campaign_id == campaign.id, Response.status == "submitted")
        .order_by(Response.id)
    )
    for response_id, item_id in rows:
        answered.setdefault(response_id, set()).add(item_id)
    items = [item.id for item in campaign.questionnaire.items]
    for response_id, found in answered.items():
        for item_id in items:
            if item_id not in found:
                return response_id, item_id
    raise AssertionError("every respondent answered every item")


def _orm_update(db, campaign) -> int:
    answer = _scored_answer(db, campaign)
    answer.value = 1 if answer.value != 1 else 5
    return answer.response_id


def _orm_delete(db, campaign) -> int:
    answer = _scored_answer(db, campaign)
    db.session.delete(answer)
    return answer.response_id


def _orm_collection(db, campaign) -> int:
    answer = _scored_answer(db, campaign)
    response = db.session.get(Response, answer.response_id)
    response.answers.remove(answer)  # delete-orphan: removing it deletes the row
    return response.id


def _orm_insert(db, campaign) -> int:
    response_id, item_id = _missing_item(db, campaign)
    db.session.add(Answer(response_id=response_id, item_id=item_id, value=1))
    return response_id


def _core_insert(db, campaign) -> int:
    response_id, item_id = _missing_item(db, campaign)
    db.session.execute(
        insert(Answer),
        [{"response_id": response_id, "item_id": item_id, "value": 1, "not_applicable": False}],
    )
    return response_id


def _core_update(db, campaign) -> int:
    answer = _scored_answer(db, campaign)
    value = 1 if answer.value != 1 else 5
    db.session.execute(
        update(Answer)
        .where(Answer.id == answer.id)
        .values(value=value)
        .execution_options(synchronize_session=False)
    )
    return answer.response_id


def _core_delete(db, campaign) -> int:
    answer = _scored_answer(db, campaign)
    db.session.execute(
        delete(Answer).where(Answer.id == answer.id).execution_options(synchronize_session=False)
    )
    return answer.response_id


def _sql_update(db, campaign) -> int:
    answer = _scored_answer(db, campaign)
    db.session.execute(
        text("UPDATE answer SET value = :value WHERE id = :id"),
        {"value": 1 if answer.value != 1 else 5, "id": answer.id},
    )
    return answer.response_id


def _sql_not_applicable(db, campaign) -> int:
    answer = _scored_answer(db, campaign)
    db.session.execute(
        text("UPDATE answer SET value = NULL, not_applicable = :yes WHERE id = :id"),
        {"yes": True, "id": answer.id},
    )
    return answer.response_id


ANSWER_WRITERS = {
    "orm-update": _orm_update,
    "orm-delete": _orm_delete,
    "orm-collection": _orm_collection,
    "orm-insert": _orm_insert,
    "core-insert": _core_insert,
    "core-update": _core_update,
    "core-delete": _core_delete,
    "sql-update": _sql_update,
    "sql-not-applicable": _sql_not_applicable,
}


@pytest.mark.parametrize("writer", list(ANSWER_WRITERS))
def test_every_write_to_an_answer_changes_the_data_version(db, closed, writer: str) -> None:
    before = data_version(closed.campaign)
    response_id = _scored_answer(db, closed.campaign).response_id
    revision = _revision(db, response_id)
    changed = ANSWER_WRITERS[writer](db, closed.campaign)
    db.session.commit()
    assert _revision(db, changed) > (revision if changed == response_id else 0)
    assert data_version(closed.campaign) != before


@pytest.mark.parametrize("writer", list(ANSWER_WRITERS))
def test_cached_results_are_recomputed_after_any_answer_write(db, closed, writer: str) -> None:
    first = campaign_results(closed.campaign)
    assert campaign_results(closed.campaign) is first
    ANSWER_WRITERS[writer](db, closed.campaign)
    db.session.commit()
    second = campaign_results(closed.campaign)
    assert second is not first
    fresh = campaign_results(closed.campaign, cache=False)
    assert second.organization == fresh.organization
    assert second.organization != first.organization
    assert campaign_results(closed.campaign) is second


def test_the_version_check_reads_no_answer(db, closed) -> None:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement.lower())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        data_version(closed.campaign)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements
    assert not [s for s in statements if "answer" in s]


def test_deleting_a_response_recomputes_cached_results(db, closed) -> None:
    first = campaign_results(closed.campaign)
    response = db.session.scalar(
        select(Response).where(Response.campaign_id == closed.campaign.id).order_by(Response.id)
    )
    db.session.delete(response)
    db.session.commit()
    second = campaign_results(closed.campaign)
    assert second is not first
    assert second.organization.n == first.organization.n - 1
    # A bulk delete, the database cascading to the answers.
    before = data_version(closed.campaign)
    last = db.session.scalar(select(func.max(Response.id)))
    db.session.execute(
        delete(Response).where(Response.id == last).execution_options(synchronize_session=False)
    )
    db.session.commit()
    assert data_version(closed.campaign) != before
    assert campaign_results(closed.campaign).organization.n == first.organization.n - 2


def test_a_csv_import_into_a_closed_campaign_recomputes_cached_results(db, closed) -> None:
    first = campaign_results(closed.campaign)
    before = data_version(closed.campaign)
    csv = "department,role,a1,a2,a3,b1,b2,g1,g2\nHQ,frontline,5,1,5,5,5,5,5\n"
    preview, imported = import_responses(closed.campaign, csv)
    assert preview.ok, preview.problems
    assert imported == 1
    db.session.commit()
    assert data_version(closed.campaign) != before
    second = campaign_results(closed.campaign)
    assert second is not first
    assert second.organization.n == first.organization.n + 1


def test_reopening_and_closing_again_recomputes_cached_results(db, closed) -> None:
    first = campaign_results(closed.campaign)
    before = data_version(closed.campaign)
    reopen_campaign(closed.campaign)
    db.session.commit()
    assert data_version(closed.campaign) != before
    _orm_update(db, closed.campaign)
    close_campaign(closed.campaign)
    db.session.commit()
    second = campaign_results(closed.campaign)
    assert second is not first
    assert second.organization != first.organization


def test_survey_autosave_and_submit_raise_the_revision_and_version(db, client) -> None:
    setup = setup_survey(db)
    sign_in(client, setup.token)
    start(client)
    questionnaire = setup.campaign.questionnaire
    first_item, second_item = (item.id for item in questionnaire.dimensions[0].items[:2])
    token = page_token(client, 1)
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    response_id = db.session.scalar(
        select(Response.id).where(Response.participant_id == setup.participant.id)
    )
    revisions = [_revision(db, response_id)]
    versions = [data_version(setup.campaign)]
    for data in ({f"q_{first_item}": "2"}, {f"q_{first_item}": "4", f"q_{second_item}": "na"}):
        saved = client.post("/survey/autosave?n=1", data=data, headers=headers)
        assert saved.status_code == 200, saved.get_data(as_text=True)
        db.session.expire_all()
        revisions.append(_revision(db, response_id))
        versions.append(data_version(setup.campaign))
    assert revisions[0] < revisions[1] < revisions[2]
    # The respondent's activity shows in the invitation counts of the version.
    assert versions[0] != versions[1] != versions[2]
    html = client.get("/survey/review").get_data(as_text=True)
    submitted = client.post("/survey/submit", data={"csrf_token": csrf_from(html)})
    assert submitted.status_code == 302
    db.session.expire_all()
    # A draft counts in no result; once submitted, its answers do.
    assert _submitted_part(versions[-1]) == (0, None, None, None, None)
    assert _submitted_part(data_version(setup.campaign))[0] == 1


def test_a_new_process_reads_a_closed_campaigns_results_from_disk(db, closed, monkeypatch) -> None:
    first = campaign_results(closed.campaign)
    # What a new process has: nothing in memory; computing again is not allowed.
    kept._memory.clear()

    def no_computation(*args, **kwargs):
        raise AssertionError("the results were computed again")

    monkeypatch.setattr(results_module, "compute_results", no_computation)
    again = campaign_results(closed.campaign)
    assert again is not first
    assert again.data_version == first.data_version
    assert again.organization.scores["beta"].mean == first.organization.scores["beta"].mean
    assert again.to_dict() == first.to_dict()
    # A change to an answer is a new version: computed, never read from disk.
    monkeypatch.undo()
    answer = db.session.scalar(select(Answer).where(Answer.item_id == "b1").order_by(Answer.id))
    answer.value = 1 if answer.value != 1 else 5
    db.session.commit()
    kept._memory.clear()
    changed = campaign_results(closed.campaign)
    assert changed.data_version != first.data_version


def test_an_open_campaigns_results_are_kept_until_an_answer_changes(db, monkeypatch) -> None:
    clear_cache()
    built = build(db, layout=SMALL, na_beta_in=None)
    assert built.campaign.status == "open"
    first = campaign_results(built.campaign)
    assert first.data_version
    folder = private_cache_folder("results")
    assert folder is not None
    # This campaign's entries (other tests running beside this one keep theirs there too).
    prefix = kept._disk._digest(results_module._stored_group(built.campaign, True))
    assert len(list(folder.glob(f"{prefix}-*.pickle"))) == 1
    assert campaign_results(built.campaign) is first
    answer = db.session.scalar(select(Answer).where(Answer.item_id == "b1").order_by(Answer.id))
    answer.value = 1 if answer.value != 1 else 5
    db.session.commit()
    second = campaign_results(built.campaign)
    assert second.data_version != first.data_version
    assert not second.refreshing
    # The new figures replace the old ones on disk: one entry per campaign.
    assert len(list(folder.glob(f"{prefix}-*.pickle"))) == 1
