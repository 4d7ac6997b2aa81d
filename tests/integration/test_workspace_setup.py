"""Organisations and campaigns in the browser: structure, dates, thresholds, status, rounds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.models import AuditEvent, Campaign, Department, Membership, Organization, Role, User
from app.operations.campaigns import (
    close_campaign,
    copy_campaign,
    open_campaign,
    update_campaign,
)
from app.operations.errors import OperationError
from app.operations.organizations import add_department, add_role, rename_role, update_department
from app.platform.extensions import db
from app.queries.questionnaires import available_questionnaires
from app.questionnaire import Questionnaire, estimate
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)

pytestmark = pytest.mark.usefixtures(fast_password_hashing.__name__)


@pytest.fixture
def consultant_client(app):
    make_user("c@example.com")
    client = make_client(app)
    login(client, "c@example.com")
    client.csrf = csrf_token(client, "/account")
    return client


def _consultant():
    return db.session.scalar(select(User).where(User.email == "c@example.com"))


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": client.csrf, **data})


def test_consultant_creates_an_organization_and_gets_access(app, consultant_client):
    response = _post(
        consultant_client,
        "/workspace/orgs/new",
        name="みなと商事",
        slug="minato",
        departments="営業部\n開発部\n\n",
    )
    assert response.status_code == 302
    org = db.session.scalar(select(Organization).where(Organization.slug == "minato"))
    assert [d.name for d in org.departments] == ["営業部", "開発部"]
    assert [r.key for r in org.roles] == ["executive", "middle_manager", "frontline"]
    membership = db.session.scalar(select(Membership).where(Membership.organization_id == org.id))
    assert membership.access == "consultant"
    assert consultant_client.get("/workspace/orgs/minato").status_code == 200


def test_bad_slug_is_explained_and_nothing_is_created(app, consultant_client):
    response = _post(consultant_client, "/workspace/orgs/new", name="X", slug="Bad Slug!")
    assert response.status_code == 200
    assert "lowercase letters, digits and hyphens" in response.get_data(as_text=True)
    assert db.session.scalar(select(Organization)) is None


def test_executive_only_users_cannot_create_organizations(app):
    org = make_org("acme")
    viewer = make_user("exec@example.com")
    grant(viewer, org, "executive")
    client = make_client(app)
    login(client, "exec@example.com")
    assert client.get("/workspace/orgs/new").status_code == 404
    assert "New organisation" not in client.get("/workspace/").get_data(as_text=True)


def test_departments_nest_rename_and_archive(app, consultant_client):
    org = make_org("acme", ("営業部", "開発部"))
    grant(_consultant(), org, "consultant")
    sales, dev = org.departments
    response = _post(
        consultant_client,
        "/workspace/orgs/acme/departments",
        **{"dept-name": "法人営業課", "dept-parent": sales.id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    child = db.session.scalar(select(Department).where(Department.name == "法人営業課"))
    assert child.parent_id == sales.id
    response = _post(
        consultant_client,
        f"/workspace/departments/{child.id}",
        name="法人営業グループ",
        parent=dev.id,
        archived="y",
        confirm="yes",
    )
    assert response.status_code == 302
    db.session.expire_all()
    child = db.session.get(Department, child.id)
    assert (child.name, child.parent_id, child.archived) == ("法人営業グループ", dev.id, True)
    # A department cannot be moved under its own child.
    response = _post(
        consultant_client, f"/workspace/departments/{dev.id}", name="開発部", parent=child.id
    )
    assert response.status_code == 200


def test_department_cycles_are_refused(app):
    org = make_org("acme", ("A",))
    a = org.departments[0]
    b = add_department(org, "B", a)
    c = add_department(org, "C", b)
    with pytest.raises(OperationError, match="under itself"):
        update_department(a, name="A", parent=c)
    with pytest.raises(OperationError, match="already exists"):
        update_department(b, name="A", parent=a)


def test_roles_are_renamed_per_locale_and_added(app, consultant_client):
    org = make_org("acme")
    grant(_consultant(), org, "consultant")
    frontline = next(r for r in org.roles if r.key == "frontline")
    _post(
        consultant_client, f"/workspace/roles/{frontline.id}", label_ja="現場リーダー", label_en=""
    )
    db.session.expire_all()
    assert db.session.get(Role, frontline.id).labels == {"ja": "現場リーダー", "en": "Front line"}
    _post(
        consultant_client,
        "/workspace/orgs/acme/roles",
        **{"role-key": "section_chief", "role-label_ja": "課長", "role-label_en": "Section chief"},
    )
    db.session.expire_all()
    role = db.session.scalar(select(Role).where(Role.key == "section_chief"))
    assert role.rank == 3
    assert role.label("en") == "Section chief"
    with pytest.raises(OperationError, match="already exists"):
        add_role(org, "section_chief", {"ja": "課長"})
    with pytest.raises(OperationError, match="must start with a letter"):
        add_role(org, "9 bad", {"ja": "x"})
    rename_role(role, {"en": "Section head"})
    assert role.labels == {"ja": "課長", "en": "Section head"}


def test_campaign_form_lists_the_library_and_stores_tokyo_dates_in_utc(app, consultant_client):
    org = make_org("acme")
    grant(_consultant(), org, "consultant")
    page = consultant_client.get("/workspace/orgs/acme/campaigns/new").get_data(as_text=True)
    for questionnaire in available_questionnaires():
        assert f"{questionnaire.id}@{questionnaire.version}" in page
        # Questions (rated and open) and minutes as the welcome page states them.
        found = estimate(questionnaire, "en")
        assert (
            f"Version {questionnaire.version} · {found.questions} questions · "
            f"about {found.minutes} minutes" in page
        )
    response = _post(
        consultant_client,
        "/workspace/orgs/acme/campaigns/new",
        questionnaire="cx-five-capabilities@1.0.0",
        name="2026年度 診断",
        opens_at="2026-12-01T09:00",
        closes_at="2026-12-20T18:00",
        timezone="Asia/Tokyo",
        threshold="4",
    )
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert campaign.opens_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert campaign.closes_at == datetime(2026, 12, 20, 9, 0, tzinfo=UTC)
    assert campaign.anonymity_threshold == 4
    assert campaign.questionnaire_hash == campaign.questionnaire.content_hash
    assert campaign.status == "draft"
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "campaign.created" in actions


@pytest.mark.parametrize(
    ("threshold", "ok"), [("2", False), ("3", True), ("10", True), ("11", False)]
)
def test_threshold_must_be_between_3_and_10(app, consultant_client, threshold, ok):
    org = make_org("acme")
    grant(_consultant(), org, "consultant")
    response = _post(
        consultant_client,
        "/workspace/orgs/acme/campaigns/new",
        questionnaire="cx-five-capabilities@1.0.0",
        name="X",
        timezone="Asia/Tokyo",
        threshold=threshold,
    )
    assert (response.status_code == 302) is ok
    assert (db.session.scalar(select(Campaign)) is not None) is ok


def test_threshold_is_fixed_once_opened(app):
    org = make_org("acme")
    campaign = make_campaign(org, opened=False, threshold=5)
    update_campaign(campaign, name="renamed", opens_at=None, closes_at=None, threshold=7)
    assert campaign.anonymity_threshold == 7
    open_campaign(campaign)
    close_campaign(campaign)
    with pytest.raises(OperationError, match="cannot change once the campaign has been opened"):
        update_campaign(campaign, name="renamed", opens_at=None, closes_at=None, threshold=3)
    with pytest.raises(OperationError, match="after the opening date"):
        update_campaign(
            campaign,
            name="x",
            opens_at=datetime(2026, 5, 1, tzinfo=UTC),
            closes_at=datetime(2026, 4, 1, tzinfo=UTC),
            threshold=7,
        )


def test_comment_minimum_is_checked_and_fixed_once_opened(app):
    org = make_org("acme")
    campaign = make_campaign(org, opened=False, threshold=5)
    assert campaign.comment_minimum == 10
    update_campaign(
        campaign, name="x", opens_at=None, closes_at=None, threshold=5, comment_minimum=20
    )
    assert campaign.comment_minimum == 20
    for wrong in (9, 51):
        with pytest.raises(OperationError, match=f"between 10 and 50, got {wrong}"):
            update_campaign(
                campaign,
                name="x",
                opens_at=None,
                closes_at=None,
                threshold=5,
                comment_minimum=wrong,
            )
    open_campaign(campaign)
    with pytest.raises(OperationError, match="free-text answers cannot change once"):
        update_campaign(
            campaign, name="x", opens_at=None, closes_at=None, threshold=5, comment_minimum=10
        )
    update_campaign(campaign, name="renamed", opens_at=None, closes_at=None, threshold=5)
    assert (campaign.name, campaign.comment_minimum) == ("renamed", 20)


def test_comment_minimum_in_the_browser_forms(app, consultant_client):
    org = make_org("acme")
    grant(_consultant(), org, "consultant")
    fields = {"questionnaire": "cx-five-capabilities@1.0.0", "timezone": "Asia/Tokyo"}
    page = consultant_client.get("/workspace/orgs/acme/campaigns/new").get_data(as_text=True)
    assert 'name="comment_minimum"' in page
    refused = _post(
        consultant_client,
        "/workspace/orgs/acme/campaigns/new",
        name="X",
        threshold="5",
        comment_minimum="9",
        **fields,
    )
    assert refused.status_code == 200
    assert "10" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Campaign)) is None
    created = _post(
        consultant_client,
        "/workspace/orgs/acme/campaigns/new",
        name="X",
        threshold="5",
        comment_minimum="15",
        **fields,
    )
    assert created.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert campaign.comment_minimum == 15
    url = f"/workspace/campaigns/{campaign.id}/settings"
    form = {"name": "X", "timezone": "Asia/Tokyo", "threshold": "5"}
    assert _post(consultant_client, url, comment_minimum="20", **form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).comment_minimum == 20
    open_campaign(db.session.get(Campaign, campaign.id))
    db.session.commit()
    settings = consultant_client.get(url).get_data(as_text=True)
    assert 'type="hidden" value="20"' in settings or 'value="20" type="hidden"' in settings
    assert "Fixed: the campaign has been opened." in settings
    changed = _post(consultant_client, url, comment_minimum="30", **form)
    assert "cannot change once the campaign has been opened" in changed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).comment_minimum == 20


def test_open_close_reopen_in_the_browser(app, consultant_client):
    org = make_org("acme")
    grant(_consultant(), org, "consultant")
    campaign = make_campaign(org, opened=False)
    for action, status in (("open", "open"), ("close", "closed"), ("reopen", "open")):
        assert (
            _post(
                consultant_client, f"/workspace/campaigns/{campaign.id}/{action}", confirm="yes"
            ).status_code
            == 302
        )
        db.session.expire_all()
        assert db.session.get(Campaign, campaign.id).status == status
    # Opening an open campaign is refused with a message, not an error page.
    response = _post(consultant_client, f"/workspace/campaigns/{campaign.id}/open")
    assert response.status_code == 302
    page = consultant_client.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    assert "already open" in page
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.campaign_id == campaign.id)
    ).all()
    assert {"campaign.opened", "campaign.closed", "campaign.reopened"} <= set(actions)


def test_next_round_copies_participants_with_new_links(app, consultant_client):
    org = make_org("acme")
    grant(_consultant(), org, "consultant")
    campaign = make_campaign(org)
    people = add_people(campaign, 3)
    submit(people[0])
    people[2].revoked_at = datetime.now(UTC)
    db.session.commit()
    response = _post(
        consultant_client,
        f"/workspace/campaigns/{campaign.id}/next-round",
        name="2027年度",
        version="",
    )
    assert response.status_code == 302
    new = db.session.scalar(select(Campaign).where(Campaign.name == "2027年度"))
    assert new.previous_campaign_id == campaign.id
    assert new.questionnaire_hash == campaign.questionnaire_hash
    assert sorted(p.email for p in new.participants) == sorted(p.email for p in people[:2])
    assert all(p.status == "invited" for p in new.participants)
    # The next round hands out links of its own: none of this round's links carries over.
    assert all(p.links == [] for p in new.participants)


def test_next_round_refuses_another_questionnaire_or_an_older_version(app):
    org = make_org("acme")
    campaign = make_campaign(org)
    other = make_campaign(org, questionnaire="cx-improvement-cycle").questionnaire
    with pytest.raises(OperationError, match="must use questionnaire"):
        copy_campaign(campaign, "next", questionnaire=other)
    content = campaign.questionnaire.content_dict()
    content["version"] = "0.9.0"
    older = Questionnaire.from_dict(content)
    with pytest.raises(OperationError, match="older"):
        copy_campaign(campaign, "next", questionnaire=older)
    content["version"] = "2.1.0"
    newer = copy_campaign(campaign, "next", questionnaire=Questionnaire.from_dict(content))
    assert newer.questionnaire_version == "2.1.0"


def test_organization_settings_rename_and_reslug(app, consultant_client):
    org = make_org("acme")
    grant(_consultant(), org, "consultant")
    make_org("taken")
    response = _post(consultant_client, "/workspace/orgs/acme/settings", name="ACME", slug="taken")
    assert "already exists" in response.get_data(as_text=True)
    response = _post(
        consultant_client, "/workspace/orgs/acme/settings", name="ACME", slug="acme-jp"
    )
    assert response.status_code == 302
    assert consultant_client.get("/workspace/orgs/acme-jp").status_code == 200
