"""A live workshop in a real browser: a facilitator opens a session, five phones join by the
link and answer, and the facilitator's screen counts them without anyone reloading it."""

from __future__ import annotations

import re

import pytest

from impact_data import Viewer
from impact_data.store.db import Database
from impact_data.workshop import counts, create_session
from tests.browser.conftest import ARTIFACTS, screenshot, wait_for_app

pytestmark = pytest.mark.browser

PHONES = 5
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def click_until(page, button: str, expected: str, attempts: int = 5) -> None:
    """Click a button until `expected` shows. The live view reruns every 1.5 s, and during a
    rerun Streamlit briefly shows the old and the new button side by side."""
    for _ in range(attempts):
        page.get_by_role("button", name=button).first.click()
        try:
            page.get_by_text(expected).first.wait_for(timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - a click on the stale copy: try again
            continue
    page.get_by_text(expected).first.wait_for()


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def wait_for_counts(page, joined: int, answered: int, timeout: float = 20_000) -> None:
    page.wait_for_function(
        """([joined, answered]) => {
            const value = (label) => {
                for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
                    if (m.innerText.includes(label)) {
                        return m.querySelector('[data-testid="stMetricValue"]').innerText.trim();
                    }
                }
                return null;
            };
            return value('Joined') === String(joined) && value('Answered') === String(answered);
        }""",
        arg=[joined, answered],
        timeout=timeout,
    )


def outside_requests(context, base: str) -> list[str]:
    """Every request to anywhere but the app itself (nothing may come from the internet)."""
    seen: list[str] = []
    context.on(
        "request",
        lambda request: (
            seen.append(request.url)
            if not request.url.startswith((base, "data:", "blob:", "about:"))
            else None
        ),
    )
    return seen


def test_phones_join_answer_and_the_live_view_counts_them(app_server, chromium):
    facilitator_context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    facilitator = facilitator_context.new_page()
    facilitator.set_default_timeout(30_000)
    # Streamlit runs a deep link as a bare pages/ script until app.py has run once after
    # start; open the app's front door first, as the facilitator would.
    facilitator.goto(app_server.url)
    facilitator.get_by_text("Local mode").wait_for(timeout=60_000)
    facilitator.goto(f"{app_server.url}/workshop")
    wait_for_app(facilitator)
    facilitator.get_by_label("Title participants will see").fill("Ward 7 readiness check")
    facilitator.get_by_role("button", name="Open the workshop").click()
    facilitator.get_by_text("Join code", exact=True).wait_for()
    wait_for_app(facilitator)

    link = facilitator.locator('[data-testid="stCode"]').first.inner_text().strip()
    code = re.search(r"code=([A-Z0-9]{6})$", link).group(1)
    assert link == f"{app_server.url}/join?code={code}"
    qr = facilitator.locator('[data-testid="stImage"] img').first
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")
    assert metric(facilitator, "Joined") == "0"
    # Marks this document: if the page were reloaded, the mark would be gone.
    facilitator.evaluate("window.__not_reloaded = true")

    phones = []
    for _ in range(PHONES):
        context = chromium.new_context(**PHONE)
        phone = context.new_page()
        phone.set_default_timeout(30_000)
        phone.goto(link)
        phone.get_by_role("button", name="Send my answers").wait_for()
        phones.append((context, phone))
    wait_for_counts(facilitator, PHONES, 0)

    first = phones[0][1]
    assert not first.locator('[data-testid="stSidebar"]').is_visible()
    assert first.get_by_text("Local mode").count() == 0
    option = first.locator('[data-testid="stRadioOption"]').first
    assert option.bounding_box()["height"] >= 44  # a touch target a thumb can hit
    screenshot(first, "workshop_phone_question")

    answers = ["Strongly agree", "Agree", "Agree", "Disagree", "Neither agree nor disagree"]
    for (_, phone), answer in zip(phones, answers, strict=True):
        groups = phone.get_by_role("radiogroup")
        for i in range(3):
            groups.nth(i).get_by_text(answer, exact=True).click()
        phone.get_by_role("button", name="Send my answers").click()
        phone.get_by_text("Thank you, your answers are in.").wait_for()
    screenshot(first, "workshop_phone_thank_you")

    wait_for_counts(facilitator, PHONES, PHONES)
    assert facilitator.evaluate("window.__not_reloaded === true")
    chart = facilitator.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for()
    screenshot(facilitator, "workshop_facilitator_live")
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=str(ARTIFACTS / "workshop_facilitator_chart.png"))

    # A reload keeps the participant's token: still answered, nobody joins twice.
    first.reload()
    first.get_by_text("Thank you, your answers are in.").wait_for()
    assert "p=" in first.url
    first.wait_for_timeout(2000)
    assert metric(facilitator, "Joined") == str(PHONES)

    facilitator.get_by_role("button", name="Present on the big screen").click()
    facilitator.get_by_role("button", name="Next").wait_for()
    wait_for_app(facilitator)
    assert not facilitator.locator('[data-testid="stSidebar"]').is_visible()
    assert facilitator.locator(".ws-code").first.inner_text().strip() == code
    screenshot(facilitator, "workshop_presentation_join")
    click_until(facilitator, "Next", "2 of 14")
    facilitator.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    wait_for_counts(facilitator, PHONES, PHONES)
    screenshot(facilitator, "workshop_presentation")
    click_until(facilitator, "Previous", "1 of 14")
    click_until(facilitator, "Previous", "14 of 14")
    facilitator.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    facilitator.wait_for_timeout(500)
    screenshot(facilitator, "workshop_presentation_all")

    # Closing the session reaches a phone by itself, and answers are then refused.
    facilitator.get_by_role("button", name="Leave presentation").click()
    facilitator.get_by_role("button", name="Close the workshop").click()
    facilitator.get_by_role("button", name="Reopen the workshop").wait_for()
    second = phones[1][1]
    second.get_by_text("This workshop is closed").first.wait_for(timeout=20_000)
    assert second.get_by_role("button", name="Change my answers").count() == 0

    for context, _ in phones:
        context.close()
    facilitator_context.close()


