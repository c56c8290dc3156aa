"""What people's spreadsheets have below the data (blank rows, footnotes, totals) is skipped
and reported, never an error; every problem names the file's own header, the cell and the
row's content; the problems download lists every problem."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import Workbook

from impact_data.ingest import prepare_upload
from impact_data.ingest.uploads import load_bytes, load_file
from impact_data.ingest.validate import SkippedRow
from impact_data.views.upload_report import (
    describe_group,
    group_problems,
    notes_shown,
    problems_csv,
    skipped_rows,
    skipped_summary,
)
from tests.conftest import SAMPLE
from tests.files import csv_bytes, xlsx_bytes

SOURCE = "Source: NHS Staff Survey 2025 local results, Workforce Intelligence team."
HEADER = ["Org code", "Survey year", "Question", "Base", "% positive"]


@pytest.fixture
def orgs(db):
    _, result = load_file(db, SAMPLE / "demo" / "organisations.xlsx", "organisations")
    assert result is not None
    return db


def team_workbook(bad_base: object = "n/a", start_column: int = 1) -> bytes:
    """A team's staff survey workbook: a title, the header on row 3, 21 data rows (4-24), a
    blank row, a source footnote under the organisation codes and a total row."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Results"
    c0 = start_column
    ws.cell(1, c0, "Staff survey results 2025 (our trust)")
    for j, text in enumerate(HEADER):
        ws.cell(3, c0 + j, text)
    for i in range(21):
        row = 4 + i
        base = bad_base if row == 24 else 100 + i
        for j, value in enumerate(["ZA1", 2025, f"q{i + 1}a", base, 60.5]):
            ws.cell(row, c0 + j, value)
    ws.cell(26, c0, SOURCE)
    for j, value in enumerate(["Total", None, None, 2310, 60.5]):
        if value is not None:
            ws.cell(27, c0 + j, value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_a_footnote_blank_and_total_row_below_the_data_are_skipped_not_errors(orgs):
    data = team_workbook(bad_base=120)
    assert len(SOURCE) == 73  # the footnote of the issue: longer than nothing it could be
    prepared = prepare_upload(orgs, data, "team.xlsx", "staff_survey")
    assert prepared.ok, [str(p) for p in prepared.problems]
    table = prepared.tables["staff_survey"]
    assert table.n_rows == 21
    assert table.skipped == [
        SkippedRow(25, "blank", ""),
        SkippedRow(26, "note", SOURCE),
        SkippedRow(27, "total", "Total | 2310 | 60.5"),
    ]
    assert skipped_summary(prepared) == (
        "3 rows below the data were skipped, not checked: a blank row (row 25), a note "
        "(row 26) and a total row (row 27). They are not loaded."
    )
    frame = skipped_rows(prepared)
    assert frame.to_dict("records")[1] == {
        "sheet": "Results",
        "row": 26,
        "what": "note or footnote",
        "content": SOURCE,
    }
    # The page shows the skipped rows once, in their own box, not again among the notes.
    assert not any("below the data" in n for n in notes_shown(prepared))
    assert any("below the data" in n for n in prepared.notes)  # the command line prints it
    _, result = load_bytes(orgs, data, "team.xlsx", "staff_survey")
    assert result is not None and sum(result.row_counts.values()) == 21


def test_a_bad_cell_is_named_by_its_excel_address_header_and_row(orgs):
    prepared = prepare_upload(orgs, team_workbook(), "team.xlsx", "staff_survey")
    [problem] = prepared.problems  # the footnote and the total are not problems
    assert problem.cell == "D24"
    assert problem.header == "Base"
    assert problem.row == 24
    assert problem.sheet_name == "Results"
    assert problem.content == "ZA1 | 2025 | q21a | n/a | 60.5"
    assert str(problem) == "cell D24 (Base): expected a whole number (found: 'n/a')"
    [group] = [g for _, g in group_problems(prepared.problems).iterrows()]
    assert describe_group(group) == (
        "“Base”: expected a whole number — cell D24 (found: 'n/a'); "
        "row 24 reads: ZA1 | 2025 | q21a | n/a | 60.5"
    )


def test_cells_count_from_where_the_sheet_starts(orgs):
    # The same table starting in column C: the bad cell is F24, not D24.
    prepared = prepare_upload(orgs, team_workbook(start_column=3), "team.xlsx", "staff_survey")
    [problem] = prepared.problems
    assert (problem.cell, problem.header) == ("F24", "Base")
    table = prepared.tables["staff_survey"]
    assert table.mapping.as_frame()["column"].tolist() == ["C", "D", "E", "F", "G"]


def test_a_footnote_between_data_rows_is_still_an_error(orgs):
    rows = [HEADER, ["ZA1", 2025, "q1a", 100, 60.5], [SOURCE], ["ZA1", 2025, "q2a", 90, 55]]
    prepared = prepare_upload(orgs, xlsx_bytes({"Results": rows}), "t.xlsx", "staff_survey")
    assert not prepared.ok
    assert prepared.tables["staff_survey"].skipped == []
    cells = sorted(p.cell for p in prepared.problems)
    # The note sits in the organisation column: too long, and the row lacks its values.
    assert "A3" in cells and "B3" in cells
    too_long = [p for p in prepared.problems if p.category == "too_long"]
    assert too_long == [] or too_long[0].message.startswith("“Org code”")
    assert all(p.content == SOURCE for p in prepared.problems if p.row == 3)


def test_messages_name_the_files_own_headers(orgs):
    rows = [HEADER, ["ZA1", 2025, "q1a", 100, 160], ["ZA1", 2025, "q1a", 100, 50]]
    prepared = prepare_upload(orgs, csv_bytes(rows), "team.csv", "staff_survey")
    texts = [str(p) for p in prepared.problems]
    assert texts == [
        "row 2, column E (% positive): “% positive” must be between 0 and 100 (found: 160)",
        "row 3, column A (Org code): duplicate row: the same “Org code”, “Survey year”, "
        "Question, team, staff_group as an earlier row "
        "(found: \"same as row 2: “Org code”='ZA1', “Survey year”=2025, Question='q1a'\")",
    ]
    for p in prepared.problems:
        assert "positive_pct" not in p.message and "org_code" not in p.message
        assert p.sheet_name == "team"  # a CSV's "sheet" is the file itself


def test_a_csv_footnote_whose_commas_split_it_into_cells_is_still_a_note(orgs):
    rows = [HEADER, ["ZA1", 2025, "q1a", 100, 60.5]]
    text = csv_bytes(rows) + b",,,,\r\nSource: NHS Staff Survey, local results, 2025\r\n"
    prepared = prepare_upload(orgs, text, "team.csv", "staff_survey")
    assert prepared.ok, [str(p) for p in prepared.problems]
    assert [(s.row, s.reason) for s in prepared.tables["staff_survey"].skipped] == [
        (3, "blank"),
        (4, "note"),
    ]


def test_a_lone_code_at_the_bottom_is_data_not_a_note(orgs):
    # "ZB1" alone is a row someone did not finish: reported, not skipped.
    rows = [HEADER, ["ZA1", 2025, "q1a", 100, 60.5], ["ZB1"]]
    prepared = prepare_upload(orgs, csv_bytes(rows), "team.csv", "staff_survey")
    assert prepared.tables["staff_survey"].skipped == []
    assert {p.category for p in prepared.problems} == {"required"}
    assert {p.row for p in prepared.problems} == {3}


def test_an_organisation_called_total_something_is_not_a_total_row(orgs):
    rows = [["org_code", "org_name", "org_type"], ["ZT1", "Total Care Partnership", "other"]]
    prepared = prepare_upload(orgs, csv_bytes(rows), "orgs.csv", "organisations")
    assert prepared.ok, [str(p) for p in prepared.problems]
    assert prepared.tables["organisations"].n_rows == 1


def test_the_problems_download_lists_every_problem_in_the_files_terms(orgs):
    rows = [HEADER] + [["ZA1", 2025, f"q{i}a", "n/a", 60.5] for i in range(1, 41)]
    rows += [[], [SOURCE]]
    prepared = prepare_upload(orgs, xlsx_bytes({"Results": rows}), "t.xlsx", "staff_survey")
    assert len(prepared.problems) == 40
    frame = pd.read_csv(io.BytesIO(problems_csv(prepared.problems)), encoding="utf-8-sig")
    assert list(frame.columns) == [
        "sheet",
        "cell",
        "row",
        "column header",
        "problem",
        "found",
        "row content",
        "kind",
    ]
    assert len(frame) == 40  # all of them, not the 20 rows the screen lists
    assert frame["sheet"].eq("Results").all()
    assert frame["cell"].tolist() == [f"D{r}" for r in range(2, 42)]
    assert frame["column header"].eq("Base").all()
    assert frame.iloc[0]["row content"] == "ZA1 | 2025 | q1a | n/a | 60.5"
    assert frame.iloc[0]["problem"] == "expected a whole number"
    assert frame.iloc[0]["kind"] == "Values that could not be read"
