"""Survey contractors' positive-scoring exports, read as staff-survey results.

A trust's survey contractor sends local results as a long CSV: `Year, QuestionNumber,
QuestionText, DimName, DimValue, BaseSize, Score`, one row per question and breakdown, with
`Score` the proportion (0-1) of positive answers and no organisation column (the user names
the organisation at upload time). `Score` becomes the positive % (0-100), `BaseSize` the
responses, and `DimName/DimValue` a team or staff-group breakdown; rows of other breakdowns
(age, gender, ...) are left out with a note, since results are stored by team and staff group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact_data.ingest.columns import ColumnMapping
from impact_data.ingest.convert import is_blank, text_of
from impact_data.ingest.kinds import normalise_header
from impact_data.ingest.problems import Problem
from impact_data.ingest.read import RawSheet

__all__ = [
    "DIM_NAME_HEADERS",
    "DIM_VALUE_HEADERS",
    "EXPORT_HEADERS",
    "STAFF_GROUP_WORDS",
    "TEAM_WORDS",
    "WHOLE_ORGANISATION",
    "breakdown_level",
    "is_positive_scoring",
    "read_positive_scoring",
]

# Headers only a positive-scoring export carries (normalised).
__all__ = [
    "EXPORT_HEADERS",
    "breakdown_level",
    "is_positive_scoring",
    "read_positive_scoring",
]

EXPORT_HEADERS = {"questionnumber", "basesize", "dimname", "dimvalue"}
DIM_NAME_HEADERS = {"dimname", "dimension", "breakdown", "breakdowntype"}
DIM_VALUE_HEADERS = {"dimvalue", "dimensionvalue", "breakdownvalue"}

# What a DimName says about its DimValue (normalised fragments, checked in this order).
STAFF_GROUP_WORDS = ("staffgroup", "occupation", "professionalgroup", "jobfamily", "agendafor")
TEAM_WORDS = (
    "directorate",
    "division",
    "department",
    "team",
    "ward",
    "service",
    "unit",
    "caregroup",
    "locality",
    "site",
    "location",
    "specialty",
    "speciality",
)
WHOLE_ORGANISATION = {"", "overall", "total", "all", "allstaff", "organisation", "trust", "org"}


def breakdown_level(dim_name: object) -> str | None:
    """ "team", "staff_group", "org" (the whole organisation) or None (another breakdown)."""
    key = "" if is_blank(dim_name) else normalise_header(dim_name)
    if key in WHOLE_ORGANISATION:
        return "org"
    if any(w in key for w in STAFF_GROUP_WORDS):
        return "staff_group"
    if any(w in key for w in TEAM_WORDS):
        return "team"
    return None


def is_positive_scoring(mapping: ColumnMapping) -> bool:
    """True when the sheet is laid out as a contractor's positive-scoring export."""
    keys = {normalise_header(h) for h in mapping.headers.values()}
    score_header = (
        normalise_header(mapping.headers[mapping.fields["score"]])
        if "score" in mapping.fields
        else ""
    )
    return (
        score_header == "score"
        and "positive_pct" not in mapping.fields
        and len(keys & EXPORT_HEADERS) >= 2
    )


def _column(sheet: RawSheet, mapping: ColumnMapping, names: set[str]) -> int | None:
    for pos, header in mapping.headers.items():
        if pos not in mapping.fields.values() and normalise_header(header) in names:
            return pos
    return None


def read_positive_scoring(
    sheet: RawSheet,
    mapping: ColumnMapping,
    typed: pd.DataFrame,
    sheet_label: str | None,
    notes: list[str],
) -> tuple[pd.DataFrame, list[Problem]]:
    """Staff-survey rows of a positive-scoring export: Score 0-1 -> positive %, DimName/
    DimValue -> team or staff group. Other layouts pass through unchanged."""
    from impact_data.ingest.validate import ROW

    if not is_positive_scoring(mapping) or typed.empty:
        return typed, []
    problems: list[Problem] = []
    typed = typed.copy()
    score_header = mapping.headers[mapping.fields["score"]]
    score = pd.to_numeric(typed["score"], errors="coerce")
    too_big = score > 1
    for idx in typed.index[too_big.fillna(False)]:
        problems.append(
            Problem(
                "in a positive-scoring export Score is the proportion of positive answers, "
                "between 0 and 1",
                row=int(typed.at[idx, ROW]),
                column=score_header,
                found=score[idx],
                sheet=sheet_label,
                category="out_of_range",
            )
        )
    typed["positive_pct"] = (score * 100).round(6).where(~too_big)
    typed["score"] = None
    mapping.explained[mapping.fields["score"]] = (
        "positive % (Score is a 0-1 proportion of positive answers: 0.54 is 54%)"
    )
    notes.append(
        f"{sheet.name}: read as a survey contractor's positive-scoring export: "
        f"{score_header!r} (a 0-1 proportion) stored as the positive % (0-100)"
    )
    name_col = _column(sheet, mapping, DIM_NAME_HEADERS)
    value_col = _column(sheet, mapping, DIM_VALUE_HEADERS)
    if name_col is None or value_col is None:
        return typed, problems
    cells = sheet.cells.loc[typed.index]
    dim_names = cells[name_col]
    dim_values = cells[value_col].map(lambda v: None if is_blank(v) else text_of(v))
    levels = dim_names.map(breakdown_level)
    mapping.explained[name_col] = "breakdown type: team or staff group (read with DimValue)"
    mapping.explained[value_col] = "team or staff group, as DimName says"
    # Read here, so not "columns not used" and not offered for mapping by hand.
    mapping.ignored = [p for p in mapping.ignored if p not in (name_col, value_col)]
    for level in ("team", "staff_group"):
        rows = levels == level
        typed.loc[rows, level] = dim_values[rows]
        missing = rows & dim_values.isna()
        for idx in typed.index[missing]:
            problems.append(
                Problem(
                    f"a breakdown value is required when {mapping.headers[name_col]} is "
                    f"{text_of(dim_names[idx])!r}",
                    row=int(typed.at[idx, ROW]),
                    column=mapping.headers[value_col],
                    sheet=sheet_label,
                    category="required",
                )
            )
    other = levels.isna()
    if other.any():
        kinds = sorted({text_of(v) for v in dim_names[other]})
        notes.append(
            f"{int(other.sum()):,} row(s) broken down by {', '.join(kinds)} were left out: "
            "results are stored for the whole organisation, by team and by staff group"
        )
        typed = typed[~other]
    counts = {lvl: int(np.sum(levels == lvl)) for lvl in ("org", "team", "staff_group")}
    notes.append(
        f"breakdowns: {counts['org']:,} whole-organisation row(s), {counts['team']:,} team "
        f"row(s), {counts['staff_group']:,} staff-group row(s)"
    )
    return typed, problems
