"""An executive's journey in a real browser with one reporting period (issue 17, item 1):
Overview, choose August 2025 in the sidebar, Compare, then the board pack download; the period
label is the same on each, the address keeps it, and the pack is built for it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from impact_data.demo import load_demo
from impact_data.store.db import Database
from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser

LABEL = "Reporting period: August 2025 (3 June - 31 August 2025 for 'last 90 days')"


@pytest.fixture(scope="module")
def sample_server(app_server):
    db = Database(app_server.database_url)
    load_demo(db)
    db.dispose()
    return app_server


def test_overview_compare_and_board_pack_with_one_period(sample_server, page, tmp_path):
    page.goto(sample_server.url)
    wait_for_app(page)
    page.get_by_role("heading", name="System overview").first.wait_for(timeout=90_000)
    # The default: the newest complete month with data.
    page.get_by_text("Reporting period: November 2025", exact=False).first.wait_for()
    assert "period=2025-11" in page.url

    # Choose August 2025 in the sidebar.
    sidebar = page.locator('[data-testid="stSidebar"]')
    august = page.get_by_role("option", name="August 2025", exact=True)
    for _ in range(4):  # a click during a rerun may not open the list: open it again
        sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="Reporting period").click()
        try:
            august.wait_for(timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - try again
            page.keyboard.press("Escape")
    august.click()
    wait_for_app(page)
    page.get_by_text(LABEL).first.wait_for(timeout=60_000)
    assert "period=2025-08" in page.url
    # The freshness view is there, for this period.
    page.get_by_text("Data freshness for August 2025", exact=False).first.wait_for()
    screenshot(page, "period_overview")

    # Compare keeps the period (as a person goes there: through the navigation).
    page.get_by_role("link", name="Compare").first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="Compare").first.wait_for(timeout=90_000)
    page.get_by_text(LABEL).first.wait_for(timeout=60_000)
    assert "period=2025-08" in page.url
    screenshot(page, "period_compare")

    # The board pack, built for the same period and named after it.
    with page.expect_download(timeout=240_000) as info:
        page.get_by_role("button", name="Download board pack (PDF)").click()
    pack = Path(tmp_path) / info.value.suggested_filename
    info.value.save_as(pack)
    assert pack.name == "impact-board-pack-2025-08.pdf"
    pages = [
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pack.read_bytes())).pages
    ]
    assert LABEL in pages[0]
    assert all("Reporting period: August 2025" in text for text in pages)
