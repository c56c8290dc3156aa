"""One culture figure on every screen: for the same organisation and period, the Culture page,
the Overview, Compare, the board pack and `python -m impact_data export` give the same number,
yearly and monthly, with a lower-is-better question in the measure (SQLite and PostgreSQL).

The issue measured the Overview's monthly figure at 100.0% where the Culture page showed 50.0%:
the Overview counted answers of 4-5 and ignored the question's direction. Here every pulse
respondent strongly agrees with both questions: the higher-is-better one is 100% favourable,
the lower-is-better one 0%, so the measure (the mean of its two dimensions) is 50%.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.cli import main as cli_main
from impact_data.exports import export_tables
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures.culture import MeasureDefinition, save_version
from impact_data.views import compare, overview
from impact_data.views import culture as culture_views
from tests.files import ORGS, csv_bytes
from ui.board_pack import culture_pack_figures

LOCAL = Viewer.local()
MEASURE = MeasureDefinition.from_dict(
    {
        "name": "Culture with a reversed question",
        "dimensions": [
            {"name": "Voice", "questions": [{"code": "q3c"}, {"code": "q3d", "weight": 2}]},
            {"name": "Pressure", "questions": [{"code": "q11c", "higher_is_better": False}]},
        ],
    }
)
YEAR = 2025
MONTH = dt.date(2025, 11, 1)
# By hand. Staff survey 2025, ZA1: Voice = (70 + 2 x 40) / 3 = 50; Pressure = 100 - 30 = 70
# (30% report pressure, the unfavourable answer); overall = (50 + 70) / 2 = 60.
YEARLY = {"ZA1": 60.0, "ZB1": (80.0 + (100 - 50)) / 2}
# Pulse, ZA1, November 2025: everyone answers 5 to q3c (favourable) and to q11c (unfavourable,
# lower is better): Voice 100, Pressure 0, overall 50 (the old Overview said 100).
MONTHLY = {"ZA1": 50.0}


def _load(db, rows, name: str, kind: str) -> None:
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(db, prepared)


@pytest.fixture
def system(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    head = ["org_code", "year", "question_code", "responses", "positive_pct"]
    _load(
        db,
        [
            head,
            ["ZA1", 2024, "q3c", 120, 60],
            ["ZA1", 2024, "q3d", 120, 35],
            ["ZA1", 2024, "q11c", 120, 40],
            ["ZA1", YEAR, "q3c", 150, 70],
            ["ZA1", YEAR, "q3d", 150, 40],
            ["ZA1", YEAR, "q11c", 140, 30],
            ["ZB1", YEAR, "q3c", 90, 80],
            ["ZB1", YEAR, "q3d", 90, 80],
            ["ZB1", YEAR, "q11c", 90, 50],
        ],
        "survey.csv",
        "staff_survey",
    )
    rows = [["org_code", "response_date", "q3c", "q11c"]]
    for month in pd.date_range("2024-12-01", periods=12, freq="MS"):
        for i in range(20):
            day = month.date() + dt.timedelta(days=i)
            if month.date() == MONTH:
                rows.append(["ZA1", day, 5, 5])
            else:  # some months vary, so the chart has a spread
                rows.append(["ZA1", day, 5 if i < 12 + month.month % 3 else 2, 4 if i < 6 else 2])
            rows.append(["ZB1", day, 4 if i < 15 else 3, 1 if i < 10 else 4])
    _load(db, rows, "pulse.csv", "pulse_survey")
    save_version(db, LOCAL, MEASURE, "a reversed question in the measure")
    return db


def _export_sheet(db, tmp_path, kind: str, sheet: str) -> pd.DataFrame:
    """The sheet as written by `python -m impact_data export` (the command line itself)."""
    out = tmp_path / f"{kind}.xlsx"
    assert cli_main(["--database", db.url, "export", "--kind", kind, "--out", str(out)]) == 0
    return pd.read_excel(out, sheet_name=sheet, engine="openpyxl")


def test_yearly_culture_figure_is_the_same_everywhere(system, tmp_path):
    db = system
    scores = culture_views.org_scores(db, LOCAL)
    page = scores["overall"].set_index(["org_code", "period"])["score"]
    over_time = culture_views.over_time(scores).set_index(["org_code", "period"])["score"]
    by_year = overview.culture_by_year(db, LOCAL).set_index(["org_code", "year"])["positive_pct"]
    row = overview.system_overview(db, LOCAL).set_index("org_code")["culture_positive_pct"]
    detail = overview.org_detail(db, LOCAL, "ZA1").culture_by_year.set_index("year")
    comparison = compare.comparison(db, LOCAL, compare.culture_measure(), period=YEAR)
    compared = comparison.set_index("org_code")["value"]
    trend = compare.trends(db, LOCAL, compare.culture_measure())
    trended = trend.set_index(["org_code", "period"])["value"]
    pack = culture_pack_figures(db, LOCAL)["by_year"].set_index(["org_code", "period"])["score"]
    exported = export_tables(db, "staff_survey", LOCAL)["Culture measure by year"]
    exported = exported[exported["dimension"] == "Overall"].set_index(["org_code", "period"])
    written = _export_sheet(db, tmp_path, "staff_survey", "Culture measure by year")
    written = written[written["dimension"] == "Overall"].set_index(["org_code", "period"])
    for org, expected in YEARLY.items():
        figures = {
            "Culture page": page[(org, YEAR)],
            "Culture page over time": over_time[(org, YEAR)],
            "Overview by year": by_year[(org, YEAR)],
            "Overview row": row[org],
            "Compare": compared[org],
            "Compare trends": trended[(org, YEAR)],
            "board pack": pack[(org, YEAR)],
            "export": exported.loc[(org, YEAR), "score"],
            "export (command line)": written.loc[(org, YEAR), "score"],
        }
        if org == "ZA1":
            figures["Overview detail"] = detail.loc[YEAR, "positive_pct"]
        assert figures == pytest.approx(dict.fromkeys(figures, expected)), org
    # The year before, and the change the Overview reports, from the same figures.
    za1_2024 = ((60 + 2 * 35) / 3 + 60) / 2
    assert page[("ZA1", 2024)] == pytest.approx(za1_2024)
    change = overview.culture_by_year(db, LOCAL).set_index(["org_code", "year"])["change_pp"]
    assert change[("ZA1", YEAR)] == pytest.approx(60.0 - za1_2024)


def test_monthly_culture_figure_is_the_same_everywhere(system, tmp_path):
    db = system
    pulse = compare.culture_measure(source="pulse")
    scores = culture_views.org_scores(db, LOCAL, source="pulse")
    page = scores["overall"].set_index(["org_code", "period"])["score"]
    chart = culture_views.pulse_charts(db, LOCAL)["ZA1"].set_index("x")["p"] * 100
    by_month = overview.culture_by_month(db, LOCAL).set_index(["org_code", "month"])
    row = overview.system_overview(db, LOCAL, as_of=dt.date(2025, 11, 30)).set_index("org_code")
    detail = overview.org_detail(db, LOCAL, "ZA1", as_of=dt.date(2025, 11, 30))
    detail_months = detail.culture_by_month.set_index("month")["positive_pct"]
    compared = compare.comparison(db, LOCAL, pulse, period=MONTH).set_index("org_code")["value"]
    trended = compare.trends(db, LOCAL, pulse).set_index(["org_code", "period_date"])["value"]
    pack = culture_pack_figures(db, LOCAL)["by_month"].set_index(["org_code", "period_date"])
    exported = export_tables(db, "pulse_survey", LOCAL)["Culture measure by month"]
    exported = exported[exported["dimension"] == "Overall"].set_index(["org_code", "period"])
    written = _export_sheet(db, tmp_path, "pulse_survey", "Culture measure by month")
    written = written[written["dimension"] == "Overall"]
    written = written.assign(period=pd.to_datetime(written["period"]).dt.date)
    written = written.set_index(["org_code", "period"])
    when = pd.Timestamp(MONTH)
    figures = {
        "Culture page": page[("ZA1", MONTH)],
        "Culture page p-chart": chart[when],
        "Overview by month": by_month.loc[("ZA1", when), "positive_pct"],
        "Overview row": row.at["ZA1", "pulse_positive_pct"],
        "Overview detail": detail_months[when],
        "Compare": compared["ZA1"],
        "Compare trends": trended[("ZA1", when)],
        "board pack": pack.loc[("ZA1", when), "value"],
        "export": exported.loc[("ZA1", MONTH), "score"],
        "export (command line)": written.loc[("ZA1", MONTH), "score"],
    }
    assert figures == pytest.approx(dict.fromkeys(figures, MONTHLY["ZA1"]))
    # Every month of every organisation, not just the one worked by hand.
    for org in ("ZA1", "ZB1"):
        months = scores["overall"][scores["overall"]["org_code"] == org]
        overview_months = by_month.loc[org, "positive_pct"]
        trend_months = trended.loc[org]
        for period, score in zip(months["period"], months["score"], strict=True):
            assert overview_months[pd.Timestamp(period)] == pytest.approx(score)
            assert trend_months[pd.Timestamp(period)] == pytest.approx(score)


def test_every_screen_draws_the_same_monthly_chart(system):
    """The SPC verdicts agree too: Overview icon, Culture page reading, Compare trend."""
    db = system
    months = overview.culture_by_month(db, LOCAL, org_codes=["ZA1"])
    icon = overview.culture_month_summary(months)
    reading = culture_views.pulse_charts(db, LOCAL)["ZA1"].attrs["reading"]
    trend = compare.trends(db, LOCAL, compare.culture_measure(source="pulse"))
    za1 = trend[trend["org_code"] == "ZA1"]
    assert icon["variation"] == reading["variation"] == za1["variation"].iloc[0]
    chart = culture_views.pulse_charts(db, LOCAL)["ZA1"]
    assert months["ucl"].dropna().to_numpy() == pytest.approx(100 * chart["ucl"].to_numpy())
    assert za1["upper"].to_numpy() == pytest.approx(100 * chart["ucl"].to_numpy())
