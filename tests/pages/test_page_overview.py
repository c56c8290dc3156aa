"""The Overview page and its first run (AppTest on the real app.py), and its chart builders."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from impact_data.access import Viewer
from impact_data.demo import load_demo
from impact_data.measures import queries
from impact_data.measures.period import default_period
from impact_data.store.db import Database
from impact_data.views import overview
from tests.conftest import ROOT
from ui.charts import overview as charts
from ui.first_run import PURPOSE, SAMPLE_BUTTON, UPLOAD_BUTTON

APP = str(ROOT / "app.py")
LOCAL = Viewer.local()


@pytest.fixture
def db_url(empty_db) -> str:
    """The empty database's URL, as the app reads it."""
    return empty_db.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def sample_url(demo_db) -> str:
    """The sample system's URL, as the app reads it."""
    return demo_db.engine.url.render_as_string(hide_password=False)


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest) -> pd.DataFrame:
    return at.dataframe(key="overview_table").value


def _expected(url: str) -> pd.DataFrame:
    db = Database(url)
    try:
        as_of = default_period(db).end
        return overview.system_overview(db, LOCAL, as_of=as_of)
    finally:
        db.dispose()


def test_empty_database_explains_and_offers_two_ways_in(db_url):
    at = _app()
    text = " ".join(m.value for m in at.markdown)
    for sentence in PURPOSE:
        assert sentence in text
    assert [b.label for b in at.button] == [SAMPLE_BUTTON, UPLOAD_BUTTON]
    assert not at.dataframe and not at.error


def test_explore_with_sample_data_loads_it_and_shows_the_overview(db_url):
    at = _app()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    db = Database(db_url)
    tables = queries.status(db)["tables"]
    db.dispose()
    assert tables["organisations"] == 10
    assert tables["staff_survey_results"] == 4312
    assert tables["pulse_respondents"] == 5482
    assert tables["pdsa_projects"] == 46
    assert [t.value for t in at.title] == ["System overview"]

    table = _table(at)
    expected = _expected(db_url)
    assert len(table) == 10 == len(expected)
    assert table["Code"].tolist() == expected["org_code"].tolist()
    culture = [float(v.rstrip("%")) for v in table["Culture (% positive)"]]
    assert culture == pytest.approx(expected["culture_positive_pct"].round(1).tolist())
    cycles = [int(v.split()[0]) for v in table["PDSA cycles (last 90 days)"]]
    assert cycles == expected["pdsa_cycles_90d"].tolist()
    readable = overview.overview_table(expected)
    for column in (
        "Change since last year",
        "Culture variation (monthly)",
        "Readiness: commitment (1-5)",
        "NHS IMPACT maturity (mean level 1-5)",
        "PDSA variation (monthly)",
        "Projects with lived experience",
    ):
        assert table[column].tolist() == readable[column].tolist(), column
    # The sample's newest complete month is November 2025: the page says which period it
    # shows and which days "last 90 days" means.
    assert any(
        "Reporting period: November 2025 (2 September - 30 November 2025" in c.value
        for c in at.caption
    )


def test_upload_button_goes_to_the_upload_page(db_url):
    at = _app()
    at.button[1].click().run()
    assert "Welcome to the IMPACT dashboard" not in [t.value for t in at.title]
    assert not any(b.label == SAMPLE_BUTTON for b in at.button)


def test_filter_by_organisation_type_reduces_rows(sample_url):
    at = _app()
    assert len(_table(at)) == 10
    at.multiselect[0].select("acute").run()
    assert not at.exception
    table = _table(at)
    assert table["Code"].tolist() == ["ZC1", "ZA1", "ZB1"]
    at.multiselect[0].select("ambulance").run()
    assert len(_table(at)) == 4


def test_filter_by_system(sample_url):
    at = _app()
    at.multiselect[1].select("Northmoor and Vale ICS").run()
    assert len(_table(at)) == 10


def test_suppressed_values_show_as_suppressed(sample_url):
    at = _app()
    table = _table(at).set_index("Code")
    # ZC1's only readiness check had 10 respondents and ZJ1's 4: fewer than 11.
    for code in ("ZC1", "ZJ1"):
        assert table.at[code, "Readiness: commitment (1-5)"] == "suppressed"
        assert table.at[code, "Readiness: efficacy (1-5)"] == "suppressed"
    assert table.at["ZK1", "Readiness: commitment (1-5)"] == "no data"
    assert "0" not in table.at["ZC1", "Readiness: commitment (1-5)"]


