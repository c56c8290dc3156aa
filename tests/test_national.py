"""Importing the national NHS Staff Survey files as published (benchmark and detailed)."""

from __future__ import annotations

import math

import pytest

from impact_data.access import Viewer
from impact_data.ingest import commit_upload, delete_upload, prepare_upload
from impact_data.measures import queries
from impact_data.measures.culture import culture_scores
from impact_data.measures.national import nss_question_results, nss_scores, releases, source_label
from tests.files import csv_bytes
from tests.nss_files import GROUP_SHEETS, benchmark_workbook, detailed_workbook

LOCAL = Viewer.local()
ORGS = {
    GROUP_SHEETS[0]: [("RA1", "Alpha Hospitals"), ("RA2", "Beta Hospitals")],
    GROUP_SHEETS[1]: [("RS1", "Specialist Trust")],
    GROUP_SHEETS[2]: [("RM1", "Moorside Mental Health")],
    GROUP_SHEETS[3]: [("RC1", "Vale Community")],
    GROUP_SHEETS[4]: [("RX1", "Northern Ambulance")],
}


def _commit(db, data, name, kind="nss_benchmark", **kw):
    prepared = prepare_upload(db, data, name, kind, **kw)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return prepared, commit_upload(db, prepared)


def test_benchmark_workbook_all_sheets_groups_and_organisations(db):
    data = benchmark_workbook(ORGS, [2021, 2022, 2023, 2024, 2025])
    prepared, result = _commit(db, data, "benchmark.xlsx")
    assert (
        "sheet(s) without organisation rows skipped: 'Notes', 'Organisation Benchmark groups'"
        in prepared.notes
    )
    assert any("significance (_sig) column(s) skipped" in n for n in prepared.notes)
    orgs = queries.organisations(db, LOCAL).set_index("org_code")
    assert len(orgs) == 6
    assert orgs.at["RS1", "benchmark_group"] == "Acute Specialist Trusts"
    assert orgs.at["RS1", "org_type"] == "specialist"
    assert orgs.at["RM1", "org_type"] == "mental_health"
    assert orgs.at["RX1", "org_type"] == "ambulance"
    assert orgs.at["RA1", "org_name"] == "Alpha Hospitals"
    scores = nss_scores(db, LOCAL)
    assert sorted(scores["year"].unique()) == [2021, 2022, 2023, 2024, 2025]
    assert set(scores["benchmark_group"]) == set(GROUP_SHEETS)
    assert result.row_counts["nss_values"] == len(scores)


def test_fractions_become_percentages_and_n_attaches_to_its_metric(db):
    import io

    from openpyxl import load_workbook

    data = benchmark_workbook(ORGS, [2024, 2025])
    sheet = load_workbook(io.BytesIO(data))[GROUP_SHEETS[0]]
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]  # RA1
    _commit(db, data, "b.xlsx")
    scores = nss_scores(db, LOCAL, org_codes=["RA1"]).set_index(["metric_code", "year"])
    assert scores.at[("q3f", 2025), "value"] == pytest.approx(row[header.index("q3f_2025")] * 100)
    assert scores.at[("PP4_2", 2024), "value"] == pytest.approx(row[header.index("PP4_2_2024")])
    assert scores.at[("PP4_2", 2024), "n"] == row[header.index("PP4_2_n_2024")]
    assert scores.at[("response_rate", 2025), "value"] == pytest.approx(
        row[header.index("response_rate_2025")] * 100
    )
    assert scores.at[("PP1", 2025), "metric_type"] == "element"
    assert scores.at[("theme_engagement", 2025), "metric_type"] == "theme"
    assert scores.at[("E_2", 2025), "metric_name"] == "Involvement"


@pytest.mark.parametrize("marker", ["-", "*", "<11", None])
def test_missing_markers_are_missing_never_zero(db, marker):
    data = benchmark_workbook(
        ORGS, [2025], missing={("RA1", "PP1_2025"): marker, ("RA1", "q3f_2025"): marker}
    )
    _commit(db, data, "b.xlsx")
    scores = nss_scores(db, LOCAL, org_codes=["RA1"]).set_index(["metric_code", "year"])
    pp1 = scores.loc[("PP1", 2025)]
    assert math.isnan(pp1["value"])  # kept only because its _n count exists
    assert ("q3f", 2025) not in scores.index
    assert (scores["value"].dropna() != 0).all()


def test_out_of_range_values_are_problems(db):
    data = benchmark_workbook(
        ORGS, [2025], missing={("RA2", "PP1_2025"): 11.5, ("RA2", "q3c_2025"): 64}
    )
    prepared = prepare_upload(db, data, "b.xlsx", "nss_benchmark")
    messages = sorted(str(p) for p in prepared.problems)
    assert messages == [
        f"sheet '{GROUP_SHEETS[0]}', row 3, column PP1_2025: PP1_2025: a score must be between 0 and 10 (found: 11.5)",
        f"sheet '{GROUP_SHEETS[0]}', row 3, column q3c_2025: q3c_2025: should be a fraction between 0 and 1 (found: 64)",
    ]


