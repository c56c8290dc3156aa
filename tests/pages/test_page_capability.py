"""Improvement capability on the pages (AppTest on the sample system): the Overview's tab for one
organisation, Compare's side-by-side table, Settings' level names; and the chart builders."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
from streamlit.testing.v1 import AppTest

from impact_data.access import Viewer
from impact_data.measures.period import default_period
from impact_data.views import capability
from tests.conftest import ROOT
from ui.charts import capability as charts

APP = str(ROOT / "app.py")
LOCAL = Viewer.local()
NORTHMOOR = "Northmoor Hospitals NHS Foundation Trust"


def _run(path: str) -> AppTest:
    at = AppTest.from_file(path, default_timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frames_with(at: AppTest, column: str) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if column in d.value.columns]


def test_overview_shows_people_per_level_per_1000_staff_and_change(demo_db):
    at = _run(APP)
    at.selectbox(key="overview_org").select("ZA1").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Improvement capability" in [t.label for t in at.tabs]
    expected = capability.org_capability(demo_db, LOCAL, "ZA1", as_of=default_period(demo_db).end)
    assert expected.as_of == dt.date(2025, 9, 30)
    [levels] = _frames_with(at, "Change since previous date")
    pd.testing.assert_frame_equal(levels.reset_index(drop=True), expected.level_table())
    assert levels["Level"].tolist() == [
        "Awareness",
        "Foundation",
        "Practitioner",
        "Coach",
        "Expert",
    ]
    assert levels.loc[0, "Per 1,000 staff"] == "304.2"  # 2,434 of 8,000 staff
    captions = " ".join(c.value for c in at.caption)
    assert f"Improvement capability of {NORTHMOOR} as at 30 September 2025" in captions
    assert "4 dates from 31 March 2024 to 30 September 2025" in captions
    # The team breakdown: the small team and one more are hidden.
    [teams] = _frames_with(at, "Staff group")
    practitioners = teams[teams["Level"] == "Practitioner"]
    assert (practitioners["People trained"] == "suppressed").sum() >= 2
    markdown = " ".join(m.value for m in at.markdown)
    assert "guide#capability" in captions + markdown


def test_overview_without_a_staff_number_says_so(demo_db):
    at = _run(APP)
    at.selectbox(key="overview_org").select("ZJ1").run()
    assert not at.exception and not at.error
    [levels] = _frames_with(at, "Change since previous date")
    assert set(levels["Per 1,000 staff"]) <= {"staff number not given", "suppressed"}
    assert "staff number not given" in set(levels["Per 1,000 staff"])


def test_compare_shows_organisations_side_by_side_without_ranks(demo_db):
    at = _run(str(ROOT / "pages" / "compare.py"))
    assert "Improvement capability" in [t.label for t in at.tabs]
    [shown] = _frames_with(at, "Awareness per 1,000 staff")
    expected = capability.compare_capability(
        demo_db, LOCAL, as_of=default_period(demo_db).end
    ).table()
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected)
    assert len(shown) == 10
    assert shown["Organisation"].tolist() == sorted(shown["Organisation"])
    assert not any("rank" in c.lower() for c in shown.columns)
    row = shown.set_index("Organisation").loc[NORTHMOOR]
    assert row["Awareness per 1,000 staff"] == "304.2"
    assert row["Staff"] == "8,000"
    assert any("People trained per 1,000 staff, per level" in c.value for c in at.caption)


def test_compare_on_an_empty_database_explains(empty_db):
    from impact_data.ingest.uploads import load_file

    load_file(empty_db, ROOT / "sample_data" / "demo" / "organisations.xlsx", "organisations")
    at = _run(str(ROOT / "pages" / "compare.py"))
    assert any("No improvement capability figures yet" in i.value for i in at.info)


def test_settings_renames_the_capability_levels(demo_db):
    at = _run(str(ROOT / "pages" / "settings.py"))
    assert "Capability levels" in [t.label for t in at.tabs]
    at.text_input(key="capability_level_1").set_value("Bronze")
    at.text_input(key="capability_level_2").set_value("Silver")
    next(b for b in at.button if b.label == "Save capability levels").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Capability levels saved" in s.value for s in at.success)
    assert capability.level_labels(demo_db, LOCAL)[:3] == ["Bronze", "Silver", "Practitioner"]
    levels = capability.org_capability(demo_db, LOCAL, "ZA1").level_table()
    assert levels["Level"].tolist()[:2] == ["Bronze", "Silver"]
    # A clash is refused in words and nothing changes.
    at.text_input(key="capability_level_3").set_value("bronze")
    next(b for b in at.button if b.label == "Save capability levels").click().run()
    assert any("same label" in e.value for e in at.error)
    assert capability.level_labels(demo_db, LOCAL)[2] == "Practitioner"


def _tooltips_everywhere(spec: dict, inherited: dict | None = None) -> bool:
    encoding = {**(inherited or {}), **spec.get("encoding", {})}
    ok = "mark" not in spec or "tooltip" in encoding
    for key in ("layer", "hconcat", "vconcat"):
        ok = ok and all(_tooltips_everywhere(c, encoding) for c in spec.get(key, []))
    if "spec" in spec:
        ok = ok and _tooltips_everywhere(spec["spec"], encoding)
    return ok


def test_chart_builders_make_valid_specs_without_hidden_figures(demo_db):
    labels = capability.level_labels(demo_db, LOCAL)
    detail = capability.org_capability(demo_db, LOCAL, "ZA1")
    comparison = capability.compare_capability(demo_db, LOCAL)
    for chart in (
        charts.levels_chart(detail.levels, labels, org_name="N"),
        charts.over_time_chart(detail.over_time, labels, org_name="N"),
        charts.compare_chart(comparison.chart_frame(), labels),
    ):
        spec = chart.to_dict()  # validates against the Vega-Lite schema
        assert _tooltips_everywhere(spec)
        assert isinstance(chart, alt.TopLevelMixin)
    drawn = charts.over_time_chart(detail.over_time, labels, org_name="N").data
    assert not drawn["suppressed"].any()
