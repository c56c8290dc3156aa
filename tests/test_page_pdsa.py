"""The PDSA & measures page, run headless with AppTest on the sample data and on no data."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.demo import load_demo
from impact_data.measures import queries
from impact_data.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "pdsa.py")  # AppTest resolves a relative path from this file
LOCAL = Viewer.local()


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    """The sample data loaded once into a SQLite file; each test works on a copy."""
    path = tmp_path_factory.mktemp("demo") / "impact.db"
    db = Database(f"sqlite:///{path}")
    load_demo(db)
    db.dispose()
    return path


@pytest.fixture
def demo_db(demo_file, tmp_path, monkeypatch) -> Database:
    path = tmp_path / "impact.db"
    shutil.copy(demo_file, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    db = Database(url)
    yield db
    db.dispose()


@pytest.fixture
def empty_db(tmp_path, monkeypatch) -> Database:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    db = Database(url)
    yield db
    db.dispose()


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
    assert chart.options == ["XmR chart", "Run chart", "p-chart"]
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
