"""Erasing personal data: one participant (their answers stay, anonymous, every figure holds;
their name, e-mail and links leave every table, export, API document and the outbox) and a
whole campaign (its answers go too). Dry runs change nothing; erasures are audited without
the erased data."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import func, select

from app.auth.tokens import create_api_token
from app.models import (
    Answer,
    AuditEvent,
    Campaign,
    Participant,
    ParticipantImport,
    ParticipantLink,
    ReportJob,
    Response,
)
from app.operations.backup import backup_campaign
from app.operations.campaigns import close_campaign, open_campaign
from app.operations.emails import send_invitations
from app.operations.erasure import erase_participant
from app.operations.errors import OperationError
from app.operations.exports import ExportOptions, stream
from app.operations.import_jobs import save_preview
from app.operations.participants import hand_out_link, update_participant
from app.platform.extensions import db
from tests.factories import add_people, grant, invite, make_campaign, make_org, make_user, submit
from tests.integration.erasure_support import columns_mentioning, results_json, snapshot

EMAIL = "taro.yamada@example.jp"
NAME = "山田 太郎"
#: Parts of the name that must go too (the output scrubber masks them one by one).
NAME_PARTS = ("山田", "太郎")


class World:
    def __init__(self, app: Flask, tmp_path: Path) -> None:
        self.outbox = tmp_path / "outbox"
        app.config["MAIL_OUTBOX_DIR"] = str(self.outbox)
        self.user = make_user("consultant@example.com")
        self.org = make_org("acme", ("営業部", "開発部"))
        grant(self.user, self.org, "consultant")
        campaign = make_campaign(self.org, threshold=3)
        self.target, _token = invite(campaign, name=NAME, email="Taro.Yamada@Example.JP")
        sales = add_people(campaign, 5, department="営業部")
        development = add_people(campaign, 4, department="開発部")
        # Everyone gets an invitation in the outbox (and one more link) before answering.
        send_invitations(campaign)
        db.session.commit()
        submit(self.target, 4, "顧客の声を集める仕組みが必要です")
        submit(sales[0], 3, f"{NAME}さん（{EMAIL.upper()}）に相談しました")
        for person in sales[1:4]:
            submit(person, 5, "部署間の連携を強めたい")
        for person in development[:3]:
            submit(person, 2, "もっと顧客の声を聞きたい")
        # One import waiting for its confirmation mentions the address, another does not.
        self.import_with = save_preview(
            campaign,
            f"name,email,department,role\n{NAME},{EMAIL},営業部,frontline\n".encode(),
            filename="people.csv",
            rows=1,
            user=self.user,
        )
        self.import_without = save_preview(
            campaign,
            "name,email,department,role\n佐藤 花子,hanako@example.jp,営業部,frontline\n".encode(),
            filename="others.csv",
            rows=1,
            user=self.user,
        )
        db.session.commit()
        self.campaign_id = campaign.id
        self.token = create_api_token(self.user, "tests")
        db.session.commit()

    @property
    def campaign(self) -> Campaign:
        return db.session.get(Campaign, self.campaign_id)


@pytest.fixture
def world(app: Flask, tmp_path: Path) -> World:
    return World(app, tmp_path)


def exports(campaign: Campaign) -> dict[str, str]:
    """The CSV and the XLSX export (names and e-mails included) as text."""
    options = ExportOptions(with_identities=True, locale="en")
    csv_text = b"".join(stream(campaign, options, "csv")).decode("utf-8-sig")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(stream(campaign, options, "xlsx"))))
    cells = [
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    ]
    return {"csv": csv_text, "xlsx": "\n".join(cells)}


def api_documents(app: Flask, world: World) -> dict[str, str]:
    """Every GET document of the API about the campaign (and the campaign list)."""
    client = app.test_client()
    documents = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "GET" not in (rule.methods or ()):
            continue
        if not set(rule.arguments) <= {"campaign_id"} or "openapi" in rule.rule:
            continue
        path = rule.rule.replace("<int:campaign_id>", str(world.campaign_id)).replace(
            "<path:campaign_id>", str(world.campaign_id)
        )
        response = client.get(path, headers={"Authorization": f"Bearer {world.token}"})
        assert response.status_code == 200, (path, response.status_code)
        documents[path] = response.get_data(as_text=True)
    return documents


def outbox_files(world: World) -> list[Path]:
    return sorted(world.outbox.glob("*.eml"))


def _mentions(text: str) -> bool:
    lowered = text.lower()
    return EMAIL in lowered or any(part in text for part in NAME_PARTS)


def test_erasure_keeps_every_figure_and_removes_the_person_everywhere(app, world):
    campaign = world.campaign
    before = results_json(world.campaign_id)
    # The data is there to be found: the scan, the exports and the outbox see it.
    assert {
        "participant.email",
        "participant.name",
        "answer.text",
        "participant_import.data",
    } <= columns_mentioning(EMAIL, *NAME_PARTS)
    assert all(_mentions(text) for text in exports(campaign).values())
    messages = outbox_files(world)
    assert len(messages) == 10
    assert sum(EMAIL in path.read_text().lower() for path in messages) == 1
    answers_before = db.session.scalar(select(func.count()).select_from(Answer))
    links = len(world.target.links)
    assert links == 2

    erasure = erase_participant(world.target, actor=world.user)
    db.session.commit()

    assert erasure.counts() == {
        "participants": 1,
        "links": 2,
        "answers_kept": erasure.answers_kept,
        "texts_edited": 1,
        "import_records": 1,
        "outbox_messages": 1,
        "responses_deleted": 0,
        "answers_deleted": 0,
        "report_jobs": 0,
        "report_files": 0,
    }
    assert erasure.answers_kept > 1
    db.session.expire_all()
    person = db.session.get(Participant, world.target.id)
    assert (person.name, person.email, person.links) == (None, None, [])
    assert person.erased_at is not None
    assert person.status == "submitted"
    # The answers stay, linked to the anonymous row; every figure is the same.
    response = db.session.scalar(select(Response).where(Response.participant_id == person.id))
    assert response is not None
    assert response.status == "submitted"
    assert db.session.scalar(select(func.count()).select_from(Answer)) == answers_before
    assert results_json(world.campaign_id) == before

    assert columns_mentioning(EMAIL, *NAME_PARTS) == set()
    edited = db.session.scalars(
        select(Answer.text).where(Answer.text.like("%に相談しました"))
    ).all()
    assert edited == ["［氏名］さん（［メールアドレス］）に相談しました"]
    for kind, text in exports(world.campaign).items():
        assert not _mentions(text), kind
    documents = api_documents(app, world)
    assert {
        f"/api/v1/campaigns/{world.campaign_id}",
        f"/api/v1/campaigns/{world.campaign_id}/results",
        f"/api/v1/campaigns/{world.campaign_id}/responses.csv",
    } <= set(documents)
    for path, text in documents.items():
        assert not _mentions(text), path
    assert len(outbox_files(world)) == 9
    assert not any(EMAIL in path.read_text().lower() for path in outbox_files(world))
    assert db.session.get(ParticipantImport, world.import_with.id) is None
    assert db.session.get(ParticipantImport, world.import_without.id) is not None


def test_the_erasure_is_audited_without_the_erased_data(app, world):
    erase_participant(world.target, actor=world.user)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "participant.erased"))
    assert event.campaign_id == world.campaign_id
    assert event.user_id == world.user.id
    assert event.detail["participant_id"] == world.target.id
    assert event.detail["links"] == 2
    assert not _mentions(json.dumps(event.detail, ensure_ascii=False))
    assert "audit_event.detail" not in columns_mentioning(EMAIL, *NAME_PARTS)


def test_the_cli_dry_run_counts_and_changes_nothing(runner, world):
    before = snapshot()
    messages = outbox_files(world)
    result = runner.invoke(
        args=["participants", "erase", str(world.campaign_id), EMAIL.upper(), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert f"Would erase participant {world.target.id} of campaign {world.campaign_id}" in (
        result.output
    )
    assert "personal links: 2" in result.output
    assert "outbox messages: 1" in result.output
    assert "participant-import records: 1" in result.output
    assert "free-text answers with the name or e-mail taken out: 1" in result.output
    assert "Dry run: nothing was changed." in result.output
    assert snapshot() == before
    assert outbox_files(world) == messages


def test_the_cli_erases_and_a_second_erasure_is_harmless(runner, world):
    args = ["participants", "erase", str(world.campaign_id), EMAIL]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "personal links: 2" in first.output
    assert EMAIL not in first.output
    assert columns_mentioning(EMAIL) == set()
    after = snapshot()

    second = runner.invoke(args=args)
    assert second.exit_code == 1
    assert "has no participant with this email address" in second.output
    assert snapshot() == after
    # Erasing the same (already erased) participant again changes and audits nothing.
    db.session.expire_all()
    again = erase_participant(db.session.get(Participant, world.target.id))
    db.session.commit()
    assert again.nonzero() == {}
    assert snapshot() == after


@pytest.mark.parametrize(
    ("campaign", "email", "message"),
    [
        ("999999", EMAIL, "No campaign with id 999999."),
        (None, "nobody@example.jp", "has no participant with this email address"),
        (None, "", "has no participant with this email address"),
    ],
)
def test_an_unknown_campaign_or_email_is_a_clear_error(runner, world, campaign, email, message):
    before = snapshot()
    result = runner.invoke(
        args=["participants", "erase", campaign or str(world.campaign_id), email]
    )
    assert result.exit_code == 1
    assert message in result.output
    assert snapshot() == before


def test_an_erased_participant_can_no_longer_be_changed_or_given_a_link(world):
    erase_participant(world.target)
    db.session.commit()
    with pytest.raises(OperationError, match="personal data has been erased"):
        hand_out_link(world.target)
    with pytest.raises(OperationError, match="personal data has been erased"):
        update_participant(
            world.target,
            email=EMAIL,
            department=world.target.department,
            role=world.target.role,
        )


def test_a_backup_made_after_the_erasure_lacks_the_data(world):
    assert EMAIL in json.dumps(backup_campaign(world.campaign), ensure_ascii=False)
    erase_participant(world.target)
    db.session.commit()
    backup = json.dumps(backup_campaign(world.campaign), ensure_ascii=False)
    assert not _mentions(backup)


# --- a whole campaign -------------------------------------------------------------------------


def test_erasing_a_campaign_deletes_its_answers_and_people(app, runner, world, tmp_path):
    archive = tmp_path / "reports"
    archive.mkdir()
    app.config["CX_REPORT_ARCHIVE_DIR"] = str(archive)
    (archive / "campaign-x-job.zip").write_bytes(b"zip")
    (archive / "campaign-x-parts").mkdir()
    (archive / "campaign-x-parts" / "org.pdf").write_bytes(b"%PDF")
    job = ReportJob(
        campaign_id=world.campaign_id,
        status="done",
        archive_path="campaign-x-job.zip",
        parts_dir="campaign-x-parts",
    )
    db.session.add(job)
    db.session.commit()
    campaign_id = str(world.campaign_id)

    refused = runner.invoke(args=["campaign", "erase", campaign_id])
    assert refused.exit_code == 1
    assert "Close campaign" in refused.output
    close_campaign(world.campaign)
    db.session.commit()

    before = snapshot()
    dry = runner.invoke(args=["campaign", "erase", campaign_id, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "responses deleted: 8" in dry.output
    assert "participant (name, e-mail and erased_at; the row stays for the counts): 10" in (
        dry.output
    )
    assert "report files: 2" in dry.output
    assert snapshot() == before

    done = runner.invoke(args=["campaign", "erase", campaign_id])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    for model in (Response, Answer, Participant, ParticipantLink, ParticipantImport, ReportJob):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
    assert list(archive.iterdir()) == []
    assert outbox_files(world) == []
    campaign = world.campaign
    assert campaign is not None
    assert campaign.erased_at is not None
    assert columns_mentioning(EMAIL, *NAME_PARTS, "hanako@example.jp") == set()

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign.erased"))
    assert event.detail["responses_deleted"] == 8
    assert event.detail["participants"] == 10
    with pytest.raises(OperationError, match="has been erased"):
        open_campaign(campaign)
    again = runner.invoke(args=["campaign", "erase", campaign_id])
    assert again.exit_code == 0
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "campaign.erased")
        )
        == 1
    )
