"""The PDSA data layer: registry with SPC icons, cadence, chart data, system views and entries
typed on the page (both databases)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import commit_upload, delete_upload, prepare_upload
from impact_data.measures import pdsa as pdsa_measures
from impact_data.measures import queries
from impact_data.store.models import PdsaCycle, PdsaMeasure, Upload
from impact_data.views import pdsa
from tests.files import ORGS, xlsx_bytes

LOCAL = Viewer.local()
MONDAYS = [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(11)]
# P1: ten ordinary weeks then a jump. Mean 147/11; moving ranges 2,1,2,1,1,1,1,2,1,18 (mean 3);
# screening drops 18 (> 3.267 x 3), so the mean moving range is 12/9 and the limits are
# 147/11 -+ 2.66 x 4/3 = 9.8170 and 16.9103.
P1_VALUES = [10, 12, 11, 13, 12, 11, 12, 13, 11, 12, 30]
P1_MEAN = 147 / 11
P1_LPL, P1_UPL = P1_MEAN - 2.66 * 12 / 9, P1_MEAN + 2.66 * 12 / 9

PROJECTS = [
    [
        "project_id",
        "org_code",
        "title",
        "aim",
        "start_date",
        "team",
        "measure_name",
        "improvement_direction",
        "target",
        "status",
        "lived_experience_involved",
        "change_ideas",
    ],
    [
        "P1",
        "ZA1",
        "Fewer falls",
        "Raise the score from 11 to 15 by June 2025",
        dt.date(2025, 1, 1),
        "Ward 1",
        "Score",
        "increase",
        10,
        "active",
        "yes",
        "Huddles; bay tagging",
    ],
    [
        "P2",
        "ZA1",
        "Quicker discharge",
        "Cut delays by half by 2026",
        dt.date(2025, 2, 1),
        "Ward 2",
        "Delays",
        "decrease",
        None,
        "completed",
        "no",
        None,
    ],
    [
        "P3",
        "ZB1",
        "Appraisals",
        "Half of staff appraised by 2026",
        dt.date(2025, 1, 1),
        "Ward 1",
        "% appraised",
        None,
        None,
        "paused",
        "no",
        None,
    ],
]
CYCLES = [
    ["project_id", "cycle_no", "start_date", "end_date", "change_tested", "decision"],
    ["P1", 1, dt.date(2025, 1, 6), dt.date(2025, 1, 17), "Huddle on one shift", "adapt"],
    ["P1", 2, dt.date(2025, 1, 20), dt.date(2025, 2, 7), "Huddle on all shifts", "adopt"],
    ["P1", 3, dt.date(2025, 2, 17), None, "Bay tagging", None],
    ["P2", 1, dt.date(2025, 3, 3), dt.date(2025, 3, 10), "Discharge lounge", "abandon"],
    ["P3", 1, dt.date(2025, 1, 13), dt.date(2025, 1, 31), "Reminder emails", "adapt"],
]
MEASURES = [
    ["project_id", "date", "value", "numerator", "denominator"],
    *[["P1", d, v, None, None] for d, v in zip(MONDAYS, P1_VALUES, strict=True)],
    *[["P3", d, 50, 5, 10] for d in MONDAYS[:4]],
]


def load(db, data: bytes, name: str, kind: str):
    prepared = prepare_upload(db, data, name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


@pytest.fixture
def projects(db):
    load(db, xlsx_bytes({"Organisations": ORGS}), "orgs.xlsx", "organisations")
    load(
        db,
        xlsx_bytes({"Projects": PROJECTS, "Cycles": CYCLES, "Measures": MEASURES}),
        "pdsa.xlsx",
        "pdsa",
    )
    return db


def count(db, model) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


# --- pure helpers ---------------------------------------------------------------------


def test_cadence_days_are_gaps_between_starts_in_date_order():
    starts = [dt.date(2025, 2, 17), dt.date(2025, 1, 6), dt.date(2025, 1, 20)]
    assert pdsa.cadence_days(starts) == [14, 28]
    assert pdsa.median_cadence(starts) == 21.0
    assert pdsa.median_cadence([dt.date(2025, 1, 6)]) is None
    assert pdsa.median_cadence([]) is None


def test_decision_counts_treat_a_blank_decision_as_running():
    assert pdsa.decision_counts(["adopt", "adapt", None, "adapt", float("nan")]) == {
        "adopt": 1,
        "adapt": 2,
        "abandon": 0,
        "running": 2,
    }


def test_entry_csv_keeps_awkward_text_and_folds_line_breaks():
    row = {"project_id": "P1", "change_tested": 'Say "hello", then; wait\nand =1+1'}
    data = pdsa.entry_csv(["project_id", "change_tested"], row, "Entered by a, b")
    assert data.decode().splitlines()[2] == 'P1,"Say ""hello"", then; wait and =1+1"'


# --- the registry ---------------------------------------------------------------------


def test_project_summary_counts_cycles_cadence_and_decisions(projects):
    summary = pdsa.project_summary(projects, LOCAL).set_index("project_id")
    assert list(summary.index) == ["P1", "P2", "P3"]
    p1 = summary.loc["P1"]
    assert p1["cycles"] == 3
    assert p1["last_cycle"] == pd.Timestamp("2025-02-17")
    assert p1["latest_decision"] == "adopt"  # cycle 3 is still running
    assert p1["median_cadence_days"] == 21.0
    assert (p1["adopt"], p1["adapt"], p1["abandon"]) == (1, 1, 0)
    assert bool(p1["lived_experience_involved"]) is True
    assert summary.loc["P2", "latest_decision"] == "abandon"
    assert math.isnan(summary.loc["P2", "median_cadence_days"])


def test_project_summary_icons_equal_hand_computed_xmr(projects):
    summary = pdsa.project_summary(projects, LOCAL).set_index("project_id")
    p1 = summary.loc["P1"]
    assert p1["measure_points"] == 11
    assert p1["latest_point_type"] == "special_cause_improvement"  # 30 > 16.91
    assert p1["variation"] == "improvement" and p1["variation_direction"] == "high"
    assert p1["assurance"] == "hit_and_miss"  # target 10 lies between 9.82 and 16.91
    assert bool(p1["trial_limits"]) is True  # 11 points
    assert p1["variation_icon"] == "Special cause variation: improvement (high)"
    assert p1["assurance_icon"] == "Assurance: the target will be hit and miss"
    # No measure values: no icons, said in words.
    assert pd.isna(summary.loc["P2", "variation"])
    assert summary.loc["P2", "variation_icon"] == "No measure values yet"
    # All values equal: zero moving range, common cause; no direction, so no assurance.
    assert summary.loc["P3", "variation"] == "common_cause"
    assert summary.loc["P3", "assurance"] == "none"


def test_project_summary_filters_by_organisation_status_and_team(projects):
    def ids(**kw):
        return pdsa.project_summary(projects, LOCAL, **kw)["project_id"].tolist()

    assert ids(org_codes=["ZB1"]) == ["P3"]
    assert ids(statuses=["active"]) == ["P1"]
    assert ids(teams=["Ward 1"]) == ["P1", "P3"]
    assert ids(org_codes=["ZA1"], teams=["Ward 1"]) == ["P1"]
    assert pdsa.project_summary(projects, LOCAL, statuses=["stopped"]).empty


def test_project_summary_of_an_empty_database_has_the_columns(db):
    summary = pdsa.project_summary(db, LOCAL)
    assert summary.empty and list(summary.columns) == pdsa.SUMMARY_COLUMNS


def test_team_members_see_only_their_own_projects(projects):
    member = Viewer("ann", "team_member", frozenset({"ZB1"}))
    assert pdsa.project_summary(projects, member)["project_id"].tolist() == ["P3"]
    assert pdsa.project_detail(projects, member, "P1") is None


def test_table_icon_equals_the_chart_data_latest_point_type(projects):
    summary = pdsa.project_summary(projects, LOCAL).set_index("project_id")
    for project_id in ("P1", "P3"):
        data = pdsa.measure_chart_data(projects, LOCAL, project_id)
        latest = data[data["value"].notna()].iloc[-1]
        assert summary.loc[project_id, "latest_point_type"] == latest["point_type"]
        reading = pdsa.measure_reading(data)
        assert summary.loc[project_id, "variation_icon"] == reading["variation_label"]
        assert summary.loc[project_id, "assurance_icon"] == reading["assurance_label"]


# --- one project ----------------------------------------------------------------------


def test_project_detail_has_aim_measure_change_ideas_and_chart_choices(projects):
    p1 = pdsa.project_detail(projects, LOCAL, "P1")
    assert p1["aim"] == "Raise the score from 11 to 15 by June 2025"
    assert p1["change_ideas"] == "Huddles; bay tagging"
    assert p1["target"] == 10.0 and p1["improvement_direction"] == "increase"
    # P1's values are whole numbers, so a c-chart is offered too; XmR is recommended.
    assert p1["charts"] == ["xmr", "run", "c"] and p1["can_log"] is True
    assert p1["recommended_chart"] == "xmr"
    p3 = pdsa.project_detail(projects, LOCAL, "P3")
    assert p3["charts"] == ["xmr", "run", "p", "p'"]
    assert p3["recommended_chart"] in ("p", "p'")
    assert pdsa.project_detail(projects, LOCAL, "P9") is None


def test_cadence_of_a_project(projects):
    assert pdsa.cadence(projects, LOCAL, "P1") == {
        "cycles": 3,
        "days_between_starts": [14, 28],
        "median_days": 21.0,
        "shortest_days": 14,
        "longest_days": 28,
        "adopt": 1,
        "adapt": 1,
        "abandon": 0,
        "running": 1,
    }
    assert pdsa.cadence(projects, LOCAL, "P2")["median_days"] is None


def test_cycle_timeline_runs_a_cycle_without_end_date_to_the_reporting_date(projects):
    timeline = pdsa.cycle_timeline(projects, LOCAL, "P1", as_of=dt.date(2025, 3, 1))
    assert timeline["cycle_no"].tolist() == [1, 2, 3]
    assert timeline["running"].tolist() == [False, False, True]
    # To the newest value recorded by the reporting date (24 February): later ones do not count.
    assert timeline["bar_end"].iloc[2] == pd.Timestamp("2025-02-24")
    assert timeline["days"].tolist() == [11, 18, 7]
    assert timeline["days_since_previous"].iloc[1:].tolist() == [14.0, 28.0]
    assert timeline["decision_label"].tolist() == ["Adapt", "Adopt", "Running"]
    assert timeline["label"].iloc[0] == "Adapt: Huddle on one shift"
    assert pdsa.cycle_timeline(projects, LOCAL, "P9").empty


def test_cycle_annotations_name_each_cycle_and_decision(projects):
    marks = pdsa.cycle_annotations(projects, LOCAL, "P1")
    assert marks["label"].tolist() == ["C1 adapt", "C2 adopt", "C3 running"]
    assert marks["x"].tolist() == [
        pd.Timestamp(d) for d in ("2025-01-06", "2025-01-20", "2025-02-17")
    ]
    assert marks["description"].iloc[2] == "Cycle 3: Bay tagging (running)"


def test_next_cycle_number(projects):
    assert pdsa.next_cycle_no(projects, LOCAL, "P1") == 4
    assert pdsa.next_cycle_no(projects, LOCAL, "P9") == 1


# --- a measure's chart ----------------------------------------------------------------


def test_xmr_chart_data_has_hand_computed_limits_and_the_cycles_started(projects):
    data = pdsa.measure_chart_data(projects, LOCAL, "P1")
    assert data["value"].tolist() == P1_VALUES
    assert data["mean"].iloc[0] == pytest.approx(P1_MEAN)
    assert data["lpl"].iloc[0] == pytest.approx(P1_LPL)
    assert data["upl"].iloc[0] == pytest.approx(P1_UPL)
    assert data["target"].iloc[0] == 10.0
    assert data["point_type"].iloc[-1] == "special_cause_improvement"
    started = data["cycles_started"].tolist()
    assert started[0] == "Cycle 1" and started[2] == "Cycle 2" and started[6] == "Cycle 3"
    assert started.count("") == 8


def test_screening_off_widens_the_limits(projects):
    data = pdsa.measure_chart_data(projects, LOCAL, "P1", screen_outliers=False)
    assert data["upl"].iloc[0] == pytest.approx(P1_MEAN + 2.66 * 3.0)


def test_baseline_fixes_the_limits_from_the_first_points(projects):
    data = pdsa.measure_chart_data(projects, LOCAL, "P1", fix_after_n_points=4)
    # First 4 values 10, 12, 11, 13: mean 11.5, moving ranges 2, 1, 2.
    assert data["mean"].iloc[-1] == pytest.approx(11.5)
    assert data["upl"].iloc[-1] == pytest.approx(11.5 + 2.66 * 5 / 3)
    assert data["baseline"].sum() == 4


def test_rebase_recalculates_limits_from_the_chosen_date(projects):
    data = pdsa.measure_chart_data(projects, LOCAL, "P1", rebase_at=[pd.Timestamp("2025-02-17")])
    assert data["segment"].tolist() == [0] * 6 + [1] * 5
    assert data["mean"].iloc[0] == pytest.approx(sum(P1_VALUES[:6]) / 6)
    assert data["mean"].iloc[-1] == pytest.approx(sum(P1_VALUES[6:]) / 5)


def test_bad_chart_settings_raise_a_message_for_the_user(projects):
    with pytest.raises(ValueError, match="rebase date"):
        pdsa.measure_chart_data(projects, LOCAL, "P1", rebase_at=[pd.Timestamp("2030-01-01")])
    with pytest.raises(ValueError, match="numerator and denominator"):
        pdsa.measure_chart_data(projects, LOCAL, "P1", chart="p")
    with pytest.raises(ValueError, match="no project"):
        pdsa.measure_chart_data(projects, LOCAL, "P9")


def test_reading_says_what_the_xmr_chart_shows(projects):
    reading = pdsa.measure_reading(pdsa.measure_chart_data(projects, LOCAL, "P1"))
    assert reading["variation_label"] == "Special cause variation: improvement (high)"
    assert reading["assurance_label"] == "Assurance: the target will be hit and miss"
    assert reading["trial_limits"] is True
    sentence = reading["sentence"]
    assert "(30.0, 17 Mar 2025) is above the upper process limit (16.9)" in sentence
    assert "special cause improvement" in sentence
    assert "hit and miss" in sentence
    assert "trial limits" in sentence and "11 points" in sentence


def test_run_chart_data_and_reading(projects):
    data = pdsa.measure_chart_data(projects, LOCAL, "P1", chart="run")
    assert data["median"].iloc[0] == 12.0
    assert data.attrs["run_chart"]["n_useful"] == 7  # four points sit on the median
    reading = pdsa.measure_reading(data)
    assert reading["variation_label"] == "Run chart: not enough data"
    assert "Not enough data" in reading["sentence"]


def test_p_chart_data_when_numerators_and_denominators_are_given(projects):
    data = pdsa.measure_chart_data(projects, LOCAL, "P3", chart="p")
    assert data["p"].tolist() == [0.5] * 4
    assert data["ucl"].iloc[0] == pytest.approx(0.5 + 3 * math.sqrt(0.025))
    assert pdsa.measure_reading(data)["variation_label"] == "Common cause variation"


def test_reading_of_a_measure_without_values(projects):
    data = pdsa.measure_chart_data(projects, LOCAL, "P2")
    assert data.empty
    assert pdsa.measure_reading(data)["variation_label"] == "No measure values yet"


# --- the system -----------------------------------------------------------------------


def test_cycles_per_month_per_organisation_and_across_the_system(projects):
    per_org = pdsa.cycles_per_month(projects, LOCAL)
    assert list(per_org.itertuples(index=False, name=None)) == [
        (pd.Timestamp("2025-01-01"), "ZA1", 2),
        (pd.Timestamp("2025-01-01"), "ZB1", 1),
        (pd.Timestamp("2025-02-01"), "ZA1", 1),
        (pd.Timestamp("2025-03-01"), "ZA1", 1),
    ]
    system = pdsa.system_cycles_per_month(projects, LOCAL)
    assert system["cycles"].tolist() == [3, 1, 1]
    assert system["organisations"].tolist() == [2, 1, 1]
    only_zb1 = pdsa.system_cycles_per_month(projects, LOCAL, org_codes=["ZB1"])
    assert only_zb1["cycles"].tolist() == [1]
    assert pdsa.system_cycles_per_month(projects, LOCAL, org_codes=["ZC1"]).empty


def test_portfolio_lived_experience_share_and_decisions(projects):
    frame = pdsa.portfolio(projects, LOCAL).set_index("org_code")
    assert frame.loc["ZA1", "projects"] == 2
    assert frame.loc["ZA1", "lived_experience_share"] == 0.5
    assert frame.loc["ZB1", "lived_experience_share"] == 0.0
    assert math.isnan(frame.loc["ZC1", "lived_experience_share"])
    za1 = frame.loc["ZA1"]
    assert (za1["adopt"], za1["adapt"], za1["abandon"], za1["running"]) == (1, 1, 1, 1)
    totals = pdsa.portfolio_totals(pdsa.portfolio(projects, LOCAL))
    assert totals["projects"] == 3 and totals["lived_experience_projects"] == 1
    assert totals["lived_experience_share"] == pytest.approx(1 / 3)
    assert totals["adapt_share"] == pytest.approx(2 / 4)
    decisions = pdsa.decision_table(pdsa.portfolio(projects, LOCAL, org_codes=["ZB1"]))
    assert decisions["cycles"].tolist() == [0, 1, 0]
    assert decisions["share"].tolist() == [0.0, 1.0, 0.0]


# --- entries typed on the page --------------------------------------------------------


def test_log_cycle_adds_exactly_one_row_as_an_upload(projects):
    before = count(projects, PdsaCycle)
    result = pdsa.log_cycle(
        projects,
        LOCAL,
        "P1",
        cycle_no=4,
        start_date=dt.date(2025, 3, 3),
        end_date=dt.date(2025, 3, 14),
        change_tested="Bay tagging, nights too",
        prediction="Fewer falls at night",
        what_happened="Done on 9 of 10 nights",
        learning="Needs a rota slot",
        decision="adopt",
    )
    assert count(projects, PdsaCycle) == before + 1
    assert result.row_counts == {"pdsa_cycles": 1}
    with projects.connect() as conn:
        upload = conn.execute(select(Upload).where(Upload.id == result.upload_id)).one()
    assert upload.file_name == pdsa.CYCLE_ENTRY_FILE
    assert upload.uploaded_by == "local user" and upload.kind == "pdsa"
    cycle = queries.pdsa_cycles(projects, LOCAL, project_ids=["P1"]).iloc[-1]
    assert (cycle["cycle_no"], cycle["decision"]) == (4, "adopt")
    assert cycle["change_tested"] == "Bay tagging, nights too"
    assert pdsa.next_cycle_no(projects, LOCAL, "P1") == 5
    # The entry is an upload like any other: deleting it removes exactly its row.
    delete_upload(projects, result.upload_id)
    assert count(projects, PdsaCycle) == before


def test_log_cycle_takes_the_next_number_when_none_is_given(projects):
    pdsa.log_cycle(projects, LOCAL, "P2", start_date=dt.date(2025, 4, 1))
    assert queries.pdsa_cycles(projects, LOCAL, project_ids=["P2"])["cycle_no"].tolist() == [1, 2]


def test_the_same_cycle_typed_twice_is_refused_as_a_duplicate_cycle_number(projects):
    entry = {"cycle_no": 4, "start_date": dt.date(2025, 3, 3), "change_tested": "Same"}
    pdsa.log_cycle(projects, LOCAL, "P1", **entry)
    before = count(projects, PdsaCycle)
    with pytest.raises(pdsa.EntryRefused) as refused:
        pdsa.log_cycle(projects, LOCAL, "P1", **entry)
    assert count(projects, PdsaCycle) == before
    [problem] = refused.value.problems
    assert problem.category == "already_loaded"
    assert problem.message.startswith("already loaded in upload")
    assert refused.value.messages()[0].startswith("Cycle number: already loaded in upload")


def test_log_cycle_refuses_an_existing_cycle_number_from_a_file(projects):
    with pytest.raises(pdsa.EntryRefused) as refused:
        pdsa.log_cycle(projects, LOCAL, "P1", cycle_no=2, start_date=dt.date(2025, 3, 3))
    assert "the same Project, Cycle number;" in refused.value.messages()[0]  # the form's words


def test_log_cycle_refuses_an_unknown_project_with_the_standard_message(projects):
    before = count(projects, Upload)
    with pytest.raises(pdsa.EntryRefused) as refused:
        pdsa.log_cycle(projects, LOCAL, "P9", cycle_no=1, start_date=dt.date(2025, 3, 3))
    [problem] = refused.value.problems
    assert problem.category == "unknown_project"
    [message] = refused.value.messages()
    assert message.startswith("Project: unknown project")
    assert message.endswith("(found: P9)")
    assert count(projects, Upload) == before


def test_log_cycle_refuses_bad_dates(projects):
    with pytest.raises(pdsa.EntryRefused) as refused:
        pdsa.log_cycle(
            projects,
            LOCAL,
            "P1",
            cycle_no=4,
            start_date=dt.date(2025, 3, 3),
            end_date=dt.date(2025, 3, 1),
        )
    assert refused.value.messages()[0].startswith("End date: “End date” is before “Start date”")
    with pytest.raises(pdsa.EntryRefused) as refused:
        pdsa.log_cycle(projects, LOCAL, "P1", cycle_no=4, start_date=None)
    assert refused.value.messages() == ["Start date: a value is required in “Start date”"]


def test_another_organisations_project_is_refused(projects):
    member = Viewer("ann", "team_member", frozenset({"ZB1"}))
    before = count(projects, PdsaCycle)
    with pytest.raises(AccessDenied, match="your own organisation"):
        pdsa.log_cycle(projects, member, "P1", cycle_no=4, start_date=dt.date(2025, 3, 3))
    assert count(projects, PdsaCycle) == before


def test_a_team_member_may_log_for_their_own_project(projects):
    member = Viewer("ann", "team_member", frozenset({"ZB1"}))
    result = pdsa.log_cycle(projects, member, "P3", cycle_no=2, start_date=dt.date(2025, 3, 3))
    with projects.connect() as conn:
        uploaded_by = conn.execute(
            select(Upload.uploaded_by).where(Upload.id == result.upload_id)
        ).scalar_one()
    assert uploaded_by == "ann"


def test_log_measure_adds_a_value_that_the_chart_shows(projects):
    before = count(projects, PdsaMeasure)
    pdsa.log_measure(projects, LOCAL, "P1", date=dt.date(2025, 3, 24), value=14.5, note="typed")
    assert count(projects, PdsaMeasure) == before + 1
    data = pdsa.measure_chart_data(projects, LOCAL, "P1")
    assert data["value"].iloc[-1] == 14.5 and data["note"].iloc[-1] == "typed"
    with pytest.raises(pdsa.EntryRefused) as refused:
        pdsa.log_measure(projects, LOCAL, "P1", date=dt.date(2025, 3, 24), value=3)
    assert refused.value.messages()[0].startswith("Date: already loaded in upload")
    with pytest.raises(pdsa.EntryRefused) as refused:
        pdsa.log_measure(
            projects, LOCAL, "P1", date=dt.date(2025, 3, 31), value=1, numerator=5, denominator=2
        )
    [message] = refused.value.messages()
    assert message == "Numerator: Numerator is larger than Denominator (found: 5 > 2)"
    assert count(projects, PdsaMeasure) == before + 1


def test_proportion_scale_reads_the_units_of_the_values():
    frame = pd.DataFrame({"numerator": [70.0, 81.0], "denominator": [86.0, 91.0]})
    assert pdsa.proportion_scale(frame.assign(value=[81.4, 89.0])) == 100.0
    assert pdsa.proportion_scale(frame.assign(value=[0.814, 0.89])) == 1.0
    assert pdsa.proportion_scale(frame.assign(value=[3.0, 4.0])) is None


def test_a_refusal_without_a_problem_list_still_says_why():
    refused = pdsa.EntryRefused("the cycle was not saved: someone else added it a moment ago")
    assert refused.messages() == ["the cycle was not saved: someone else added it a moment ago"]


# --- chart choice: what the data allow and which one is recommended ---------------------


def _measure_frame(values, numerators=None, denominators=None, exposures=None):
    n = len(values)
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=n, freq="MS"),
            "value": values,
            "numerator": numerators if numerators is not None else [None] * n,
            "denominator": denominators if denominators is not None else [None] * n,
            "exposure": exposures if exposures is not None else [None] * n,
        }
    )


def test_an_exposure_column_offers_and_recommends_the_u_chart():
    frame = _measure_frame([4, 6, 3], exposures=[2100, 2400, 1900])
    assert pdsa.available_charts(frame) == ["xmr", "run", "u", "c"]
    chart, why = pdsa.recommend_chart(frame)
    assert chart == "u" and why.startswith("Recommended: u-chart")
    # 13 infections in 6,400 bed days = 0.00203 a day: per 1,000 bed days puts it at 2.03.
    counts, exposure = pdsa.rate_data(frame)
    assert pdsa.rate_multiplier(frame["value"].astype(float), counts, exposure) == 1_000
    # Values already given as rates per 10,000 keep their own scale.
    rates = counts / exposure * 10_000
    assert pdsa.rate_multiplier(rates, counts, exposure) == 10_000


def test_proportions_recommend_p_or_laney_p_prime_by_sigma_z():
    rng = np.random.default_rng(2)
    n = rng.integers(12000, 18000, 36)
    numerators = rng.binomial(n, rng.normal(0.74, 0.03, 36))
    wandering = _measure_frame(100 * numerators / n, numerators, n)
    assert pdsa.available_charts(wandering) == ["xmr", "run", "p", "p'"]
    chart, why = pdsa.recommend_chart(wandering)
    assert chart == "p'" and "p' chart (Laney)" in why
    steady = _measure_frame([50.0, 52.0, 49.0], [50, 52, 49], [100, 100, 100])
    assert pdsa.recommend_chart(steady)[0] == "p"  # too few points to judge sigma_z
    # A numerator within its denominator is a proportion, never offered as a u-chart.
    assert "u" not in pdsa.available_charts(steady)


def test_plain_values_recommend_xmr_and_fractions_are_not_counts():
    frame = _measure_frame([11.5, 12.25, 10.0])
    assert pdsa.available_charts(frame) == ["xmr", "run"]
    assert pdsa.recommend_chart(frame)[0] == "xmr"


def test_lived_experience_share_is_one_definition_by_year_and_overall(db):
    """Projects that did not record lived experience count in neither the numerator nor the
    denominator, the same in the yearly figure and in `pdsa_activity`."""
    rows = [PROJECTS[0]]
    for pid, org, start, lived in [
        ("L1", "ZA1", dt.date(2024, 3, 1), "yes"),
        ("L2", "ZA1", dt.date(2024, 5, 1), "no"),
        ("L3", "ZA1", dt.date(2024, 6, 1), None),
        ("L4", "ZA1", dt.date(2025, 2, 1), "yes"),
        ("L5", "ZB1", dt.date(2025, 2, 1), None),
    ]:
        row = list(PROJECTS[1])
        row[0], row[1], row[4], row[10] = pid, org, start, lived
        rows.append(row)
    load(db, xlsx_bytes({"Organisations": ORGS}), "orgs.xlsx", "organisations")
    load(db, xlsx_bytes({"Projects": rows}), "projects.xlsx", "pdsa")
    by_year = pdsa_measures.lived_experience_by_year(db, LOCAL).set_index(["org_code", "year"])
    assert by_year.loc[("ZA1", 2024), "projects"] == 3
    assert by_year.loc[("ZA1", 2024), "lived_experience_projects"] == 1
    assert by_year.loc[("ZA1", 2024), "lived_experience_share"] == pytest.approx(0.5)
    assert by_year.loc[("ZA1", 2025), "lived_experience_share"] == 1.0
    assert math.isnan(by_year.loc[("ZB1", 2025), "lived_experience_share"])
    activity = pdsa_measures.pdsa_activity(db, LOCAL, as_of=dt.date(2025, 3, 1)).set_index(
        "org_code"
    )
    za1 = by_year.loc["ZA1"]
    assert activity.at["ZA1", "lived_experience_share"] == pytest.approx(
        za1["lived_experience_projects"].sum() / za1["lived_experience_recorded"].sum()
    )


def test_measure_points_are_the_measure_rows_the_icons_read(projects):
    full = pdsa_measures.pdsa_measures(projects, LOCAL)
    points = pdsa_measures.pdsa_measure_points(projects, LOCAL)
    pd.testing.assert_frame_equal(points, full[["project_id", "date", "value"]])
    p1 = pdsa_measures.pdsa_measure_points(projects, LOCAL, project_ids=["P1"])
    assert len(p1) == 11 and set(p1["project_id"]) == {"P1"}
    assert p1["date"].is_monotonic_increasing


def test_registry_filters_pick_rows_without_recomputing(projects):
    def blanks_as_none(frame: pd.DataFrame) -> pd.DataFrame:
        # A column of one blank is inferred as object (None), in a longer one as str (NaN).
        return frame.astype(object).where(frame.notna(), None)

    everything = pdsa.project_summary(projects, LOCAL)
    for filters in ({"org_codes": ["ZB1"]}, {"statuses": ["active"]}, {"teams": ["Ward 1"]}):
        pd.testing.assert_frame_equal(
            blanks_as_none(pdsa.filter_registry(everything, **filters)),
            blanks_as_none(pdsa.project_summary(projects, LOCAL, **filters)),
        )
    assert pdsa.filter_registry(everything, statuses=["stopped"]).empty
