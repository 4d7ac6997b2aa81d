"""Every page type passes axe-core's WCAG 2.1 A and AA rules, in Japanese and in English.

axe-core (pinned in tests/browser/package-lock.json) is evaluated in each page by the test
browser itself, so the app serves no script of its own for it and its CSP stays as it is.
Violations are collected over the whole walk and reported together: rule, impact, the
offending element's selector and the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.models import Participant, ReportJob
from app.operations.demo import DEMO_RESPONDENT_EMAIL, SeedResult
from app.operations.organizations import update_department
from app.operations.participants import (
    add_link,
    enable_open_link,
    invite_participant,
    revoke_participant,
)
from app.operations.responses import start_response
from app.platform.extensions import db
from tests.demo_copy import seeded_demo

pytestmark = pytest.mark.browser

LANGUAGES = ("ja", "en")
#: Wide tables scroll sideways on a phone: those pages are checked at this size too.
PHONE = {"width": 390, "height": 844}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
    detail: [...v.nodes[0].any, ...v.nodes[0].all, ...v.nodes[0].none]
      .map((check) => check.message).join(" "),
  }));
}"""

PARTICIPANTS_CSV = """name,email,department,role
山田 太郎,taro@example.jp,個人営業部,frontline
佐藤 花子,hanako@example.jp,法人営業部,middle_manager
"""
BAD_PARTICIPANTS_CSV = """name,email,department,role
山田 太郎,not-an-email,存在しない部,frontline
"""
BAD_RESPONSES_CSV = """department,role,q1
存在しない部,frontline,9
"""


@dataclass
class Audit:
    """Runs axe-core on the current page and keeps what it finds, page by page."""

    base_url: str
    axe_source: str
    audited: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def check(self, page: Page, label: str, lang: str) -> None:
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == lang, f"{label}: not in {lang}"
        page.evaluate(self.axe_source)
        found = page.evaluate(RUN_AXE, WCAG_TAGS)
        where = f"{label} [{lang}] {page.url.removeprefix(self.base_url)}"
        self.audited.append(f"{label} [{lang}]")
        for violation in found:
            targets = violation["targets"]
            more = f" and {len(targets) - 3} more" if len(targets) > 3 else ""
            self.violations.append(
                f"{violation['id']} ({violation['impact']}) on {where}: {violation['help']}\n"
                f"    at {', '.join(targets[:3])}{more}\n    {violation['detail']}"
            )

    def visit(self, page: Page, path: str, label: str, lang: str, status: int = 200) -> None:
        """Open ``path`` in ``lang`` and check the page."""
        separator = "&" if "?" in path else "?"
        response = page.goto(f"{self.base_url}{path}{separator}lang={lang}")
        assert response is not None
        assert response.status == status, f"{label}: {response.status} for {path}"
        self.check(page, label, lang)

    def assert_clean(self, expected: list[str]) -> None:
        missing = [label for label in expected if label not in self.audited]
        assert not missing, f"pages never audited: {missing}"
        if self.violations:
            pytest.fail(
                f"axe-core (WCAG 2.1 A/AA) found {len(self.violations)} violation(s):\n"
                + "\n".join(self.violations),
                pytrace=False,
            )


@pytest.fixture
def audit(live_server: Any, axe_source: str) -> Audit:
    return Audit(live_server.url, axe_source)


@pytest.fixture
def demo(app: Any) -> SeedResult:
    return seeded_demo()


@pytest.fixture
def new_context(chromium: Any) -> Iterator[Any]:
    """Fresh browser contexts (no session), closed at the end of the test."""
    contexts: list[Any] = []

    def make() -> Page:
        context = chromium.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def log_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/login" not in page.url


def submit(page: Page, button: str, status: int) -> None:
    """Click ``button`` and check the page it leads to answers ``status``."""
    with page.expect_navigation() as navigation:
        page.click(button)
    response = navigation.value
    assert response is not None
    assert response.status == status, f"{response.status} for {response.url}"


# ------------------------------------------------------------------------ respondent pages


def _respondent_links(demo: SeedResult) -> dict[str, Any]:
    campaign = demo.campaigns[1]
    org = demo.organization
    dept = next(d for d in org.departments if d.name == "個人営業部")
    role = next(r for r in org.roles if r.key == "frontline")
    tokens = {
        lang: invite_participant(campaign, dept, role, name=f"回答者 {lang}", email=None)[1]
        for lang in LANGUAGES
    }
    closed_round = demo.campaigns[0]
    waiting = db.session.scalar(
        select(Participant)
        .where(Participant.campaign_id == closed_round.id, Participant.status == "invited")
        .order_by(Participant.id)
        .limit(1)
    )
    links = {
        "tokens": tokens,
        "closed": add_link(waiting, "manual"),
        "open": enable_open_link(campaign),
        "report": demo.report_token,
    }
    db.session.commit()
    return links


