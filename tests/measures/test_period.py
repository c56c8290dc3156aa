"""The reporting period: one month for every page, its default, each source's freshness, and
one small upload that must not move the whole system's date (issue 17, item 1)."""

from __future__ import annotations

import datetime as dt

import pytest

from impact_data.access import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures import pdsa as pdsa_measure
from impact_data.measures.period import (
    SOURCES,
    ReportingPeriod,
    available_periods,
    data_freshness,
    default_period,
    parse_period,
    period_index,
    source_dates,
)
from impact_data.views import freshness, overview
from impact_data.views import pdsa as pdsa_views
from impact_data.workshop import create_session, join, save_as_readiness_round, submit_answers
from tests.files import ORGS, csv_bytes

LOCAL = Viewer.local()
TODAY = dt.date(2026, 12, 7)
NOVEMBER = ReportingPeriod(dt.date(2025, 11, 1))
ORIC = {f"c{k}": 4 for k in range(1, 6)} | {f"e{k}": 3 for k in range(1, 8)}


def _load(db, rows, name: str, kind: str) -> None:
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(db, prepared)


def test_a_period_is_a_month_and_its_last_90_days():
    assert NOVEMBER.key == "2025-11" and NOVEMBER.label == "November 2025"
    assert NOVEMBER.start == dt.date(2025, 11, 1) and NOVEMBER.end == dt.date(2025, 11, 30)
    # The 90 days up to and including 30 November: 2 September to 30 November.
    assert NOVEMBER.window_start == dt.date(2025, 9, 2)
    assert (NOVEMBER.end - NOVEMBER.window_start).days + 1 == 90
    assert NOVEMBER.description == (
        "Reporting period: November 2025 (2 September - 30 November 2025 for 'last 90 days')"
    )
    assert NOVEMBER.contains(dt.date(2025, 9, 2)) and not NOVEMBER.contains(dt.date(2025, 9, 1))
    february = parse_period("2024-02")
    assert february.end == dt.date(2024, 2, 29)  # a leap year
    assert february.window_label == "2 December 2023 - 29 February 2024"
    for bad in ("2025-13", "Nov 2025", "2025/11", ""):
        with pytest.raises(ValueError, match="YYYY-MM, such as 2025-11; found"):
            parse_period(bad)


def test_period_index_opens_on_the_newest_on_or_before_the_period():
    assert period_index([2026, 2025, 2024], NOVEMBER) == 1
    assert period_index([dt.date(2025, 12, 1), dt.date(2025, 11, 1)], NOVEMBER) == 1
    assert period_index([2024], NOVEMBER) == 0


def test_default_period_and_freshness_on_both_databases(db):
    _load(db, ORGS, "orgs.csv", "organisations")
    pulse = [["org_code", "response_date", "q3c"]]
    pulse += [["ZA1", dt.date(2025, 10, 3 + i), 4] for i in range(12)]
    pulse += [["ZB1", dt.date(2025, 3, 3 + i), 4] for i in range(12)]
    _load(db, pulse, "pulse.csv", "pulse_survey")
    readiness = [["org_code", "assessment_date", "team", *ORIC]]
    readiness += [["ZC1", dt.date(2025, 11, 20), "Ward 1", *ORIC.values()] for _ in range(12)]
    _load(db, readiness, "readiness.csv", "readiness")
    # The pulse survey (a main source) ends in October; readiness in November does not count.
    assert default_period(db, today=TODAY) == ReportingPeriod(dt.date(2025, 10, 1))
    # A month that has not ended is never the default: then March is the newest with pulse.
    assert default_period(db, today=dt.date(2025, 10, 20)).key == "2025-03"
    periods = available_periods(db, LOCAL, today=dt.date(2026, 1, 15))
    assert periods[0].key == "2025-12" and periods[-1].key == "2025-03"
    dates = source_dates(db, LOCAL).set_index(["org_code", "source"])["newest"]
    assert dates[("ZA1", "pulse")] == dt.date(2025, 10, 14)
    assert dates[("ZC1", "readiness")] == dt.date(2025, 11, 20)
    fresh = data_freshness(db, LOCAL, NOVEMBER).set_index(["org_code", "source"])
    assert fresh.at[("ZA1", "pulse"), "status"] == "current"
    assert fresh.at[("ZA1", "pulse"), "age_days"] == 47
    # ZB1's pulse survey stopped in March: more than 3 months before 30 November.
    assert fresh.at[("ZB1", "pulse"), "status"] == "stale"
    assert fresh.at[("ZC1", "pulse"), "status"] == "missing"
    assert fresh.at[("ZC1", "readiness"), "status"] == "current"
    # In an earlier period, data after its end does not count.
    june = data_freshness(db, LOCAL, parse_period("2025-06")).set_index(["org_code", "source"])
    assert june.at[("ZC1", "readiness"), "status"] == "missing"
    assert june.at[("ZB1", "pulse"), "newest"] == dt.date(2025, 3, 14)


