"""Actions on the dashboard: a proposal made an action in one click, an action added by hand
with its errors named, changed by consultants and by granted executives only, its history,
the next round's progress view with overdue actions flagged, and the CSV and XLSX exports."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from app.models import Action, AuditEvent, User
from app.operations.actions import create_action
from app.platform.extensions import db
from app.results import campaign_results
from tests.factories import (
    department_of,
    grant,
    make_campaign,
    make_org,
    make_user,
    two_rounds,
)
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@pytest.fixture
def world(app):
    org = make_org("action-pages", ("営業部", "開発部"))
    other = make_org("other-action-pages", ("経理部",))
    previous, current = two_rounds(org)
    foreign = make_campaign(other, name="他社", threshold=3)
    grant(make_user("pages-consultant@example.com"), org, "consultant")
    grant(make_user("pages-exec@example.com"), org, "executive", update_actions=True)
    grant(make_user("pages-viewer@example.com"), org, "executive")
    grant(make_user("pages-other@example.com"), other, "consultant")
    db.session.commit()
    return org, previous, current, foreign


def _client(app, email):
    client = make_client(app)
    assert login(client, email).status_code == 302
    return client


def _action_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Action))


def test_a_proposal_becomes_an_action_in_one_click(app, world) -> None:
    _org, previous, _current, _foreign = world
    client = _client(app, "pages-consultant@example.com")
    url = f"/dashboard/campaigns/{previous.id}/actions"
    page = client.get(url).get_data(as_text=True)
    assert "No action is agreed in this round yet." in page
    keys = re.findall(r'name="proposal" value="([^"]+)"', page)
    assert keys, "the diagnosis offers no proposal"
    title = re.search(
        r"<strong>([^<]+)</strong>.*?name=\"proposal\" value=\"" + re.escape(keys[0]),
        page,
        re.S,
    ).group(1)
    token = csrf_token(client, url)
    made = client.post(url, data={"csrf_token": token, "proposal": keys[0]})
    assert made.status_code == 302
    action = db.session.scalar(select(Action))
    assert action is not None
    assert action.campaign_id == previous.id
    assert action.title == title.replace("&#39;", "'").replace("&amp;", "&")
    assert action.status == "planned"
    assert action.due is not None
    assert action.due > date.today()
    assert action.dimension in {d.id for d in previous.questionnaire.dimensions}
    assert action.owner
    assert f"/dashboard/actions/{action.id}" in made.headers["Location"]
    # The proposal taken is no longer offered; the action is listed instead.
    again = client.get(url).get_data(as_text=True)
    assert f'value="{keys[0]}"' not in again
    assert f'id="action-{action.id}"' in again
    # Without the form's token nothing is made; a second click shows the action made.
    assert client.post(url, data={"proposal": keys[0]}).status_code == 400
    again = client.post(url, data={"csrf_token": token, "proposal": keys[0]})
    assert again.status_code == 302
    assert f"/dashboard/actions/{action.id}" in again.headers["Location"]
    assert _action_count() == 1


def test_the_overview_makes_a_key_messages_action_in_one_click(app, world) -> None:
    _org, previous, _current, _foreign = world
    client = _client(app, "pages-consultant@example.com")
    overview = f"/dashboard/campaigns/{previous.id}"
    page = client.get(overview).get_data(as_text=True)
    keys = re.findall(r'name="proposal" value="(message-\d+)"', page)
    assert keys, "no key message offers its action"
    token = csrf_token(client, overview)
    made = client.post(
        f"/dashboard/campaigns/{previous.id}/actions",
        data={"csrf_token": token, "proposal": keys[0]},
    )
    assert made.status_code == 302
    action = db.session.scalar(select(Action))
    assert action.origin_text
    assert f'value="{keys[0]}"' not in client.get(overview).get_data(as_text=True)
    viewer = _client(app, "pages-viewer@example.com")
    assert 'name="proposal"' not in viewer.get(overview).get_data(as_text=True)
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "action.created")
    )


def test_an_action_by_hand_names_the_field_at_fault_and_keeps_the_entry(app, world) -> None:
    org, previous, _current, _foreign = world
    client = _client(app, "pages-consultant@example.com")
    url = f"/dashboard/campaigns/{previous.id}/actions"
    token = csrf_token(client, url)
    fields = {
        "csrf_token": token,
        "title": "窓口の待ち時間を半分にする",
        "dimension": previous.questionnaire.dimensions[1].id,
        "department": str(department_of(org, "営業部").id),
        "owner": "営業部長",
        "owner_email": "not-an-address",
        "due": "2027-03-31",
        "status": "planned",
        "notes": "",
    }
    refused = client.post(url, data=fields)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "not an e-mail address" in html or "Invalid email address" in html
    assert "窓口の待ち時間を半分にする" in html
    assert _action_count() == 0
    saved = client.post(url, data={**fields, "owner_email": "Sales.Head@Example.com"})
    assert saved.status_code == 302
    action = db.session.scalar(select(Action))
    assert action.owner_email == "sales.head@example.com"
    assert action.department_id == department_of(org, "営業部").id
    assert action.due == date(2027, 3, 31)
    # A department of another organisation is not offered and not accepted.
    other_department = department_of(world[3].organization, "経理部").id
    foreign = client.post(url, data={**fields, "department": str(other_department)})
    assert foreign.status_code == 400
    assert _action_count() == 1


def test_who_may_change_what_and_the_history(app, world) -> None:
    _org, previous, current, _foreign = world
    action = create_action(
        previous,
        {"title": "対話会", "dimension": previous.questionnaire.dimensions[0].id, "owner": "企画"},
    )
    db.session.commit()
    url = f"/dashboard/actions/{action.id}?campaign={current.id}"
    consultant = _client(app, "pages-consultant@example.com")
    token = csrf_token(consultant, url)
    changed = consultant.post(
        url,
        data={
            "csrf_token": token,
            "owner": "経営企画部長",
            "owner_email": "",
            "due": "2026-01-31",
            "status": "in_progress",
            "notes": "第1回を実施",
        },
    )
    assert changed.status_code == 302
    db.session.refresh(action)
    assert (action.owner, action.status, action.notes) == (
        "経営企画部長",
        "in_progress",
        "第1回を実施",
    )
    page = consultant.get(url).get_data(as_text=True)
    assert "Planned → Under way" in page
    assert "企画 → 経営企画部長" in page

    granted = _client(app, "pages-exec@example.com")
    token = csrf_token(granted, url)
    form = granted.get(url).get_data(as_text=True)
    assert 'name="owner"' not in form
    assert 'name="status"' in form
    reported = granted.post(
        url, data={"csrf_token": token, "status": "done", "notes": "完了", "owner": "誰か"}
    )
    assert reported.status_code == 302
    db.session.refresh(action)
    assert (action.status, action.notes, action.owner) == ("done", "完了", "経営企画部長")

    viewer = _client(app, "pages-viewer@example.com")
    seen = viewer.get(url)
    assert seen.status_code == 200
    assert 'name="status"' not in seen.get_data(as_text=True)
    token = csrf_token(viewer, f"/dashboard/campaigns/{current.id}/actions")
    refused = viewer.post(url, data={"csrf_token": token, "status": "dropped"})
    assert refused.status_code == 403
    db.session.refresh(action)
    assert action.status == "done"

    outsider = _client(app, "pages-other@example.com")
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"/dashboard/campaigns/{previous.id}/actions").status_code == 404
    token = csrf_token(outsider, "/dashboard/")
    assert outsider.post(url, data={"csrf_token": token, "status": "dropped"}).status_code == 404
    assert (
        outsider.post(
            f"/dashboard/campaigns/{previous.id}/actions",
            data={"csrf_token": token, "proposal": "message-1"},
        ).status_code
        == 404
    )
    assert consultant.get(f"/dashboard/actions/{2**31}").status_code == 404
    # Executives, granted or not, add no action.
    assert (
        granted.post(
            f"/dashboard/campaigns/{previous.id}/actions",
            data={"csrf_token": csrf_token(granted, url), "proposal": "message-1"},
        ).status_code
        == 404
    )


def test_the_next_round_shows_progress_flags_overdue_and_exports(app, world) -> None:
    org, previous, current, _foreign = world
    dimension = previous.questionnaire.dimensions[0].id
    sales = department_of(org, "営業部").id
    late = create_action(
        previous,
        {
            "title": '=HYPERLINK("http://x")',
            "dimension": dimension,
            "department": sales,
            "owner": "営業部長",
            "due": date.today() - timedelta(days=10),
        },
    )
    create_action(
        previous,
        {"title": "終わった施策", "dimension": dimension, "owner": "企画"},
    ).status = "done"
    db.session.commit()
    viewer = _client(app, "pages-viewer@example.com")
    html = viewer.get(f"/dashboard/campaigns/{current.id}/actions").get_data(as_text=True)
    assert "Progress on actions" in html
    row = re.search(rf'<tr id="action-{late.id}" class="overdue">(.*?)</tr>', html, re.S)
    assert row, "the late action is not flagged overdue"
    assert "Overdue" in row.group(1)
    # The department's change, from the two rounds' results objects.
    before = campaign_results(previous).dimension(dimension).by_department[sales].mean
    after = campaign_results(current).dimension(dimension).by_department[sales].mean
    change = f"{after - before:+.2f}"
    assert after > before
    assert change in row.group(1)
    assert "終わった施策" not in html
    # Executives see no proposals and no form.
    assert 'name="proposal"' not in html
    assert 'id="new-action"' not in html
    csv = viewer.get(f"/dashboard/campaigns/{current.id}/actions.csv").get_data(as_text=True)
    lines = csv.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Action")
    assert "'=HYPERLINK" in lines[1]
    assert change in lines[1]
    assert "Yes" in lines[1]
    book = openpyxl.load_workbook(
        io.BytesIO(viewer.get(f"/dashboard/campaigns/{current.id}/actions.xlsx").data)
    )
    sheet = book.active
    assert sheet.cell(2, 1).value == '\'=HYPERLINK("http://x")'
    assert sheet.cell(2, 1).data_type == "s"
    assert sheet.max_row == 2


def test_a_consultant_grants_an_executive_the_action_updates(app, world) -> None:
    org, previous, _current, _foreign = world
    action = create_action(
        previous,
        {"title": "対話会", "dimension": previous.questionnaire.dimensions[0].id, "owner": "企画"},
    )
    db.session.commit()
    url = f"/dashboard/actions/{action.id}"
    viewer = _client(app, "pages-viewer@example.com")
    assert 'name="status"' not in viewer.get(url).get_data(as_text=True)

    consultant = _client(app, "pages-consultant@example.com")
    settings = f"/workspace/orgs/{org.slug}/settings"
    page = consultant.get(settings).get_data(as_text=True)
    viewer_id = db.session.scalar(select(User.id).where(User.email == "pages-viewer@example.com"))
    target = f"/workspace/orgs/{org.slug}/executives/{viewer_id}/action-updates"
    assert target in page
    token = csrf_token(consultant, settings)
    assert consultant.post(target, data={"csrf_token": token, "allowed": "1"}).status_code == 302
    assert "Updates actions" in consultant.get(settings).get_data(as_text=True)
    assert 'name="status"' in viewer.get(url).get_data(as_text=True)
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "executive.action_updates")
    )
    # A consultant is no executive; another organisation's consultant finds nothing.
    consultant_id = db.session.scalar(
        select(User.id).where(User.email == "pages-consultant@example.com")
    )
    not_executive = f"/workspace/orgs/{org.slug}/executives/{consultant_id}/action-updates"
    assert (
        consultant.post(not_executive, data={"csrf_token": token, "allowed": "1"}).status_code
        == 404
    )
    outsider = _client(app, "pages-other@example.com")
    own_token = csrf_token(outsider, "/workspace/")
    assert outsider.post(target, data={"csrf_token": own_token, "allowed": "0"}).status_code == 404
    assert consultant.post(target, data={"csrf_token": token, "allowed": "0"}).status_code == 302
    assert 'name="status"' not in viewer.get(url).get_data(as_text=True)
