"""The system overview (impact_data/overview.py): hand-computed figures on a small system built
through the upload API, on SQLite and PostgreSQL, and checks against the sample system."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.demo import load_demo
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures import queries
from impact_data.measures.period import default_period
from impact_data.stats import spc
from impact_data.store.db import Database
from impact_data.store.settings import culture_target, set_culture_target
from impact_data.views import overview
from tests.files import csv_bytes, xlsx_bytes

LOCAL = Viewer.local()
AS_OF = dt.date(2025, 6, 30)
PULSE_END = dt.date(2025, 11, 30)  # the end of the pulse survey's last month
ITEMS = [f"c{i}" for i in range(1, 6)] + [f"e{i}" for i in range(1, 8)]


def load(db, data: bytes, name: str, kind: str) -> None:
    prepared = prepare_upload(db, data, name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    commit_upload(db, prepared)


def _months(start: str, count: int) -> list[dt.date]:
    return [d.date() for d in pd.date_range(start, periods=count, freq="MS")]


def _organisations() -> list[list]:
    return [
        ["org_code", "org_name", "org_type", "system", "region"],
        ["ZA1", "Alpha Hospitals", "acute", "North ICS", "North"],
        ["ZB1", "Beta Community Health", "community", "North ICS", "North"],
        ["ZC1", "Gamma Mental Health", "mental_health", "South ICS", "South"],
    ]


def _staff_survey() -> list[list]:
    header = ["org_code", "year", "question_code", "responses", "positive_pct", "team"]
    return [
        header,
        ["ZA1", 2024, "q3c", 100, 40.0, None],
        ["ZA1", 2024, "q3f", 100, 70.0, None],
        ["ZA1", 2024, "q2a", 100, 10.0, None],  # not a culture question
        ["ZA1", 2025, "q3c", 100, 50.0, None],
        ["ZA1", 2025, "q3f", 200, 80.0, None],
        ["ZA1", 2025, "q9f", 100, 60.0, None],
        ["ZA1", 2025, "q3e", 500, None, None],  # no positive % given: not in the measure
        ["ZA1", 2025, "q2a", 300, 5.0, None],
        ["ZA1", 2025, "q3f", 30, 10.0, "Ward 1"],  # a team: not the organisation's figure
        ["ZB1", 2024, "q3d", 20, 50.0, None],
        ["ZB1", 2025, "q3d", 8, 90.0, None],  # fewer than 11 responses
    ]


def _pulse() -> list[list]:
    rows = [["org_code", "response_date", "q3c", "q3f", "q2a"]]
    for i, month in enumerate(_months("2024-12-01", 12)):
        for _ in range(12):
            if i < 9:  # 1 of 2 culture answers positive: 50%
                rows.append(["ZA1", month + dt.timedelta(days=4), 4, 2, 5])
            else:  # both positive: 100%
                rows.append(["ZA1", month + dt.timedelta(days=4), 5, "Agree", 1])
    rows.append(["ZA1", dt.date(2024, 12, 9), None, None, 5])  # no culture answer at all
    for month in _months("2025-01-01", 3):
        rows += [["ZB1", month + dt.timedelta(days=2), 4, None, None] for _ in range(11)]
    rows += [["ZB1", dt.date(2025, 4, 3), 5, 5, None] for _ in range(5)]
    return rows


def _readiness() -> list[list]:
    rows = [["org_code", "assessment_date", "team", *ITEMS]]

    def check(org, day, team, n, commitment, efficacy):
        rows.extend([[org, day, team, *[commitment] * 5, *[efficacy] * 7] for _ in range(n)])

    check("ZA1", dt.date(2025, 1, 10), "Ward 1", 12, 4, 3)
    check("ZA1", dt.date(2025, 6, 10), "Ward 1", 12, 5, 4)
    check("ZA1", dt.date(2025, 3, 1), "ED", 11, 2, 2)
    check("ZA1", dt.date(2025, 4, 1), "Theatres", 5, 1, 1)  # too small to report
    check("ZB1", dt.date(2025, 2, 1), "Clinic", 6, 3, 3)
    return rows


def _impact() -> list[list]:
    rows = [["org_code", "assessment_date", "component", "level"]]
    rows += [
        ["ZA1", dt.date(2024, 6, 1), c, lv]
        for c, lv in zip(range(1, 6), [1, 2, 2, 2, 3], strict=True)
    ]
    rows += [
        ["ZA1", dt.date(2025, 6, 1), c, lv]
        for c, lv in zip(range(1, 6), [3, 3, 2, 4, 3], strict=True)
    ]
    rows += [["ZB1", dt.date(2025, 5, 1), 1, 2], ["ZB1", dt.date(2025, 5, 1), 2, 4]]
    return rows


def _pdsa() -> bytes:
    projects = [
        ["project_id", "org_code", "title", "aim", "start_date", "status"]
        + ["lived_experience_involved", "team"],
        ["A1", "ZA1", "Falls", "Fewer falls", dt.date(2024, 7, 1), "active", "yes", "Ward 1"],
        ["A2", "ZA1", "Flow", "Faster flow", dt.date(2025, 1, 15), "completed", "no", "ED"],
        ["B1", "ZB1", "Huddles", "Daily huddles", dt.date(2025, 5, 1), "active", "yes", None],
    ]
    cycles = [["project_id", "cycle_no", "start_date"]]
    cycles += [
        ["A1", i + 1, d + dt.timedelta(days=9)] for i, d in enumerate(_months("2024-07", 12))
    ]
    a2 = [dt.date(2025, 2, 1), dt.date(2025, 5, 15), dt.date(2025, 6, 29), dt.date(2025, 7, 5)]
    cycles += [["A2", i + 1, d] for i, d in enumerate(a2)]
    cycles += [["B1", 1, dt.date(2025, 5, 20)]]
    return xlsx_bytes({"Projects": projects, "Cycles": cycles})


@pytest.fixture
def system(db) -> Database:
    """Three organisations with hand-made survey, pulse, readiness, IMPACT and PDSA data."""
    load(db, csv_bytes(_organisations()), "orgs.csv", "organisations")
    load(db, csv_bytes(_staff_survey()), "nss.csv", "staff_survey")
    load(db, csv_bytes(_pulse()), "pulse.csv", "pulse_survey")
    load(db, xlsx_bytes({"Readiness": _readiness()}), "oric.xlsx", "readiness")
    load(db, csv_bytes(_impact()), "impact.csv", "impact_self_assessment")
    load(db, _pdsa(), "pdsa.xlsx", "pdsa")
    return db


@pytest.fixture
def empty_system(sqlite_db) -> Database:
    load(sqlite_db, csv_bytes(_organisations()), "orgs.csv", "organisations")
    return sqlite_db


# --- Culture


def test_culture_by_year_is_the_versioned_measure(system):
    frame = overview.culture_by_year(system, LOCAL).set_index(["org_code", "year"])
    za1 = frame.loc[("ZA1", 2025)]
    # Default measure v1: Voice and involvement = mean(q3c 50, q3f 80) = 65; compassionate
    # leadership = q9f 60; overall = mean of the dimensions = 62.5.
    assert za1["positive_pct"] == pytest.approx(62.5)
    assert za1["responses"] == 200 and za1["answers"] == 400 and za1["questions"] == 3
    assert frame.loc[("ZA1", 2024), "positive_pct"] == pytest.approx(55.0)
    assert za1["change_pp"] == pytest.approx(62.5 - 55.0)
    assert frame.attrs["measure"] == "Improvement culture, version 1"
    assert math.isnan(frame.loc[("ZA1", 2024), "change_pp"])
    assert za1["org_name"] == "Alpha Hospitals"


def test_culture_year_under_the_threshold_is_suppressed_and_so_is_its_change(system):
    frame = overview.culture_by_year(system, LOCAL).set_index(["org_code", "year"])
    assert bool(frame.loc[("ZB1", 2025), "suppressed"]) is True
    assert math.isnan(frame.loc[("ZB1", 2025), "positive_pct"])
    assert frame.loc[("ZB1", 2025), "responses"] is pd.NA
    assert bool(frame.loc[("ZB1", 2025), "change_suppressed"]) is True
    assert frame.loc[("ZB1", 2024), "positive_pct"] == pytest.approx(50.0)
    assert "ZC1" not in frame.index.get_level_values(0)


def test_culture_by_month_from_pulse_respondents(system):
    months = overview.culture_by_month(system, LOCAL)
    za1 = months[months["org_code"] == "ZA1"].reset_index(drop=True)
    assert len(za1) == 12
    assert za1["respondents"].tolist() == [12] * 12  # the one with no culture answer is left out
    assert za1["answers"].tolist() == [24.0] * 12
    assert za1["positive_pct"].tolist() == [50.0] * 9 + [100.0] * 3
    assert za1["month"].iloc[0] == pd.Timestamp("2024-12-01")
    # The p-chart counts people (12 a month), not their 24 answers: 90 of 144.
    expected = spc.p_chart([6] * 9 + [12] * 3, [12] * 12, improvement="increase")
    assert za1["centre"].iloc[0] == pytest.approx(100 * 90 / 144)
    assert za1["ucl"].to_numpy() == pytest.approx(100 * expected["ucl"].to_numpy())
    assert za1["point_type"].tolist() == expected["point_type"].tolist()
    assert za1["point_type"].iloc[-1] == "special_cause_improvement"
    assert bool(za1["spc"].iloc[0]) is True


def test_pulse_month_under_the_threshold_is_suppressed_and_short_series_has_no_limits(system):
    months = overview.culture_by_month(system, LOCAL)
    zb1 = months[months["org_code"] == "ZB1"].reset_index(drop=True)
    assert zb1["respondents"].tolist()[:3] == [11, 11, 11]
    assert zb1["positive_pct"].tolist()[:3] == [100.0, 100.0, 100.0]
    assert bool(zb1["suppressed"].iloc[3]) is True and math.isnan(zb1["positive_pct"].iloc[3])
    assert not zb1["spc"].any() and zb1["ucl"].isna().all()
    summary = overview.culture_month_summary(zb1)
    assert summary["variation"] == "too_few_points"
    assert summary["label"] == "Too few months for SPC (3 of 12): annual trend only"


def test_culture_icon_is_the_p_chart_summary(system):
    months = overview.culture_by_month(system, LOCAL, org_codes=["ZA1"])
    summary = overview.culture_month_summary(months)
    expected = spc.p_chart_summary(spc.p_chart([6] * 9 + [12] * 3, [12] * 12))
    assert (summary["variation"], summary["variation_direction"]) == ("improvement", "high")
    assert summary["variation"] == expected["variation"]
    assert summary["label"] == spc.variation_icon_label(expected)
    assert summary["point_type"] == "special_cause_improvement"


# --- Readiness


def test_readiness_pools_each_teams_latest_check_leaving_out_small_ones(system):
    frame = overview.readiness_latest(system, LOCAL).set_index("org_code")
    za1 = frame.loc["ZA1"]
    # Ward 1's latest check (12 people: 5 and 4) with ED (11 people: 2 and 2); Theatres (5) out.
    assert za1["commitment"] == pytest.approx((12 * 5 + 11 * 2) / 23)
    assert za1["efficacy"] == pytest.approx((12 * 4 + 11 * 2) / 23)
    assert za1["n"] == 23 and za1["teams"] == 2
    assert za1["latest_check"] == dt.date(2025, 6, 1)  # a round is a month, as on the page
    assert bool(za1["suppressed"]) is False
    zb1 = frame.loc["ZB1"]
    assert bool(zb1["suppressed"]) is True and math.isnan(zb1["commitment"])
    assert zb1["n"] is pd.NA


def test_readiness_by_round_month_as_on_the_readiness_page(system):
    rounds = overview.readiness_by_round(system, LOCAL, org_codes=["ZA1"])
    assert rounds["assessment_date"].tolist() == [
        dt.date(2025, 1, 1),
        dt.date(2025, 3, 1),
        dt.date(2025, 4, 1),
        dt.date(2025, 6, 1),
    ]
    assert rounds["suppressed"].tolist() == [False, False, True, False]
    assert rounds["commitment"].tolist()[:2] == [4.0, 2.0]
    assert rounds["commitment"].iloc[3] == 5.0 and math.isnan(rounds["commitment"].iloc[2])


def test_readiness_by_team_latest_check_with_suppression(system):
    teams = overview.readiness_by_team(system, LOCAL, "ZA1").set_index("team")
    assert list(teams.index) == ["ED", "Theatres", "Ward 1"]
    assert teams.at["Ward 1", "commitment"] == 5.0 and teams.at["Ward 1", "efficacy"] == 4.0
    assert teams.at["Ward 1", "rounds"] == 2 and teams.at["Ward 1", "n"] == 12
    assert teams.at["Ward 1", "assessment_date"] == dt.date(2025, 6, 1)
    assert bool(teams.at["Theatres", "suppressed"]) is True
    assert math.isnan(teams.at["Theatres", "commitment"]) and teams.at["Theatres", "n"] is pd.NA


def test_team_detail_respects_the_viewer(system):
    member = Viewer(user="b", role="team_member", org_codes=frozenset({"ZB1"}))
    assert overview.readiness_by_team(system, member, "ZA1").empty
    assert not overview.readiness_by_team(system, member, "ZB1").empty
    detail = overview.org_detail(system, member, "ZA1", as_of=AS_OF)
    assert detail.can_see_team_detail is False
    assert detail.readiness_by_team.empty and detail.pdsa_projects.empty
    assert detail.notes
    # Organisation-level figures stay visible to everyone.
    row = overview.system_overview(system, member, as_of=AS_OF).set_index("org_code").loc["ZA1"]
    assert row["readiness_commitment"] == pytest.approx(82 / 23)


# --- Maturity and PDSA


def test_maturity_latest_mean_and_levels(system):
    frame = overview.maturity_by_date(system, LOCAL)
    za1 = frame[frame["org_code"] == "ZA1"]
    assert za1["mean_level"].tolist() == [2.0, 3.0]
    assert za1["levels"].iloc[-1] == [3, 3, 2, 4, 3]
    zb1 = frame[frame["org_code"] == "ZB1"].iloc[0]
    assert zb1["levels"] == [2, 4, None, None, None] and zb1["mean_level"] == 3.0
    components = overview.maturity_components(system, LOCAL, "ZA1")
    assert components["level"].tolist() == [3, 3, 2, 4, 3]
    assert components["previous_level"].tolist() == [1, 2, 2, 2, 3]


def test_pdsa_cycles_by_month_and_its_xmr(system):
    months = overview.pdsa_cycles_by_month(system, LOCAL, as_of=AS_OF)
    za1 = months[months["org_code"] == "ZA1"]
    assert za1["month"].iloc[0] == pd.Timestamp("2024-07-01")
    assert za1["month"].iloc[-1] == pd.Timestamp("2025-06-01")
    counts = [1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2]
    assert za1["cycles"].tolist() == counts  # the July 2025 cycle is after as_of
    expected = spc.xmr(counts, improvement="increase")
    assert za1["upl"].to_numpy() == pytest.approx(expected["upl"].to_numpy())
    assert za1["point_type"].tolist() == expected["point_type"].tolist()
    summary = overview.pdsa_month_summary(za1)
    assert summary["variation"] == spc.xmr_summary(expected)["variation"]
    zb1 = months[months["org_code"] == "ZB1"]
    assert zb1["cycles"].tolist() == [1, 0]
    assert overview.pdsa_month_summary(zb1)["label"] == "Too few months for SPC (2 of 12)"


# --- The overview


def test_system_overview_one_row_per_org_with_hand_computed_figures(system):
    frame = overview.system_overview(system, LOCAL, as_of=AS_OF)
    assert frame["org_code"].tolist() == ["ZA1", "ZB1", "ZC1"]  # ordered by name
    assert list(frame.columns) == overview.OVERVIEW_COLUMNS
    za1 = frame.set_index("org_code").loc["ZA1"]
    assert za1["culture_year"] == 2025 and za1["culture_positive_pct"] == pytest.approx(62.5)
    assert za1["culture_responses"] == 200
    assert za1["culture_change_pp"] == pytest.approx(7.5)
    assert za1["culture_trend"] == pytest.approx([55.0, 62.5])
    # The pulse chart stops at the reporting period's month: June 2025 is its 7th month.
    assert za1["pulse_months"] == 7 and za1["pulse_positive_pct"] == 50.0
    assert za1["pulse_month"] == pd.Timestamp("2025-06-01")
    assert za1["culture_variation"] == "too_few_points"
    november = overview.system_overview(system, LOCAL, as_of=dt.date(2025, 11, 30))
    za1_november = november.set_index("org_code").loc["ZA1"]
    assert za1_november["pulse_months"] == 12 and za1_november["pulse_positive_pct"] == 100.0
    assert za1_november["pulse_month"] == pd.Timestamp("2025-11-01")
    assert za1_november["culture_variation"] == "improvement"
    assert za1_november["culture_point_type"] == "special_cause_improvement"
    assert za1["readiness_commitment"] == pytest.approx(82 / 23)
    assert za1["readiness_efficacy"] == pytest.approx(70 / 23)
    assert za1["readiness_n"] == 23 and za1["readiness_teams"] == 2
    assert za1["readiness_trend"] == [4.0, 2.0, 5.0]
    assert za1["readiness_variation"] == "too_few_points"
    assert za1["readiness_variation_label"] == "Too few rounds for SPC (3 of 12)"
    assert za1["maturity_mean"] == 3.0 and za1["maturity_levels"] == [3, 3, 2, 4, 3]
    assert za1["maturity_trend"] == [2.0, 3.0]
    assert za1["maturity_date"] == dt.date(2025, 6, 1)
    # Cycles started after 1 April and on or before 30 June 2025: A1 x3, A2 x2.
    assert za1["pdsa_cycles_90d"] == 5 and za1["pdsa_projects"] == 2
    assert za1["pdsa_active_projects"] == 1
    assert za1["lived_experience_share"] == 0.5
    assert za1["lived_experience_trend"] == [1.0, 0.0]
    activity = queries.pdsa_activity(system, LOCAL, as_of=AS_OF).set_index("org_code")
    assert frame.set_index("org_code")["pdsa_cycles_90d"].tolist() == (
        activity["cycles_last_90_days"].tolist()
    )


def test_system_overview_suppressed_and_missing_values(system):
    frame = overview.system_overview(system, LOCAL, as_of=AS_OF).set_index("org_code")
    zb1 = frame.loc["ZB1"]
    assert bool(zb1["culture_suppressed"]) and math.isnan(zb1["culture_positive_pct"])
    assert bool(zb1["culture_change_suppressed"])
    assert zb1["culture_trend"] == [50.0]  # suppressed years are not in the trend
    assert bool(zb1["pulse_suppressed"]) and zb1["pulse_months"] == 3
    assert zb1["culture_variation"] == "too_few_points"
    assert bool(zb1["readiness_suppressed"])
    assert zb1["readiness_variation_label"] == "Every check suppressed (too few responses)"
    zc1 = frame.loc["ZC1"]
    assert zc1["culture_year"] is pd.NA and not zc1["culture_suppressed"]
    assert zc1["culture_variation"] == "no_data"
    assert zc1["pdsa_projects"] == 0 and math.isnan(zc1["lived_experience_share"])


def test_system_overview_filters(system):
    acute = overview.system_overview(system, LOCAL, org_types=["acute"], as_of=AS_OF)
    assert acute["org_code"].tolist() == ["ZA1"]
    south = overview.system_overview(system, LOCAL, systems=["South ICS"], as_of=AS_OF)
    assert south["org_code"].tolist() == ["ZC1"]
    none = overview.system_overview(system, LOCAL, org_types=["ambulance"], as_of=AS_OF)
    assert none.empty and list(none.columns) == overview.OVERVIEW_COLUMNS
    assert overview.filter_options(system, LOCAL) == {
        "org_types": ["acute", "community", "mental_health"],
        "systems": ["North ICS", "South ICS"],
    }


def test_overview_table_says_suppressed_and_no_data_in_words(system):
    frame = overview.system_overview(system, LOCAL, as_of=AS_OF)
    table = overview.overview_table(frame).set_index("Code")
    assert table.at["ZA1", "Culture (% positive)"] == "62.5%"
    assert table.at["ZA1", "Change since last year"] == "+7.5 pp"
    assert table.at["ZA1", "Survey year and responses"] == "2025: 200 responses"
    assert table.at["ZA1", "Readiness: commitment (1-5)"] == f"{82 / 23:.2f} (n 23)"
    assert (
        table.at["ZA1", "NHS IMPACT maturity (mean level 1-5)"] == "3.0 (levels 3 · 3 · 2 · 4 · 3)"
    )
    # June 2025 is the pulse chart's 7th month: too few for an icon (it stops at the period).
    assert table.at["ZA1", "Culture variation (monthly)"] == (
        "Too few months for SPC (7 of 12): annual trend only"
    )
    assert table.at["ZA1", "PDSA cycles (last 90 days)"] == "5 (1 active projects)"
    assert table.at["ZA1", "Projects with lived experience"] == "50% (1 of 2)"
    assert table.at["ZB1", "Culture (% positive)"] == "suppressed"
    assert table.at["ZB1", "Change since last year"] == "suppressed"
    assert table.at["ZB1", "Readiness: efficacy (1-5)"] == "suppressed"
    assert table.at["ZC1", "Culture (% positive)"] == "no data"
    assert table.at["ZC1", "Readiness: commitment (1-5)"] == "no data"
    assert table.at["ZC1", "Projects with lived experience"] == "no projects"
    assert table.at["ZA1", "Culture by year"] == pytest.approx([55.0, 62.5])


def test_overview_table_shows_assurance_beside_variation_where_a_target_exists(system):
    # The pulse survey's own period (its last month), so its chart has 12 months.
    # No target: the variation icon alone.
    frame = overview.system_overview(system, LOCAL, as_of=PULSE_END).set_index("org_code")
    assert frame.at["ZA1", "culture_assurance"] == "none"
    assert frame.at["ZA1", "culture_assurance_label"] == ""
    table = overview.overview_table(frame.reset_index()).set_index("Code")
    assert "Assurance" not in table.at["ZA1", "Culture variation (monthly)"]
    # ZA1's monthly p-chart (12 people a month, 90 of 144 favourable): centre 62.5%, limits
    # 62.5 -+ 3 sqrt(0.625 x 0.375 / 12) = 20.6% to 100% (clipped). A 10% target is below the
    # lower limit: it will consistently be met. A 50% target lies between the limits.
    set_culture_target(system, LOCAL, 10)
    assert culture_target(system) == 10.0
    frame = overview.system_overview(system, LOCAL, as_of=PULSE_END).set_index("org_code")
    assert frame.at["ZA1", "culture_assurance"] == "pass"
    table = overview.overview_table(frame.reset_index()).set_index("Code")
    assert table.at["ZA1", "Culture variation (monthly)"] == (
        "◆ Special cause variation: improvement (high)"
        " · ✔ Assurance: the target will consistently be met"
    )
    # No icon without enough months: no assurance either.
    assert "Assurance" not in table.at["ZB1", "Culture variation (monthly)"]
    set_culture_target(system, LOCAL, 50)
    detail = overview.org_detail(system, LOCAL, "ZA1", as_of=PULSE_END)
    assert detail.culture_month_summary["assurance"] == "hit_and_miss"
    assert detail.culture_month_summary["variation"] == "improvement"
    with pytest.raises(ValueError, match="0 to 100"):
        set_culture_target(system, LOCAL, 120)
    set_culture_target(system, LOCAL, None)
    assert culture_target(system) is None


def test_readable_writes_suppressed_not_blank(system):
    teams = overview.readiness_by_team(system, LOCAL, "ZA1")
    table = overview.readable(
        teams, {"team": "Team", "commitment": "Commitment", "n": "n"}, {"commitment": "{:.2f}"}
    )
    assert table.values.tolist() == [
        ["ED", "2.00", "11"],
        ["Theatres", "suppressed", "suppressed"],
        ["Ward 1", "5.00", "12"],
    ]


def test_org_detail(system):
    detail = overview.org_detail(system, LOCAL, "ZA1", as_of=AS_OF)
    assert detail.org_name == "Alpha Hospitals" and detail.can_see_team_detail
    # The measure's own question rows (culture_scores): q3e in 2025 has no positive % and so
    # is not part of the measure that year, as in the yearly figure.
    assert detail.culture_questions["question_code"].tolist() == [
        "q3c",
        "q3f",
        "q3c",
        "q3f",
        "q9f",
    ]
    # The monthly chart stops at the period (June 2025, its 7th month): too few for an icon.
    assert detail.culture_month_summary["variation"] == "too_few_points"
    assert detail.culture_by_month["month"].max() == pd.Timestamp("2025-06-01")
    later = overview.org_detail(system, LOCAL, "ZA1", as_of=PULSE_END)
    assert later.culture_month_summary["variation"] == "improvement"
    assert detail.pdsa_projects.set_index("project_id")["cycles_last_90_days"].to_dict() == {
        "A1": 3,
        "A2": 2,
    }
    assert overview.org_detail(system, LOCAL, "ZZ9") is None


def test_the_default_period_is_the_newest_complete_month_with_data(system):
    newest = overview.newest_data_date(system)
    assert newest == dt.date(2025, 11, 5)  # the last pulse responses
    # November 2025 is still running on 25 November: the default is October.
    assert default_period(system, today=dt.date(2025, 11, 25)).key == "2025-10"
    for today in (dt.date(2025, 12, 1), dt.date(2026, 6, 1)):
        period = default_period(system, today=today)
        assert period.key == "2025-11" and period.end == dt.date(2025, 11, 30)


def test_an_organisations_only_database(empty_system):
    db = empty_system
    assert overview.organisation_count(db) == 3
    assert overview.newest_data_date(db) is None
    # No dated data at all: last month.
    assert default_period(db, today=dt.date(2026, 1, 1)).key == "2025-12"
    frame = overview.system_overview(db, LOCAL, as_of=AS_OF)
    assert len(frame) == 3 and frame["culture_variation"].eq("no_data").all()
    table = overview.overview_table(frame)
    assert table["Culture (% positive)"].tolist() == ["no data"] * 3
    detail = overview.org_detail(db, LOCAL, "ZA1", as_of=AS_OF)
    assert detail.culture_by_month.empty and detail.pdsa_by_month.empty


def test_no_organisations(sqlite_db):
    assert overview.organisation_count(sqlite_db) == 0
    assert overview.system_overview(sqlite_db, LOCAL).empty


# --- The sample system


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Database:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('sample') / 'impact.db'}")
    load_demo(db)
    yield db
    db.dispose()


def test_sample_overview(sample):
    period = default_period(sample, today=dt.date(2026, 11, 25))
    assert period.key == "2025-11" and period.end == dt.date(2025, 11, 30)
    frame = overview.system_overview(sample, LOCAL, as_of=period.end).set_index("org_code")
    assert len(frame) == 10
    # The same figure as the Culture page: the versioned measure's overall score.
    from impact_data.measures.culture import culture_scores

    overall = culture_scores(sample, LOCAL)["overall"]
    latest = overall[overall["period"] == 2025].set_index("org_code")["score"]
    assert frame["culture_positive_pct"].to_numpy() == pytest.approx(
        latest.reindex(frame.index).to_numpy()
    )
    # ZB1 and ZF1 improve year on year, ZH1 declines (sample_data/README.md).
    assert frame.at["ZB1", "culture_trend"] == sorted(frame.at["ZB1", "culture_trend"])
    assert frame.at["ZH1", "culture_change_pp"] < 0
    # ZC1 (from June) and ZF1 (from August) step up on the pulse survey. The p-chart counts
    # people (about 65 a month at ZC1), not their answers: ZC1's months after the step are
    # flagged; ZF1's four months on about 45 people are not yet a signal.
    zc1 = overview.culture_by_month(sample, LOCAL, org_codes=["ZC1"])
    after = zc1[zc1["month"] >= pd.Timestamp("2025-06-01")]
    assert (after["point_type"] == "special_cause_improvement").sum() >= 3
    assert frame.at["ZC1", "culture_point_type"] == zc1["point_type"].iloc[-1]
    assert frame.at["ZA1", "culture_variation"] == "common_cause"
    # Readiness: ZC1's only check had 10 people, ZJ1's 4: suppressed, not zero.
    assert bool(frame.at["ZC1", "readiness_suppressed"]) and bool(
        frame.at["ZJ1", "readiness_suppressed"]
    )
    assert frame.at["ZK1", "readiness_variation"] == "no_data"
    activity = queries.pdsa_activity(sample, LOCAL, as_of=period.end).set_index("org_code")
    assert (frame["pdsa_cycles_90d"] == activity["cycles_last_90_days"].reindex(frame.index)).all()
    assert frame["lived_experience_share"].to_numpy() == pytest.approx(
        activity["lived_experience_share"].reindex(frame.index).to_numpy()
    )
    # Every icon is an SPC verdict or says why there is none; never "stable".
    for col in [c for c in frame.columns if c.endswith("_variation")]:
        assert set(frame[col]) <= {"common_cause", "improvement", "concern", "neutral"} | {
            "too_few_points",
            "no_data",
        }
    text = " ".join(overview.overview_table(frame.reset_index()).astype(str).to_numpy().ravel())
    assert "stable" not in text.lower()


def test_sample_detail_icons_match_the_charts(sample):
    as_of = dt.date(2025, 11, 24)
    frame = overview.system_overview(sample, LOCAL, as_of=as_of).set_index("org_code")
    for code in frame.index:
        detail = overview.org_detail(sample, LOCAL, code, as_of=as_of)
        assert detail.culture_month_summary["label"] == frame.at[code, "culture_variation_label"]
        assert detail.pdsa_month_summary["label"] == frame.at[code, "pdsa_variation_label"]
        months = detail.culture_by_month
        if months["spc"].any():
            shown = months[~months["suppressed"]]
            assert shown["point_type"].iloc[-1] == frame.at[code, "culture_point_type"]
    # Secondary check of the readiness team table: small teams never show a number.
    teams = overview.readiness_by_team(sample, LOCAL, "ZE1")
    small = teams[teams["suppressed"]]
    assert not small.empty and small["commitment"].isna().all() and small["n"].isna().all()
    assert np.isfinite(teams.loc[~teams["suppressed"], "commitment"]).all()
