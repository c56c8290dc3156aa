"""Checking one mapped sheet: typed values, required cells, ranges, answers, duplicates.

The result is a typed DataFrame (one column per field, one per item/question, and `_row`, the
Excel row number) plus the list of problems. Checks that need the database (unknown
organisations, rows already loaded) live in `prepare`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from impact_data.ingest.columns import ColumnMapping
from impact_data.ingest.convert import (
    Converted,
    blank_mask,
    choose_labels,
    convert,
    convert_likert,
)
from impact_data.ingest.kinds import AGREE_LABELS, AnswerLabels
from impact_data.ingest.problems import Problem, format_found
from impact_data.ingest.read import MAX_HEADER_CHARS, RawSheet

__all__ = [
    "FIELD_LIMITS",
    "ORG_CODE_LENGTH",
    "ROW",
    "InstrumentSpec",
    "as_python",
    "data_rows",
    "rows_without_answers",
    "validate_sheet",
]

ROW = "_row"

# organisations.org_code holds this many characters (merged CCG codes such as
# 04Y/05D/05G/05Q/05V/05W are 23).
ORG_CODE_LENGTH = 100

# Longest text each field's database column takes (fields not listed are free text).
FIELD_LIMITS = {
    "org_code": ORG_CODE_LENGTH,
    "from_org": ORG_CODE_LENGTH,
    "to_org": ORG_CODE_LENGTH,
    "org_name": 300,
    "org_type": 40,
    "system": 200,
    "region": 200,
    "question_code": 40,
    "team": 200,
    "staff_group": 200,
    "respondent_id": 100,
    "role": 200,
    "programme": 200,
    "instrument": 40,
    "project_id": 100,
    "title": 500,
    "measure_name": 300,
    "coach": 200,
    "theme": 300,
}


@dataclass
class InstrumentSpec:
    """The parts of a readiness instrument that validation needs."""

    code: str
    name: str
    scale_min: int
    scale_max: int
    items: dict[str, str]  # item code -> subscale
    # The words of each scale point; a file's words are read on the set they all fit.
    labels: tuple[AnswerLabels, ...] = ()
    # Other published numberings of the items: alias (e.g. "or2") -> item code ("c1").
    aliases: dict[str, str] = field(default_factory=dict)


def data_rows(sheet: RawSheet, mapping: ColumnMapping) -> pd.DataFrame:
    """The cells below the header, blank rows dropped, with their Excel row numbers."""
    body = sheet.cells.iloc[mapping.header_index + 1 :]
    used = sorted(set(mapping.fields.values()) | set(mapping.items.values()))
    body = body[[c for c in used if c in body.columns]]
    if body.empty:
        out = pd.DataFrame(columns=[*used, ROW])
        return out
    nonblank = np.zeros(len(body), dtype=bool)
    for col in body.columns:
        nonblank |= ~blank_mask(body[col]).to_numpy()
    body = body[nonblank]
    body = body.copy()
    body[ROW] = body.index.to_numpy() + sheet.first_row
    return body


def validate_sheet(
    sheet: RawSheet,
    mapping: ColumnMapping,
    instrument: InstrumentSpec | None = None,
    *,
    given: dict[str, object] | None = None,
    notes: list[str] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed rows of one sheet and every problem found in its cells.

    `given` holds values named at upload time for fields the file has no column for (e.g.
    the organisation of a contractor's export); `notes` receives how answers were read.
    """
    table = mapping.table
    problems: list[Problem] = []
    notes = notes if notes is not None else []
    given = {k: v for k, v in (given or {}).items() if v not in (None, "")}
    sheet_label = sheet.name if sheet.named_in_messages else None
    for name in mapping.missing:
        if name in given:
            continue
        closest = mapping.closest_header(name)
        hint = f'; the closest header found is "{closest}"' if closest else ""
        problems.append(
            Problem(
                f"required column {name} is missing{hint}",
                column=name,
                row=mapping.header_row,
                sheet=sheet_label,
                category="missing_column",
            )
        )
    for pos, header in mapping.headers.items():
        if len(header) > MAX_HEADER_CHARS:
            problems.append(
                Problem(
                    f"the header of column {pos + 1} is {len(header):,} characters long; "
                    "headers must be short column names",
                    row=mapping.header_row,
                    sheet=sheet_label,
                    category="hostile",
                )
            )
    body = data_rows(sheet, mapping)
    rows = body[ROW]
    typed = pd.DataFrame({ROW: rows.to_numpy()}, index=body.index)

    from impact_data.ingest.contractor import is_positive_scoring

    # A contractor's Score is a 0-1 proportion, checked as such by the contractor reader.
    proportion_score = table.name == "staff_survey" and is_positive_scoring(mapping)
    for spec in table.fields:
        if spec.name not in mapping.fields:
            typed[spec.name] = given.get(spec.name)
            continue
        if proportion_score and spec.name == "score":
            spec = replace(spec, maximum=None)
        raw = body[mapping.fields[spec.name]]
        result = convert(raw, spec)
        typed[spec.name] = result.values
        problems += _cell_problems(result, raw, rows, spec.name, sheet_label)
        limit = FIELD_LIMITS.get(spec.name)
        if limit and spec.type in ("text", "code", "question"):
            too_long = result.values.map(lambda v, n=limit: isinstance(v, str) and len(v) > n)
            for idx in too_long[too_long].index:
                problems.append(
                    Problem(
                        f"{spec.name} is too long: at most {limit} characters",
                        row=int(rows.at[idx]),
                        column=spec.name,
                        found=f"{len(result.values.at[idx]):,} characters",
                        sheet=sheet_label,
                        category="too_long",
                    )
                )
            typed.loc[too_long, spec.name] = None
        if result.out_of_range is not None:
            for idx in result.out_of_range[result.out_of_range].index:
                problems.append(
                    Problem(
                        f"{spec.name} {result.range_text}",
                        row=int(rows.at[idx]),
                        column=spec.name,
                        found=raw.at[idx],
                        sheet=sheet_label,
                        category="out_of_range",
                    )
                )
        if spec.required:
            for idx in result.blank[result.blank].index:
                problems.append(
                    Problem(
                        f"a value is required in {spec.name}",
                        row=int(rows.at[idx]),
                        column=spec.name,
                        sheet=sheet_label,
                        category="required",
                    )
                )

    problems += _cross_field_checks(typed, table.name, sheet_label)
    problems += _validate_items(body, mapping, typed, instrument, sheet_label, notes)
    if table.name == "staff_survey":
        from impact_data.ingest.contractor import read_positive_scoring

        typed, more = read_positive_scoring(sheet, mapping, typed, sheet_label, notes)
        problems += more
    problems += _duplicates(typed, table.unique_key, table, sheet_label)
    return typed, problems


