"""Workbooks laid out like the national NHS Staff Survey files (generated, never downloaded)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
from openpyxl import Workbook

GROUP_SHEETS = [
    "Acute&Acute Community Trusts",
    "Acute Specialist Trusts",
    "MH&LD, MH, LD&Community Trusts",
    "Community Trusts",
    "Ambulance Trusts",
]
ELEMENTS = [f"PP{i}" for i in range(1, 8)]
SUB_SCORES = [
    "PP1_1",
    "PP1_2",
    "PP1_3",
    "PP1_4",
    "PP3_1",
    "PP3_2",
    "PP4_1",
    "PP4_2",
    "PP4_3",
    "PP5_1",
    "PP5_2",
    "PP6_1",
    "PP6_2",
    "PP7_1",
    "PP7_2",
]
THEMES = ["theme_engagement", "theme_morale", "E_1", "E_2", "E_3", "M_1", "M_2", "M_3"]
QUESTIONS = ["q3c", "q3d", "q3e", "q3f", "q9f", "q9g", "q9h", "q9i", "q7a", "q7b"]


def benchmark_workbook(
    orgs_per_sheet: dict[str, list[tuple[str, str]]],
    years: list[int],
    *,
    seed: int = 1,
    shift: float = 0.0,
    extra_questions: int = 0,
    missing: dict[tuple[str, str], object] | None = None,
    breakdowns: tuple[str, ...] = (),
) -> bytes:
    """A benchmark workbook: Notes, one sheet per group, a benchmark-groups list sheet.

    `breakdowns` adds columns such as `equal_eth_summary_1` (a fraction per org and year).

    `missing` puts a marker ("-", "*", "<11", None) in a cell: {(org_code, column): marker}.
    `shift` moves every score (a later release restating earlier years).
    """
    rng = np.random.default_rng(seed)
    questions = QUESTIONS + [f"q{20 + i}a" for i in range(extra_questions)]
    wb = Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes.append(["NHS Staff Survey benchmark report data"])
    notes.append(["Scores are on a 0-10 scale; question results are proportions."])
    columns = ["org_id", "org_name", "org_type_reporting_name"]
    for year in years:
        for code in ELEMENTS + SUB_SCORES + THEMES:
            columns += [f"{code}_{year}", f"{code}_n_{year}", f"{code}_sig_{year}"]
        columns += [f"response_rate_{year}", f"response_rate_n_{year}"]
        columns += [f"{q}_{year}" for q in questions]
        columns += [f"{b}_{year}" for b in breakdowns]
    for sheet_name, orgs in orgs_per_sheet.items():
        ws = wb.create_sheet(sheet_name)
        ws.append(columns)
        for code, name in orgs:
            row: list[object] = [code, name, sheet_name.replace(" Trusts", "")]
            base = float(rng.uniform(5.5, 7.5))
            for _year in years:
                responses = int(rng.integers(300, 4000))
                for _ in ELEMENTS + SUB_SCORES + THEMES:
                    score = round(base + float(rng.normal(0, 0.3)) + shift, 3)
                    row += [score, responses - int(rng.integers(0, 50)), "not significant"]
                row += [round(float(rng.uniform(0.3, 0.7)), 4), responses]
                row += [round(float(rng.uniform(0.4, 0.8)) + shift / 100, 4) for _ in questions]
                row += [round(float(rng.uniform(0.1, 0.9)), 3) for _ in breakdowns]
            for (org, column), marker in (missing or {}).items():
                if org == code:
                    row[columns.index(column)] = marker
            ws.append(row)
    groups = wb.create_sheet("Organisation Benchmark groups")
    groups.append(["Benchmark group", "Number of organisations"])
    for sheet_name, orgs in orgs_per_sheet.items():
        groups.append([sheet_name, len(orgs)])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


AGREE_HEADERS = [
    "% Strongly disagree",
    "% Disagree",
    "% Neither agree nor disagree",
    "% Agree",
    "% Strongly agree",
    "Base (number of responses)",
]


FREQUENCY_HEADERS = ["% Never", "% Rarely", "% Sometimes", "% Often", "% Always"]
SATISFACTION_HEADERS = [
    "% Very dissatisfied",
    "% Dissatisfied",
    "% Neither satisfied nor dissatisfied",
    "% Satisfied",
    "% Very satisfied",
]
YES_NO_HEADERS = ["% Yes", "% No"]
COUNT_HEADERS = ["% Never", "% 1-2", "% 3-5", "% 6-10", "% More than 10"]
BASE = "Base (number of responses)"


def detailed_workbook(
    orgs: list[tuple[str, str, str, str]],
    questions: dict[str, list[tuple[str, str]]],
    distributions: dict[tuple[str, str], list[float]] | None = None,
    *,
    seed: int = 2,
    scales: dict[str, list[str]] | None = None,
    regions: dict[str, str] | None = None,
    weightings: tuple[str, ...] = ("Weighted",),
    title: str = "NHS Staff Survey detailed spreadsheets: organisational results",
    ics_header: str = "ICS",
) -> bytes:
    """Detailed spreadsheets: Notes, then section sheets with merged question labels in row 1
    and the header on row 5. orgs: (ods code, name, benchmarking group, ICS).

    `scales` gives a question's answer columns when it is not on the agree scale (e.g.
    FREQUENCY_HEADERS); `regions` a region per org ("-" for ICBs, CCGs, CSUs, social
    enterprises); `weightings` one row per org per value (`Occupation Group`, `Unweighted`).
    """
    rng = np.random.default_rng(seed)
    wb = Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes.append([title])
    for sheet_name, qs in questions.items():
        ws = wb.create_sheet(sheet_name)
        identity = [
            "ODS code",
            "Organisation name",
            "Benchmarking group",
            "Region",
            ics_header,
            "Weighting",
        ]
        col = len(identity) + 1
        header = list(identity)
        for code, text in qs:
            options = (scales or {}).get(code, AGREE_HEADERS[:-1])
            ws.cell(row=1, column=col, value=f"{code.upper()}. {text}")
            ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + len(options))
            col += len(options) + 1
            header += [*options, BASE]
        ws.cell(row=2, column=1, value="Percentages are of those who answered.")
        for c, h in enumerate(header, start=1):
            ws.cell(row=5, column=c, value=h)
        r = 6
        for ods, name, group, ics in orgs:
            for weighting in weightings:
                region = (regions or {}).get(ods, "North East and Yorkshire")
                row = [ods, name, group, region, ics, weighting]
                for code, _ in qs:
                    options = (scales or {}).get(code, AGREE_HEADERS[:-1])
                    dist = (distributions or {}).get((ods, code))
                    if dist is None:
                        raw = rng.dirichlet(np.arange(1, len(options) + 1)) * 100
                        dist = [round(float(x), 1) for x in raw]
                    row += [*dist, int(rng.integers(200, 3000))]
                for c, v in enumerate(row, start=1):
                    ws.cell(row=r, column=c, value=v)
                r += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def detailed_zip(
    organisational: bytes, year: int = 25, *, extra: dict[str, bytes] | None = None
) -> bytes:
    """The published zip of detailed spreadsheets: national, organisation type and
    organisational results workbooks (the first two hold no organisation rows)."""

    def summary(label: str) -> bytes:
        wb = Workbook()
        ws = wb.active
        ws.title = "Notes"
        ws.append([f"NHS Staff Survey 20{year} detailed spreadsheets: {label}"])
        data = wb.create_sheet("YOUR JOB Q1-3")
        data.append(["Q3F. I am able to make improvements happen in my area of work."])
        data.append(["Group", "% Agree", BASE])
        data.append(["All organisations", 55.0, 600000])
        buffer = io.BytesIO()
        wb.save(buffer)
        return buffer.getvalue()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            f"NSS{year} detailed spreadsheets national results.xlsx", summary("national")
        )
        archive.writestr(
            f"NSS{year} detailed spreadsheets organisation type results.xlsx",
            summary("organisation type"),
        )
        archive.writestr(
            f"NSS{year} detailed spreadsheets organisational results.xlsx", organisational
        )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()
