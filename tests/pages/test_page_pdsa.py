"""The PDSA & measures page, run headless with AppTest on the sample data and on no data."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures import queries
from impact_data.store.db import Database
from tests.conftest import ROOT
from tests.files import xlsx_bytes

PAGE = str(ROOT / "pages" / "pdsa.py")  # AppTest resolves a relative path from this file
LOCAL = Viewer.local()


def run_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def widget(elements, label: str):
    [found] = [w for w in elements if w.label == label]
    return found


def cycles_of(db: Database, project_id: str):
    return queries.pdsa_cycles(db, LOCAL, project_ids=[project_id])


def test_page_renders_the_sample_data(demo_db):
    at = run_page()
    assert at.title[0].value == "PDSA & measures"
    n_projects = len(queries.pdsa_projects(demo_db, LOCAL))
    assert n_projects >= 40
    registry = at.dataframe[0].value
    assert len(registry) == n_projects
    assert any(c.value.startswith(f"{n_projects} of {n_projects} projects") for c in at.caption)
    assert "Common cause variation" in set(registry["variation_icon"])
    assert registry["assurance_icon"].str.startswith("Assurance").any()
    # The chart's text alternative: variation and assurance labels and a sentence.
    readings = [m.value for m in at.markdown if "variation" in m.value.lower()]
    assert readings and "process limits" in readings[0]
    assert not at.error


def test_registry_filters_by_organisation(demo_db):
    at = run_page()
    widget(at.multiselect, "Organisation").set_value(["ZB1"]).run()
    assert not at.exception
    expected = queries.pdsa_projects(demo_db, LOCAL, org_codes=["ZB1"])
    assert at.dataframe[0].value["project_id"].tolist() == expected["project_id"].tolist()


def test_chart_choices_and_limit_options_render(demo_db):
    at = run_page()
    chart = widget(at.radio, "Chart")
    # The sample's first measure is a proportion varying about as binomial noise allows.
    assert chart.options == ["XmR chart", "Run chart", "p-chart (recommended)", "p' chart (Laney)"]
    assert chart.value == "p"
    assert any(c.value.startswith("Recommended: p-chart") for c in at.caption)
    chart.set_value("xmr").run()
    widget(at.toggle, "Show near-limit lines").set_value(True).run()
    widget(at.selectbox, "Fix limits from the first points (baseline)").set_value(12).run()
    assert not at.exception
    project_id = widget(at.selectbox, "Project to look at").value
    dates = queries.pdsa_measures(demo_db, LOCAL, project_ids=[project_id])["date"]
    rebase = pd.Timestamp(dates.iloc[12])
    widget(at.multiselect, "Recalculate limits from").set_value([rebase]).run()
    assert any("process limits" in m.value for m in at.markdown)
    assert not at.exception
    widget(at.radio, "Chart").set_value("run").run()
    assert not at.exception
    assert any("Median" in m.value for m in at.markdown)
    widget(at.radio, "Chart").set_value("p").run()
    assert not at.exception and not at.warning
    widget(at.radio, "Chart").set_value("p'").run()
    assert not at.exception and not at.warning
    assert any("Laney p' chart: the limits are widened" in m.value for m in at.markdown)


def test_a_measure_with_an_exposure_column_is_offered_and_recommended_a_u_chart(demo_db):
    projects = [
        ["project_id", "org_code", "title", "aim", "start_date", "measure_name"]
        + ["improvement_direction"],
        ["ZA1-900", "ZA1", "Fewer line infections", "Halve CLABSI by March", "2024-01-01"]
        + ["Line infections", "decrease"],
    ]
    # Infections and occupied bed days ("count" and "bed days" are header synonyms).
    counts = [4, 6, 3, 5, 7, 2, 4, 5, 3, 6, 4, 1, 2, 1]
    bed_days = [2100, 2400, 1900, 2300, 2500, 2000, 2200, 2350, 2050, 2450, 2150, 2000, 1950, 2100]
    months = pd.date_range("2024-01-01", periods=14, freq="MS")
    measures = [["project_id", "date", "count", "bed days"]] + [
        ["ZA1-900", d.date(), c, b] for d, c, b in zip(months, counts, bed_days, strict=True)
    ]
    prepared = prepare_upload(
        demo_db,
        xlsx_bytes(
            {
                "Projects": projects,
                "Cycles": [["project_id", "cycle_no", "start_date"]],
                "Measures": measures,
            }
        ),
        "infections.xlsx",
        "pdsa",
    )
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(demo_db, prepared)
    stored = queries.pdsa_measures(demo_db, LOCAL, project_ids=["ZA1-900"])
    assert stored["exposure"].tolist() == bed_days
    at = run_page()
    widget(at.selectbox, "Project to look at").set_value("ZA1-900").run()
    assert not at.exception
    chart = widget(at.radio, "Chart")
    assert "u-chart (recommended)" in chart.options and chart.value == "u"
    assert "c-chart" in chart.options
    assert not any(o.startswith("p") for o in chart.options)  # no proportions here
    assert any(c.value.startswith("Recommended: u-chart") for c in at.caption)
    # 53 infections in 30,450 bed days: 1.74 per 1,000 bed days (the smallest power of ten
    # that puts the rate at 1 or more); the latest, 1 in 2,100: 0.48.
    reading = " ".join(m.value for m in at.markdown)
    assert "Rates are per 1,000 of exposure" in reading
    assert "centre line of 1.74" in reading and "The latest point (0.48, 1 Feb 2025)" in reading
    chart.set_value("c").run()
    assert not at.exception and not at.warning


def test_logging_a_cycle_through_the_form_adds_it(demo_db):
    at = run_page()
    project_id = widget(at.selectbox, "Project to look at").value
    before = cycles_of(demo_db, project_id)
    next_no = int(before["cycle_no"].max()) + 1
    assert widget(at.number_input, "Cycle number").value == next_no
    widget(at.date_input, "Start date").set_value(dt.date(2025, 12, 1))
    widget(at.text_input, "Change tested").input("Welcome pack, every shift")
    widget(at.text_area, "Prediction: what do we expect to happen?").input("More positive")
    widget(at.selectbox, "Decision").set_value("adapt")
    widget(at.button, "Save cycle").click()
    at.run()
    assert not at.exception and not at.error
    after = cycles_of(demo_db, project_id)
    assert len(after) == len(before) + 1
    new = after[after["cycle_no"] == next_no].iloc[0]
    assert new["change_tested"] == "Welcome pack, every shift"
    assert new["decision"] == "adapt"
    assert new["start_date"] == dt.date(2025, 12, 1)
    assert any(f"Cycle {next_no} of {project_id} saved" in s.value for s in at.success)
    # Shown at once: the number for the next cycle has moved on.
    assert widget(at.number_input, "Cycle number").value == next_no + 1


def test_a_duplicate_cycle_number_shows_the_error_and_saves_nothing(demo_db):
    at = run_page()
    project_id = widget(at.selectbox, "Project to look at").value
    before = cycles_of(demo_db, project_id)
    widget(at.number_input, "Cycle number").set_value(1)
    widget(at.date_input, "Start date").set_value(dt.date(2025, 12, 1))
    widget(at.button, "Save cycle").click()
    at.run()
    assert not at.exception
    [error] = at.error
    assert "The cycle was not saved" in error.value
    assert "Cycle number: already loaded in upload" in error.value
    assert len(cycles_of(demo_db, project_id)) == len(before)


def test_adding_a_measure_value_through_the_form(demo_db):
    at = run_page()
    project_id = widget(at.selectbox, "Project to look at").value
    before = queries.pdsa_measures(demo_db, LOCAL, project_ids=[project_id])
    widget(at.date_input, "Date").set_value(dt.date(2025, 12, 1))
    measure = [w for w in at.number_input if w.label not in ("Cycle number",)][0]
    measure.set_value(88.5)
    widget(at.button, "Save value").click()
    at.run()
    assert not at.exception and not at.error
    after = queries.pdsa_measures(demo_db, LOCAL, project_ids=[project_id])
    assert len(after) == len(before) + 1
    assert after["value"].iloc[-1] == 88.5


def test_page_with_an_empty_database_says_so_plainly(empty_db):
    at = run_page()
    assert not at.error
    [info] = at.info
    assert "There are no PDSA projects yet" in info.value
    assert not at.dataframe


def test_the_registry_is_built_once_and_the_filters_only_pick_its_rows(demo_db, monkeypatch):
    """Issue 20: the page used to build every measure's icons twice (all projects, then the
    filtered ones under another cache key) and again whenever a filter changed."""
    from impact_data.views import pdsa as views

    everything = views.project_summary(demo_db, LOCAL)
    status = everything["status"].dropna().iloc[0]
    team = everything["team"].dropna().iloc[0]
    built = []
    real = views.registry_of
    monkeypatch.setattr(views, "registry_of", lambda *a, **k: built.append(1) or real(*a, **k))
    at = run_page()
    assert len(built) == 1
    pd.testing.assert_frame_equal(at.dataframe[0].value, everything, check_dtype=False)
    widget(at.multiselect, "Status").set_value([status]).run()
    widget(at.multiselect, "Team").set_value([team]).run()
    assert not at.exception
    assert len(built) == 1
    shown = at.dataframe[0].value
    monkeypatch.setattr(views, "registry_of", real)
    expected = views.project_summary(demo_db, LOCAL, statuses=[status], teams=[team])
    assert 0 < len(shown) < len(everything)
    assert shown["project_id"].tolist() == expected["project_id"].tolist()
    for column in ("variation_icon", "assurance_icon", "cycles", "latest_decision"):
        assert shown[column].tolist() == expected[column].tolist(), column
    assert any(
        c.value.startswith(f"{len(shown)} of {len(everything)} projects") for c in at.caption
    )