def _cross_field_checks(typed: pd.DataFrame, table: str, sheet_label: str | None) -> list[Problem]:
    """Checks that involve two columns of a row."""
    problems: list[Problem] = []
    if table == "measures" and {"numerator", "denominator"} <= set(typed.columns):
        num = pd.to_numeric(typed["numerator"], errors="coerce")
        den = pd.to_numeric(typed["denominator"], errors="coerce")
        for idx in typed.index[(num > den).fillna(False)]:
            problems.append(
                Problem(
                    "numerator is larger than denominator",
                    row=int(typed.at[idx, ROW]),
                    column="numerator",
                    found=f"{num[idx]:g} > {den[idx]:g}",
                    sheet=sheet_label,
                    category="out_of_range",
                )
            )
    if table == "visits" and {"from_org", "to_org"} <= set(typed.columns):
        same = typed["from_org"].notna() & (typed["from_org"] == typed["to_org"])
        for idx in typed.index[same]:
            problems.append(
                Problem(
                    "an organisation cannot visit itself: to_org must differ from from_org",
                    row=int(typed.at[idx, ROW]),
                    column="to_org",
                    found=typed.at[idx, "to_org"],
                    sheet=sheet_label,
                    category="invalid",
                )
            )
    if table == "cycles" and {"start_date", "end_date"} <= set(typed.columns):
        for idx in typed.index:
            start, end = typed.at[idx, "start_date"], typed.at[idx, "end_date"]
            if start is not None and end is not None and end < start:
                problems.append(
                    Problem(
                        "end_date is before start_date",
                        row=int(typed.at[idx, ROW]),
                        column="end_date",
                        found=f"{end:%d/%m/%Y}, start {start:%d/%m/%Y}",
                        sheet=sheet_label,
                        category="out_of_range",
                    )
                )
    return problems


