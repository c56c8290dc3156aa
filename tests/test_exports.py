"""Downloads of the Compare page's tables: .xlsx and .csv files that open with openpyxl and
the csv module, hold the same numbers as the tables on screen, and neutralise cells that a
spreadsheet would run as formulas (=, +, -, @)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from impact_data.access import Viewer
from impact_data.exports import to_csv_bytes, to_xlsx_bytes
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.views import compare
from tests.files import csv_bytes

LOCAL = Viewer.local()
Q3F = compare.culture_measure("q3f", level="question")
INJECTIONS = {
    "QA1": '=HYPERLINK("http://example.org","click")',
    "QB1": "+Beta Hospitals",
    "QC1": "-Gamma Community",
    "QD1": "@Delta Hospitals",
}


def load(db, kind: str, rows, name: str):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


@pytest.fixture
def system(db):
    """Four organisations whose names look like formulas, their q3f results in two years, one
    suppressed organisation, and learning visits whose theme and learning look like formulas."""
    orgs = [["org_code", "org_name", "org_type"]]
    orgs += [[code, name, "acute"] for code, name in INJECTIONS.items()]
    orgs.append(["QE1", "Epsilon Trust", "community"])
    load(db, "organisations", orgs, "orgs.csv")
    survey = [["org_code", "year", "question_code", "responses", "positive_pct"]]
    for year, shift in ((2023, 0), (2024, 2)):
        survey += [
            ["QA1", year, "q3f", 400, 50 + shift],
            ["QB1", year, "q3f", 400, 62 + shift],
            ["QC1", year, "q3f", 100, 38 + shift],
            ["QD1", year, "q3f", 1600, 47 + shift],
            ["QE1", year, "q3f", 7, 80],
        ]
    load(db, "staff_survey", survey, "survey.csv")
    compare.record_visit(
        db,
        LOCAL,
        "QA1",
        "QB1",
        dt.date(2024, 5, 1),
        theme="=1+1",
        participants=4,
        lived_experience_partners=1,
        learning="@SUM(A1:A9) and -2",
    )
    compare.record_visit(db, LOCAL, "QC1", "QB1", dt.date(2024, 6, 1), theme="+Flow")
    return db


def page_tables(db) -> dict[str, pd.DataFrame]:
    """Every table the Compare page shows and offers to download, as the page builds it."""
    # Unadjusted limits (an analyst's choice on the page): on these few organisations the
    # default over-dispersion adjustment leaves nobody outside, and the test needs a row.
    funnel = compare.funnel_frame(db, LOCAL, Q3F, overdispersion="none")
    log = compare.visits_log(db, LOCAL)
    return {
        "funnel plot": compare.funnel_table(funnel),
        "outside the limits": compare.funnel_table(compare.outside_limits(funnel)),
        "intervals": compare.caterpillar_table(compare.caterpillar_frame(db, LOCAL, Q3F)),
        "trends": compare.trend_table(compare.trends(db, LOCAL, Q3F)),
        "learn from": compare.learn_from_table(compare.learn_from(db, LOCAL, "QC1", Q3F)),
        "visits": compare.visits_table(log),
        "reach": compare.reach_table(compare.visit_reach(db, LOCAL)),
        "matrix": compare.visit_matrix_table(compare.visit_matrix(db, LOCAL)),
    }


def expected_cell(value: object) -> object:
    """A table value as it should come out of a spreadsheet: missing as empty, formula-like
    text with a leading apostrophe, dates as dates."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if value == "":
        return None  # an empty text cell is an empty cell
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def same(cell: object, value: object) -> bool:
    expected = expected_cell(value)
    if expected is None:
        return cell is None or cell == ""
    if isinstance(expected, bool):
        return cell == expected
    if isinstance(expected, int | float):
        return isinstance(cell, int | float) and cell == pytest.approx(float(expected))
    if isinstance(expected, dt.date):
        return pd.Timestamp(cell).date() == expected
    return cell == expected


def test_every_table_opens_in_excel_with_the_numbers_on_screen(system):
    tables = page_tables(system)
    assert not tables["learn from"].empty and not tables["outside the limits"].empty
    workbook = load_workbook(io.BytesIO(to_xlsx_bytes(tables)))
    assert workbook.sheetnames == [name[:31] for name in tables] + ["About this export"]
    assert "suppressed" in workbook["About this export"]["B3"].value
    for name, table in tables.items():
        rows = list(workbook[name[:31]].iter_rows(values_only=True))
        assert list(rows[0]) == [expected_cell(c) for c in table.columns], name
        assert len(rows) - 1 == len(table), name
        for r, record in enumerate(table.itertuples(index=False), start=1):
            for c, value in enumerate(record):
                assert same(rows[r][c], value), (name, table.columns[c], rows[r][c], value)


def test_every_table_opens_as_csv_with_the_numbers_on_screen(system):
    for name, table in page_tables(system).items():
        text = to_csv_bytes(table).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == [str(expected_cell(c)) for c in table.columns], name
        assert len(rows) - 1 == len(table), name
        for r, record in enumerate(table.itertuples(index=False), start=1):
            for c, value in enumerate(record):
                expected = expected_cell(value)
                cell = rows[r][c]
                if expected is None:
                    assert cell == "", (name, table.columns[c])
                elif isinstance(expected, bool):
                    assert cell == str(expected)
                elif isinstance(expected, int | float):
                    assert float(cell) == pytest.approx(float(expected)), (name, table.columns[c])
                else:
                    assert cell == str(expected), (name, table.columns[c])


def test_formula_like_cells_are_neutralised_and_numbers_stay_numbers(system):
    tables = page_tables(system)
    workbook = load_workbook(io.BytesIO(to_xlsx_bytes(tables)))
    cells = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    ]
    for text in [*INJECTIONS.values(), "=1+1", "@SUM(A1:A9) and -2", "+Flow"]:
        assert "'" + text in cells, text
        assert text not in cells, text
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    csv_text = to_csv_bytes(tables["visits"]).decode("utf-8-sig")
    assert "'=1+1" in csv_text and "'@SUM(A1:A9) and -2" in csv_text
    assert not any(
        cell.startswith(("=", "+", "-", "@"))
        for row in csv.reader(io.StringIO(csv_text))
        for cell in row
    )
    # A negative number is a number, not text to neutralise.
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes({"n": pd.DataFrame({"Change": [-1.5]})})))
    assert sheet["n"]["A2"].value == -1.5


def test_suppressed_figures_stay_out_of_every_download(system):
    tables = page_tables(system)
    funnel = tables["funnel plot"].set_index("Code")
    assert funnel.loc["QE1", "Where it falls"] == "Suppressed (too few responses)"
    workbook = load_workbook(io.BytesIO(to_xlsx_bytes(tables)))
    rows = list(workbook["funnel plot"].iter_rows(values_only=True))
    header = list(rows[0])
    epsilon = next(r for r in rows if r[header.index("Code")] == "QE1")
    for column in ("Responses", "% favourable", "95% interval from", "95% interval to"):
        assert epsilon[header.index(column)] is None
    trends = tables["trends"].set_index("Code")
    assert trends.loc["QE1", "Points"] == 0
    assert pd.isna(trends.loc["QE1", "Latest value"])
