"""Reading every supported format and finding the header (impact_data.ingest.read/columns)."""

from __future__ import annotations

import datetime as dt

import pytest

from impact_data.ingest.columns import map_columns
from impact_data.ingest.kinds import get_kind, question_code_from_header
from impact_data.ingest.read import UnreadableFile, decode_text, read_file, sniff_delimiter
from tests.files import csv_bytes, ods_bytes, xls_bytes, xlsx_bytes

ROWS = [
    ["org_code", "response_date", "team", "q3c", "q3d"],
    ["ZA1", dt.date(2025, 3, 14), "Ward 7 – Élan", 4, "Strongly agree"],
    ["ZB1", dt.date(2025, 3, 15), "Pharmacy", None, 2],
]


def _grid(sheet):
    return sheet.cells.fillna("").astype(str).values.tolist()


@pytest.mark.parametrize(
    "name,data",
    [
        ("f.xlsx", xlsx_bytes({"Pulse": ROWS})),
        ("f.xlsm", xlsx_bytes({"Pulse": ROWS})),
        ("f.xls", xls_bytes(ROWS)),
        ("f.ods", ods_bytes(ROWS)),
    ],
)
def test_workbook_formats_read_the_same_cells(name, data):
    (sheet,) = read_file(data, name)
    assert sheet.first_row == 1
    assert sheet.cells.iloc[0].tolist() == ROWS[0]
    assert sheet.cells.iat[1, 0] == "ZA1"
    assert sheet.cells.iat[1, 2] == "Ward 7 – Élan"
    assert float(sheet.cells.iat[1, 3]) == 4.0
    assert sheet.cells.iat[1, 4] == "Strongly agree"
    value = sheet.cells.iat[1, 1]
    assert (value.date() if isinstance(value, dt.datetime) else value) == dt.date(2025, 3, 14)


@pytest.mark.parametrize(
    "encoding,delimiter,bom",
    [("utf-8", ",", False), ("utf-8", ",", True), ("cp1252", ";", False), ("utf-8", ";", True)],
)
def test_csv_encodings_and_delimiters(encoding, delimiter, bom):
    rows = [["org_code", "team", "note"], ["ZA1", "Café £5 ward", "a, b"], ["ZB1", "Ward 2", ""]]
    data = csv_bytes(rows, delimiter=delimiter, encoding=encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    (sheet,) = read_file(data, "pulse.csv")
    assert sheet.cells.iloc[0].tolist() == ["org_code", "team", "note"]
    assert sheet.cells.iat[1, 1] == "Café £5 ward"
    assert sheet.cells.iat[1, 2] == "a, b"
    assert sheet.cells.iat[2, 2] == ""


def test_cp1252_is_not_mistaken_for_utf8():
    assert decode_text("£ é".encode("cp1252")) == "£ é"
    assert decode_text(b"\xef\xbb\xbforg") == "org"


def test_semicolon_wins_when_commas_are_inside_text():
    text = "org_code;comment\nZA1;good, very good\nZB1;fine, ok\n"
    assert sniff_delimiter(text) == ";"


def test_ragged_csv_with_title_line_is_read():
    data = b"Pulse survey export\r\n\r\norg_code,response_date,q1\r\nZA1,2025-01-01,4\r\n"
    (sheet,) = read_file(data, "p.csv")
    assert sheet.cells.shape == (4, 3)
    assert sheet.cells.iat[2, 0] == "org_code"


def test_unsupported_and_corrupt_files_are_refused():
    with pytest.raises(UnreadableFile, match="unsupported file type"):
        read_file(b"hello", "notes.docx")
    with pytest.raises(UnreadableFile, match="damaged"):
        read_file(b"PK\x03\x04 this is not really a zip", "broken.xlsx")


def test_header_found_below_title_rows_with_synonyms():
    rows = [
        ["NHS Staff Survey 2024: local results"],
        ["Produced by the improvement hub"],
        [],
        ["ODS Code", "Survey Year", "Question", "Base", "% Positive", "Notes"],
        ["ZA1", 2024, "q3f", 412, 61.5, "x"],
    ]
    (sheet,) = read_file(xlsx_bytes({"Results": rows}), "s.xlsx")
    mapping = map_columns(sheet, get_kind("staff_survey").tables[0])
    assert mapping.header_row == 4
    assert mapping.fields == {
        "org_code": 0,
        "year": 1,
        "question_code": 2,
        "responses": 3,
        "positive_pct": 4,
    }
    assert [mapping.headers[p] for p in mapping.ignored] == ["Notes"]
    assert mapping.missing == []


@pytest.mark.parametrize(
    "header,field",
    [
        ("Org code", "org_code"),
        ("ODS code", "org_code"),
        ("Organisation code", "org_code"),
        ("Trust code", "org_code"),
        ("ORG_CODE", "org_code"),
        (" org-code ", "org_code"),
    ],
)
def test_org_code_synonyms(header, field):
    rows = [[header, "Organisation name", "Type"], ["ZA1", "A", "acute"]]
    (sheet,) = read_file(xlsx_bytes({"Orgs": rows}), "o.xlsx")
    mapping = map_columns(sheet, get_kind("organisations").tables[0])
    assert mapping.fields[field] == 0
    assert mapping.fields["org_name"] == 1
    assert mapping.fields["org_type"] == 2


def test_missing_required_column_names_the_closest_header():
    rows = [["Org cde", "response_date", "q1"], ["ZA1", "2025-01-01", 3]]
    (sheet,) = read_file(csv_bytes(rows), "p.csv")
    mapping = map_columns(sheet, get_kind("pulse_survey").tables[0])
    assert mapping.missing == ["org_code"]
    assert mapping.closest_header("org_code") == "Org cde"


def test_user_override_maps_an_unrecognised_header():
    rows = [["Trust", "When", "q1"], ["ZA1", "2025-01-01", 3]]
    (sheet,) = read_file(csv_bytes(rows), "p.csv")
    table = get_kind("pulse_survey").tables[0]
    mapping = map_columns(sheet, table, {"Trust": "org_code", "When": "response_date"})
    assert mapping.fields == {"org_code": 0, "response_date": 1}
    assert mapping.items == {"q1": 2}
    assert mapping.missing == []
    frame = mapping.as_frame()
    assert frame.loc[frame["header"] == "Trust", "how"].item() == "chosen by you"


@pytest.mark.parametrize(
    "header,expected",
    [
        ("q3f", ("q3f", None)),
        ("Q3f. Able to make improvements happen", ("q3f", "Able to make improvements happen")),
        ("c1 - committed", ("c1", "committed")),
        ("team", None),
        ("Response date", None),
    ],
)
def test_question_code_from_header(header, expected):
    assert question_code_from_header(header) == expected
