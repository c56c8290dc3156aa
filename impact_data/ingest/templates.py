"""Blank upload templates: an Instructions sheet and one data sheet per table, with drop-downs.

A template is built from the upload kind's specs in `kinds.py`, so the headers are exactly the
canonical column names and a filled-in template uploads without any column mapping.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import replace

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from impact_data.ingest.kinds import (
    IMPACT_COMPONENTS,
    Field,
    TableSpec,
    UploadKind,
    get_kind,
    with_level_labels,
)

__all__ = [
    "DATE_MAX",
    "DATE_MIN",
    "FALLBACK_DESCRIPTIONS",
    "FALLBACK_EXAMPLES",
    "INSTRUCTIONS_SHEET",
    "LAST_ROW",
    "LIKERT_LABELS",
    "ORIC_ITEMS",
    "PULSE_TEMPLATE_QUESTIONS",
    "WIDE_FIELDS",
    "allowed_values",
    "build_template",
    "field_validation",
    "item_columns",
    "template_filename",
    "template_headers",
]

INSTRUCTIONS_SHEET = "Instructions"

LIKERT_LABELS: tuple[str, ...] = (
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
)

# The NHS Staff Survey "autonomy and control" questions most tied to improvement culture: the
# question columns a pulse survey template starts with (users add their own beside them).
PULSE_TEMPLATE_QUESTIONS: dict[str, str] = {
    "q3c": "There are frequent opportunities for me to show initiative in my role.",
    "q3d": "I am able to make suggestions to improve the work of my team / department.",
    "q3e": "I am involved in deciding on changes introduced that affect my work area / team / department.",
    "q3f": "I am able to make improvements happen in my area of work.",
}

# ORIC (Shea et al. 2014): five change-commitment and seven change-efficacy statements.
ORIC_ITEMS: dict[str, tuple[str, str]] = {
    "c1": ("commitment", "People who work here are committed to implementing this change."),
    "c2": ("commitment", "People who work here are determined to implement this change."),
    "c3": ("commitment", "People who work here are motivated to implement this change."),
    "c4": (
        "commitment",
        "People who work here will do whatever it takes to implement this change.",
    ),
    "c5": ("commitment", "People who work here want to implement this change."),
    "e1": (
        "efficacy",
        "People who work here feel confident that they can get people invested in implementing this change.",
    ),
    "e2": (
        "efficacy",
        "People who work here feel confident that they can keep track of progress in implementing this change.",
    ),
    "e3": (
        "efficacy",
        "People who work here feel confident that the organisation can support people as they adjust to this change.",
    ),
    "e4": (
        "efficacy",
        "People who work here feel confident that they can keep the momentum going in implementing this change.",
    ),
    "e5": (
        "efficacy",
        "People who work here feel confident that they can handle the challenges that might arise in implementing this change.",
    ),
    "e6": (
        "efficacy",
        "People who work here feel confident that they can coordinate tasks so that implementation goes smoothly.",
    ),
    "e7": (
        "efficacy",
        "People who work here feel confident that they can manage the politics of implementing this change.",
    ),
}

# Examples shown on the Instructions sheet for fields whose spec has none.
FALLBACK_EXAMPLES: dict[str, object] = {
    "team": "Ward 7",
    "staff_group": "Nursing",
    "system": "Northmoor and Vale ICS",
    "region": "North East and Yorkshire",
    "question_text": "I am able to make improvements happen in my area of work.",
    "score": 6.8,
    "respondent_id": "R0001",
    "role": "Staff nurse",
    "programme": "Safer discharge",
    "instrument": "oric",
    "evidence": "Improvement huddles run in 20 of 34 wards.",
    "next_step": "Extend huddles to outpatients by March.",
    "measure_name": "Falls per week",
    "improvement_direction": "decrease",
    "target": 3,
    "status": "active",
    "lived_experience_involved": "yes",
    "coach": "Priya Shah",
    "change_ideas": "Bay tagging; falls safety huddle",
    "project_id": "ZA1-001",
    "start_date": "2025-01-06",
    "end_date": "2025-01-20",
    "change_tested": "Bay tagging on days for one week",
    "prediction": "Fewer unwitnessed falls in the tagged bay",
    "what_happened": "Bay always staffed except at 13:00 breaks",
    "learning": "Stagger breaks so the bay stays covered",
    "decision": "adapt",
    "date": "2025-01-13",
    "value": 4,
    "numerator": 31,
    "denominator": 40,
    "note": "Bay tagging adopted",
    "visit_date": "2025-05-14",
    "theme": "Daily improvement huddles",
    "participants": 6,
    "lived_experience_partners": 1,
    "staff_count": 6400,
}

# Descriptions for fields whose spec has none (the rows that point at a project, measure values).
FALLBACK_DESCRIPTIONS: dict[str, str] = {
    "project_id": "The project's reference, exactly as on the Projects sheet.",
    "date": "Date of the measurement: the week or month it covers.",
    "value": "Value of the measure on that date.",
    "numerator": "For a percentage: how many met the standard (optional).",
    "denominator": "For a percentage: how many were counted (optional).",
    "note": "Anything that explains this point, e.g. a change adopted (optional).",
    "participants": "How many people took part in the visit (optional).",
}

WIDE_FIELDS = {
    "org_name",
    "question_text",
    "aim",
    "title",
    "evidence",
    "next_step",
    "change_ideas",
    "change_tested",
    "prediction",
    "what_happened",
    "learning",
    "theme",
    "note",
}

# Dates Excel's date validation accepts: 1 Jan 2000 to 31 Dec 2100.
DATE_MIN = int(to_excel(dt.date(2000, 1, 1)))
DATE_MAX = int(to_excel(dt.date(2100, 12, 31)))
LAST_ROW = 1_048_576

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="005EB8")  # NHS blue
TITLE_FONT = Font(bold=True, size=14)
SECTION_FONT = Font(bold=True, size=12)
BOLD = Font(bold=True)


def template_filename(kind_name: str) -> str:
    """File name for a kind's template, e.g. impact_template_pdsa.xlsx."""
    return f"impact_template_{get_kind(kind_name).name}.xlsx"


