"""A whole questionnaire answered with the keyboard only, with a reload in the middle."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Answer, Response
from tests.integration.survey_fixtures import invite, make_campaign

pytestmark = pytest.mark.browser

MAX_TABS = 40
OPEN_TEXT = "部門間の連携不足"


def _focused(page, script: str) -> bool:
    return page.evaluate(
        f"() => {{ const el = document.activeElement; return !!el && ({script}); }}"
    )


def tab_to(page, script: str) -> None:
    """Press Tab until the focused element satisfies ``script`` (a JS expression over el)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if _focused(page, script):
            return
    raise AssertionError(f"Tab never reached an element with {script}")


def answer_with_keyboard(page, item_id: str, value: int) -> None:
    """Tab into the item's radio group, select the first option with Space, then arrow on."""
    tab_to(page, f"el.name === 'q_{item_id}'")
    page.keyboard.press("Space")
    for _ in range(value - 1):
        page.keyboard.press("ArrowRight")
    assert page.is_checked(f"#q_{item_id}-{value}")


def press_button(page, label: str) -> None:
    tab_to(page, f"el.tagName === 'BUTTON' && el.textContent.trim() === {label!r}")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_keyboard_only_completion_with_reload_and_resume(live_server, page, artifacts, db):
    campaign = make_campaign(db)
    participant, token = invite(db, campaign)
    questionnaire = campaign.questionnaire
    expected = {item.id: 1 + (index % 5) for index, item in enumerate(questionnaire.items)}
    (outcome,) = questionnaire.outcomes
    expected[outcome.id] = 8
    pages = len(questionnaire.dimensions) + 2  # the rated items, the outcome, open questions
    db.session.commit()

    page.goto(f"{live_server.url}/r/{token}")
    assert page.url.endswith("/survey/welcome")
    assert "回答者情報" in page.inner_text("main")
    assert "営業本部 / ミドルマネジメント" in page.inner_text("main")
    press_button(page, "回答を始める")

    dimensions = questionnaire.dimensions
    for number, dimension in enumerate(dimensions, start=1):
        assert page.url.endswith(f"/survey/page?n={number}")
        assert f"{number} / {pages} ページ" in page.inner_text(".survey-progress")
        assert dimension.title.get("ja") in page.inner_text("h1")
        if number == 1:
            first = dimension.items[0].id
            tab_to(page, f"el.name === 'q_{first}'")
            outline = page.evaluate(
                "() => getComputedStyle(document.querySelector("
                "'label[for=\"' + document.activeElement.id + '\"]')).outlineStyle"
            )
            assert outline == "solid"  # the focused option is visibly marked
            page.screenshot(path=str(artifacts / "survey-page-desktop.png"), full_page=False)
            page.set_viewport_size({"width": 360, "height": 800})
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 360  # nothing sticks out sideways on a phone
            page.screenshot(path=str(artifacts / "survey-page-phone.png"), full_page=False)
            page.set_viewport_size({"width": 1280, "height": 900})
            page.reload()
        if number == 2:
            # Answer part of the page, let the autosave finish, then reload: nothing is lost.
            half = dimension.items[: len(dimension.items) // 2]
            for item in half:
                answer_with_keyboard(page, item.id, expected[item.id])
            status = page.locator("[data-save-status][data-state='saved']")
            status.wait_for(timeout=10_000)
            assert "一時保存しました" in status.inner_text()
            page.reload()
            for item in half:
                assert page.is_checked(f"#q_{item.id}-{expected[item.id]}")
            page.goto(f"{live_server.url}/survey/")
            assert page.url.endswith("/survey/page?n=2")
            for item in dimension.items[len(half) :]:
                answer_with_keyboard(page, item.id, expected[item.id])
        else:
            for item in dimension.items:
                answer_with_keyboard(page, item.id, expected[item.id])
        press_button(page, "次へ")

    # The outcome item: eleven numbers, 0 first, chosen with the arrow keys.
    assert page.url.endswith(f"/survey/page?n={len(dimensions) + 1}")
    tab_to(page, f"el.name === 'q_{outcome.id}'")
    page.keyboard.press("Space")
    assert page.is_checked(f"#q_{outcome.id}-0")
    for _ in range(expected[outcome.id]):
        page.keyboard.press("ArrowRight")
    assert page.is_checked(f"#q_{outcome.id}-{expected[outcome.id]}")
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    rows = page.evaluate(
        "() => new Set([...document.querySelectorAll('.outcome-option')]"
        ".map((el) => Math.round(el.getBoundingClientRect().top))).size"
    )
    assert rows == 2  # 0-5 above 6-10 on a phone
    page.screenshot(path=str(artifacts / "survey-outcome-phone.png"), full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(artifacts / "survey-outcome-desktop.png"), full_page=False)
    press_button(page, "次へ")

    assert page.url.endswith(f"/survey/page?n={pages}")
    first_open = questionnaire.open_questions[0].id
    tab_to(page, f"el.id === 'q_{first_open}'")
    page.keyboard.type(OPEN_TEXT)
    press_button(page, "回答内容の確認へ")

    assert page.url.endswith("/survey/review")
    review = page.inner_text("main")
    assert "未回答の設問（1問）" in review  # the second open question was left empty
    # Past the list of every answer given, straight to the submit button.
    tab_to(page, "el.tagName === 'A' && el.getAttribute('href') === '#submit'")
    page.keyboard.press("Enter")
    press_button(page, "回答を送信")
    assert page.url.endswith("/survey/thanks")
    assert "ご回答ありがとうございました" in page.inner_text("main")

    db.session.expire_all()
    response = db.session.scalar(select(Response).where(Response.participant_id == participant.id))
    assert response.status == "submitted"
    answers = db.session.scalars(select(Answer).where(Answer.response_id == response.id)).all()
    db.session.commit()
    values = {a.item_id: a.value for a in answers if a.text is None}
    texts = {a.item_id: a.text for a in answers if a.text is not None}
    assert values == expected
    assert texts == {first_open: OPEN_TEXT}
