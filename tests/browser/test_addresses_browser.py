"""Addresses that always work: a deep link as the first request after a start, and unknown ones."""

from __future__ import annotations

import subprocess
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import screenshot, start_app, wait_for_app

pytestmark = pytest.mark.browser

LOCAL_MODE = "Local mode: no sign-in"


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory):
    """A server of its own: nobody has opened / on it before the test's first request."""
    server = start_app(tmp_path_factory.mktemp("addresses"))
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture
def first_request_server(tmp_path_factory):
    """A server nobody has opened yet, for one test's very first request."""
    server = start_app(tmp_path_factory.mktemp("first_request"))
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


def _settled(page) -> None:
    """Wait for the script run, including the hand-over rerun from pages-folder mode."""
    wait_for_app(page)
    page.wait_for_timeout(1500)
    wait_for_app(page)


def test_deep_link_as_first_request_opens_the_page_in_the_app(fresh_server, page):
    page.goto(f"{fresh_server.url}/settings")
    page.get_by_role("heading", name="Settings", level=1).wait_for(timeout=120_000)
    _settled(page)
    screenshot(page, "addresses_first_request_settings")
    assert page.url.endswith("/settings")
    sidebar = page.get_by_test_id("stSidebar")
    # app.py's sectioned navigation with titles, not the raw pages/ file list.
    assert sidebar.get_by_text("Culture and readiness", exact=True).is_visible()
    assert sidebar.get_by_role("link", name="PDSA & measures").is_visible()
    assert sidebar.get_by_role("link", name="app", exact=True).count() == 0
    assert page.get_by_test_id("stSidebarNav").count() == 0  # Streamlit's raw file list
    assert LOCAL_MODE in sidebar.inner_text()
    # Wide layout: the main column uses the width beside the sidebar, not a narrow 736 px.
    box = page.get_by_test_id("stMainBlockContainer").bounding_box()
    assert box is not None and box["width"] > 1000
    assert page.get_by_role("dialog").count() == 0


def test_every_page_has_an_address_that_opens_it(fresh_server, page):
    page.goto(f"{fresh_server.url}/overview")
    _settled(page)
    assert page.url.endswith("/overview")
    assert page.get_by_role("dialog").count() == 0  # no "Page not found" notice
    assert LOCAL_MODE in page.get_by_test_id("stSidebar").inner_text()
    first_page = page.get_by_role("heading", level=1).first.inner_text()
    page.goto(fresh_server.url)  # "/" opens the Overview page too
    _settled(page)
    assert page.get_by_role("heading", level=1).first.inner_text() == first_page
    assert page.get_by_role("dialog").count() == 0


def test_unknown_address_shows_a_helpful_page(fresh_server, page):
    page.goto(f"{fresh_server.url}/no-such-page")
    page.get_by_role("heading", name="Page not found", level=1).wait_for(timeout=60_000)
    _settled(page)
    screenshot(page, "addresses_unknown")
    main = page.get_by_test_id("stMain")
    assert "There is no page at the address “/no-such-page”" in main.inner_text()
    assert main.get_by_role("link", name="Settings").is_visible()
    assert page.get_by_role("dialog").count() == 0
    main.get_by_role("link", name="Culture").click()
    page.get_by_role("heading", name="Culture", level=1).wait_for()
    # The reporting period follows the user into the address (?period=YYYY-MM).
    assert urlsplit(page.url).path == "/culture"


def test_unknown_address_as_the_first_request_after_a_start(first_request_server, page):
    """Streamlit's pages-folder mode answers the first request and opens its own "Page not
    found" dialog over the app; the app's helpful page replaces it, with navigation."""
    page.goto(f"{first_request_server.url}/no-such-page")
    page.get_by_role("heading", name="Page not found", level=1).wait_for(timeout=60_000)
    _settled(page)
    screenshot(page, "addresses_unknown_first_request")
    assert page.get_by_role("dialog").count() == 0
    main = page.get_by_test_id("stMain")
    assert "There is no page at the address “/no-such-page”" in main.inner_text()
    assert LOCAL_MODE in page.get_by_test_id("stSidebar").inner_text()
    main.get_by_role("link", name="Readiness").click()
    page.get_by_role("heading", name="Readiness", level=1).wait_for()
    assert page.url.split("?")[0].endswith("/readiness")
