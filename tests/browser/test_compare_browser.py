"""The Compare page in a real browser: the funnel plot, "who could we learn from?" and a
download of a table, on the sample system."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from impact_data.demo import load_demo
from impact_data.store.db import Database
from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sample_server(app_server):
    db = Database(app_server.database_url)
    load_demo(db)
    db.dispose()
    return app_server


def open_compare(page, server) -> None:
    """Open the app and go to Compare through its navigation, as a person would."""
    page.goto(server.url)
    wait_for_app(page)
    page.get_by_role("link", name="Compare").first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="Compare").first.wait_for(timeout=90_000)


def test_funnel_plot_learn_from_and_a_download(sample_server, page, tmp_path):
    open_compare(page, sample_server)
    # The funnel plot is drawn, with its text alternative beside it.
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for(state="visible", timeout=90_000)
    chart.locator("canvas, svg").first.wait_for(state="visible")
    page.get_by_text("funnel plot", exact=False).first.wait_for()
    page.get_by_text("system value", exact=False).first.wait_for()
    screenshot(page, "compare_funnel")

    # The outside-limits table downloads as CSV, with the same organisations as the table.
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download CSV").first.click()
    download = info.value
    path = Path(tmp_path) / download.suggested_filename
    download.save_as(path)
    assert path.suffix == ".csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["Organisation", "Code", "Type"]
    assert len(rows) > 1

    # The board pack: built on the click, here, and a real PDF.
    with page.expect_download(timeout=180_000) as info:
        page.get_by_role("button", name="Download board pack (PDF)").click()
    pack = Path(tmp_path) / info.value.suggested_filename
    info.value.save_as(pack)
    assert pack.suffix == ".pdf" and pack.read_bytes().startswith(b"%PDF")

    # Who could we learn from?
    page.get_by_role("tab", name="Who could we learn from?").click()
    page.get_by_text("significantly better than", exact=False).first.wait_for()
    # Tested against the funnel's limits, adjusted for over-dispersion by default.
    page.get_by_text("ordinary spread between organisations", exact=False).first.wait_for()
    screenshot(page, "compare_learn_from")

    # The learning visits: who never visited or was never visited stands out.
    page.get_by_role("tab", name="Learning visits").click()
    page.get_by_text("Never visited another organisation", exact=False).first.wait_for()
    page.get_by_role("button", name="Save the visit").wait_for()
    screenshot(page, "compare_visits")
