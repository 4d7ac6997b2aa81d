"""The retention period of personal data: set per organisation (CLI and workspace), applied
by ``flask retention apply`` to campaigns closed longer ago, answers kept."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.models import (
    Answer,
    AuditEvent,
    Campaign,
    Organization,
    Participant,
    ParticipantLink,
    Response,
    utcnow,
)
from app.operations.campaigns import close_campaign
from app.operations.retention import apply_retention, apply_retention_job
from app.platform.extensions import db
from tests.factories import add_people, grant, make_campaign, make_org, make_user, submit
from tests.integration.erasure_support import columns_mentioning, results_json, snapshot
from tests.integration.workspace_support import (
    csrf_token,
    fast_password_hashing,
    login,
    make_client,
)


def _closed(org: Organization, name: str, days_ago: int, people: int = 4) -> Campaign:
    campaign = make_campaign(org, name=name, threshold=3)
    for index, person in enumerate(add_people(campaign, people)):
        if index < people - 1:
            submit(person, 3, f"{name}の自由記述 {person.name}さんと話しました")
    close_campaign(campaign)
    campaign.closed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return campaign


@pytest.fixture
def world(app: Flask):
    kept = make_org("keeps", ("営業部",))
    org = make_org("acme", ("営業部",))
    org.retention_days = 90
    db.session.commit()
    old = _closed(org, "2025年度", 100)
    recent = _closed(org, "2026年度", 10)
    untouched = _closed(kept, "2024年度", 400)
    return org, old, recent, untouched


def _people(campaign: Campaign) -> list[Participant]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Participant).where(Participant.campaign_id == campaign.id).order_by("id")
        )
    )


def _texts(campaign: Campaign) -> list[str]:
    return list(
        db.session.scalars(
            select(Answer.text)
            .join(Response)
            .where(Response.campaign_id == campaign.id, Answer.text.is_not(None))
        )
    )


def _links(campaign: Campaign) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ParticipantLink)
        .join(Participant)
        .where(Participant.campaign_id == campaign.id)
    )


def test_the_dry_run_lists_what_would_go_and_changes_nothing(runner, world):
    _org, old, recent, untouched = world
    before = snapshot()
    result = runner.invoke(args=["retention", "apply", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("acme\t")]
    assert len(lines) == 1
    assert f"campaign {old.id}\t2025年度" in lines[0]
    assert "would erase 4 participant(s), 4 link(s); " in lines[0]
    assert f"campaign {recent.id}" not in result.output
    assert f"campaign {untouched.id}" not in result.output
    assert (
        "Dry run: 1 campaign(s), 4 participant(s) to erase. Nothing was changed." in result.output
    )
    assert snapshot() == before


def test_apply_anonymises_the_campaign_past_its_period_only(runner, world):
    _org, old, recent, untouched = world
    figures = results_json(old.id)
    answers = db.session.scalar(select(func.count()).select_from(Answer))
    names = [p.name for p in _people(old)]
    emails = [p.email for p in _people(old)]

    result = runner.invoke(args=["retention", "apply"])
    assert result.exit_code == 0, result.output
    assert "erased 4 participant(s), 4 link(s)" in result.output

    assert all(p.name is None and p.email is None for p in _people(old))
    assert all(p.erased_at is not None for p in _people(old))
    assert _links(old) == 0
    assert db.session.scalar(select(func.count()).select_from(Answer)) == answers
    assert results_json(old.id) == figures
    assert columns_mentioning(*emails) == set()
    assert names
    # Their names are taken out of the campaign's free text, the other campaigns' stay.
    assert all("参加者" not in text for text in _texts(old))
    assert all("参加者" in text for text in _texts(recent))
    for campaign in (recent, untouched):
        assert all(p.email and p.name and p.erased_at is None for p in _people(campaign))
        assert _links(campaign) == 4
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.applied"))
    assert event.campaign_id == old.id
    assert event.detail["participants"] == 4
    assert event.detail["retention_days"] == 90
    assert not any(e in json.dumps(event.detail) for e in emails)

    # Nothing is left to do: a second run erases nothing and audits nothing.
    after = snapshot()
    again = runner.invoke(args=["retention", "apply"])
    assert "0 campaign(s), 0 participant(s) erased." in again.output
    assert snapshot() == after


def test_the_period_counts_from_the_closing(world):
    _org, _old, recent, _untouched = world
    assert [run.campaign.id for run in apply_retention(now=utcnow() + timedelta(days=79))] == [
        world[1].id
    ]
    assert recent.id in [
        run.campaign.id for run in apply_retention(now=utcnow() + timedelta(days=81), dry_run=True)
    ]


def test_apply_for_one_organisation_and_as_a_job(runner, world):
    org, old, _recent, _untouched = world
    other = make_org("other", ("営業部",))
    other.retention_days = 30
    db.session.commit()
    elsewhere = _closed(other, "他社", 60)
    result = runner.invoke(args=["retention", "apply", "--org", "acme"])
    assert result.exit_code == 0, result.output
    assert all(p.erased_at is None for p in _people(elsewhere))
    assert all(p.erased_at is not None for p in _people(old))
    assert apply_retention_job() == 4
    assert all(p.erased_at is not None for p in _people(elsewhere))
    unknown = runner.invoke(args=["retention", "apply", "--org", "nope"])
    assert unknown.exit_code == 1
    assert "No organisation with slug 'nope'" in unknown.output
    assert org.retention_days == 90


def test_set_retention_from_the_cli(runner, world):
    org = world[0]
    result = runner.invoke(args=["org", "set-retention", "acme", "365"])
    assert result.exit_code == 0, result.output
    assert "kept 365 days after a campaign closes" in result.output
    db.session.expire_all()
    assert db.session.get(Organization, org.id).retention_days == 365
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "organization.retention_set")
    ).one()
    assert event.detail == {"days": 365}

    none = runner.invoke(args=["org", "set-retention", "acme", "none"])
    assert none.exit_code == 0
    assert "until erased on request" in none.output
    db.session.expire_all()
    assert db.session.get(Organization, org.id).retention_days is None
    for bad in ("0", "-3", "36501", "soon"):
        refused = runner.invoke(args=["org", "set-retention", "acme", bad])
        assert refused.exit_code != 0, bad
    db.session.expire_all()
    assert db.session.get(Organization, org.id).retention_days is None


@pytest.mark.usefixtures(fast_password_hashing.__name__)
def test_set_retention_in_the_organisation_settings(app, world):
    org = world[0]
    user = make_user("c@example.com")
    grant(user, org, "consultant")
    client = make_client(app)
    login(client, "c@example.com")
    page = client.get("/workspace/orgs/acme/settings").get_data(as_text=True)
    assert 'id="retention"' in page
    assert 'name="retention_days"' in page
    assert 'value="90"' in page
    settings = {"csrf_token": csrf_token(client, "/account"), "name": org.name, "slug": "acme"}

    saved = client.post("/workspace/orgs/acme/settings", data={**settings, "retention_days": "30"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, org.id).retention_days == 30

    refused = client.post("/workspace/orgs/acme/settings", data={**settings, "retention_days": "0"})
    assert refused.status_code == 200
    assert "Enter a number of days from 1 to 36500." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organization, org.id).retention_days == 30

    cleared = client.post("/workspace/orgs/acme/settings", data={**settings, "retention_days": ""})
    assert cleared.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, org.id).retention_days is None
