"""One reporting period on every screen (issue 17, items 1 and 8): the period chosen in the
sidebar is remembered across pages, shown on each, and "last 90 days" counts the same 90 days
on the Overview, PDSA > Across the system, Compare's board pack and the CLI export.

The issue measured the Overview and the board pack counting to the newest data while PDSA >
Across the system counted to today (0 cycles for everyone)."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.cli import main as cli_main
from impact_data.measures import pdsa as pdsa_measure
from impact_data.measures.period import default_period, parse_period
from impact_data.store.settings import suppression_rule
from impact_data.views import overview
from impact_data.views import pdsa as pdsa_views
from tests.conftest import ROOT
from ui.board_pack import board_pack_pdf

LOCAL = Viewer.local()
CHOSEN = parse_period("2025-08")
DESCRIPTION = "Reporting period: August 2025 (3 June - 31 August 2025 for 'last 90 days')"


def _app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def _switch(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_chosen_period_is_used_and_remembered_on_every_page(demo_db):
    default = default_period(demo_db)
    assert default.key == "2025-11"
    at = _app()  # the Overview
    control = at.sidebar.selectbox(key="reporting_period_choice")
    assert control.value == "2025-11"
    assert at.query_params["period"] == "2025-11"
    assert f"**{default.description}.**" in _captions(at)
    control.set_value(CHOSEN.key).run()
    assert not at.exception
    assert f"**{DESCRIPTION}.**" in _captions(at)
    # The Overview's "last 90 days": the same count as the measure up to 31 August 2025.
    activity = pdsa_measure.pdsa_activity(demo_db, LOCAL, as_of=CHOSEN.end)
    expected = activity.set_index("org_code")["cycles_last_90_days"]
    frame = overview.system_overview(demo_db, LOCAL, as_of=CHOSEN.end).set_index("org_code")
    assert frame["pdsa_cycles_90d"].astype(int).to_dict() == expected.to_dict()
    assert expected.sum() > 0

    # PDSA > Across the system: the same period, the same count (not up to today).
    _switch(at, "pages/pdsa.py")
    assert at.sidebar.selectbox(key="reporting_period_choice").value == CHOSEN.key
    assert f"**{DESCRIPTION}.**" in _captions(at)
    metric = next(m for m in at.metric if m.label == "Cycles started in the last 90 days")
    assert int(metric.value) == int(expected.sum())
    portfolio = pdsa_views.portfolio(demo_db, LOCAL, as_of=CHOSEN.end)
    assert portfolio.set_index("org_code")["cycles_last_90_days"].to_dict() == expected.to_dict()

    # Compare, Culture and Readiness keep it too, and show it.
    for page in ("pages/compare.py", "pages/culture.py", "pages/readiness.py"):
        _switch(at, page)
        assert at.sidebar.selectbox(key="reporting_period_choice").value == CHOSEN.key, page
        assert f"**{DESCRIPTION}.**" in _captions(at), page
    _switch(at, "pages/overview.py")
    assert f"**{DESCRIPTION}.**" in _captions(at)


def test_the_board_pack_counts_the_same_90_days(demo_db):
    expected = pdsa_measure.pdsa_activity(demo_db, LOCAL, as_of=CHOSEN.end)
    pdf = board_pack_pdf(demo_db, LOCAL, period=CHOSEN, today=dt.date(2026, 12, 7))
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert DESCRIPTION in " ".join(pages[0].split())
    for text in pages:
        assert "Reporting period: August 2025" in text
    # The PDSA table's 'Cycles, last 90 days' column: the same total as the screens.
    pdsa_page = next(t for t in pages if "Cycles, last 90" in t)
    assert "Cycles, last 90" in pdsa_page
    assert int(expected["cycles_last_90_days"].sum()) > 0
    assert f"as of {overview.format_date(CHOSEN.end)}" in " ".join("".join(pages).split())


def test_cli_export_takes_a_period(demo_db, tmp_path, capsys):
    url = demo_db.url
    out = tmp_path / "pdsa.xlsx"
    code = cli_main(
        ["--database", url, "export", "--kind", "pdsa", "--out", str(out), "--period", "2025-08"]
    )
    assert code == 0
    sheets = pd.read_excel(out, sheet_name=None)
    activity = sheets["Activity"].set_index("org_code")
    expected = pdsa_measure.pdsa_activity(demo_db, LOCAL, as_of=CHOSEN.end).set_index("org_code")
    assert activity["cycles_last_90_days"].to_dict() == expected["cycles_last_90_days"].to_dict()
    assert set(activity["reporting_period"]) == {"2025-08"}
    about = sheets["About this export"]
    assert DESCRIPTION in about.astype(str).to_string()
    assert suppression_rule(demo_db) in about.astype(str).to_string()
    # Without --period: the default period, as on the screens.
    cli_main(["--database", url, "export", "--kind", "pdsa", "--out", str(out)])
    default = pd.read_excel(out, sheet_name="Activity")
    assert set(default["reporting_period"]) == {"2025-11"}
    # A bad period: argparse's usage error (exit code 2), naming what was expected and found.
    with pytest.raises(SystemExit) as stopped:
        cli_main(
            [
                "--database",
                url,
                "export",
                "--kind",
                "pdsa",
                "--out",
                str(out),
                "--period",
                "11/2025",
            ]
        )
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "YYYY-MM, such as 2025-11; found '11/2025'" in err
