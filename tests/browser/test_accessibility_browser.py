"""WCAG 2.2 AA: axe-core (shipped inside the axe-playwright-python package, nothing fetched)
finds no violation on any page of the app, on the sample system, including the workshop's
projector and phone views and the page for an unknown address."""

from __future__ import annotations

import re
import subprocess

import pytest

from impact_data.access import Viewer
from impact_data.demo import load_demo
from impact_data.store.db import Database
from impact_data.workshop import create_session
from tests.browser.conftest import start_app, wait_for_app
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

# axe-core's tags for WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def app_addresses() -> list[str]:
    """Every page address in app.py's navigation (read from its PAGE_SPECS)."""
    source = (ROOT / "app.py").read_text()
    specs = source.split("PAGE_SPECS = [", 1)[1].split("\n]", 1)[0]
    return re.findall(r'"([a-z_]+)"\),', specs)


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory):
    server = start_app(tmp_path_factory.mktemp("a11y"))
    db = Database(server.database_url)
    load_demo(db)
    session = create_session(db, Viewer.local(), "readiness", "Ward 7 readiness check")
    db.dispose()
    server.workshop_code = session.code
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def violations(axe, page) -> list[str]:
    """Each violation as one readable line: rule, impact, how many elements, the first one."""
    result = axe.run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    )
    lines = []
    for rule in result.response["violations"]:
        first = rule["nodes"][0]
        lines.append(
            f"{rule['id']} ({rule['impact']}, {len(rule['nodes'])} elements): {rule['help']}; "
            f"first: {first['target']} {first['html'][:120]}"
        )
    return lines


def settle(page) -> None:
    wait_for_app(page)
    page.wait_for_timeout(1500)
    wait_for_app(page)
    # Audit the page as it rests: its script (and any fragment) has finished running.
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning';
        }""",
        timeout=120_000,
    )


def test_the_audit_covers_every_page_in_the_navigation():
    addresses = app_addresses()
    assert {"overview", "compare", "culture", "readiness", "pdsa", "upload", "settings"} <= set(
        addresses
    )
    assert len(addresses) >= 10


@pytest.mark.parametrize("address", app_addresses())
def test_every_page_has_no_wcag_aa_violation(sample_app, chromium, axe, address):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        page.goto(f"{sample_app.url}/{address}")
        settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0, address
        found = violations(axe, page)
        assert found == [], f"/{address}:\n" + "\n".join(found)
    finally:
        context.close()


def test_workshop_projector_phone_and_unknown_address_have_no_violation(sample_app, chromium, axe):
    code = sample_app.workshop_code
    views = [
        (f"/workshop?session={code}&present=1", {"width": 1280, "height": 720}),
        (f"/join?code={code}", {"width": 390, "height": 844}),
        ("/no-such-page", {"width": 1400, "height": 1000}),
    ]
    for address, viewport in views:
        context = chromium.new_context(viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(120_000)
        try:
            page.goto(f"{sample_app.url}{address}")
            settle(page)
            found = violations(axe, page)
            assert found == [], f"{address}:\n" + "\n".join(found)
        finally:
            context.close()


def test_captions_and_their_links_meet_the_contrast_ratio(sample_app, page):
    """The measured failure: captions drawn at 60% (4.0:1) and their links at 2.8:1."""
    page.goto(f"{sample_app.url}/compare")
    settle(page)
    caption = page.get_by_test_id("stCaptionContainer").first
    colour = caption.evaluate("e => getComputedStyle(e).color")
    opacity = caption.evaluate("e => getComputedStyle(e).opacity")
    assert colour == "rgb(76, 98, 114)" and opacity == "1"  # NHS Dark Grey, 6.2:1 on white
    link = caption.get_by_role("link").first
    assert link.evaluate("e => getComputedStyle(e).color") == "rgb(0, 94, 184)"  # NHS Blue


def test_sidebar_navigation_is_sections_of_plain_links(sample_app, page):
    page.goto(f"{sample_app.url}/culture")
    settle(page)
    sidebar = page.get_by_test_id("stSidebar")
    # No list markup with stray children (axe "list"/"listitem" failed on 8 pages before).
    assert sidebar.locator("ul > div, ul > header").count() == 0
    assert sidebar.get_by_text("Culture and readiness", exact=True).is_visible()
    for title in ["Overview", "Compare", "Culture", "Readiness", "PDSA & measures", "Guide"]:
        assert sidebar.get_by_role("link", name=title, exact=True).is_visible(), title
    sidebar.get_by_role("link", name="Readiness", exact=True).click()
    page.get_by_role("heading", name=re.compile("Readiness"), level=1).wait_for()
    assert page.url.split("?")[0].endswith("/readiness")