def test_respondent_pages_pass_axe(demo, audit, new_context):
    links = _respondent_links(demo)
    expected: list[str] = []
    for lang in LANGUAGES:
        page = new_context()
        audit.visit(page, f"/r/{links['tokens'][lang]}", "welcome", lang)
        assert page.url.split("?")[0].endswith("/survey/welcome")
        with page.expect_navigation():
            page.click("form[action$='/survey/start'] button")
        number = 1
        while "/survey/page" in page.url:
            audit.check(page, f"question page {number}", lang)
            expected.append(f"question page {number} [{lang}]")
            if page.locator("textarea").count():
                # An answer over the limit (past the browser's maxlength) shows the error state.
                page.locator("textarea").first.evaluate("el => { el.value = 'x'.repeat(5000); }")
                submit(page, "button[name=action][value=next]", 422)
                audit.check(page, "open questions with an error", lang)
                page.locator("textarea").first.fill("")
            elif number == 1:
                page.locator("input[type=radio]").first.check()
                page.locator("[data-save-status][data-state='saved']").wait_for(timeout=10_000)
                audit.check(page, "question page after autosave", lang)
            with page.expect_navigation():
                page.click("button[name=action][value=next]")
            number += 1
        assert number > 2
        audit.check(page, "review", lang)
        assert page.url.endswith("/survey/review")

        # A second tab keeps a question page open, to post it after submitting.
        stale = page.context.new_page()
        stale.goto(f"{audit.base_url}/survey/page?n=1")
        audit.visit(page, "/survey/report.pdf", "individual report unavailable", lang, 409)
        page.goto(f"{audit.base_url}/survey/review")
        with page.expect_navigation():
            page.click("form[data-submit-once] button[type=submit]")
        audit.check(page, "thanks", lang)
        assert page.url.endswith("/survey/thanks")
        submit(stale, "button[name=action][value=next]", 409)
        audit.check(stale, "locked", lang)

        # Someone who answered the closed round: the thank-you page offers their own report.
        other = new_context()
        other.goto(f"{audit.base_url}/r/{links['report']}?lang={lang}")
        audit.check(other, "thanks with the individual report", lang)
        expect(other.locator("a[href$='/survey/report.pdf']")).to_be_visible()

        fresh = new_context()
        audit.visit(fresh, f"/r/{links['closed']}", "unavailable (closed)", lang, 410)
        audit.visit(fresh, "/r/not-a-real-token", "link not found", lang, 404)
        audit.visit(fresh, "/survey/welcome", "no session", lang, 403)
        audit.visit(fresh, f"/o/{links['open']}", "open registration link", lang)
        # A department that is not (or no longer) on offer: the form says so.
        fresh.locator("select").first.evaluate(
            "select => { select.add(new Option('?', '2147483000')); select.value = '2147483000'; }"
        )
        submit(fresh, "form button[type=submit]", 422)
        audit.check(fresh, "open link with an error", lang)
        fresh.locator("select").nth(0).select_option(index=1)
        fresh.locator("select").nth(1).select_option(index=1)
        with fresh.expect_navigation():
            fresh.click("form button[type=submit]")
        assert fresh.url.split("?")[0].endswith("/survey/link")
        audit.check(fresh, "your link (open registration)", lang)
        audit.visit(fresh, "/survey/welcome", "welcome with the personal link", lang)

        # A page posted with fields it does not have.
        bad = new_context()
        bad.goto(f"{audit.base_url}/o/{links['open']}?lang={lang}")
        bad.locator("select").nth(0).select_option(index=1)
        bad.locator("select").nth(1).select_option(index=1)
        with bad.expect_navigation():
            bad.click("form button[type=submit]")
        bad.goto(f"{audit.base_url}/survey/")
        with bad.expect_navigation():
            bad.click("form[action$='/survey/start'] button")
        bad.locator("form.survey-form").evaluate(
            "form => { const extra = document.createElement('input');"
            " extra.type = 'hidden'; extra.name = 'q_not_on_this_page'; extra.value = '1';"
            " form.appendChild(extra); }"
        )
        submit(bad, "button[name=action][value=next]", 400)
        audit.check(bad, "bad request", lang)

    for lang in LANGUAGES:
        expected += [
            f"{label} [{lang}]"
            for label in (
                "welcome",
                "question page after autosave",
                "open questions with an error",
                "review",
                "individual report unavailable",
                "thanks",
                "locked",
                "thanks with the individual report",
                "unavailable (closed)",
                "link not found",
                "no session",
                "open registration link",
                "open link with an error",
                "your link (open registration)",
                "welcome with the personal link",
                "bad request",
            )
        ]
    audit.assert_clean(expected)


# ------------------------------------------------------------------------- staff pages


