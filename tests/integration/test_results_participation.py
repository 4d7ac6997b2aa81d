"""Invited, started and submitted: one rule for revoked participants and imported responses,
the same counts in the results, the progress page, the API and the exports."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from app.api.serializers import campaign_detail
from app.models import Campaign
from app.operations.exports import ExportOptions, response_rows, submitted_count
from app.operations.participants import revoke_participant
from app.operations.response_import import import_responses
from app.operations.responses import begin
from app.platform.extensions import db
from app.results import (
    Participation,
    campaign_participation,
    campaign_results,
    clear_cache,
    participation_by_campaign,
    participation_by_cell,
)
from app.results.progress import campaign_progress
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import fast_password_hashing, login, make_client


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement run inside the block."""
    found: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        found.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield found
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


@pytest.fixture
def campaign(app) -> Campaign:
    """Sales front line: two submitted (one then revoked), one started, one revoked before
    starting. Development middle managers: one submitted, one started then revoked, one not
    started. Two responses imported into the development front line, without participants."""
    clear_cache()
    org = make_org("acme", ("営業部", "開発部"))
    campaign = make_campaign(org, threshold=3)
    sales = add_people(campaign, 4, department="営業部", role="frontline")
    dev = add_people(campaign, 3, department="開発部", role="middle_manager")
    submit(sales[0])
    submit(sales[1])
    begin(sales[2])
    begin(dev[1])
    submit(dev[0])
    for person in (sales[1], sales[3], dev[1]):
        revoke_participant(person)
    items = [item.id for item in campaign.questionnaire.items]
    rows = "\n".join("開発部,frontline," + ",".join(["3"] * len(items)) for _ in range(2))
    preview, imported = import_responses(campaign, f"department,role,{','.join(items)}\n{rows}\n")
    assert preview.ok, preview.problems
    assert imported == 2
    db.session.commit()
    return campaign


def _cell(campaign: Campaign, department: str, role: str) -> tuple[int, int]:
    org = campaign.organization
    department_id = next(d.id for d in org.departments if d.name == department)
    role_id = next(r.id for r in org.roles if r.key == role)
    return department_id, role_id


def test_revoked_people_count_as_invited_only_when_their_answer_stays(campaign) -> None:
    cells = participation_by_cell(campaign)
    # A revoked participant who had submitted was invited and answered; one who had not is
    # no longer invited at all.
    assert cells[_cell(campaign, "営業部", "frontline")] == Participation(3, 1, 2, 0)
    # A draft of a revoked participant can never be submitted: neither invited nor started.
    assert cells[_cell(campaign, "開発部", "middle_manager")] == Participation(2, 0, 1, 1)
    # Imported responses were submitted without an invitation.
    assert cells[_cell(campaign, "開発部", "frontline")] == Participation(0, 0, 2, 0)
    assert len(cells) == 3

    total = campaign_participation(campaign)
    assert total == Participation(invited=5, started=1, submitted=5, not_started=1)
    assert total == sum(cells.values(), Participation())
    assert total.response_rate == 1.0


def test_every_output_shows_the_same_counts(campaign, app) -> None:
    total = campaign_participation(campaign)
    expected = (total.invited, total.started, total.submitted)

    results = campaign_results(campaign)
    counts = results.response_counts.total
    assert (counts.invited, counts.started, counts.submitted) == expected
    # Submitted is what the figures hold: every submitted response.
    assert results.organization.n == total.submitted
    by_department = {row.label["en"]: row for row in results.response_counts.by_department}
    assert (by_department["開発部"].invited, by_department["開発部"].submitted) == (2, 3)

    progress = campaign_progress(campaign)
    assert (
        progress.total.invited,
        progress.total.started,
        progress.total.submitted,
    ) == expected
    departments = {d.name: d.counts for d in progress.by_department}
    assert departments["開発部"] == Participation(2, 0, 3, 1)

    with app.test_request_context():
        detail = campaign_detail(campaign, campaign.organization)["counts"]
    assert (detail["invited"], detail["started"], detail["submitted"]) == expected

    assert submitted_count(campaign) == total.submitted
    assert len(list(response_rows(campaign, ExportOptions()))) == total.submitted


def test_results_do_not_change_when_a_submitted_participant_is_revoked(campaign) -> None:
    before = campaign_results(campaign, cache=False).response_counts.total
    remaining = next(
        p for p in campaign.participants if p.status == "submitted" and not p.revoked_at
    )
    revoke_participant(remaining)
    db.session.commit()
    after = campaign_results(campaign, cache=False)
    assert after.response_counts.total.to_dict() == before.to_dict()
    assert campaign_participation(campaign).submitted == after.organization.n


def test_many_campaigns_are_counted_in_one_query(campaign) -> None:
    org = campaign.organization
    second = make_campaign(org, name="2027 CX診断")
    add_people(second, 2, department="営業部")
    submit(second.participants[0])
    empty = make_campaign(org, name="空の診断", opened=False)
    campaigns = [campaign, second, empty]
    ids = [c.id for c in campaigns]  # loaded before counting
    with statements() as run:
        found = participation_by_campaign(campaigns)
    assert [statement for statement in run if statement != "BEGIN"] == [run[-1]]
    assert found.keys() == set(ids)
    assert found == {
        campaign.id: campaign_participation(campaign),
        second.id: Participation(invited=2, started=0, submitted=1, not_started=1),
        empty.id: Participation(),
    }
    assert found[empty.id].response_rate is None
    assert participation_by_campaign([]) == {}
    assert participation_by_campaign([second.id]) == {second.id: found[second.id]}


@pytest.mark.usefixtures(fast_password_hashing.__name__)
def test_the_organisation_page_lists_every_campaign_with_its_counts(campaign, app) -> None:
    consultant = make_user("c@example.com")
    grant(consultant, campaign.organization, "consultant")
    empty = make_campaign(campaign.organization, name="空の診断", opened=False)
    client = make_client(app)
    assert login(client, "c@example.com").status_code == 302
    html = client.get(f"/workspace/orgs/{campaign.organization.slug}").get_data(as_text=True)
    # The campaigns' table (the names without an English name are listed above it).
    html = html[html.index('id="campaigns"') :]
    row = html[html.index(campaign.name) :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">5</td>' in row  # submitted, then invited
    assert "100%" in row
    empty_row = html[html.index(empty.name) :]
    assert "0%" in empty_row[: empty_row.index("</tr>")]
