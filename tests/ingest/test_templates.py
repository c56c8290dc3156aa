"""Upload templates: sheets, canonical headers and drop-down validation for every kind."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import python_calamine
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from impact_data.ingest.kinds import KINDS, TableSpec  # noqa: E402
from impact_data.ingest.templates import (  # noqa: E402
    INSTRUCTIONS_SHEET,
    LIKERT_LABELS,
    ORIC_ITEMS,
    PULSE_TEMPLATE_QUESTIONS,
    build_template,
    template_filename,
    template_headers,
)

KIND_NAMES = list(KINDS)


def load(kind_name: str) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_template(kind_name)))


def expected_headers(table: TableSpec) -> list[str]:
    items = {"questions": list(PULSE_TEMPLATE_QUESTIONS), "items": list(ORIC_ITEMS)}
    return [f.name for f in table.fields] + items.get(table.item_columns or "", [])


def validations_at(ws, col: int) -> list:
    """Data validations that cover the first data cell of a column."""
    cell = f"{get_column_letter(col)}2"
    return [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]


def list_options(dv) -> list[str]:
    return dv.formula1.strip('"').split(",")


def test_template_filename() -> None:
    assert template_filename("pdsa") == "impact_template_pdsa.xlsx"
    assert template_filename("staff_survey") == "impact_template_staff_survey.xlsx"
    with pytest.raises(KeyError):
        template_filename("no_such_kind")


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown upload kind"):
        build_template("no_such_kind")


@pytest.mark.parametrize("kind_name", KIND_NAMES)
def test_sheets_are_instructions_then_one_per_table(kind_name: str) -> None:
    wb = load(kind_name)
    assert wb.sheetnames == [INSTRUCTIONS_SHEET] + [t.label for t in KINDS[kind_name].tables]


def test_pdsa_sheets_are_projects_cycles_measures() -> None:
    assert load("pdsa").sheetnames == [INSTRUCTIONS_SHEET, "Projects", "Cycles", "Measures"]


@pytest.mark.parametrize("kind_name", KIND_NAMES)
def test_data_sheets_have_exactly_the_canonical_headers_and_no_rows(kind_name: str) -> None:
    wb = load(kind_name)
    for table in KINDS[kind_name].tables:
        ws = wb[table.label]
        header = [c.value for c in ws[1]]
        assert header == expected_headers(table)
        assert {f.name for f in table.required} <= set(header)
        assert ws.max_row == 1, "the data sheet must be blank below the header"
        assert ws.freeze_panes == "A2"
        assert all(c.font.bold for c in ws[1])
        assert all(
            ws.column_dimensions[get_column_letter(i)].width >= 10
            for i in range(1, len(header) + 1)
        )
    assert template_headers(kind_name) == {
        t.label: expected_headers(t) for t in KINDS[kind_name].tables
    }


@pytest.mark.parametrize("kind_name", KIND_NAMES)
def test_calamine_and_pandas_read_the_same_header(kind_name: str) -> None:
    data = build_template(kind_name)
    wb = python_calamine.load_workbook(io.BytesIO(data))
    for table in KINDS[kind_name].tables:
        assert wb.get_sheet_by_name(table.label).to_python() == [expected_headers(table)]
        frame = pd.read_excel(io.BytesIO(data), sheet_name=table.label, engine="calamine")
        assert list(frame.columns) == expected_headers(table)
        assert frame.empty


@pytest.mark.parametrize("kind_name", KIND_NAMES)
def test_drop_downs_on_enum_and_bool_columns(kind_name: str) -> None:
    wb = load(kind_name)
    for table in KINDS[kind_name].tables:
        ws = wb[table.label]
        for col, f in enumerate(table.fields, start=1):
            dvs = validations_at(ws, col)
            if f.type == "enum":
                assert [dv.type for dv in dvs] == ["list"], f.name
                assert list_options(dvs[0]) == list(f.choices)
                assert dvs[0].showDropDown in (False, None)  # False = show the arrow
            elif f.type == "bool":
                assert [dv.type for dv in dvs] == ["list"], f.name
                assert list_options(dvs[0]) == ["yes", "no"]
            elif f.type == "date":
                assert [dv.type for dv in dvs] == ["date"], f.name
            elif f.type == "component":
                assert [dv.type for dv in dvs] == ["list"]
                assert list_options(dvs[0])[:5] == ["1", "2", "3", "4", "5"]
            elif f.type in ("int", "float", "year") and f.minimum is not None:
                expected = "decimal" if f.type == "float" else "whole"
                assert [dv.type for dv in dvs] == [expected], f.name
                assert float(dvs[0].formula1) == f.minimum
                if f.maximum is not None:
                    assert dvs[0].operator == "between"
                    assert float(dvs[0].formula2) == f.maximum
            elif f.type in ("text", "code"):
                assert dvs == [], f.name
            for dv in dvs:
                assert dv.allow_blank


def test_org_type_drop_down_lists_every_org_type() -> None:
    ws = load("organisations")["Organisations"]
    (dv,) = validations_at(ws, 3)
    assert list_options(dv) == [
        "acute",
        "community",
        "mental_health",
        "ambulance",
        "primary_care",
        "specialist",
        "icb",
        "other",
    ]


def test_pulse_template_has_improvement_culture_questions_with_likert_drop_down() -> None:
    ws = load("pulse_survey")["Pulse survey responses"]
    header = [c.value for c in ws[1]]
    assert header[-4:] == ["q3c", "q3d", "q3e", "q3f"]
    for col in range(len(header) - 3, len(header) + 1):
        (dv,) = validations_at(ws, col)
        assert dv.type == "list"
        assert list_options(dv) == ["1", "2", "3", "4", "5", *LIKERT_LABELS]


def test_readiness_template_has_oric_items_and_statements() -> None:
    wb = load("readiness")
    ws = wb["Readiness responses"]
    header = [c.value for c in ws[1]]
    codes = ["c1", "c2", "c3", "c4", "c5", "e1", "e2", "e3", "e4", "e5", "e6", "e7"]
    assert header[-12:] == codes
    for col in range(len(header) - 11, len(header) + 1):
        (dv,) = validations_at(ws, col)
        assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("whole", "between", "1", "5")
    text = " ".join(
        str(v) for row in wb[INSTRUCTIONS_SHEET].iter_rows(values_only=True) for v in row if v
    )
    assert len(ORIC_ITEMS) == 12
    for _, statement in ORIC_ITEMS.values():
        assert statement in text
    assert "committed to implementing this change" in text
    assert "manage the politics" in text


@pytest.mark.parametrize("kind_name", KIND_NAMES)
def test_instructions_describe_every_column_dates_and_blanks(kind_name: str) -> None:
    ws = load(kind_name)[INSTRUCTIONS_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    first_column = [row[0] for row in rows]
    text = " ".join(str(v) for row in rows for v in row if v is not None)
    for table in KINDS[kind_name].tables:
        assert f'Sheet "{table.label}"' in text
        for f in table.fields:
            assert f.name in first_column, f.name
            row = rows[first_column.index(f.name)]
            assert row[1] == ("required" if f.required else "optional")
            if f.choices:
                assert all(choice in row[3] for choice in f.choices)
    assert "dd/mm/yyyy" in text and "yyyy-mm-dd" in text
    assert "never read as zero" in text
    assert KINDS[kind_name].description in text


def test_instructions_explain_likert_words_for_pulse() -> None:
    rows = load("pulse_survey")[INSTRUCTIONS_SHEET].iter_rows(values_only=True)
    text = " ".join(str(v) for row in rows for v in row if v)
    assert "Strongly disagree = 1" in text and "Strongly agree = 5" in text
    for code in PULSE_TEMPLATE_QUESTIONS:
        assert code in text


def test_instructions_show_examples() -> None:
    ws = load("staff_survey")[INSTRUCTIONS_SHEET]
    examples = {row[0]: row[4] for row in ws.iter_rows(values_only=True) if row[0]}
    assert examples["positive_pct"] == 61.5
    assert examples["question_code"] == "q3f"
