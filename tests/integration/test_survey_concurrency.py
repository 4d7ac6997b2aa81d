"""Double submits and autosaves racing each other, against a real threaded HTTP server."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from app.models import Answer, Participant, Response
from tests.browser.conftest import LiveServer
from tests.integration.survey_fixtures import csrf_from, invite, make_campaign

WORKERS = 16


def _signed_in_client(url: str, token: str, *, start: bool) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, timeout=60)
    welcome = client.get(f"/r/{token}", follow_redirects=True)
    assert welcome.status_code == 200
    csrf = csrf_from(welcome.text)
    if start:
        assert client.post("/survey/start", data={"csrf_token": csrf}).status_code == 302
    return client, csrf


def _storm(url: str, cookies: httpx.Cookies, jobs: list[tuple[str, dict]], csrf: str) -> Counter:
    """Fire every job at once from its own thread and connection; count the status codes."""
    barrier = threading.Barrier(len(jobs))
    codes: Counter = Counter()
    lock = threading.Lock()

    def run(path: str, data: dict) -> None:
        with httpx.Client(base_url=url, cookies=cookies, timeout=60) as client:
            barrier.wait()
            response = client.post(
                path, data=data, headers={"X-CSRFToken": csrf, "Accept": "application/json"}
            )
        with lock:
            codes[(path.split("?")[0], response.status_code)] += 1

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return codes


@pytest.mark.parametrize("started_first", [True, False], ids=["resumed", "fresh"])
def test_simultaneous_submits_and_autosaves_give_one_intact_submission(db, app, started_first):
    campaign = make_campaign(db)
    participant, token = invite(db, campaign)
    items = [item.id for item in campaign.questionnaire.dimensions[0].items]
    first_values = {f"q_{item}": "2" for item in items}
    second_values = {f"q_{item}": "4" for item in items}
    db.session.commit()  # no transaction of the test may hold a lock while the server works

    with LiveServer(app) as server:
        client, csrf = _signed_in_client(server.url, token, start=started_first)
        if started_first:
            saved = client.post(
                "/survey/autosave?n=1", data=first_values, headers={"X-CSRFToken": csrf}
            )
            assert saved.status_code == 200
        jobs: list[tuple[str, dict]] = []
        for index in range(WORKERS):
            if index % 2:
                jobs.append(("/survey/submit", {"csrf_token": csrf}))
            else:
                jobs.append(("/survey/autosave?n=1", {"csrf_token": csrf, **second_values}))
        codes = _storm(server.url, client.cookies, jobs, csrf)
        late = client.post("/survey/autosave?n=1", data=first_values, headers={"X-CSRFToken": csrf})
        client.close()

    assert late.status_code == 409
    assert late.json()["status"] == "submitted"
    assert codes[("/survey/submit", 302)] == WORKERS // 2, codes
    assert set(codes) <= {
        ("/survey/submit", 302),
        ("/survey/autosave", 200),
        ("/survey/autosave", 409),
    }, codes

    db.session.expire_all()
    responses = db.session.scalars(
        select(Response).where(Response.participant_id == participant.id)
    ).all()
    assert len(responses) == 1
    response = responses[0]
    assert response.status == "submitted"
    assert response.submitted_at is not None
    assert db.session.get(Participant, participant.id).status == "submitted"
    rows = db.session.execute(
        select(Answer.item_id, Answer.value).where(Answer.response_id == response.id)
    ).all()
    stored = dict(rows)
    assert len(rows) == len(stored)  # never two rows for one item
    # Each save is atomic: the page's answers are all of one save, never a mix, and nothing
    # saved before the submission was lost.
    expected = [dict.fromkeys(items, 2), dict.fromkeys(items, 4)]
    if not started_first:
        expected.append({})
    assert stored in expected, stored
    total = db.session.scalar(
        select(func.count(Response.id)).where(Response.campaign_id == campaign.id)
    )
    assert total == 1
    db.session.commit()
