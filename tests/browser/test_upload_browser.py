"""A team's upload in a real browser: a footnote and a total row under the data are skipped,
the one bad cell is named as D24 with its header and row, the problems download lists it in
the file's own terms, and the corrected file loads."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from impact_data import Viewer
from impact_data.ingest.uploads import load_file
from impact_data.measures.queries import uploads
from impact_data.store.db import Database
from tests.browser.conftest import screenshot, wait_for_app
from tests.conftest import SAMPLE
from tests.ingest.test_rows_below_data import team_workbook


def test_a_team_upload_with_a_footnote_row_and_a_bad_cell_named_d24(app_server, page, tmp_path):
    db = Database(app_server.database_url)
    _, result = load_file(db, SAMPLE / "demo" / "organisations.xlsx", "organisations")
    assert result is not None

    page.goto(app_server.url)
    wait_for_app(page)
    page.goto(f"{app_server.url}/upload")
    wait_for_app(page)
    try:
        kinds = page.locator('[data-testid="stRadio"]')
        kinds.get_by_text("NHS Staff Survey results", exact=True).first.click()
    finally:
        screenshot(page, "upload_choose_kind")
    wait_for_app(page)
    path = tmp_path / "team_results.xlsx"
    path.write_bytes(team_workbook())
    page.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_text("cell D24", exact=False).first.wait_for(timeout=60_000)
    wait_for_app(page)
    screenshot(page, "upload_footnote_bad_cell")

    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "1 problem in 1 row" in text
    assert "“Base”: expected a whole number — cell D24 (found: 'n/a')" in text
    assert "row 24 reads: ZA1 | 2025 | q21a | n/a | 60.5" in text
    # The footnote and the total row are skipped and said so, never reported as problems.
    assert (
        "3 rows below the data were skipped, not checked: a blank row (row 25), a note "
        "(row 26) and a total row (row 27)."
    ) in text
    assert "too long" not in text
    assert "org_code" not in text
    assert page.get_by_role("button", name=re.compile("Load this file")).is_disabled()

    wait_for_app(page)
    with page.expect_download(timeout=90_000) as download_info:
        page.get_by_role("button", name=re.compile("Download the full list of problems")).click()
    download = download_info.value
    frame = pd.read_csv(io.BytesIO(Path(download.path()).read_bytes()), encoding="utf-8-sig")
    assert frame[["sheet", "cell", "row", "column header", "found"]].to_dict("records") == [
        {"sheet": "Results", "cell": "D24", "row": 24, "column header": "Base", "found": "'n/a'"}
    ]
    assert frame.iloc[0]["row content"] == "ZA1 | 2025 | q21a | n/a | 60.5"

    # The corrected file (same footnote and total), added next to the first, loads its 21 rows.
    fixed = tmp_path / "team_results_fixed.xlsx"
    fixed.write_bytes(team_workbook(bad_base=120))
    page.locator('input[type="file"]').set_input_files(str(fixed))
    page.get_by_text("No problems found: 21 rows ready to load").wait_for(timeout=60_000)
    wait_for_app(page)
    page.get_by_role("button", name=re.compile("Load this file"), disabled=False).click()
    page.get_by_text("Loaded as upload", exact=False).first.wait_for(timeout=60_000)
    wait_for_app(page)
    screenshot(page, "upload_footnote_loaded")
    history = uploads(db, Viewer.local())
    assert history.iloc[0]["file_name"] == "team_results_fixed.xlsx"
    assert history.iloc[0]["row_count"] == 21
    db.dispose()