def test_nothing_is_loaded_from_the_internet(app_server, chromium):
    """The facilitator's page, the projector and a phone fetch only from the app itself."""
    db = Database(app_server.database_url, migrate=False)
    code = create_session(db, Viewer.local(), "impact_rating", "Offline").code
    db.dispose()
    context = chromium.new_context(**PHONE)
    outside = outside_requests(context, app_server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(app_server.url)
    wait_for_app(page)
    for path in (f"/workshop?session={code}", f"/workshop?session={code}&present=1"):
        page.goto(f"{app_server.url}{path}")
        page.locator(".ws-code").first.wait_for()
        wait_for_app(page)
    page.goto(f"{app_server.url}/join?code={code}")
    page.get_by_role("button", name="Send my answers").wait_for()
    wait_for_app(page)
    context.close()
    assert not outside, f"fetched from outside the app: {sorted(set(outside))}"


def test_wrong_code_on_a_phone(app_server, chromium):
    context = chromium.new_context(**PHONE)
    phone = context.new_page()
    phone.set_default_timeout(30_000)
    phone.goto(f"{app_server.url}/join")
    wait_for_app(phone)
    phone.get_by_label("Join code (shown on the screen)").fill("zzz zzz")
    phone.get_by_role("button", name="Join", exact=True).click()
    phone.get_by_text("There is no workshop with the code ZZZZZZ.").wait_for()
    assert not phone.locator('[data-testid="stSidebar"]').is_visible()
    screenshot(phone, "workshop_phone_wrong_code")
    context.close()


def test_opening_the_link_again_in_the_same_browser_keeps_the_ballot(app_server, chromium):
    """On today's main, opening the join link again gave a second ballot (issue 16)."""
    db = Database(app_server.database_url, migrate=False)
    try:
        code = create_session(db, Viewer.local(), "impact_rating", "Rejoin").code
        context = chromium.new_context(**PHONE)
        first = context.new_page()
        first.set_default_timeout(30_000)
        first.goto(app_server.url)
        wait_for_app(first)
        first.goto(f"{app_server.url}/join?code={code}")
        first.get_by_role("button", name="Send my answers").wait_for()
        first.locator('[data-testid="stRadioOption"]').first.click()
        first.get_by_role("button", name="Send my answers").click()
        first.get_by_text("Thank you, your answers are in.").wait_for()
        token = re.search(r"[?&]p=([^&]+)", first.url).group(1)
        first.close()
        # The same phone opens the link from the screen again (no token in it): its own ballot.
        again = context.new_page()
        again.set_default_timeout(30_000)
        again.goto(f"{app_server.url}/join?code={code}")
        again.get_by_text("Thank you, your answers are in.").wait_for()
        wait_for_app(again)
        assert re.search(r"[?&]p=([^&]+)", again.url).group(1) == token
        assert counts(db, Viewer.local(), code) == {"joined": 1, "answered": 1}
        # Another phone is another ballot.
        other_context = chromium.new_context(**PHONE)
        other = other_context.new_page()
        other.set_default_timeout(30_000)
        other.goto(f"{app_server.url}/join?code={code}")
        other.get_by_role("button", name="Send my answers").wait_for()
        wait_for_app(other)
        assert counts(db, Viewer.local(), code) == {"joined": 2, "answered": 1}
        other_context.close()
        context.close()
    finally:
        db.dispose()
