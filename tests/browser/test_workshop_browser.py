"""A live workshop in a real browser: a facilitator opens a session, five phones join by the
link and answer, and the facilitator's screen counts them without anyone reloading it."""

from __future__ import annotations

import re

import pytest

from impact_data import Viewer
from impact_data.store.db import Database
from impact_data.workshop import counts, create_session, join, submit_answers
from tests.browser.conftest import ARTIFACTS, screenshot, wait_for_app

pytestmark = pytest.mark.browser

PHONES = 5
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def click_until(page, button: str, expected: str, attempts: int = 5) -> None:
    """Click a button until `expected` shows. The live view reruns every half second, and
    during a rerun Streamlit briefly shows the old and the new button side by side."""
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
    # The QR code is drawn once its image has loaded (waited for: a busy machine is slow).
    facilitator.wait_for_function(
        "img => img.complete && img.naturalWidth > 100", arg=qr.element_handle(), timeout=30_000
    )
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
    click_until(facilitator, "Next", "2 of 16")
    facilitator.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    wait_for_counts(facilitator, PHONES, PHONES)
    screenshot(facilitator, "workshop_presentation")
    click_until(facilitator, "Previous", "1 of 16")
    click_until(facilitator, "Previous", "16 of 16")
    # 12 questions: the last three slides show them four at a time; the phones answered the
    # first three, which are on the first of those slides.
    click_until(facilitator, "Previous", "14 of 16")
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


# --- issue 17 item 7: phones and projectors -----------------------------------------------------

LONG_TITLE = "Ward 7 and the discharge lounge: are we ready for the winter discharge pilot?"

# Where the page is: the header's bottom, the title's box, how wide and tall the document and
# Streamlit's scrolling main area are, and anything that sticks out on the right.
LAYOUT = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const header = document.querySelector('[data-testid="stHeader"]');
  const shown = header && getComputedStyle(header).display !== 'none';
  const title = document.querySelector('[data-testid="stMainBlockContainer"] h1');
  const wide = [];
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5)) {
      wide.push((el.getAttribute('data-testid') || el.tagName) + ' ' + Math.round(r.right));
    }
  }
  const box = (selector) => {
    const el = document.querySelector(selector);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
  };
  return {
    width: innerWidth, height: innerHeight,
    docWidth: document.documentElement.scrollWidth,
    docHeight: document.documentElement.scrollHeight,
    mainWidth: main.scrollWidth, mainClientWidth: main.clientWidth,
    mainHeight: main.scrollHeight, mainClientHeight: main.clientHeight,
    headerBottom: shown ? header.getBoundingClientRect().bottom : 0,
    title: title ? {top: title.getBoundingClientRect().top,
                    bottom: title.getBoundingClientRect().bottom,
                    scrollWidth: title.scrollWidth, clientWidth: title.clientWidth,
                    scrollHeight: title.scrollHeight, clientHeight: title.clientHeight} : null,
    nav: box('.st-key-ws-nav'), chart: box('[data-testid="stVegaLiteChart"]'),
    code: box('.ws-code'), wide: wide.slice(0, 10),
  };
}"""


def answered_session(app_server, title: str = LONG_TITLE) -> str:
    """A readiness check (12 questions) six people have answered."""
    db = Database(app_server.database_url)  # the schema, if no page has run yet
    try:
        code = create_session(db, Viewer.local(), "readiness", title).code
        for i in range(6):
            answers = {f"c{k}": 1 + (i + k) % 5 for k in range(1, 6)}
            answers |= {f"e{k}": 1 + (i * k) % 5 for k in range(1, 8)}
            submit_answers(db, code, join(db, code), answers)
        return code
    finally:
        db.dispose()


def assert_fits_across(layout: dict) -> None:
    assert layout["docWidth"] <= layout["width"], layout
    assert layout["mainWidth"] <= layout["mainClientWidth"], layout
    assert not layout["wide"], layout


@pytest.mark.parametrize("width", [360, 390, 430])
def test_the_join_page_fits_a_phone(app_server, chromium, width):
    """The join page's title was clipped under the header on every phone."""
    code = answered_session(app_server)
    context = chromium.new_context(
        viewport={"width": width, "height": 780}, is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    phone.set_default_timeout(30_000)
    phone.goto(app_server.url)  # app.py has run once since the server started (see above)
    wait_for_app(phone)
    phone.goto(f"{app_server.url}/join?code={code}")
    phone.get_by_role("button", name="Send my answers").wait_for()
    wait_for_app(phone)
    layout = phone.evaluate(LAYOUT)
    screenshot(phone, f"workshop_join_{width}")
    assert_fits_across(layout)
    title = layout["title"]
    assert title is not None and title["top"] >= layout["headerBottom"], layout
    assert title["scrollWidth"] <= title["clientWidth"], layout  # no word cut off at the side
    assert title["scrollHeight"] <= title["clientHeight"] + 1, layout
    assert phone.locator("h1").first.inner_text().strip() == LONG_TITLE
    # Every answer button is inside the screen and big enough for a thumb.
    for option in phone.locator('[data-testid="stRadioOption"]').all()[:10]:
        box = option.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box
        assert box["height"] >= 44, box
    context.close()


def go_to(page, button: str, expected: str) -> None:
    click_until(page, button, expected)
    wait_for_app(page)
    page.wait_for_timeout(1_500)  # the chart draws after the script has run


def assert_fits_the_screen(page, name: str, *, chart: bool) -> None:
    layout = page.evaluate(LAYOUT)
    screenshot(page, name)
    assert_fits_across(layout)
    assert layout["docHeight"] <= layout["height"], layout
    assert layout["mainHeight"] <= layout["mainClientHeight"], layout  # nothing to scroll to
    assert layout["nav"] and layout["nav"]["bottom"] <= layout["height"], layout
    assert layout["code"] and layout["code"]["top"] >= 0, layout
    if chart:
        assert layout["chart"], layout
        assert layout["chart"]["top"] >= 0 and layout["chart"]["bottom"] <= layout["nav"]["top"]


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_presentation_fits_the_projector_without_scrolling(app_server, chromium, size):
    """The big-screen view needed 1,023 px of height at 1280x720."""
    width, height = size
    code = answered_session(app_server)
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(app_server.url)
    wait_for_app(page)
    page.goto(f"{app_server.url}/workshop?session={code}&present=1")
    page.locator(".ws-code").first.wait_for()
    wait_for_app(page)
    page.get_by_text("1 of 16").first.wait_for()
    assert_fits_the_screen(page, f"workshop_present_{width}_join", chart=False)
    qr = page.locator('[data-testid="stImage"] img').first.bounding_box()
    assert qr["y"] + qr["height"] <= height and qr["height"] >= 0.4 * height, qr
    title = page.locator("h1").first
    assert title.inner_text().strip() == LONG_TITLE
    box = title.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height
    go_to(page, "Next", "2 of 16")
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    assert_fits_the_screen(page, f"workshop_present_{width}_question", chart=True)
    go_to(page, "Previous", "1 of 16")
    go_to(page, "Previous", "16 of 16")  # the last "answers to each question" slide
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    assert_fits_the_screen(page, f"workshop_present_{width}_all", chart=True)
    # Legible from the back of the room: the join code and the counts in very large type.
    sizes = page.evaluate(
        """() => ({
          code: parseFloat(getComputedStyle(document.querySelector('.ws-code')).fontSize),
          count: parseFloat(getComputedStyle(
            document.querySelector('[data-testid="stMetricValue"]')).fontSize),
        })"""
    )
    assert sizes["code"] >= 0.08 * height and sizes["count"] >= 0.07 * height, sizes
    context.close()