def test_freshness_view_says_missing_and_stale_in_words(demo_db):
    table = freshness.freshness_table(demo_db, LOCAL, NOVEMBER).set_index("Organisation")
    assert len(table) == 10
    eastbridge = table.loc["Eastbridge Hospitals NHS Trust"]
    assert eastbridge["NHS Staff Survey"] == "2025 survey"
    assert eastbridge["Pulse survey"] == "21 November 2025"
    assert eastbridge["PDSA cycles and measures"] == "24 November 2025"
    assert eastbridge["Workshops saved as readiness rounds"] == "no data"
    icb = table.loc["NHS Northmoor and Vale Integrated Care Board"]
    assert icb["PDSA cycles and measures"] == "stale: 6 January 2025"
    assert icb["Readiness checks"] == "no data"
    lines = freshness.freshness_summary(demo_db, LOCAL, NOVEMBER)
    assert any(
        line.startswith("PDSA cycles and measures: ")
        and "stale data (" in line
        and "NHS Northmoor and Vale Integrated Care Board" in line
        for line in lines
    )
    rules = freshness.freshness_rules(NOVEMBER)
    assert "on or before 30 November 2025" in rules
    assert "Pulse survey: stale when the newest responses are more than 3 months old" in rules


def test_the_sample_reports_on_november_2025(demo_db):
    period = default_period(demo_db, today=TODAY)
    assert period.key == "2025-11"
    # The board pack, the Overview and PDSA > Across the system count the same 90 days.
    frame = overview.system_overview(demo_db, LOCAL, as_of=period.end).set_index("org_code")
    portfolio = pdsa_views.portfolio(demo_db, LOCAL).set_index("org_code")
    activity = pdsa_measure.pdsa_activity(demo_db, LOCAL, as_of=period.end).set_index("org_code")
    assert frame["pdsa_cycles_90d"].sum() > 0
    for code in frame.index:
        assert frame.at[code, "pdsa_cycles_90d"] == portfolio.at[code, "cycles_last_90_days"]
        assert frame.at[code, "pdsa_cycles_90d"] == activity.at[code, "cycles_last_90_days"]


def test_a_small_upload_today_moves_nothing(demo_db):
    """Saving a 3-person workshop dated today as a readiness round once moved the whole
    system's date and turned 9 of 10 organisations' PDSA variation to special cause concern."""
    today = dt.date.today()
    before = default_period(demo_db)
    table_before = overview.system_overview(demo_db, LOCAL, as_of=before.end)
    portfolio_before = pdsa_views.portfolio(demo_db, LOCAL)
    session = create_session(demo_db, LOCAL, "readiness", "Ward 7 huddle", min_answers=3)
    for _ in range(3):
        submit_answers(demo_db, session.code, join(demo_db, session.code), ORIC)
    _prepared, result = save_as_readiness_round(
        demo_db,
        LOCAL,
        session.code,
        org_code="ZC1",
        team="Ward 7",
        programme=None,
        assessment_date=today,
    )
    assert result is not None
    assert source_dates(demo_db, LOCAL).set_index(["org_code", "source"]).at[
        ("ZC1", "workshops"), "newest"
    ] == (today)
    after = default_period(demo_db)
    assert after == before
    table_after = overview.system_overview(demo_db, LOCAL, as_of=after.end)
    cols = ["org_code", "pdsa_cycles_90d", "pdsa_variation", "pdsa_point_type"]
    assert table_after[cols].equals(table_before[cols])
    assert pdsa_views.portfolio(demo_db, LOCAL).equals(portfolio_before)


def test_dates_of_data_are_remembered_until_the_next_write(db):
    """Freshness and the periods on offer are worked out once per data version: an upload
    (a write) is seen at once, and every organisation x source is still listed in order."""
    _load(db, ORGS, "orgs.csv", "organisations")
    pulse = [["org_code", "response_date", "q3c"]]
    pulse += [["ZA1", dt.date(2025, 10, 3 + i), 4] for i in range(12)]
    _load(db, pulse, "pulse.csv", "pulse_survey")
    before = data_freshness(db, LOCAL, NOVEMBER)
    assert default_period(db, today=TODAY).key == "2025-10"
    assert len(before) == len(ORGS[1:]) * len(SOURCES)
    assert list(before["source"][: len(SOURCES)]) == list(SOURCES)
    assert before.set_index(["org_code", "source"]).at[("ZC1", "pulse"), "status"] == "missing"
    assert str(before["year"].dtype) == "Int64" and str(before["age_days"].dtype) == "Int64"
    later = [["org_code", "response_date", "q3c"]]
    later += [["ZC1", dt.date(2025, 11, 3 + i), 4] for i in range(12)]
    _load(db, later, "pulse2.csv", "pulse_survey")
    after = data_freshness(db, LOCAL, NOVEMBER).set_index(["org_code", "source"])
    assert after.at[("ZC1", "pulse"), "status"] == "current"
    assert after.at[("ZC1", "pulse"), "newest"] == dt.date(2025, 11, 14)
    assert after.at[("ZC1", "pulse"), "age_days"] == 16
    assert default_period(db, today=TODAY).key == "2025-11"
    assert available_periods(db, LOCAL, today=TODAY)[-1].key == "2025-10"
