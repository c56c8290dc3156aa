"""The Compare page, run headless with AppTest on the sample system and on an empty database."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.measures import queries
from impact_data.store.db import Database
from impact_data.views import compare
from tests.conftest import ROOT

PAGE = str(ROOT / "pages" / "compare.py")
LOCAL = Viewer.local()


def run_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def widget(elements, label: str):
    [found] = [w for w in elements if w.label == label]
    return found


# Each table on the page, by a column only it (and the funnel's two tables) has.
TABLES = {
    "funnel_outside": "Where it falls",
    "trend_table": "Variation (SPC)",
    "learn_table": "Evidence",
    "reach_table": "Stands out",
    "visits_log": "What was learned",
}
EVERY_ORGANISATION = "Every organisation in the funnel plot"


def screen(at: AppTest, name: str) -> pd.DataFrame:
    """A table on the page, by name."""
    if name == "funnel_all":
        [box] = [e for e in at.expander if e.label == EVERY_ORGANISATION]
        return box.dataframe[0].value.reset_index(drop=True)
    frames = [d.value for d in at.dataframe if TABLES[name] in d.value.columns]
    if name == "funnel_outside":
        frames = frames[:-1]  # the last is every organisation's, in its expander
    return frames[0].reset_index(drop=True)


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
    # Who could we learn from, for the chosen organisation (limits adjusted as on the funnel).
    suggestions = compare.learn_from(
        demo_db, LOCAL, org, compare.measure_options(demo_db, LOCAL)[0]
    )
    if suggestions.empty:
        assert any("No organisation is significantly better" in i.value for i in at.info)
    else:
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


def test_funnel_caption_names_the_method_and_an_analyst_can_switch_it_off(demo_db):
    at = run_page()
    measure = compare.measure_options(demo_db, LOCAL, statistic="proportion")[0]
    adjusted = compare.funnel_frame(demo_db, LOCAL, measure)
    # The sample system's organisations differ beyond chance, as real trusts do.
    assert adjusted.attrs["method"] == "additive" and adjusted.attrs["phi"] > 5
    captions = " ".join(c.value for c in at.caption)
    assert "Limits widened for over-dispersion" in captions
    assert "additive random-effects method" in captions
    assert f"phi {adjusted.attrs['phi']:.2f}" in captions
    assert at.radio(key="funnel_limits").value == "auto"
    at.radio(key="funnel_limits").set_value("none").run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(c.value for c in at.caption)
    assert "binomial limits, not adjusted for over-dispersion, as chosen" in captions
    unadjusted = compare.funnel_frame(demo_db, LOCAL, measure, overdispersion="none")
    expected = compare.funnel_table(compare.outside_limits(unadjusted))
    assert screen(at, "funnel_outside")["Code"].tolist() == expected["Code"].tolist()
    # Unadjusted binomial limits flag more organisations than the adjusted ones.
    assert len(compare.outside_limits(unadjusted)) > len(compare.outside_limits(adjusted))


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