def test_choosing_an_organisation_shows_its_detail(sample_url):
    at = _app()
    at.selectbox(key="overview_org").select("ZE1").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Vale Community Health Services NHS Trust" in [s.value for s in at.subheader]
    assert [t.label for t in at.tabs] == [
        "Culture",
        "Readiness",
        "NHS IMPACT maturity",
        "PDSA",
        "Improvement capability",
    ]
    captions = " ".join(c.value for c in at.caption)
    assert "Special cause" in captions or "Common cause" in captions
    team_tables = [d.value for d in at.dataframe if "Team" in d.value.columns]
    readiness = next(t for t in team_tables if "Commitment (1-5)" in t.columns)
    assert "suppressed" in readiness["Commitment (1-5)"].tolist()  # a team of 9


def test_every_organisation_detail_renders_without_error(sample_url):
    at = _app()
    for code in _table(at)["Code"]:
        at.selectbox(key="overview_org").select(code).run()
        assert not at.exception, (code, [e.value for e in at.exception])
        assert not at.error, code


def test_organisations_without_data_say_so_in_words(db_url):
    from impact_data.ingest.uploads import load_file

    db = Database(db_url)
    load_file(db, ROOT / "sample_data" / "demo" / "organisations.xlsx", "organisations")
    db.dispose()
    at = _app()
    table = _table(at)
    assert len(table) == 10
    assert set(table["Culture (% positive)"]) == {"no data"}
    assert set(table["Culture variation (monthly)"]) == {
        "No monthly pulse survey: annual trend only"
    }
    at.selectbox(key="overview_org").select("ZA1").run()
    assert not at.exception and not at.error
    infos = [i.value for i in at.info]
    assert "No staff survey results for this organisation yet." in infos
    assert "No PDSA projects for this organisation yet." in infos


# --- Chart builders


def _marks_have_tooltips(spec: dict, inherited: dict | None = None) -> list[str]:
    """Marks in a Vega-Lite spec without a tooltip (own or inherited encoding)."""
    encoding = {**(inherited or {}), **spec.get("encoding", {})}
    missing = []
    if "mark" in spec and "tooltip" not in encoding:
        missing.append(str(spec["mark"]))
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []):
            missing += _marks_have_tooltips(child, encoding)
    if "spec" in spec:
        missing += _marks_have_tooltips(spec["spec"], encoding)
    return missing


def _check(chart: alt.TopLevelMixin) -> dict:
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert _marks_have_tooltips(spec) == []
    title = spec.get("title")
    assert title and (title if isinstance(title, str) else title["text"])
    return spec


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('charts') / 'impact.db'}")
    load_demo(db)
    yield db
    db.dispose()


def test_charts_for_every_sample_organisation(sample_db):
    as_of = dt.date(2025, 11, 24)
    by_year = overview.culture_by_year(sample_db, LOCAL)
    _check(charts.culture_trends_chart(by_year))
    assert "10 organisations" in charts.culture_trends_text(by_year)
    for code in by_year["org_code"].unique():
        detail = overview.org_detail(sample_db, LOCAL, code, as_of=as_of)
        _check(charts.culture_questions_chart(detail.culture_questions))
        assert charts.culture_questions_text(detail.culture_questions)
        months = detail.culture_by_month
        _check(charts.culture_month_chart(months, org_name=detail.org_name))
        text = charts.culture_month_text(months, detail.culture_month_summary)
        assert detail.culture_month_summary["label"] in text
        if not detail.readiness_by_round["suppressed"].all():
            _check(charts.readiness_rounds_chart(detail.readiness_by_round))
        if not detail.readiness_by_team.empty and not detail.readiness_by_team["suppressed"].all():
            _check(charts.readiness_team_chart(detail.readiness_by_team))
        _check(charts.maturity_chart(detail.maturity_components))
        assert charts.maturity_text(detail.maturity_components).startswith("Self-assessment of")
        _check(charts.pdsa_month_chart(detail.pdsa_by_month, org_name=detail.org_name))
        assert detail.pdsa_month_summary["label"] in charts.pdsa_month_text(
            detail.pdsa_by_month, detail.pdsa_month_summary
        )


def test_month_chart_points_carry_the_same_point_types_as_the_icon(sample_db):
    months = overview.culture_by_month(sample_db, LOCAL, org_codes=["ZC1"])
    spec = charts.culture_month_chart(months, org_name="Eastbridge").to_dict()
    assert "p-chart" in str(spec["title"])
    summary = overview.culture_month_summary(months)
    assert summary["point_type"] == months["point_type"].iloc[-1]
    assert (months["point_type"] == "special_cause_improvement").sum() >= 3  # the June step


def test_short_series_charts_have_no_limits(sample_db):
    months = overview.culture_by_month(sample_db, LOCAL, org_codes=["ZJ1"])
    assert not months["spc"].any()
    spec = charts.culture_month_chart(months, org_name="Riverside").to_dict()
    assert "Too few months" in str(spec["title"])
    assert "upper" not in str(spec) and "ucl" not in str(spec["layer"])
