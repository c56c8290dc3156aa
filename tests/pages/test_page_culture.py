"""The Culture page with AppTest, on a temporary SQLite database (the sample system or empty)."""

from __future__ import annotations

import json

from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.measures.culture import MeasureDefinition, culture_scores, save_version
from impact_data.views import culture as views
from tests.conftest import ROOT

PAGE = ROOT / "pages" / "culture.py"
LOCAL = Viewer.local()


def _run(at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(str(PAGE), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [i.value for i in at.info] + [h.value for h in [*at.header, *at.subheader]]
    return "\n".join(parts)


def _charts(at: AppTest) -> list[tuple[dict, list]]:
    """Each chart's spec and the data frames it was sent."""
    out = []
    for chart in at.get("vega_lite_chart"):
        frames = [
            dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data)
            for d in chart.proto.datasets
        ]
        out.append((json.loads(chart.proto.spec), frames))
    return out


def test_the_page_shows_the_sample_with_its_measure_version_and_figures(demo_db):
    at = _run()
    assert at.title[0].value == "Culture"
    assert "**Measure: Improvement culture, version 1**" in _texts(at)
    # Every chart says which version of the measure it uses.
    charts = _charts(at)
    assert len(charts) >= 6
    for spec, _ in charts:
        assert "Improvement culture, version 1" in json.dumps(spec), spec.get("title")
    # A known figure: the first organisation's overall measure in the latest year.
    scores = views.org_scores(demo_db, LOCAL)
    first = views.organisations_with_scores(scores)[0]
    overall = scores["overall"].set_index(["org_code", "period"])
    expected = overall.at[(first, 2025), "score"]
    metric = at.metric[0]
    assert metric.label == "Overall, 2025" and metric.value == f"{expected:.1f}%"
    assert at.selectbox(key="culture_detail_org").value == first
    # The text alternative of the over-time chart is the data layer's own sentence.
    trend = views.over_time(scores, "Overall", 2021, 2025)
    assert views.describe_over_time(trend) in [c.value for c in at.caption]
    # The year-on-year sentences are the statistics' own words.
    changes = views.real_change(demo_db, LOCAL, org_codes=tuple(scores["overall"]["org_code"]))
    for name, sentence in views.change_sentences(changes, "Overall"):
        assert f"**{name}**: {sentence}" in _texts(at)
    assert at.get("download_button"), "every chart has its downloads"


def test_pulse_months_dimensions_and_staff_groups_render(demo_db):
    at = _run()
    at.radio(key="culture_source").set_value("pulse")
    _run(at)
    scores = views.org_scores(demo_db, LOCAL, source="pulse")
    last = views.periods(scores)[-1]
    first = views.organisations_with_scores(scores)[0]
    card = views.headline(scores, first, last)[0]
    assert at.metric[0].label == f"Overall, {views.period_label(last)}"
    assert at.metric[0].value == card["value"]
    assert "Pulse survey (monthly)" in json.dumps(_charts(at)[0][0])
    at.selectbox(key="culture_dimension").set_value("Voice and involvement")
    at.radio(key="culture_level").set_value("staff_group")
    _run(at)
    assert any("by staff group" in json.dumps(spec) for spec, _ in _charts(at))
    at.selectbox(key="culture_dimension").set_value("Team working")  # not in the pulse survey
    _run(at)
    assert "No monthly pulse survey results on Team working" in _texts(at)


def test_small_teams_are_named_as_suppressed_and_never_shown(demo_db):
    at = _run()
    at.select_slider(key="culture_periods_staff_survey").set_value((2021, 2023))
    at.selectbox(key="culture_detail_org").set_value("ZA1")
    _run(at)
    hidden_teams = {"Pharmacy"}  # fewer than 11 in 2023
    # What their scores would be without suppression, to search the page for.
    demo_db.set_setting("suppression_threshold", 1)
    unsuppressed = culture_scores(demo_db, LOCAL, level="team", org_codes=["ZA1"])["overall"]
    demo_db.set_setting("suppression_threshold", 11)
    rows = unsuppressed[(unsuppressed["period"] == 2023) & unsuppressed["team"].isin(hidden_teams)]
    secrets = {f"{v:.4f}" for v in rows[["score", "ci_low", "ci_high"]].to_numpy().ravel()}
    assert len(secrets) == 3

    table = next(d.value for d in at.dataframe if "Team" in d.value.columns)
    table = table[table["Team"].isin(hidden_teams)]
    assert set(table["Team"]) == hidden_teams
    for column in ("% favourable", "95% interval from", "95% interval to", "Responses"):
        assert set(table[column]) == {"suppressed"}
    # Pharmacy has fewer than 11 responses. The organisation's own total (3,761 answers to
    # q3f) counts thousands of people in no listed team, so the part of it no team shows is
    # large and no second team needs hiding (the old rule hid Emergency Department).
    reasons = dict(zip(table["Team"], table["Why not shown"], strict=True))
    assert reasons == {"Pharmacy": views.suppression_reason("small number", 11)}
    notes = _texts(at)
    for team, reason in reasons.items():
        assert f"{team}: {reason}." in notes
    breakdown = [
        (spec, frames) for spec, frames in _charts(at) if "by team" in json.dumps(spec["title"])
    ]
    assert breakdown
    for _, frames in breakdown:
        for frame in frames:
            cells = {f"{v:.4f}" for v in frame.select_dtypes("number").to_numpy().ravel()}
            assert not secrets & cells
            if "group" in frame and "label" in frame:
                marked = frame[frame["group"].isin(hidden_teams)]
                assert set(marked["label"]) <= {"suppressed"}


def test_an_older_version_stays_viewable(demo_db):
    smaller = MeasureDefinition.from_dict(
        {"name": "Voice only", "dimensions": [{"name": "Voice", "questions": ["q3c", "q3d"]}]}
    )
    save_version(demo_db, LOCAL, smaller, "a narrower measure for the test")
    at = _run()
    assert "**Measure: Voice only, version 2**" in _texts(at)
    assert all("Voice only, version 2" in json.dumps(spec) for spec, _ in _charts(at))
    at.selectbox(key="culture_version").set_value(1)
    _run(at)
    assert "**Measure: Improvement culture, version 1**" in _texts(at)
    assert "You are looking at an older version. The current one is version 2." in _texts(at)
    assert all("Improvement culture, version 1" in json.dumps(spec) for spec, _ in _charts(at))


def test_an_empty_database_says_so_in_plain_words(empty_db):
    at = _run()
    assert "There are no organisations yet" in _texts(at)
    assert "**Measure: Improvement culture, version 1**" in _texts(at)
    assert not _charts(at)