def _upload(page: Page, tmp_path: Any, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    page.set_input_files("input[type=file]", str(path))
    with page.expect_navigation():
        page.click("form[enctype='multipart/form-data'] button[type=submit]")


def test_workspace_and_account_pages_pass_axe(demo, audit, new_context, tmp_path):
    org = demo.organization
    campaign = demo.campaigns[1]
    closed = demo.campaigns[0]
    respondent = db.session.scalar(
        select(Participant).where(
            Participant.campaign_id == campaign.id, Participant.email == DEMO_RESPONDENT_EMAIL
        )
    )
    # Every badge on the campaign pages: started, partial (closed before submitting), revoked
    # and an archived department.
    invited = db.session.scalars(
        select(Participant)
        .where(Participant.status == "invited", Participant.email != DEMO_RESPONDENT_EMAIL)
        .order_by(Participant.id)
    ).all()
    start_response(next(p for p in invited if p.campaign_id == campaign.id))
    start_response(next(p for p in invited if p.campaign_id == closed.id))
    revoke_participant(next(p for p in reversed(invited) if p.campaign_id == campaign.id))
    hr = next(d for d in org.departments if d.name == "人事部")
    update_department(hr, name=hr.name, parent=hr.parent, archived=True)
    db.session.commit()
    department = org.departments[0]
    role = org.roles[0]
    c, p = campaign.id, respondent.id
    pages = {
        "workspace": "/workspace/",
        "organisation": f"/workspace/orgs/{org.slug}",
        "organisation settings": f"/workspace/orgs/{org.slug}/settings",
        "new organisation": "/workspace/orgs/new",
        "new campaign": f"/workspace/orgs/{org.slug}/campaigns/new",
        "campaign": f"/workspace/campaigns/{c}",
        "campaign, closed": f"/workspace/campaigns/{closed.id}",
        "participants started": f"/workspace/campaigns/{c}?status=started",
        "participants searched": f"/workspace/campaigns/{c}?q=佐藤",
        "participants searched, none found": f"/workspace/campaigns/{c}?q=該当なし",
        "close confirmation": f"/workspace/campaigns/{c}/close",
        "revoke confirmation": f"/workspace/participants/{p}/revoke",
        "participants revoked": f"/workspace/campaigns/{c}?status=revoked",
        "participants partial": f"/workspace/campaigns/{closed.id}?status=started",
        "campaign settings": f"/workspace/campaigns/{c}/settings",
        "new participant": f"/workspace/campaigns/{c}/participants/new",
        "participant": f"/workspace/participants/{p}",
        "participant import": f"/workspace/campaigns/{c}/participants/import",
        "responses import": f"/workspace/campaigns/{c}/responses/import",
        "export": f"/workspace/campaigns/{c}/export",
        "next round": f"/workspace/campaigns/{closed.id}/next-round",
        "department edit": f"/workspace/departments/{department.id}",
        "role edit": f"/workspace/roles/{role.id}",
        "account": "/account",
    }
    phone_pages = ("campaign", "participant import", "responses import", "organisation")
    shows = {
        "campaign": "#progress-departments .badge.archived",
        "participants started": "#participant-table .badge.p-started",
        "participants revoked": "#participant-table .badge.p-revoked",
        "participants partial": "#participant-table .badge.p-partial",
    }
    expected: list[str] = []
    for lang in LANGUAGES:
        page = new_context()
        audit.visit(page, "/", "home", lang)
        audit.visit(page, "/login", "login", lang)
        page.fill("input[name=email]", demo.consultant_email)
        page.fill("input[name=password]", "not the password")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        audit.check(page, "login with an error", lang)
        log_in(page, audit.base_url, demo.consultant_email, demo.consultant_password)
        for label, path in pages.items():
            audit.visit(page, path, label, lang)
            if label in shows:
                expect(page.locator(shows[label]).first).to_be_visible()
        audit.visit(page, "/workspace/campaigns/2147483000", "not found", lang, 404)

        page.goto(f"{audit.base_url}/workspace/orgs/new")
        with page.expect_navigation():
            page.click("main form.form button[type=submit]")
        audit.check(page, "new organisation with errors", lang)

        page.goto(f"{audit.base_url}/workspace/participants/{p}")
        with page.expect_navigation():
            page.click(f"form[action$='/participants/{p}/link'] button")
        audit.check(page, "participant link", lang)
        page.goto(f"{audit.base_url}/workspace/participants/{p}")
        with page.expect_navigation():
            page.click("main form.form button[type=submit]")
        audit.check(page, "campaign with a message", lang)

        page.goto(f"{audit.base_url}/workspace/campaigns/{c}")
        with page.expect_navigation():
            page.click("form[action$='/open-link'] button[value=enable]")
        audit.check(page, "open link", lang)

        page.goto(f"{audit.base_url}/workspace/campaigns/{c}/participants/import")
        _upload(page, tmp_path, "people.csv", PARTICIPANTS_CSV)
        audit.check(page, "participant import preview", lang)
        page.goto(f"{audit.base_url}/workspace/campaigns/{c}/participants/import")
        _upload(page, tmp_path, "bad-people.csv", BAD_PARTICIPANTS_CSV)
        audit.check(page, "participant import problems", lang)
        page.goto(f"{audit.base_url}/workspace/campaigns/{c}/responses/import")
        _upload(page, tmp_path, "bad-responses.csv", BAD_RESPONSES_CSV)
        audit.check(page, "responses import problems", lang)

        page.goto(f"{audit.base_url}/account")
        with page.expect_navigation():
            page.locator("form.form.button-row button[type=submit]").click()
        audit.check(page, "account with a new token", lang)

        page.set_viewport_size(PHONE)
        for label in phone_pages:
            audit.visit(page, pages[label], f"{label} (phone)", lang)
        expected += [f"{label} [{lang}]" for label in pages]
        expected += [f"{label} (phone) [{lang}]" for label in phone_pages]
        expected += [
            f"{label} [{lang}]"
            for label in (
                "home",
                "login",
                "login with an error",
                "not found",
                "new organisation with errors",
                "participant link",
                "campaign with a message",
                "open link",
                "participant import preview",
                "participant import problems",
                "responses import problems",
                "account with a new token",
            )
        ]
    audit.assert_clean(expected)


# ------------------------------------------------------------------ dashboard and reports


def test_dashboard_and_report_pages_pass_axe(demo, audit, new_context):
    campaign = demo.campaigns[1]
    c = campaign.id
    results_department = next(d for d in demo.organization.departments if d.name == "個人営業部")
    dimension = campaign.questionnaire.dimensions[0].id
    job = ReportJob(
        campaign_id=c,
        status="failed",
        locale="ja",
        total=3,
        completed=2,
        failed=1,
        errors=[{"report": "organization", "error": "timeout"}],
    )
    db.session.add(job)
    db.session.commit()
    pages = {
        "dashboard": "/dashboard/",
        "overview": f"/dashboard/campaigns/{c}",
        "departments": f"/dashboard/campaigns/{c}/departments",
        "department": f"/dashboard/campaigns/{c}/departments/{results_department.id}",
        "roles": f"/dashboard/campaigns/{c}/roles",
        "dimension": f"/dashboard/campaigns/{c}/dimensions/{dimension}",
        "trend": f"/dashboard/campaigns/{c}/trend",
        "benchmark": f"/dashboard/campaigns/{c}/benchmark",
        "benchmark without peers": f"/dashboard/campaigns/{demo.campaigns[2].id}/benchmark",
        "free-text answers": f"/dashboard/campaigns/{c}/comments",
        "companion overview": f"/dashboard/campaigns/{demo.campaigns[2].id}",
        "reports": f"/reports/campaigns/{c}",
        "report job": f"/reports/jobs/{job.id}",
        "report preview": f"/reports/campaigns/{c}/organization.html",
    }
    phone_pages = (
        "overview",
        "departments",
        "department",
        "roles",
        "trend",
        "free-text answers",
        "reports",
    )
    expected: list[str] = []
    for lang in LANGUAGES:
        page = new_context()
        log_in(page, audit.base_url, demo.consultant_email, demo.consultant_password)
        for label, path in pages.items():
            audit.visit(page, path, label, lang)
        expected += [f"{label} [{lang}]" for label in pages]

        # Sorted in place by the script, then compared side by side.
        page.goto(f"{audit.base_url}/dashboard/campaigns/{c}/departments?lang={lang}")
        page.locator("#heatmap thead a[data-sort=n]").click()
        page.wait_for_function("location.search.includes('sort=n')")
        sorted_headers = page.locator("#heatmap thead th[aria-sort]")
        expect(sorted_headers).to_have_count(1)
        expect(sorted_headers).to_have_attribute("aria-sort", "descending")
        expect(sorted_headers.locator("a")).to_have_attribute("data-sort", "n")
        audit.check(page, "departments sorted in place", lang)
        boxes = page.locator("#compare-form input[name=compare]:not([disabled])")
        boxes.nth(0).check()
        boxes.nth(1).check()
        with page.expect_navigation():
            page.locator("#compare-form button[type=submit]").click()
        audit.check(page, "departments compared", lang)
        expected += [
            f"{label} [{lang}]" for label in ("departments sorted in place", "departments compared")
        ]

        page.set_viewport_size(PHONE)
        for label in phone_pages:
            audit.visit(page, pages[label], f"{label} (phone)", lang)
        expected += [f"{label} (phone) [{lang}]" for label in phone_pages]
    audit.assert_clean(expected)
