"""What a PDSA measure chart says agrees with what it draws (issue 17): the caption names the
special cause the coloured points show, a count's limits stay possible, a running cycle's bar
stops at the newest record, and the date axes label each week or month once."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.stats import spc
from impact_data.views import pdsa
from tests.views import test_pdsa as base
from ui.charts import pdsa as pdsa_charts
from ui.charts import spc as spc_charts

LOCAL = Viewer.local()
projects = base.projects  # the fixture: organisations and three projects (P1-P3)

# Falls per week, lower is better: 8 weeks in a row above the mean are orange (concern);
# the latest two are back to normal (common cause, grey).
FALLS = [1, 0, 2, 1, 0, 1, 2, 0, 1, 0, 3, 2, 3, 4, 2, 3, 3, 2, 0, 1]
WEEKS = pd.date_range("2025-01-06", periods=len(FALLS), freq="7D")


def falls_measures() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": WEEKS,
            "value": FALLS,
            "numerator": None,
            "denominator": None,
            "exposure": None,
        }
    )


def falls_chart() -> pd.DataFrame:
    measures = falls_measures()
    data = pdsa.measure_xmr(
        measures,
        improvement_direction="decrease",
        bounds=pdsa.value_bounds(measures, "Falls per week"),
    )
    data.attrs["chart"] = "xmr"
    return data


def test_eight_orange_points_make_the_caption_name_special_cause_concern():
    data = falls_chart()
    assert (data["point_type"] == "special_cause_concern").sum() == 8
    assert spc_charts.SPC_COLOURS["special_cause_concern"] == "#E46C0A"  # orange
    reading = pdsa.measure_reading(data)
    assert reading["variation_label"] == (
        "Common cause variation at the latest point; special cause concern in 8 points before it"
    )
    assert reading["sentence"].startswith(
        "8 of 20 points show special cause concern (7 or more points on one side of the "
        "centre line), 17 Mar 2025 to 5 May 2025."
    )
    figure = spc_charts.xmr_chart(data, title="Falls").to_dict()
    assert figure["title"]["subtitle"] == [
        "Lower limit drawn at 0: the measure cannot be below 0 (calculated -1.81)",
        "Points: 8 special cause concern (orange squares), 12 common cause (grey circles)",
    ]


def test_a_chart_with_no_flag_says_so():
    flags = spc.flagged_points(spc.xmr([5, 6, 5, 6, 5, 6]))
    assert pdsa.flags_sentence(flags) == "No point is flagged: all 6 points are common cause."


def test_value_bounds_from_the_data_and_the_name():
    measures = falls_measures()
    assert pdsa.value_bounds(measures, "Falls") == (0.0, None)  # whole counts
    share = measures.assign(value=[v * 10.0 + 0.5 for v in FALLS])
    assert pdsa.value_bounds(share, "% of discharges before noon") == (0.0, 100.0)
    assert pdsa.value_bounds(share, "Minutes waited") == (None, None)
    signed = measures.assign(value=[v - 1.5 for v in FALLS])
    assert pdsa.value_bounds(signed, "Change in score") == (None, None)
    proportion = measures.assign(numerator=[1] * 20, denominator=[4] * 20, value=[0.25] * 20)
    assert pdsa.value_bounds(proportion, "Share") == (0.0, 1.0)


def test_the_chart_data_of_a_count_measure_keep_the_lower_limit_at_zero(projects):
    # P1's scores are whole numbers of 0 or more, with limits well above 0: nothing clipped.
    data = pdsa.measure_chart_data(projects, LOCAL, "P1")
    assert data.attrs["lower_bound"] == 0.0
    assert data.attrs["clipped_limits"] == {}
    assert data["lpl"].iloc[0] == pytest.approx(base.P1_LPL)


def test_a_running_cycle_stops_at_the_newest_record_not_today(projects):
    timeline = pdsa.cycle_timeline(projects, LOCAL, "P1")
    running = timeline[timeline["running"]].iloc[0]
    # P1's newest record is its measure value of 17 March 2025 (not today, December 2026).
    assert running["bar_end"] == pd.Timestamp("2025-03-17")
    assert running["days"] == 28
    assert running["label"] == "Running, no end date yet: Bay tagging"
    # A reporting period ending before that stops it at the newest record up to that day
    # (the value of 24 February 2025), never at a day with nothing recorded.
    early = pdsa.cycle_timeline(projects, LOCAL, "P1", as_of=dt.date(2025, 3, 1))
    assert early[early["running"]].iloc[0]["bar_end"] == pd.Timestamp("2025-02-24")
    figure = pdsa_charts.cycle_timeline_chart(timeline, title="Cycles").to_dict()
    assert "no end date yet" in figure["title"]["subtitle"]


def test_weekly_axes_label_week_starts_without_repeating_a_month():
    ticks = spc_charts.calendar_ticks(WEEKS)
    labels = [label for _, label in ticks]
    assert labels == [
        "6 Jan 2025",
        "20 Jan",
        "3 Feb",
        "17 Feb",
        "3 Mar",
        "17 Mar",
        "31 Mar",
        "14 Apr",
        "28 Apr",
        "12 May",
    ]
    assert all(tick.weekday() == 0 for tick, _ in ticks)  # the data's own Mondays
    assert len(set(labels)) == len(labels)


def test_monthly_and_long_axes_label_each_month_once():
    months = pd.date_range("2024-04-01", periods=20, freq="MS")
    labels = [label for _, label in spc_charts.calendar_ticks(months)]
    assert labels[:3] == ["Apr 2024", "Jun 2024", "Aug 2024"]
    assert len(set(labels)) == len(labels) == 10
    long_weekly = pd.date_range("2024-01-01", periods=60, freq="7D")
    labels = [label for _, label in spc_charts.calendar_ticks(long_weekly)]
    # 60 weeks from 1 January 2024 reach 17 February 2025: 14 months, every other one.
    assert labels == [
        "Jan 2024",
        "Mar 2024",
        "May 2024",
        "Jul 2024",
        "Sep 2024",
        "Nov 2024",
        "Jan 2025",
    ]
    axis = spc_charts.calendar_axis(WEEKS).to_dict()
    assert axis["values"][0] == {"year": 2025, "month": 1, "date": 6}
    assert "'6 Jan 2025'" in axis["labelExpr"]