def test_second_release_replaces_first_with_differences_reported(db):
    first = benchmark_workbook(ORGS, [2020, 2021, 2022, 2023, 2024], seed=5)
    _commit(db, first, "NSS24 benchmark.xlsx")
    second = benchmark_workbook(ORGS, [2021, 2022, 2023, 2024, 2025], seed=5, shift=0.1)
    prepared, _ = _commit(db, second, "NSS25 benchmark.xlsx")
    assert prepared.release_year == 2025
    changes = prepared.release_changes
    assert not changes.empty and set(changes["stored_release"]) == {2024}
    assert any(
        "differ in this release" in n and "views will use the newest release" in n
        for n in prepared.notes
    )
    scores = nss_scores(db, LOCAL, org_codes=["RA1"]).set_index(["metric_code", "year"])
    assert scores.at[("PP1", 2023), "release_year"] == 2025
    # PP1 for 2020 exists only in the older release and PP codes are stable: kept.
    assert scores.at[("PP1", 2020), "release_year"] == 2024
    # Question codes are renumbered per release: 2020's q3f (old release only) is left out.
    assert ("q3f", 2020) not in scores.index
    assert scores.at[("q3f", 2021), "release_year"] == 2025
    assert list(releases(db, LOCAL)["release_year"]) == [2025, 2024]
    assert source_label(db).startswith("NHS Staff Survey 2025 benchmark data, release loaded")


def test_import_only_one_system(db):
    orgs_file = [
        ["org_code", "org_name", "org_type", "system"],
        ["RA1", "Alpha", "acute", "North ICS"],
        ["RC1", "Vale", "community", "North ICS"],
    ]
    commit_upload(db, prepare_upload(db, csv_bytes(orgs_file), "orgs.csv", "organisations"))
    data = benchmark_workbook(ORGS, [2025])
    prepared, _ = _commit(db, data, "b.xlsx", system="North ICS")
    assert "importing 2 organisation(s) of North ICS out of 6 in the file" in prepared.notes
    assert sorted(nss_scores(db, LOCAL)["org_code"].unique()) == ["RA1", "RC1"]
    nowhere = prepare_upload(
        db, benchmark_workbook(ORGS, [2024]), "c.xlsx", "nss_benchmark", system="South ICS"
    )
    assert nowhere.problems[0].category == "scope"


QUESTIONS = {
    "YOUR JOB Q1-3": [
        ("q3c", "There are frequent opportunities for me to show initiative in my role."),
        ("q3f", "I am able to make improvements happen in my area of work."),
    ],
    "YOUR MANAGERS": [
        (
            "q9f",
            "My immediate manager works together with me to come to an understanding of problems.",
        )
    ],
}
DETAILED_ORGS = [
    ("RA1", "Alpha Hospitals", "Acute and Acute & Community Trusts", "North ICS"),
    ("RC1", "Vale Community", "Community Trusts", "North ICS"),
    ("RZ9", "Elsewhere Trust", "Acute and Acute & Community Trusts", "South ICS"),
]


def test_detailed_spreadsheets_distribution_and_positive(db):
    dist = {("RA1", "q3f"): [5.0, 10.0, 20.0, 40.0, 25.0]}
    data = detailed_workbook(DETAILED_ORGS, QUESTIONS, dist)
    prepared, result = _commit(
        db, data, "NSS25 detailed spreadsheets organisational results.xlsx", "nss_detailed"
    )
    assert prepared.release_year == 2025
    assert result.row_counts["nss_question_results"] == 9
    frame = nss_question_results(db, LOCAL).set_index(["org_code", "question_code"])
    row = frame.loc[("RA1", "q3f")]
    assert row["positive_pct"] == pytest.approx(65.0)
    assert [
        row["pct_strongly_disagree"],
        row["pct_disagree"],
        row["pct_neither"],
        row["pct_agree"],
        row["pct_strongly_agree"],
    ] == [5, 10, 20, 40, 25]
    assert row["year"] == 2025 and row["responses"] > 0
    assert row["question_text"] == "I am able to make improvements happen in my area of work."
    orgs = queries.organisations(db, LOCAL).set_index("org_code")
    assert orgs.at["RA1", "system"] == "North ICS"
    assert orgs.at["RC1", "benchmark_group"] == "Community Trusts"


def test_detailed_scope_uses_the_files_ics_column(db):
    data = detailed_workbook(DETAILED_ORGS, QUESTIONS)
    _commit(db, data, "NSS24 detailed.xlsx", "nss_detailed", system="North ICS")
    assert sorted(nss_question_results(db, LOCAL)["org_code"].unique()) == ["RA1", "RC1"]
    assert set(nss_question_results(db, LOCAL)["year"]) == {2024}


def test_detailed_year_must_be_known(db):
    data = detailed_workbook(DETAILED_ORGS, QUESTIONS)
    prepared = prepare_upload(db, data, "results.xlsx", "nss_detailed")
    assert prepared.problems[0].category == "year"
    assert prepare_upload(db, data, "results.xlsx", "nss_detailed", survey_year=2023).ok


def test_national_data_feeds_the_culture_measure_and_deletes_cleanly(db):
    data = detailed_workbook(
        DETAILED_ORGS, QUESTIONS, {("RA1", "q3f"): [5.0, 10.0, 20.0, 40.0, 25.0]}
    )
    _, result = _commit(db, data, "NSS25 detailed.xlsx", "nss_detailed")
    scores = culture_scores(db, LOCAL, source="national")
    q = scores["questions"].set_index(["org_code", "question_code"])
    assert q.at[("RA1", "q3f"), "favourable_pct"] == pytest.approx(65.0)
    assert q.at[("RA1", "q3f"), "period"] == 2025
    delete_upload(db, result.upload_id)
    assert nss_question_results(db, LOCAL).empty
    assert queries.organisations(db, LOCAL).empty


def test_a_non_national_file_is_refused(db):
    prepared = prepare_upload(db, csv_bytes([["a", "b"], [1, 2]]), "x.csv", "nss_benchmark")
    assert prepared.problems[0].category == "empty"
