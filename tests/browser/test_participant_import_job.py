"""A large participant import in a real browser: preview, confirm, a page that follows the
background job by refreshing itself (no script), then the outcome; axe-core finds nothing."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.models import Participant
from app.operations import import_jobs
from app.operations import participant_import as participant_import_ops
from app.platform.extensions import db
from tests.browser.test_accessibility import RUN_AXE, WCAG_TAGS
from tests.factories import PASSWORD, grant, make_campaign, make_org, make_user

pytestmark = pytest.mark.browser

ROWS = 3000


def test_a_large_import_shows_its_progress_then_its_outcome(
    live_server, page, app, axe_source, artifacts, tmp_path, monkeypatch
):
    app.config["CX_IMPORT_BACKGROUND_ROWS"] = 1000
    monkeypatch.setattr(participant_import_ops, "PROGRESS_EVERY", 500)
    real_parse = import_jobs.parse_participants

    def slow_parse(campaign, data, *, on_progress=None):
        # Slow enough for the page to refresh a few times while rows are checked.
        def progress(checked: int, total: int) -> None:
            on_progress(checked, total)
            time.sleep(0.6)

        return real_parse(campaign, data, on_progress=progress if on_progress else None)

    monkeypatch.setattr(import_jobs, "parse_participants", slow_parse)
    org = make_org("bulk-co", ("営業部", "開発部"))
    campaign = make_campaign(org)
    grant(make_user("consultant@example.com"), org, "consultant")
    path = tmp_path / "everyone.csv"
    path.write_text(
        "name,email,department,role\n"
        + "".join(f"参加者 {n},p{n:05d}@example.jp,営業部,frontline\n" for n in range(ROWS)),
        encoding="utf-8",
    )

    base = live_server.url
    page.goto(base + "/login?lang=en")
    page.get_by_label("Email").fill("consultant@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/workspace/")
    page.goto(f"{base}/workspace/campaigns/{campaign.id}/participants/import")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name=f"Preview: {ROWS} participants")).to_be_visible()
    expect(page.locator("#import-background")).to_contain_text("imported in the background")
    page.get_by_role("button", name=f"Import {ROWS} participants").click()
    page.wait_for_url("**/participants/imports/*")

    job = page.locator("#import-job")
    assert job.get_attribute("data-state") in ("queued", "checking")
    assert page.locator('meta[http-equiv="refresh"]').count() == 1
    expect(page.get_by_text("rows checked")).to_be_visible()
    page.screenshot(path=str(artifacts / "participant-import-progress.png"), full_page=True)
    # The page reloads itself (meta refresh) until the job is done.
    expect(job).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.locator("#import-outcome")).to_have_text(
        f"Import finished: {ROWS} participants created."
    )
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    page.screenshot(path=str(artifacts / "participant-import-done.png"), full_page=True)
    page.evaluate(axe_source)
    assert page.evaluate(RUN_AXE, WCAG_TAGS) == []
    page.get_by_role("link", name="Back to the campaign").click()
    db.session.rollback()  # a fresh snapshot: the import committed in another thread
    count = db.session.scalar(
        select(func.count(Participant.id)).where(Participant.campaign_id == campaign.id)
    )
    assert count == ROWS
