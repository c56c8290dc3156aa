"""Importing the national NHS Staff Survey files as published (benchmark and detailed)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.ingest import UploadRefused, commit_upload, delete_upload, prepare_upload
from impact_data.measures import queries
from impact_data.measures.culture import culture_scores
from impact_data.measures.national import nss_question_results, nss_scores, releases, source_label
from impact_data.views.upload_report import how_it_was_read
from tests.files import csv_bytes
from tests.nss_files import (
    COUNT_HEADERS,
    FREQUENCY_HEADERS,
    GROUP_SHEETS,
    SATISFACTION_HEADERS,
    YES_NO_HEADERS,
    benchmark_workbook,
    detailed_workbook,
    detailed_zip,
)

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
    assert "importing 2 organisations of North ICS out of 6 in the file" in prepared.notes
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


# --- files as published (issue 14) -------------------------------------------------------

PUBLISHED_QUESTIONS = {
    "YOUR JOB": [
        ("q2a", "I look forward to going to work."),
        ("q3f", "I am able to make improvements happen in my area of work."),
        ("q4a", "The recognition I get for good work."),
    ],
    "HEALTH WELLBEING AND SAFETY": [
        (
            "q11c",
            "During the last 12 months have you felt unwell as a result of work related stress?",
        ),
        ("q12a", "How often, if at all, do you find your work emotionally exhausting?"),
        ("q13a", "Patients / service users, their relatives or other members of the public"),
    ],
}
PUBLISHED_SCALES = {
    "q2a": FREQUENCY_HEADERS,
    "q4a": SATISFACTION_HEADERS,
    "q11c": YES_NO_HEADERS,
    "q12a": FREQUENCY_HEADERS,
    "q13a": COUNT_HEADERS,
}
PUBLISHED_DIST = {
    ("RA1", "q2a"): [5.0, 10.0, 25.0, 40.0, 20.0],
    ("RA1", "q3f"): [5.0, 10.0, 20.0, 40.0, 25.0],
    ("RA1", "q4a"): [4.0, 11.0, 30.0, 35.0, 20.0],
    ("RA1", "q11c"): [44.5, 55.5],
    ("RA1", "q12a"): [10.0, 20.0, 37.0, 23.0, 10.0],
    ("RA1", "q13a"): [85.0, 9.0, 3.0, 2.0, 1.0],
}
NAME_2025 = "NSS25 detailed spreadsheets organisational results.xlsx"


def _published(orgs=DETAILED_ORGS, **kw):
    return detailed_workbook(
        orgs, PUBLISHED_QUESTIONS, PUBLISHED_DIST, scales=PUBLISHED_SCALES, **kw
    )


def test_every_question_type_with_its_distribution_and_direction(db):
    prepared, result = _commit(db, _published(), NAME_2025, "nss_detailed")
    assert result.row_counts["nss_question_results"] == 18
    frame = nss_question_results(db, LOCAL).set_index(["org_code", "question_code"])
    expected = {
        # code: (scale, reported option, % reported, higher is better, % favourable)
        "q2a": ("frequency", "Often / Always", 60.0, True, 60.0),
        "q3f": ("agree", "Agree / Strongly agree", 65.0, True, 65.0),
        "q4a": ("satisfaction", "Satisfied / Very satisfied", 55.0, True, 55.0),
        "q11c": ("yes_no", "Yes", 44.5, False, 55.5),
        "q12a": ("frequency", "Often / Always", 33.0, False, 67.0),
        "q13a": ("count", "1-2 / 3-5 / 6-10 / More than 10", 15.0, False, 85.0),
    }
    for code, (scale, option, reported, better, favourable) in expected.items():
        row = frame.loc[("RA1", code)]
        assert row["answer_scale"] == scale, code
        assert row["reported_option"] == option, code
        assert row["positive_pct"] == pytest.approx(reported), code
        assert bool(row["higher_is_better"]) is better, code
        assert row["favourable_pct"] == pytest.approx(favourable), code
        assert row["responses"] > 0
    assert frame.loc[("RA1", "q13a"), "distribution"] == {
        "Never": 85.0,
        "1-2": 9.0,
        "3-5": 3.0,
        "6-10": 2.0,
        "More than 10": 1.0,
    }
    assert frame.loc[("RA1", "q11c"), "distribution"] == {"Yes": 44.5, "No": 55.5}
    # Only agreement questions fill the Strongly disagree ... Strongly agree columns.
    assert math.isnan(frame.loc[("RA1", "q2a"), "pct_agree"])
    assert frame.loc[("RA1", "q3f"), "pct_strongly_agree"] == 25.0
    assert any("6 on the" not in n and "frequency (Never ... Always)" in n for n in prepared.notes)
    assert any("lower is better" in n and "q11c" in n and "q13a" in n for n in prepared.notes)


def test_detailed_zip_reads_the_organisational_results_workbook(db):
    data = detailed_zip(_published())
    prepared, result = _commit(db, data, "NSS25-Detailed-spreadsheets.zip", "nss_detailed")
    assert prepared.source_workbook == NAME_2025
    assert any(NAME_2025 in n and "organisational results" in n for n in prepared.notes)
    assert prepared.release_year == 2025  # from the workbook's name inside the zip
    read = how_it_was_read(prepared)
    assert any(f"We read {NAME_2025}" in line and "only hold averages" in line for line in read)
    assert any("marked “lower is better” automatically: q11c, q12a, q13a" in line for line in read)
    assert result.row_counts["nss_question_results"] == 18
    again = prepare_upload(db, data, "NSS25-Detailed-spreadsheets.zip", "nss_detailed")
    assert [p.category for p in again.problems] == ["duplicate_file"]


def test_a_zip_bomb_or_an_unclear_zip_is_refused(db):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "NSS25 detailed spreadsheets organisational results.xlsx", b"\0" * (60 << 20)
        )
    bomb = prepare_upload(db, buffer.getvalue(), "NSS25.zip", "nss_detailed")
    assert bomb.problems[0].category == "unreadable"
    assert "would unpack to" in bomb.problems[0].message
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.xlsx", _published())
        archive.writestr("b.xlsx", _published(seed=3))
    unclear = prepare_upload(db, buffer.getvalue(), "NSS25.zip", "nss_detailed")
    assert "cannot tell which workbook" in unclear.problems[0].message
    assert "a.xlsx, b.xlsx" in unclear.problems[0].message
    assert nss_question_results(db, LOCAL).empty


def test_an_out_of_range_cell_in_a_zip_loads_nothing(db):
    dist = {**PUBLISHED_DIST, ("RC1", "q11c"): [80.0, 20.0], ("RC1", "q2a"): [0, 0, 0, 70.0, 60.0]}
    data = detailed_zip(
        detailed_workbook(DETAILED_ORGS, PUBLISHED_QUESTIONS, dist, scales=PUBLISHED_SCALES)
    )
    prepared = prepare_upload(db, data, "NSS25.zip", "nss_detailed")
    assert [(p.category, p.row) for p in prepared.problems] == [("out_of_range", 7)]
    assert "the % choosing Often / Always is over 100" in prepared.problems[0].message
    with pytest.raises(UploadRefused):
        commit_upload(db, prepared)
    assert nss_question_results(db, LOCAL).empty and queries.organisations(db, LOCAL).empty


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("ST19-detailed-organisational-results.xlsx", "Staff survey", 2019),
        ("P101197-ST20-detailed-spreadsheets.xlsx", "Staff survey", 2020),
        (
            "detailed spreadsheets organisational results.xlsx",
            "NHS Staff Survey 2022 results",
            2022,
        ),
        ("organisational results.xlsx", "2021 NHS Staff Survey: detailed spreadsheets", 2021),
    ],
)
def test_survey_year_from_older_names_or_the_title_cells(db, name, title, year):
    prepared, _ = _commit(db, _published(title=title), name, "nss_detailed")
    assert prepared.release_year == year
    assert set(nss_question_results(db, LOCAL)["year"]) == {year}


def test_weighting_occupation_group_wins_over_unweighted(db):
    data = _published(weightings=("Unweighted", "Occupation Group"))
    prepared, result = _commit(db, data, NAME_2025, "nss_detailed")
    assert result.row_counts["nss_question_results"] == 18  # one row per org and question
    assert any(
        "'Unweighted' row(s) set aside" in n and "Occupation Group" in n for n in prepared.notes
    )
    frame = nss_question_results(db, LOCAL).set_index(["org_code", "question_code"])
    # The distribution given for RA1 went to both rows; the random one differs per row.
    assert frame.loc[("RA1", "q3f"), "positive_pct"] == pytest.approx(65.0)
    only_unweighted = _published(weightings=("Unweighted",), seed=9)
    prepared = prepare_upload(db, only_unweighted, "NSS24 detailed.xlsx", "nss_detailed")
    assert prepared.ok and len(prepared.tables["nss_question_results"].frame) == 18


MERGED_CCG = "04Y/05D/05G/05Q/05V/05W"


def test_long_merged_organisation_codes_load_on_both_databases(db):
    orgs = [
        *DETAILED_ORGS,
        (MERGED_CCG, "NHS Greater Manchester CCG", "CCGs", "-"),
    ]
    assert len(MERGED_CCG) == 23
    _commit(db, _published(orgs, regions={MERGED_CCG: "-"}), "NSS21 detailed.xlsx", "nss_detailed")
    stored = queries.organisations(db, LOCAL).set_index("org_code")
    assert stored.at[MERGED_CCG, "org_type"] == "other"
    assert MERGED_CCG in set(nss_question_results(db, LOCAL)["org_code"])
    too_long = "/".join(f"0{i}X" for i in range(30))
    refused = prepare_upload(
        db, _published([(too_long, "Merged", "CCGs", "-")]), "NSS21 b.xlsx", "nss_detailed"
    )
    assert refused.problems[0].category == "too_long"
    assert "codes of up to 100" in refused.problems[0].message


def test_social_enterprises_and_community_surgical_services_keep_their_own_groups(db):
    groups = {
        "RSE1": "Social Enterprises - Community",
        "RSE2": "Social Enterprises - Mental Health",
        "RSE3": "Social Enterprises MH",
        "RCS1": "Community Surgical Services",
        "RC1": "Community Trusts",
        "RM1": "Mental Health & Learning Disability Trusts",
    }
    orgs = [(code, f"Org {code}", group, "-") for code, group in groups.items()]
    _commit(db, _published(orgs), NAME_2025, "nss_detailed")
    stored = queries.organisations(db, LOCAL).set_index("org_code")
    types = stored["org_type"].to_dict()
    assert types == {
        "RSE1": "other",
        "RSE2": "other",
        "RSE3": "other",
        "RCS1": "other",
        "RC1": "community",
        "RM1": "mental_health",
    }
    assert stored.at["RSE2", "benchmark_group"] == "Social Enterprises - Mental Health"


def test_dash_identity_cells_are_missing_and_an_icb_is_in_its_own_system(db):
    orgs = [
        (
            "RM3",
            "Manchester University NHS FT",
            "Acute and Acute & Community Trusts",
            "Greater Manchester",
        ),
        ("QOP", "NHS Greater Manchester Integrated Care Board", "ICBs", "-"),
        ("DDD", "Some CSU", "CSUs", "*"),
        ("RZ9", "Elsewhere Trust", "Acute and Acute & Community Trusts", "South ICS"),
    ]
    data = _published(orgs, regions={"QOP": "-", "DDD": "<11"})
    prepared, _ = _commit(db, data, NAME_2025, "nss_detailed", system="Greater Manchester")
    stored = queries.organisations(db, LOCAL).set_index("org_code")
    assert sorted(stored.index) == ["QOP", "RM3"]
    assert stored.at["QOP", "org_type"] == "icb"
    assert stored.at["QOP", "system"] == "Greater Manchester"
    assert stored.at["QOP", "region"] is None or pd.isna(stored.at["QOP", "region"])
    assert "importing 2 organisations of Greater Manchester out of 4 in the file" in prepared.notes


def test_no_dash_system_from_a_full_import(db):
    orgs = [
        ("QOP", "NHS Greater Manchester ICB", "ICBs", "-"),
        ("DDD", "Some CSU", "CSUs", "-"),
    ]
    _commit(db, _published(orgs, regions={"QOP": "-", "DDD": "-"}), NAME_2025, "nss_detailed")
    stored = queries.organisations(db, LOCAL).set_index("org_code")
    assert "-" not in set(stored["system"].dropna()) and "-" not in set(stored["region"].dropna())
    assert stored.at["QOP", "system"] == "Greater Manchester"
    assert pd.isna(stored.at["DDD", "system"])


def test_cli_system_imports_the_icb(tmp_path, sqlite_db):
    from impact_data.cli import main

    orgs = [
        (
            "RM3",
            "Manchester University NHS FT",
            "Acute and Acute & Community Trusts",
            "Greater Manchester",
        ),
        ("QOP", "NHS Greater Manchester ICB", "ICBs", "-"),
        ("RZ9", "Elsewhere Trust", "Acute and Acute & Community Trusts", "South ICS"),
    ]
    path = tmp_path / NAME_2025
    path.write_bytes(_published(orgs))
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    code = main(
        [
            "--database",
            url,
            "load",
            str(path),
            "--kind",
            "nss_detailed",
            "--system",
            "Greater Manchester",
        ]
    )
    assert code == 0
    assert sorted(queries.organisations(sqlite_db, LOCAL)["org_code"]) == ["QOP", "RM3"]


def test_dash_and_suppressed_value_cells_are_missing(db):
    dist = {**PUBLISHED_DIST, ("RC1", "q3f"): ["-", "*", "<11", "", None]}
    _commit(
        db,
        detailed_workbook(DETAILED_ORGS, PUBLISHED_QUESTIONS, dist, scales=PUBLISHED_SCALES),
        NAME_2025,
        "nss_detailed",
    )
    frame = nss_question_results(db, LOCAL).set_index(["org_code", "question_code"])
    row = frame.loc[("RC1", "q3f")]  # kept for its base (responses), no % at all
    assert math.isnan(row["positive_pct"]) and math.isnan(row["pct_agree"])
    assert row["distribution"] == {}


def test_breakdown_columns_are_skipped_with_a_note_never_stored(db):
    breakdowns = ("equal_eth_summary_1", "q16b_eth_summary_2", "theme_eng_q31a_eth_1")
    data = benchmark_workbook(ORGS, [2024], breakdowns=breakdowns)
    prepared, _ = _commit(db, data, "NSS24 benchmark.xlsx")
    scores = nss_scores(db, LOCAL)
    assert not scores["metric_code"].str.contains("eth").any()
    assert "other" not in set(scores["metric_type"])
    note = next(n for n in prepared.notes if "breakdown column(s) skipped" in n)
    assert "equal_eth_summary_1_2024" in note and "theme_eng_q31a_eth_1_2024" in note


def test_benchmark_questions_know_their_direction(db):
    data = benchmark_workbook(ORGS, [2024, 2025], extra_questions=0)
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets[1:-1]:
        for year in (2024, 2025):
            for code in ("q11c", "q26a"):
                ws.cell(row=1, column=ws.max_column + 1, value=f"{code}_{year}")
                for r in range(2, ws.max_row + 1):
                    ws.cell(row=r, column=ws.max_column, value=0.3)
    buffer = io.BytesIO()
    wb.save(buffer)
    prepared, _ = _commit(db, buffer.getvalue(), "NSS25 benchmark.xlsx")
    scores = nss_scores(db, LOCAL, org_codes=["RA1"]).set_index(["metric_code", "year"])
    assert scores.at[("q11c", 2025), "higher_is_better"] == False  # noqa: E712
    assert scores.at[("q26a", 2025), "higher_is_better"] == False  # noqa: E712
    assert scores.at[("q3f", 2025), "higher_is_better"] == True  # noqa: E712
    assert pd.isna(scores.at[("PP1", 2025), "higher_is_better"])
    assert any("lower is better" in n and "q11c, q26a" in n for n in prepared.notes)