def item_columns(table: TableSpec) -> dict[str, str]:
    """Item columns a template adds after the fields: code -> statement or question wording."""
    if table.item_columns == "questions":
        return dict(PULSE_TEMPLATE_QUESTIONS)
    if table.item_columns == "items":
        return {code: statement for code, (_, statement) in ORIC_ITEMS.items()}
    return {}


def template_headers(kind_name: str) -> dict[str, list[str]]:
    """Header row of each data sheet of a kind's template, keyed by sheet title (table label)."""
    kind = get_kind(kind_name)
    return {t.label: [f.name for f in t.fields] + list(item_columns(t)) for t in kind.tables}


def build_template(kind_name: str, level_labels: Sequence[str] | None = None) -> bytes:
    """An .xlsx template for an upload kind: Instructions sheet plus one blank data sheet per
    table. `level_labels`: the improvement capability levels' current labels, level 1 first
    (`impact_data.store.settings.capability_level_labels`), named in the instructions and
    drop-downs; the default labels when None."""
    kind = get_kind(kind_name)
    if level_labels is not None:
        kind = replace(kind, tables=tuple(with_level_labels(t, level_labels) for t in kind.tables))
    wb = Workbook()
    _write_instructions(wb.active, kind)
    for table in kind.tables:
        _write_data_sheet(wb.create_sheet(table.label), table)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def allowed_values(f: Field, own_list: bool = False) -> str:
    """What a field accepts, in words, for the Instructions sheet."""
    if f.type == "enum":
        return "One of: " + ", ".join(f.choices)
    if f.type == "bool":
        return "yes or no"
    if f.type == "date":
        return "A date: an Excel date, dd/mm/yyyy or yyyy-mm-dd"
    if f.type == "component":
        names = "; ".join(f"{n} = {name}" for n, name in IMPACT_COMPONENTS.items())
        return f"1-5 or the component's name ({names})"
    if f.type == "likert":
        return "1-5 or Strongly disagree ... Strongly agree"
    if f.type == "capability_level":
        names = "; ".join(f"{n} = {name}" for n, name in enumerate(f.choices, start=1))
        return f"1-{len(f.choices)} or the level's name ({names}), as set on the Settings page"
    if f.type == "code" and own_list:
        return "A short unique code, e.g. the ODS code"
    if f.type == "code":
        return "An organisation code listed on the Organisations upload"
    whole = f.type in ("int", "year")
    noun = "whole number" if whole else "number"
    if f.minimum is not None and f.maximum is not None:
        return f"{noun.capitalize()} from {_number(f.minimum)} to {_number(f.maximum)}"
    if f.minimum is not None:
        return f"{noun.capitalize()}, {_number(f.minimum)} or more"
    if f.type in ("int", "float", "year"):
        return noun.capitalize()
    return "Text"


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _description(f: Field) -> str:
    return f.description or FALLBACK_DESCRIPTIONS.get(f.name, "")


