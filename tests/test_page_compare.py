"""The Compare page, run headless with AppTest on the sample system and on an empty database."""

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
from impact_data.views import compare

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "compare.py")
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
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def widget(elements, label: str):
    [found] = [w for w in elements if w.label == label]
    return found


# Each table on the page, by a column only it has (and its place among those that have it).
TABLES = {
    "funnel_outside": ("Where it falls", 0),
    "funnel_all": ("Where it falls", 1),
    "trend_table": ("Variation (SPC)", 0),
    "learn_table": ("Evidence", 0),
    "reach_table": ("Stands out", 0),
    "visits_log": ("What was learned", 0),
}


def screen(at: AppTest, name: str) -> pd.DataFrame:
    column, nth = TABLES[name]
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    return frames[nth].reset_index(drop=True)


def first_org(db: Database) -> str:
    return next(iter(compare.organisation_names(db, LOCAL)))


def test_page_renders_the_sample_and_shows_the_data_layer_numbers(demo_db):
    at = run_page()
    assert at.title[0].value == "Compare"
    assert not at.error
    org = first_org(demo_db)
    assert at.selectbox(key="compare_org").value == org
    # The funnel plot's table is the data layer's, number for number.
    measure = compare.measure_options(demo_db, LOCAL, statistic="proportion")[0]
    funnel = compare.funnel_frame(demo_db, LOCAL, measure)
    expected = compare.funnel_table(funnel)
    shown = screen(at, "funnel_all")
    assert shown["Code"].tolist() == expected["Code"].tolist()
    for column in ("Responses", "% favourable", "System value", "99.8% limit to"):
        assert shown[column].astype(float).tolist() == pytest.approx(
            expected[column].astype(float).tolist(), nan_ok=True
        )
    # A known number: the system value in the chart's text alternative.
    system = f"system value {funnel.attrs['system_value']:.1f}%"
    assert any(system in c.value for c in at.caption)
    outside = screen(at, "funnel_outside")
    assert outside["Code"].tolist() == compare.outside_limits(funnel)["org_code"].tolist()
    # Who could we learn from, for the chosen organisation.
    suggestions = compare.learn_from(
        demo_db, LOCAL, org, compare.measure_options(demo_db, LOCAL)[0]
    )
    assert screen(at, "learn_table")["Code"].tolist() == suggestions["org_code"].tolist()
    # The learning visits log, and who stands out.
    assert len(screen(at, "visits_log")) == len(queries.visits(demo_db, LOCAL))
    warning = " ".join(w.value for w in at.warning)
    reach = compare.visit_reach(demo_db, LOCAL)
    for name in reach.loc[reach["never_visiting"] | reach["never_visited"], "org_name"]:
        assert name in warning
    # Trends open on the monthly pulse measure, with SPC icons.
    icons = screen(at, "trend_table")["Variation (SPC)"].tolist()
    assert any(icon.startswith("●") for icon in icons)
    labels = [b.label for b in at.get("download_button")]
    assert "Download board pack (PDF)" in labels
    assert labels.count("Download CSV") == labels.count("Download Excel") >= 7


def test_peer_group_limits_the_comparison(demo_db):
    at = run_page()
    group = "Acute and acute & community trusts"
    at.selectbox(key="compare_peer").select(group).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = screen(at, "funnel_all")
    assert set(shown["Peer group"]) == {group}
    measure = compare.measure_options(demo_db, LOCAL, statistic="proportion")[0]
    funnel = compare.funnel_frame(demo_db, LOCAL, measure, peer_group=group)
    assert shown["System value"].astype(float).iloc[0] == pytest.approx(
        round(funnel.attrs["system_value"], 1)
    )


def test_recording_a_visit_in_the_form(demo_db):
    at = run_page()
    before = len(queries.visits(demo_db, LOCAL))
    names = compare.organisation_names(demo_db, LOCAL)
    codes = list(names)
    widget(at.selectbox, "Visiting organisation").select(codes[0])
    widget(at.selectbox, "Host organisation").select(codes[1])
    widget(at.date_input, "Date of the visit").set_value(dt.date(2025, 9, 9))
    widget(at.text_input, "Theme").input("=Tiered huddles")
    widget(at.number_input, "Participants").set_value(6)
    widget(at.button, "Save the visit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    visits = queries.visits(demo_db, LOCAL)
    assert len(visits) == before + 1
    new = visits[visits["theme"] == "=Tiered huddles"].iloc[0]
    assert (new["from_org"], new["to_org"]) == (codes[0], codes[1])
    assert any("Saved" in s.value for s in at.success)
    assert len(screen(at, "visits_log")) == before + 1


def test_a_refused_visit_says_why_and_saves_nothing(demo_db):
    at = run_page()
    before = len(queries.visits(demo_db, LOCAL))
    code = first_org(demo_db)
    widget(at.selectbox, "Visiting organisation").select(code)
    widget(at.selectbox, "Host organisation").select(code)
    widget(at.button, "Save the visit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("two different organisations" in e.value for e in at.error)
    assert len(queries.visits(demo_db, LOCAL)) == before


def test_empty_database_renders_without_exception(empty_db):
    at = run_page()
    assert at.title[0].value == "Compare"
    assert any("no organisations yet" in i.value for i in at.info)
    assert not at.dataframe
