"""The reporting period cuts every readiness, NHS IMPACT maturity and PDSA project figure off
at its last day (`measures.period.up_to`): rows dated after the period change nothing in the
figures for that period, on SQLite and PostgreSQL (the self-assessment cut is SQL)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.exports import export_tables
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures.period import parse_period, up_to
from impact_data.views import overview
from impact_data.views import pdsa as pdsa_views
from impact_data.views import readiness as readiness_views
from tests.files import csv_bytes, xlsx_bytes
from tests.test_cross_screen_readiness_pdsa import ITEMS, crafted  # noqa: F401 (the fixture)

LOCAL = Viewer.local()
PERIOD = parse_period("2025-06")
UNTIL = PERIOD.end  # 30 June 2025


def load(db, data: bytes, name: str, kind: str) -> None:
    prepared = prepare_upload(db, data, name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(db, prepared)


def a1_values(start: dt.date, weeks: int, first: float) -> bytes:
    rows = [["project_id", "date", "value"]]
    rows += [["A1", start + dt.timedelta(weeks=i), first + (i % 3) - (i % 2)] for i in range(weeks)]
    return xlsx_bytes({"Measures": rows})


@pytest.fixture
def period_data(crafted):  # noqa: F811 - the fixture imported above
    # Values of project A1 up to the period (January to June 2025), the figures' own data.
    load(crafted, a1_values(dt.date(2025, 1, 6), 25, 10.0), "a1.xlsx", "pdsa")
    return crafted


def add_rows_after_the_period(db) -> None:
    """One of everything, dated in July 2025: readiness checks (a team checked again and a new
    one), a self-assessment, a PDSA cycle and measure values."""
    rows = [["org_code", "assessment_date", "team", "programme", *ITEMS]]
    rows += [["ZA1", "2025-07-10", "Ward 1", "Flow", *[5] * 12] for _ in range(15)]
    rows += [["ZB1", "2025-07-02", "Clinic 2", "Sepsis", *[1] * 12] for _ in range(20)]
    load(db, csv_bytes(rows), "oric_july.csv", "readiness")
    impact = [["org_code", "assessment_date", "component", "level"]]
    impact += [["ZA1", "2025-07-15", c, 5] for c in range(1, 6)]
    impact += [["ZC1", "2025-07-15", c, 1] for c in range(1, 6)]
    load(db, csv_bytes(impact), "impact_july.csv", "impact_self_assessment")
    cycles = [["project_id", "cycle_no", "start_date"], ["A1", 9, dt.date(2025, 7, 21)]]
    load(db, xlsx_bytes({"Cycles": cycles}), "a1_cycle.xlsx", "pdsa")
    load(db, a1_values(dt.date(2025, 7, 7), 4, 40.0), "a1_july.xlsx", "pdsa")


def figures(db, until: dt.date | None) -> dict[str, pd.DataFrame]:
    """Every readiness, maturity and PDSA project figure of the Readiness, Overview and PDSA
    pages for the period ending `until`."""
    cadence = pdsa_views.cadence(db, LOCAL, "A1", until=until)
    cadence = {k: str(v) for k, v in cadence.items()}
    system = overview.system_overview(db, LOCAL, as_of=until or dt.date(2030, 1, 1))
    columns = [c for c in system.columns if c.startswith(("readiness_", "maturity_"))]
    # The exports (Upload page and `python -m impact_data export --period`) follow the period.
    period = PERIOD if until is not None else parse_period("2030-12")
    exports = {
        f"export {sheet}": frame
        for kind in ("readiness", "impact_self_assessment")
        for sheet, frame in export_tables(db, kind, LOCAL, period=period).items()
    }
    return exports | {
        "rounds offered": pd.DataFrame(
            {"round": readiness_views.filter_options(db, LOCAL, until=until)["rounds"]}
        ),
        "team scores": readiness_views.team_scores(db, LOCAL, until=until),
        "organisation scores": readiness_views.org_scores(db, LOCAL, until=until),
        "change over rounds": readiness_views.change_table(db, LOCAL, until=until),
        "item answers": readiness_views.item_answers_and_left_out(
            db, LOCAL, instrument_code="oric", until=until
        )[0],
        "maturity": readiness_views.maturity_latest(db, LOCAL, until=until),
        "maturity history": readiness_views.maturity_history(db, LOCAL, until=until),
        "overview readiness": overview.readiness_latest(db, LOCAL, until=until),
        "overview rounds": overview.readiness_by_round(db, LOCAL, until=until),
        "overview teams": overview.readiness_by_team(db, LOCAL, "ZA1", until=until),
        "overview maturity": overview.maturity_latest(db, LOCAL, until=until),
        "overview maturity by date": overview.maturity_by_date(db, LOCAL, until=until),
        "overview components": overview.maturity_components(db, LOCAL, "ZA1", until=until),
        "overview table": system[["org_code", *columns]],
        "registry": pdsa_views.project_summary(db, LOCAL, until=until),
        "measure chart": pdsa_views.measure_chart_data(db, LOCAL, "A1", until=until),
        "cycle marks": pdsa_views.cycle_annotations(db, LOCAL, "A1", until=until),
        "cycle timeline": pdsa_views.cycle_timeline(db, LOCAL, "A1", as_of=until),
        "cadence": pd.DataFrame([cadence]),
    }


def test_rows_after_the_period_change_nothing_in_its_figures(period_data):
    """Every figure for June 2025 is the same before and after July's rows arrive."""
    before = figures(period_data, UNTIL)
    everything_before = figures(period_data, None)
    add_rows_after_the_period(period_data)
    after = figures(period_data, UNTIL)
    for name, frame in before.items():
        assert not frame.empty, name
        pd.testing.assert_frame_equal(after[name], frame, obj=name)
    # The rows are real: without the cut-off they do change these figures.
    everything_after = figures(period_data, None)
    changed = [
        name
        for name, frame in everything_before.items()
        if name != "overview table" and not everything_after[name].equals(frame)
    ]
    assert sorted(changed) == sorted(set(before) - {"overview table"})

    # The period's figures are those known at its end.
    shown = after
    assert max(shown["rounds offered"]["round"]) == dt.date(2025, 6, 1)
    assert max(shown["team scores"]["round"]) == dt.date(2025, 6, 1)
    maturity = shown["maturity"].set_index(["org_code", "component"])
    assert maturity.at[("ZA1", 1), "level"] == 4  # 1 May 2025, not 15 July's 5
    assert "ZC1" not in set(maturity.index.get_level_values(0))  # first assessed in July
    registry = shown["registry"].set_index("project_id")
    assert registry.at["A1", "cycles"] == 5  # the 3 July and 21 July cycles come later
    assert pd.Timestamp(registry.at["A1", "last_cycle"]) == pd.Timestamp("2025-05-20")
    assert registry.at["A1", "measure_points"] == 25
    assert pd.Timestamp(shown["measure chart"]["x"].max()) <= pd.Timestamp(UNTIL)
    assert len(shown["cycle timeline"]) == 5
    later = pdsa_views.after_period(period_data, LOCAL, "A1", UNTIL)
    assert later == {"cycles": 2, "values": 4}
    assert pdsa_views.after_period_note(later, UNTIL) == (
        "2 cycles and 4 values dated after 30 June 2025 (the reporting period's end) are not "
        "in these figures: they count from the reporting period they fall in."
    )
    assert pdsa_views.after_period_note({"cycles": 0, "values": 0}, UNTIL) == ""


def test_up_to_keeps_the_rows_dated_on_or_before_the_day():
    frame = pd.DataFrame(
        {
            "day": [dt.date(2025, 6, 30), dt.date(2025, 7, 1), None, dt.date(2025, 6, 1)],
            "n": [1, 2, 3, 4],
        }
    )
    assert up_to(frame, "day", UNTIL)["n"].tolist() == [1, 4]
    assert up_to(frame, "day", None) is frame  # no period: every row
    months = pd.DataFrame({"round": pd.to_datetime(["2025-06-01", "2025-07-01"]), "n": [1, 2]})
    assert up_to(months, "round", UNTIL)["n"].tolist() == [1]
