"""The Culture page's tables: values by hand, and no suppressed figure in any table, chart or
download."""

from __future__ import annotations

import contextlib
import io
import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from impact_data.access import Viewer
from impact_data.exports import to_csv_bytes, to_xlsx_bytes
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures.culture import MeasureDefinition, save_version
from impact_data.views import culture as views
from tests.files import ORGS, csv_bytes
from ui.charts import culture as charts

LOCAL = Viewer.local()
SMALL = MeasureDefinition.from_dict(
    {
        "name": "Test measure",
        "dimensions": [
            {"name": "Voice", "questions": [{"code": "q3c"}, {"code": "q3d", "weight": 2}]},
            {"name": "Leaders", "questions": [{"code": "q9f", "higher_is_better": False}]},
        ],
    }
)
# Figures that must never be shown: a small team (23.4% of 5), the team hidden to protect it
# (47.3% of 30) and an organisation's question answered by 8 people (43.7%).
HIDDEN_SURVEY = {23.4, 47.3, 43.7}


def _load(db, rows, name, kind="staff_survey"):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(db, prepared)


@pytest.fixture
def survey(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    head = ["org_code", "year", "question_code", "responses", "positive_pct", "team"]
    _load(
        db,
        [
            head,
            ["ZA1", 2023, "q3c", 100, 50, None],
            ["ZA1", 2023, "q3d", 200, 60, None],
            ["ZA1", 2023, "q9f", 150, 30, None],
            ["ZA1", 2024, "q3c", 100, 70, None],
            ["ZA1", 2024, "q3d", 200, 80, None],
            ["ZA1", 2024, "q9f", 150, 30, None],
            ["ZB1", 2024, "q3c", 8, 43.7, None],
            ["ZB1", 2024, "q3d", 120, 65, None],
            ["ZB1", 2024, "q9f", 90, 40, None],
            ["ZA1", 2023, "q3c", 5, 23.4, "Team A"],
            # Teams A-C make up all 100 of ZA1's q3c answers in 2023 (nobody without a team).
            ["ZA1", 2023, "q3c", 65, 55, "Team B"],
            ["ZA1", 2023, "q3c", 30, 47.3, "Team C"],
        ],
        "survey.csv",
    )
    version = save_version(db, LOCAL, SMALL, "a small measure for testing")
    return db, version.version


def _numbers(value) -> set[float]:
    """Every number in a nested structure (a chart spec, a frame), rounded to 1 decimal."""
    found: set[float] = set()
    if isinstance(value, dict):
        for item in value.values():
            found |= _numbers(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= _numbers(item)
    elif isinstance(value, pd.DataFrame):
        found |= _numbers(value.to_dict("records"))
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
        found.add(round(float(value), 1))
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            found.add(round(float(value), 1))
    return found


def _download_numbers(table: pd.DataFrame) -> set[float]:
    """Every number in the CSV and the .xlsx made from a download table."""
    found: set[float] = set()
    for line in to_csv_bytes(table).decode("utf-8-sig").splitlines():
        found |= _numbers(line.split(","))
    book = load_workbook(io.BytesIO(to_xlsx_bytes({"Data": table})))
    for row in book.active.iter_rows(values_only=True):
        found |= _numbers(list(row))
    return found


def test_scores_over_time_side_by_side_and_questions_by_hand(survey):
    db, version = survey
    scores = views.org_scores(db, LOCAL, version=version)
    assert views.periods(scores) == [2023, 2024]
    assert views.organisations_with_scores(scores) == ["ZA1", "ZB1"]
    voice = views.over_time(scores, "Voice").set_index(["org_code", "period"])
    assert voice.at[("ZA1", 2023), "score"] == pytest.approx((50 + 2 * 60) / 3)
    assert voice.at[("ZA1", 2024), "score"] == pytest.approx((70 + 2 * 80) / 3)
    assert voice.at[("ZA1", 2023), "org_name"] == "Northmoor Hospitals"
    assert voice.at[("ZA1", 2023), "period_label"] == "2023"
    # ZB1's q3c is hidden (8 responses), so its Voice rests on q3d alone.
    assert voice.at[("ZB1", 2024), "score"] == pytest.approx(65.0)
    assert views.over_time(scores, "Voice", 2024, 2024)["period"].tolist() == [2024, 2024]
    assert voice.attrs["measure"] == "Test measure, version 2"

    side = views.side_by_side(scores, 2024)
    zb1 = side[side["org_code"] == "ZB1"].set_index("dimension")
    assert zb1["score"].to_dict() == pytest.approx(
        {"Voice": 65.0, "Leaders": 60.0, "Overall": 62.5}
    )
    assert zb1.index.tolist() == ["Voice", "Leaders", "Overall"]  # the measure's order

    questions = views.question_detail(scores, "ZB1", 2024).set_index("question_code")
    assert bool(questions.at["q3c", "suppressed"]) and math.isnan(
        questions.at["q3c", "favourable_pct"]
    )
    assert questions.at["q3c", "reason"] == (
        "fewer than 11 responses, so it is not shown to protect anonymity"
    )
    assert questions.at["q9f", "favourable_pct"] == pytest.approx(60.0)  # lower is better
    only_voice = views.question_detail(scores, "ZA1", 2023, "Voice")
    assert only_voice["question_code"].tolist() == ["q3c", "q3d"]

    cells = views.heatmap(scores, 2024).set_index(["org_code", "question_code"])
    assert cells.at[("ZB1", "q3c"), "cell_text"] == "suppressed"
    assert cells.at[("ZA1", "q3d"), "cell_text"] == "80%"

    cards = {c["dimension"]: c for c in views.headline(scores, "ZA1", 2024)}
    assert list(cards) == ["Overall", "Voice", "Leaders"]
    assert cards["Voice"]["value"] == f"{(70 + 160) / 3:.1f}%"
    assert cards["Voice"]["delta"] == f"{(230 - 170) / 3:+.1f} pp since 2023"
    assert cards["Leaders"]["delta"] == "0.0 pp since 2023" and not cards["Leaders"]["moved"]


def test_team_breakdown_explains_primary_and_secondary_suppression(survey):
    db, version = survey
    groups = views.group_scores(db, LOCAL, "ZA1", level="team", version=version)
    table = views.breakdown(groups, 2023, "Voice").set_index("group")
    assert table.at["Team B", "score"] == pytest.approx(55.0)
    assert table.at["Team A", "suppression"] == "small number"
    assert table.at["Team C", "suppression"] == "secondary"
    notes = views.suppression_notes(table.reset_index(), "group")
    assert notes == [
        "Team A: fewer than 11 responses, so it is not shown to protect anonymity.",
        "Team C: hidden as well, so that a smaller group beside it cannot be worked out from "
        "the total and the other groups.",
    ]
    assert views.describe_breakdown(table.reset_index(), "team") == (
        "1 team shown: Team B (55%). 2 suppressed."
    )


def test_no_hidden_figure_in_any_table_chart_or_download(survey):
    db, version = survey
    scores = views.org_scores(db, LOCAL, version=version)
    groups = views.group_scores(db, LOCAL, "ZA1", level="team", version=version)
    outputs = {
        "over time": views.over_time(scores, "Voice"),
        "side by side": views.side_by_side(scores, 2024),
        "questions": views.question_detail(scores, "ZB1", 2024),
        "heatmap": views.heatmap(scores, 2024),
        "teams": views.breakdown(groups, 2023, "Voice"),
        "teams overall": views.breakdown(groups, 2023),
    }
    built = {
        "over time": charts.over_time_chart(outputs["over time"]),
        "side by side": charts.dimensions_chart(outputs["side by side"]),
        "questions": charts.questions_chart(outputs["questions"]),
        "heatmap": charts.heatmap_chart(outputs["heatmap"]),
        "teams": charts.breakdown_chart(outputs["teams"]),
        "teams overall": charts.breakdown_chart(outputs["teams overall"]),
    }
    for name, frame in outputs.items():
        assert not HIDDEN_SURVEY & _numbers(frame), f"{name}: a hidden figure in the table"
        spec = built[name].to_dict()
        assert not HIDDEN_SURVEY & _numbers(spec["datasets"]), f"{name}: in the chart data"
        table = views.download_table(
            frame,
            {c: c for c in frame.columns if c not in ("period_date",)},
            "Test measure, version 2",
        )
        assert not HIDDEN_SURVEY & _download_numbers(table), f"{name}: in the download"
        hidden_rows = table[frame["suppressed"].astype(bool).to_numpy()]
        if not hidden_rows.empty:
            assert set(hidden_rows["responses"]) == {"suppressed"}
    # The suppressed cells are named, never drawn as a value.
    heat = built["heatmap"].to_dict()["datasets"]
    assert any(row.get("cell_text") == "suppressed" for rows in heat.values() for row in rows)
    teams = built["teams"].to_dict()["datasets"]
    marked = [row for rows in teams.values() for row in rows if row.get("label") == "suppressed"]
    assert {row["group"] for row in marked} == {"Team A", "Team C"}
    assert all(set(row) == {"group", "period_label", "reason", "label"} for row in marked)


def test_download_table_formats_and_says_suppressed(survey):
    db, version = survey
    scores = views.org_scores(db, LOCAL, version=version)
    frame = views.question_detail(scores, "ZB1", 2024)
    table = views.download_table(
        frame,
        {"question_code": "Question", "favourable_pct": "%", "responses": "Responses"}
        | {"higher_is_better": "Higher is better"},
        "Test measure, version 2",
    )
    rows = table.set_index("Question")
    assert rows.columns[0] == "Measure" and set(rows["Measure"]) == {"Test measure, version 2"}
    assert rows.at["q3c", "%"] == "suppressed" and rows.at["q3c", "Responses"] == "suppressed"
    assert rows.at["q9f", "%"] == 60 and rows.at["q9f", "Responses"] == 90
    assert rows.at["q3d", "Higher is better"] == "yes"
    screen = views.screen_table(table)
    assert screen["%"].tolist() == ["suppressed", "65", "60"]


def test_real_change_sentences_for_the_chosen_dimension(survey):
    db, version = survey
    changes = views.real_change(db, LOCAL, version=version, org_codes=("ZA1", "ZB1"))
    assert changes["dimension"].tolist() == ["Overall", "Voice", "Leaders"]  # ZA1 only
    assert changes.attrs["measure"] == "Test measure, version 2"
    assert views.change_sentences(changes, "Voice") == [
        ("Northmoor Hospitals", "Voice rose from 57% to 77% (2023 to 2024), a real change.")
    ]
    assert views.change_sentences(changes, "Leaders")[0][1] == (
        "Leaders stayed at 70% (2023 to 2024); any movement is within normal variation."
    )


# --- pulse respondents ---------------------------------------------------------------------


def _respondents(team: str, day: str, q3c: list[int], q9f: list[int | None] | None = None):
    q9f = q9f or [None] * len(q3c)
    return [["ZA1", day, team, a, b] for a, b in zip(q3c, q9f, strict=True)]


@pytest.fixture
def pulse(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [["org_code", "response_date", "team", "q3c", "q9f"]]
    # January: teams X (12), Y (13) and Z (5); only four people answer q9f.
    rows += _respondents(
        "X", "2025-01-10", [1, 2, 2, 3, 4, 4, 4, 4, 5, 5, 5, 5], [1] * 4 + [None] * 8
    )
    rows += _respondents("Y", "2025-01-12", [2, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5])
    rows += _respondents("Z", "2025-01-14", [3, 3, 3, 3, 3])
    # February: six people, all strongly agreeing: too few to show.
    rows += _respondents("X", "2025-02-10", [5] * 6)
    _load(db, rows, "pulse.csv", "pulse_survey")
    return db


def test_answer_distribution_counts_only_months_already_shown(pulse):
    answers = views.answer_distribution(pulse, LOCAL).set_index("question_code")
    q3c = answers.loc["q3c"]
    # January only (February's 6 people are hidden month by month, so not added in).
    assert q3c["responses"] == 30 and q3c["months"] == 1 and q3c["months_left_out"] == 1
    assert [q3c[f"n_{k}"] for k in range(1, 6)] == [1, 3, 8, 9, 9]
    assert q3c["pct_3"] == pytest.approx(800 / 30)
    assert q3c["favourable_pct"] == pytest.approx(60.0)
    assert q3c["org_name"] == "Northmoor Hospitals"
    q9f = answers.loc["q9f"]
    assert q9f["suppressed"] and q9f["suppression"] == "no month shown"
    assert math.isnan(q9f["responses"]) and math.isnan(q9f["pct_1"])
    assert views.describe_answers(answers.reset_index()) == (
        "Most agreement: q3c (60% agree or strongly agree, 30 responses). Most "
        "disagreement: q3c (13% disagree or strongly disagree). 1 suppressed."
    )
    february = views.answer_distribution(
        pulse, LOCAL, start=pd.Timestamp("2025-02-01").date(), end=pd.Timestamp("2025-02-01").date()
    )
    assert february["suppressed"].all() and february["responses"].isna().all()


def test_answer_distribution_by_team_with_secondary_suppression(pulse):
    teams = views.answer_distribution(pulse, LOCAL, level="team")
    q3c = teams[teams["question_code"] == "q3c"].set_index("team")
    assert q3c.at["Y", "responses"] == 13
    assert [q3c.at["Y", f"n_{k}"] for k in range(1, 6)] == [0, 1, 2, 5, 5]
    assert q3c.at["Y", "favourable_pct"] == pytest.approx(1000 / 13)
    # Z is too small in January and X was hidden beside it (and is too small in February).
    for team in ("X", "Z"):
        assert q3c.at[team, "suppressed"] and math.isnan(q3c.at[team, "responses"])
        assert q3c.at[team, "reason"].startswith("not shown: in every month")
    segments = views.diverging_segments(teams)
    assert set(segments["team"]) == {"Y"}
    hidden = {round(100 * k / 12, 1) for k in (1, 2, 4)} | {100.0}  # team X's and Z's shares
    shown = _numbers(teams) | _numbers(segments)
    assert not hidden & shown
    chart = charts.answers_chart(segments, org_name="Northmoor Hospitals", months="all months")
    assert not hidden & _numbers(chart.to_dict()["datasets"])


def test_diverging_segments_put_disagreement_left_of_zero(pulse):
    answers = views.answer_distribution(pulse, LOCAL)
    segments = views.diverging_segments(answers)
    assert segments["question_code"].unique().tolist() == ["q3c"]
    bars = segments.set_index("answer_value")
    # 1/30 and 3/30 disagree, 8/30 neutral split across 0, then 9/30 and 9/30 agree.
    assert bars.at[1, "x_start"] == pytest.approx(-(100 / 30 + 10 + 400 / 30))
    assert bars.at[3, "x_start"] == pytest.approx(-400 / 30)
    assert bars.at[3, "x_end"] == pytest.approx(400 / 30)
    assert bars.at[5, "x_end"] == pytest.approx(400 / 30 + 60)
    assert bars.at[4, "answer"] == "Agree"


def test_pulse_p_chart_pools_only_visible_questions(pulse):
    charts_by_org = views.pulse_charts(pulse, LOCAL)
    chart = charts_by_org["ZA1"]
    # January: q3c's 18 favourable of 30; q9f (4 people) and February (6) are hidden.
    assert chart["numerator"].tolist() == [18.0] and chart["denominator"].tolist() == [30.0]
    assert chart.attrs["measure"] == "Improvement culture, version 1"
    reading = chart.attrs["reading"]
    assert reading["variation"] == "too_few_points" and reading["months"] == 1
    assert reading["label"] == "Too few months to judge (1 of 12)"
    table = views.p_chart_table(chart)
    assert table["favourable_pct"].tolist() == [60.0]


def test_pulse_charts_chart_the_monthly_scores_of_the_measure(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    rows = [["org_code", "response_date", "q3c", "q9f"]]
    for month in range(1, 13):
        for i in range(20):
            agree = i < (12 if month < 6 else 18)  # seven high months at the end: a shift
            rows.append(["ZA1", f"2025-{month:02d}-{i + 1:02d}", 5 if agree else 2, 4])
    _load(db, rows, "pulse.csv", "pulse_survey")
    mine = views.pulse_charts(db, LOCAL)["ZA1"]
    # The points are the measure's monthly overall scores (the mean of its two dimensions:
    # q3c's 60% or 90% and q9f's 100%), over the 20 people behind each (not their 40
    # answers: the same people answer both questions).
    overall = views.org_scores(db, LOCAL, source="pulse")["overall"]
    assert mine["p"].tolist() == pytest.approx((overall["score"] / 100).tolist())
    assert mine["p"].tolist() == pytest.approx([0.8] * 5 + [0.95] * 7)
    assert mine["denominator"].tolist() == [20.0] * 12
    assert mine["centre"].iloc[0] == pytest.approx((5 * 16 + 7 * 19) / 240)
    assert mine.attrs["chart"] == "p"
    reading = mine.attrs["reading"]
    assert reading["label"] == "Special cause variation: improvement (high)"
    assert reading["sentence"].endswith("a real change for the better.")
    summary = views.pulse_summary_table({"ZA1": mine})
    assert summary.loc[0, "latest_pct"] == pytest.approx(95.0)  # (90 + 100) / 2
    only_leaders = views.pulse_charts(db, LOCAL, dimension="Compassionate leadership")["ZA1"]
    assert only_leaders["p"].tolist() == [1.0] * 12
    assert "common cause" in only_leaders.attrs["reading"]["sentence"]


def test_empty_database_gives_empty_views(db):
    scores = views.org_scores(db, LOCAL)
    assert views.periods(scores) == [] and views.organisations_with_scores(scores) == []
    assert views.answer_distribution(db, LOCAL).empty
    assert views.pulse_charts(db, LOCAL) == {}
    assert views.real_change(db, LOCAL).empty
    assert views.organisation_names(db, LOCAL) == {}
    summary = views.measure_summary(db, LOCAL)
    assert summary["label"] == "Improvement culture, version 1" and summary["is_current"]
    assert views.version_numbers(db, LOCAL) == [1]


def test_period_labels():
    assert views.period_label(2025) == "2025"
    assert views.period_label(pd.Timestamp("2025-11-01").date()) == "Nov 2025"
    assert views.suppression_reason("", 11) == ""
