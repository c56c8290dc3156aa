"""The app in a real browser: first run, every page, and an upload through the file input."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from impact_data.access import Viewer
from impact_data.demo import demo_manifest
from impact_data.ingest.templates import build_template
from impact_data.measures.queries import uploads
from impact_data.store.db import Database
from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser

PAGES = [
    ("overview", "Overview"),
    ("compare", "Compare"),
    ("culture", "Culture"),
    ("readiness", "Readiness"),
    ("pdsa", "PDSA & measures"),
    ("workshop", "Workshop"),
    ("upload", "Upload"),
    ("settings", "Settings"),
]


def _filled_template() -> bytes:
    """The visits template, filled in as a team would, saved as .xlsx."""
    wb = load_workbook(io.BytesIO(build_template("impact_self_assessment")))
    sheet = wb.worksheets[1]
    rows = [
        ["ZA1", "2026-01-15", 2, 4, "Coaching for all ward leaders", "Spread to community teams"],
        ["ZA1", "2026-01-15", 3, 3, "Board development session", "Repeat in spring"],
    ]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_first_run_sample_data_every_page_and_upload(app_server, page, tmp_path):
    page.goto(app_server.url)
    wait_for_app(page)
    page.get_by_role("button", name="Explore with sample data").wait_for()
    assert page.get_by_role("button", name="Upload your own spreadsheets").is_visible()
    screenshot(page, "01_first_run")

    page.get_by_role("button", name="Explore with sample data").click()
    page.get_by_text("Reporting period:", exact=False).first.wait_for(timeout=120_000)
    wait_for_app(page)
    db = Database(app_server.database_url)
    assert len(uploads(db, Viewer.local())) == len(demo_manifest())  # one upload per sample file
    screenshot(page, "02_overview_sample")

    for url_path, title in PAGES:
        page.goto(f"{app_server.url}/{url_path}")
        wait_for_app(page)
        heading = page.get_by_role("heading", name=re.compile(title.split(" ")[0], re.I)).first
        try:
            heading.wait_for(timeout=60_000)
        except Exception:
            screenshot(page, f"03_page_{url_path}_timed_out")  # what the page showed instead
            raise
        assert page.locator('[data-testid="stException"]').count() == 0, url_path
        screenshot(page, f"03_page_{url_path}")

    page.goto(f"{app_server.url}/upload")
    wait_for_app(page)
    page.get_by_text("NHS IMPACT self-assessment").first.click()
    wait_for_app(page)
    path = tmp_path / "impact_filled.xlsx"
    path.write_bytes(_filled_template())
    page.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_role("button", name=re.compile("Load this file")).wait_for(timeout=60_000)
    wait_for_app(page)
    screenshot(page, "04_upload_checked")
    page.get_by_role("button", name=re.compile("Load this file")).click()
    page.get_by_text("impact_filled.xlsx").first.wait_for()
    wait_for_app(page)
    history = uploads(db, Viewer.local())
    assert history.iloc[0]["file_name"] == "impact_filled.xlsx"
    assert history.iloc[0]["row_count"] == 2
    screenshot(page, "05_upload_committed")
    db.dispose()