def _example(f: Field) -> object:
    return f.example if f.example is not None else FALLBACK_EXAMPLES.get(f.name, "")


def _write_instructions(ws: Worksheet, kind: UploadKind) -> None:
    ws.title = INSTRUCTIONS_SHEET
    labels = [t.label for t in kind.tables]
    sheets = ", ".join(f'"{label}"' for label in labels)
    rows: list[tuple[list[object], Font | None]] = [
        ([f"IMPACT dashboard upload template: {kind.label}"], TITLE_FONT),
        ([kind.description], None),
        ([f"Upload kind: {kind.name}"], None),
        ([], None),
        (["How to fill in this template"], SECTION_FONT),
        (
            [
                f"• Enter your data on the sheet{'s' if len(labels) > 1 else ''} {sheets}, one row per record, starting in row 2."
            ],
            None,
        ),
        (
            [
                "• Keep the header row as it is. Required columns must be filled in on every row; optional columns may be left blank."
            ],
            None,
        ),
        (
            [
                "• Dates: a real Excel date, or text written as dd/mm/yyyy (UK order, e.g. 14/03/2025) or yyyy-mm-dd (e.g. 2025-03-14)."
            ],
            None,
        ),
        (["• A blank cell means not answered or not known. It is never read as zero."], None),
        (
            [
                "• Extra columns you add are ignored (you will see a note), so you may keep your own working columns."
            ],
            None,
        ),
        (
            [
                "• Save as .xlsx (or .xls, .ods or .csv) and upload it on the Upload page, choosing this kind."
            ],
            None,
        ),
    ]
    if any(t.item_columns == "questions" for t in kind.tables):
        rows.append(
            (
                [
                    "• Agreement answers: 1-5, or the words Strongly disagree = 1, Disagree = 2, "
                    "Neither agree nor disagree = 3, Agree = 4, Strongly agree = 5. Leave the cell "
                    "blank if the person did not answer."
                ],
                None,
            )
        )
    if any(f.type == "bool" for t in kind.tables for f in t.fields):
        rows.append((["• yes/no columns: write yes or no."], None))
    for label, font in rows:
        ws.append(label)
        if font is not None:
            ws.cell(ws.max_row, 1).font = font

    for table in kind.tables:
        ws.append([])
        ws.append([f'Sheet "{table.label}"'])
        ws.cell(ws.max_row, 1).font = SECTION_FONT
        if table.unique_key:
            ws.append(
                [
                    f"Each row is told apart by: {', '.join(table.unique_key)} (no two rows may share these)."
                ]
            )
        header = ["Column", "Required?", "Description", "Allowed values", "Example"]
        ws.append(header)
        for col in range(1, len(header) + 1):
            ws.cell(ws.max_row, col).font = BOLD
        for f in table.fields:
            ws.append(
                [
                    f.name,
                    "required" if f.required else "optional",
                    _description(f),
                    allowed_values(f, own_list=table.name == "organisations"),
                    _example_text(_example(f)),
                ]
            )
        items = item_columns(table)
        if table.item_columns == "questions":
            ws.append([])
            ws.append(
                [
                    "Question columns: one column per question, headed by its code (e.g. q3f) or by code "
                    'and wording (e.g. "Q3f. I am able to make improvements happen in my area of work"). '
                    "The template starts with the NHS Staff Survey autonomy and control questions; "
                    "add or remove question columns as your survey needs. Answers: 1-5 or Likert words; blank = not answered."
                ]
            )
            for code, text in items.items():
                ws.append(
                    [code, "question", text, "1-5 or Strongly disagree ... Strongly agree", "Agree"]
                )
        elif table.item_columns == "items":
            ws.append([])
            ws.append(
                [
                    "Readiness items (ORIC, Shea et al. 2014): how far do you agree with each statement "
                    "about the people who work here? 1 = Strongly disagree, 2 = Disagree, "
                    "3 = Neither agree nor disagree, 4 = Agree, 5 = Strongly agree. Blank = not answered."
                ]
            )
            ws.append(
                [
                    "ORIC as published answers Disagree = 1, Somewhat disagree = 2, Neither agree nor "
                    "disagree = 3, Somewhat agree = 4, Agree = 5, and numbers its items OR1-OR12: "
                    "both are accepted. Use the words of one scale throughout the file (or numbers), "
                    "so it is clear whether Agree means 4 or 5."
                ]
            )
            ws.append(
                [
                    "Change commitment = mean of c1-c5; change efficacy = mean of e1-e7. "
                    "Leave instrument blank or write oric."
                ]
            )
            ws.append(["Code", "Subscale", "Statement", "Allowed values", "Example"])
            for col in range(1, 6):
                ws.cell(ws.max_row, col).font = BOLD
            for code, (subscale, statement) in ORIC_ITEMS.items():
                if code in items:
                    ws.append([code, subscale, statement, "1-5", 4])

    for letter, width in zip("ABCDE", (26, 12, 70, 48, 30), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_col=3, max_col=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _example_text(value: object) -> object:
    return "" if value is None else value


def _write_data_sheet(ws: Worksheet, table: TableSpec) -> None:
    items = item_columns(table)
    headers = [f.name for f in table.fields] + list(items)
    ws.append(headers)
    for col, name in enumerate(headers, start=1):
        cell = ws.cell(1, col)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = 40 if name in WIDE_FIELDS else max(14, len(name) + 4)
    ws.freeze_panes = "A2"

    for col, f in enumerate(table.fields, start=1):
        letter = get_column_letter(col)
        if f.type == "date":
            ws.column_dimensions[letter].number_format = "dd/mm/yyyy"
        validation = field_validation(f)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(validation)

    first_item = len(table.fields) + 1
    for offset, code in enumerate(items):
        letter = get_column_letter(first_item + offset)
        validation = (
            _list_validation(
                ["1", "2", "3", "4", "5", *LIKERT_LABELS],
                f"{code}: 1-5 or Likert words",
                warning=True,
            )
            if table.item_columns == "questions"
            else _range_validation("whole", 1, 5, f"{code}: a whole number from 1 to 5")
        )
        validation.promptTitle = code[:32]
        validation.prompt = items[code][:255]
        validation.add(f"{letter}2:{letter}{LAST_ROW}")
        ws.add_data_validation(validation)


def field_validation(f: Field) -> DataValidation | None:
    """The Excel data validation for one field's column, or None for free text."""
    validation: DataValidation | None = None
    if f.type == "enum":
        validation = _list_validation(list(f.choices), f"{f.name}: one of {', '.join(f.choices)}")
    elif f.type == "bool":
        validation = _list_validation(["yes", "no"], f"{f.name}: yes or no")
    elif f.type == "component":
        options = [str(n) for n in IMPACT_COMPONENTS] + list(IMPACT_COMPONENTS.values())
        if len(",".join(options)) > 255:  # Excel's limit for an in-line list
            options = [str(n) for n in IMPACT_COMPONENTS]
        validation = _list_validation(options, f"{f.name}: 1-5 or the component's name")
    elif f.type == "capability_level":
        # A warning, not a stop: an admin may have renamed the levels since.
        options = [str(n) for n in range(1, len(f.choices) + 1)] + list(f.choices)
        validation = _list_validation(
            options, f"{f.name}: 1-{len(f.choices)} or the level's name", warning=True
        )
    elif f.type == "date":
        validation = _range_validation("date", DATE_MIN, DATE_MAX, f"{f.name}: a date (dd/mm/yyyy)")
    elif f.type in ("int", "year", "float") and (f.minimum is not None or f.maximum is not None):
        kind = "decimal" if f.type == "float" else "whole"
        validation = _range_validation(
            kind, f.minimum, f.maximum, f"{f.name}: {allowed_values(f).lower()}"
        )
    if validation is not None and _description(f):
        validation.promptTitle = f.name[:32]
        validation.prompt = _description(f)[:255]
    return validation


def _list_validation(options: list[str], error: str, warning: bool = False) -> DataValidation:
    return DataValidation(
        type="list",
        formula1='"' + ",".join(options) + '"',
        allow_blank=True,
        showDropDown=False,  # False shows the in-cell arrow (the OOXML attribute is inverted)
        showErrorMessage=True,
        errorStyle="warning" if warning else "stop",
        errorTitle="Not an allowed value",
        error=error[:255],
        showInputMessage=True,
    )


def _range_validation(
    kind: str, minimum: float | None, maximum: float | None, error: str
) -> DataValidation:
    if minimum is not None and maximum is not None:
        operator, formula1, formula2 = "between", _number(minimum), _number(maximum)
    elif minimum is not None:
        operator, formula1, formula2 = "greaterThanOrEqual", _number(minimum), None
    else:
        operator, formula1, formula2 = "lessThanOrEqual", _number(maximum), None
    return DataValidation(
        type=kind,
        operator=operator,
        formula1=formula1,
        formula2=formula2,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Out of range",
        error=error[:255],
        showInputMessage=True,
    )
