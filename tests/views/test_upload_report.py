"""The Upload page's report: problems grouped with their rows, mapping choices, display tables."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from impact_data import Viewer
from impact_data.ingest import Problem, prepare_upload
from impact_data.ingest.load import UploadResult
from impact_data.ingest.uploads import load_file
from impact_data.measures import queries
from impact_data.views.upload_report import (
    choice_label,
    codes_text,
    describe_group,
    editable_headers,
    file_size_text,
    group_problems,
    history_table,
    mapping_overview,
    overrides_text,
    problem_summary,
    problems_csv,
    result_text,
    row_ranges,
    rows_text,
    target_choices,
    template_for,
)
from tests.conftest import SAMPLE

BROKEN = SAMPLE / "broken"


def _range_problem(row: int, found: object = 104) -> Problem:
    return Problem(
        "positive_pct must be between 0 and 100",
        row=row,
        column="positive_pct",
        found=found,
        category="out_of_range",
    )


@pytest.fixture
def demo_orgs(sqlite_db):
    _, result = load_file(sqlite_db, SAMPLE / "demo" / "organisations.xlsx", "organisations")
    assert result is not None
    return sqlite_db


def test_row_ranges_and_rows_text():
    assert row_ranges([44, 6, 19, 6]) == ["6", "19", "44"]
    assert row_ranges([2, 3, 4, 9, 11, 12]) == ["2-4", "9", "11-12"]
    assert rows_text([6, 19, 44]) == "rows 6, 19, 44"
    assert rows_text([13]) == "row 13"
    assert rows_text(list(range(2, 41)) + [44]) == "rows 2-40, 44"
    assert rows_text([]) == ""
    # 99 separate rows: the first 20 are listed, the other 79 counted.
    assert rows_text(list(range(2, 200, 2))) == (
        "rows " + ", ".join(str(r) for r in range(2, 42, 2)) + " and 79 more"
    )


def test_group_problems_collects_rows_of_the_same_problem():
    problems = [
        _range_problem(19, 104.5),
        Problem(
            "responses must not be negative",
            row=13,
            column="responses",
            found=-12,
            category="out_of_range",
        ),
        _range_problem(6, 104),
        _range_problem(44, 250),
        _range_problem(45, 104),
        Problem(
            'required column org_code is missing; the closest header found is "Org cde"',
            row=1,
            column="org_code",
            category="missing_column",
        ),
    ]
    groups = group_problems(problems)
    assert list(groups.columns) == [
        "sheet",
        "category",
        "title",
        "column",
        "message",
        "rows",
        "count",
        "found",
        "header",
        "cells",
        "content",
    ]
    # Missing columns come before cell values; within a category, first seen first.
    assert groups["category"].tolist() == ["missing_column", "out_of_range", "out_of_range"]
    pct = groups.iloc[1]
    assert pct["column"] == "positive_pct"
    assert pct["rows"] == "rows 6, 19, 44-45"
    assert pct["count"] == 4
    assert pct["found"] == "104.5, 104, 250"
    assert describe_group(pct) == (
        "% positive must be between 0 and 100 — rows 6, 19, 44-45 (found: 104.5, 104, 250)"
    )
    assert describe_group(groups.iloc[2]) == (
        "responses must not be negative — row 13 (found: -12)"
    )
    assert describe_group(groups.iloc[0]) == (
        'required column Organisation code is missing; the closest header found is "Org cde" '
        "(header on row 1)"
    )
    assert problem_summary(problems) == "6 problems in 6 rows"


def test_long_problem_lists_are_collapsed_with_a_count():
    problems = [_range_problem(r) for r in range(2, 1002, 3)]
    groups = group_problems(problems)
    assert len(groups) == 1
    assert groups.iloc[0]["count"] == 334
    assert groups.iloc[0]["rows"].endswith(" and 314 more")
    assert groups.iloc[0]["found"] == "104"


def test_group_problems_names_the_sheet_and_column_when_the_message_does_not():
    problems = [
        Problem(
            "unknown project ZB1-099: it is not on the Projects sheet and not already loaded",
            row=4,
            column="project_id",
            found="ZB1-099",
            sheet="Cycles",
            category="unknown_project",
        ),
        Problem(
            "not a valid date: expected dd/mm/yyyy or yyyy-mm-dd",
            row=24,
            column="response_date",
            found="not a date",
            category="invalid",
        ),
    ]
    lines = [describe_group(g) for _, g in group_problems(problems).iterrows()]
    assert lines == [
        "Response date: not a valid date: expected dd/mm/yyyy or yyyy-mm-dd — row 24 "
        "(found: 'not a date')",
        "sheet 'Cycles', Project ID: unknown project ZB1-099: it is not on the Projects sheet "
        "and not already loaded — row 4",
    ]


def test_group_problems_of_a_broken_file(demo_orgs):
    path = BROKEN / "staff_survey_positive_over_100.xlsx"
    prepared = prepare_upload(demo_orgs, path.read_bytes(), path.name, "staff_survey")
    groups = group_problems(prepared.problems)
    assert sorted(zip(groups["column"], groups["rows"], groups["count"], strict=True)) == [
        ("positive_pct", "row 6", 1),
        ("responses", "row 13", 1),
    ]
    assert set(groups["title"]) == {"Values outside the allowed range"}


def test_group_problems_of_no_problems_is_an_empty_frame():
    groups = group_problems([])
    assert groups.empty
    assert "rows" in groups.columns


def test_problems_csv_lists_every_problem():
    problems = [_range_problem(r) for r in (6, 19, 44)]
    frame = pd.read_csv(io.BytesIO(problems_csv(problems)), encoding="utf-8-sig")
    assert frame["row"].tolist() == [6, 19, 44]
    # A problem made without a file (a form's) names the field in plain words.
    assert frame["column header"].tolist() == ["% positive"] * 3
    assert frame["problem"].iloc[0] == "% positive must be between 0 and 100"
    assert frame["found"].tolist() == [104] * 3


def test_problems_csv_of_a_file_names_sheet_cell_header_and_row(demo_orgs):
    path = BROKEN / "staff_survey_positive_over_100.xlsx"
    prepared = prepare_upload(demo_orgs, path.read_bytes(), path.name, "staff_survey")
    frame = pd.read_csv(io.BytesIO(problems_csv(prepared.problems)), encoding="utf-8-sig")
    assert len(frame) == len(prepared.problems) == 2
    assert frame["sheet"].notna().all() and (frame["sheet"] != "").all()
    assert frame["cell"].str.fullmatch(r"[A-Z]+\d+").all()
    assert (frame["row"] == frame["cell"].str.extract(r"(\d+)$")[0].astype(int)).all()
    assert frame["row content"].str.contains("|", regex=False).all()
    # The file's own headers (this file uses the template's).
    assert set(frame["column header"]) == {"positive_pct", "responses"}


def test_mapping_choices_for_an_unrecognised_header(demo_orgs):
    path = BROKEN / "pulse_missing_org_code.csv"
    prepared = prepare_upload(demo_orgs, path.read_bytes(), path.name, "pulse_survey")
    table = prepared.tables["pulse_survey"]
    assert editable_headers(table) == {0: "Org cde"}
    assert target_choices(table, 0) == ["", "org_code"]
    assert choice_label("", table) == "ignore this column"
    assert choice_label("org_code", table) == "org_code (required)"
    assert choice_label("q12a", table) == "q12a (question/item)"
    overview = mapping_overview(prepared)
    assert overview.to_dict("records") == [
        {
            "table": "Pulse survey responses",
            "sheet": "pulse_missing_org_code",
            "header_row": 1,
            "rows": 30,
            "question/item columns": 5,
            "missing": "Organisation code",
            "ignored": 1,
        }
    ]


def test_mapping_choices_offer_free_fields_only(demo_orgs):
    from tests.files import csv_bytes

    data = csv_bytes(
        [
            ["ODS code", "Survey Year", "Question", "Base", "Pct agreeing", "Mean"],
            ["ZA1", 2024, "q3f", 120, 61.5, 6.9],
        ]
    )
    prepared = prepare_upload(demo_orgs, data, "survey.csv", "staff_survey")
    table = prepared.tables["staff_survey"]
    assert editable_headers(table) == {4: "Pct agreeing", 5: "Mean"}
    assert target_choices(table, 4) == [
        "",
        "question_text",
        "positive_pct",
        "score",
        "team",
        "staff_group",
    ]


def test_result_and_history_texts(demo_orgs):
    result = UploadResult(
        7,
        "readiness",
        {"readiness_responses": 20, "readiness_answers": 240},
        ["QQ8", "QQ9"],
        [],
        3,
    )
    assert result_text(result) == (
        "Loaded as upload 7: 20 readiness responses, 240 readiness answers, replacing upload 3. "
        "New organisations: QQ8, QQ9."
    )
    history = history_table(queries.uploads(demo_orgs, Viewer.local()))
    assert history[["upload", "kind", "file", "rows"]].to_dict("records") == [
        {"upload": 1, "kind": "Organisations", "file": "organisations.xlsx", "rows": 10}
    ]
    assert history["organisations"].iloc[0].endswith(" and 5 more")
    assert history["replaces"].isna().all()
    assert history_table(pd.DataFrame()).empty


def test_small_texts():
    assert codes_text(["ZA1", "ZB1"]) == "ZA1, ZB1"
    assert codes_text([f"Z{i}" for i in range(15)], 12).endswith(" and 3 more")
    assert file_size_text(900) == "900 bytes"
    assert file_size_text(812 * 1024) == "812 KB"
    assert file_size_text(int(3.4 * 1024 * 1024)) == "3.4 MB"
    assert overrides_text({"pulse_survey": {"Org cde": "org_code", "Notes": ""}}) == (
        "'Org cde' → org_code, 'Notes' → ignored"
    )


def test_a_template_is_offered_for_kinds_with_columns_to_fill():
    template = template_for("organisations")
    assert template is not None and template[:2] == b"PK"


def test_tables_read_without_a_column_mapping_offer_no_choices():
    from impact_data.ingest import PreparedTable
    from impact_data.ingest.kinds import TableSpec

    spec = TableSpec("nss_values", "National benchmark scores", ())
    table = PreparedTable(spec, "", None, pd.DataFrame({"org_code": ["ZA1"], "value": [7.1]}))
    assert editable_headers(table) == {}