def _validate_items(
    body: pd.DataFrame,
    mapping: ColumnMapping,
    typed: pd.DataFrame,
    instrument: InstrumentSpec | None,
    sheet_label: str | None,
    notes: list[str],
) -> list[Problem]:
    problems: list[Problem] = []
    if not mapping.table.item_columns:
        return problems
    scale = (instrument.scale_min, instrument.scale_max) if instrument else (1, 5)
    codes = [c for c in mapping.items if instrument is None or c in instrument.items]
    # Words are read by the scale's own labels, decided from every answer in the file.
    label_sets = (
        tuple(s for s in instrument.labels if len(s.words) == scale[1] - scale[0] + 1)
        if instrument is not None
        else (AGREE_LABELS,)
    )
    choice = choose_labels([body[mapping.items[c]] for c in codes], label_sets, scale[0])
    if choice.problem:
        problems.append(
            Problem(
                choice.problem,
                row=mapping.header_row,
                column=", ".join(codes[:3]) + (" ..." if len(codes) > 3 else ""),
                found=", ".join(choice.words_found[:6]),
                sheet=sheet_label,
                category="ambiguous_scale",
            )
        )
        return problems
    if choice.labels is not None and choice.words_found:
        values = ", ".join(
            f"{word} = {value}" for value, word in enumerate(choice.labels.words, start=scale[0])
        )
        notes.append(f"answers read on the scale {choice.labels.name} ({values})")
    if choice.labels is not None and choice.words_found:
        expected_words = "one of: " + " / ".join(choice.labels.words)
    elif label_sets:
        expected_words = "a Likert word (" + ", or ".join(s.name for s in label_sets) + ")"
    else:
        expected_words = None
    for code in codes:
        raw = body[mapping.items[code]]
        result = convert_likert(raw, *scale, words=choice.words, expected_words=expected_words)
        typed[code] = result.values
        problems += _cell_problems(result, raw, typed[ROW], code, sheet_label, "bad_answer")
    if not codes:
        what = f"items of {instrument.name}" if instrument else "question columns (e.g. q3f)"
        problems.append(
            Problem(
                f"no {what} found in the header",
                row=mapping.header_row,
                sheet=sheet_label,
                category="missing_column",
            )
        )
    return problems


def _duplicates(
    typed: pd.DataFrame, key: tuple[str, ...], table, sheet_label: str | None
) -> list[Problem]:
    if not key or typed.empty:
        return []
    frame = typed[list(key)]
    # An optional identifier (e.g. respondent_id) only makes rows comparable when it is given.
    first = table.field(key[0])
    considered = frame[key[0]].notna() if not first.required else pd.Series(True, index=frame.index)
    for name in key:
        if table.field(name).required:
            considered &= frame[name].notna()
    frame = frame[considered].astype(str)
    dup = frame.duplicated(keep=False)
    if not dup.any():
        return []
    problems = []
    first_row: dict[tuple, int] = {}
    for idx, values in frame[dup].iterrows():
        k = tuple(values.tolist())
        row = int(typed.at[idx, ROW])
        if k not in first_row:
            first_row[k] = row
            continue
        shown = ", ".join(
            f"{n}={format_found(typed.at[idx, n])}"
            for n in key
            if as_python(typed.at[idx, n]) is not None
        )
        problems.append(
            Problem(
                f"duplicate row: the same {', '.join(key)} as an earlier row",
                row=row,
                column=key[0],
                found=f"same as row {first_row[k]}: {shown}",
                sheet=sheet_label,
                category="duplicate",
            )
        )
    return problems


def _cell_problems(
    result: Converted,
    raw: pd.Series,
    rows: pd.Series,
    column: str,
    sheet_label: str | None,
    category: str = "invalid",
) -> list[Problem]:
    bad = result.bad[result.bad].index
    return [
        Problem(
            str(result.reasons.at[idx]),
            row=int(rows.at[idx]),
            column=column,
            found=raw.at[idx],
            sheet=sheet_label,
            category=category,
        )
        for idx in bad
    ]


def rows_without_answers(typed: pd.DataFrame, codes: list[str]) -> pd.Series:
    """True for rows where every item/question is blank."""
    if not codes:
        return pd.Series(True, index=typed.index)
    return typed[codes].isna().all(axis=1)


def as_python(value: object) -> object:
    """A plain Python value for the database driver (no numpy scalars, no NaN)."""
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    return value
