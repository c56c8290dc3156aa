"""Checking one mapped sheet: typed values, required cells, ranges, answers, duplicates.

The result is a typed DataFrame (one column per field, one per item/question, and `_row`, the
Excel row number) plus the list of problems. Checks that need the database (unknown
organisations, rows already loaded) live in `prepare`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from impact_data.ingest.columns import ColumnMapping
from impact_data.ingest.convert import (
    Converted,
    blank_of_distinct,
    choose_labels,
    convert,
    convert_likert,
    factorize_cells,
    factorized_columns,
    factors_of_rows,
    is_blank,
    parse_date,
    parse_number,
)
from impact_data.ingest.kinds import AGREE_LABELS, AnswerLabels
from impact_data.ingest.problems import Problem, format_found, row_content
from impact_data.ingest.read import MAX_HEADER_CHARS, RawSheet

__all__ = [
    "FIELD_LIMITS",
    "ORG_CODE_LENGTH",
    "ROW",
    "InstrumentSpec",
    "SkippedRow",
    "as_python",
    "data_rows",
    "locate_problems",
    "skipped_text",
    "trailing_rows",
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


@dataclass(frozen=True)
class SkippedRow:
    """A row below the data that is not data: blank, a note (footnote, source) or a total."""

    row: int  # Excel row number
    reason: str  # "blank", "note" or "total"
    content: str  # the row's cells as a short line

    def describe(self) -> str:
        what = {"blank": "a blank row", "note": "a note", "total": "a total row"}[self.reason]
        return f"row {self.row} ({what})" + (f": {self.content}" if self.content else "")


# Words that start a footnote or source note under a table.
NOTE_START = re.compile(
    r"^\s*(source|sources|note|notes|nb|n\.b\.|footnote|key|data|figures|produced|prepared|"
    r"copyright|published|updated|generated|base|\*|†|‡|§|¹|²|³|\(\d\)|\[\d\]|\d\.\s)",
    re.IGNORECASE,
)
# A note unmistakable as such even when its text spills into other cells (a CSV line whose
# commas were not quoted): "Source: ...", "Notes - ...", "* ...".
MARKED_NOTE = re.compile(r"^\s*((sources?|notes?|nb|footnotes?)\s*[:\-–]|[*†‡§])", re.IGNORECASE)
# What an identifying cell of a total row says.
TOTAL_LABEL = re.compile(
    r"^\s*((grand|sub)\s*-?\s*totals?|totals?|all\s+(organisations|organizations|orgs|trusts|"
    r"teams|respondents|staff|rows)|overall|sum|average|mean)\s*(\(.*\))?\s*:?\s*$",
    re.IGNORECASE,
)


def _is_number(value: object) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    try:
        return parse_number(value) is not None
    except (TypeError, ValueError):
        return False


def _is_date(value: object) -> bool:
    if hasattr(value, "year") and hasattr(value, "month"):
        return True
    return isinstance(value, str) and parse_date(value)[0] is not None


def _below_data_kind(cells: list) -> str | None:
    """ "blank", "note" or "total" for a row that is not data, else None."""
    filled = [v for v in cells if not is_blank(v)]
    if not filled:
        return "blank"
    texts = [v for v in filled if isinstance(v, str) and not _is_number(v) and not _is_date(v)]
    if len(filled) == 1 and texts:
        text = texts[0].strip()
        # A sentence or a marked note, not a lone code left in a data row ("ZA1").
        if NOTE_START.match(text) or (" " in text and any(c.isalpha() for c in text)):
            return "note"
    if isinstance(filled[0], str) and MARKED_NOTE.match(filled[0]):
        return "note"
    labels = [v for v in texts if TOTAL_LABEL.match(v)]
    if labels and all(v in labels or _is_number(v) for v in filled):
        return "total"
    return None


def trailing_rows(sheet: RawSheet, mapping: ColumnMapping) -> list[SkippedRow]:
    """Rows below the last data row that are blank, a note or a total, top to bottom.

    Read from the bottom up to the first row with data in a used column that is none of
    these; rows empty in every used column are passed over (they are not data either).
    A note or total between data rows is data and is checked as such.
    """
    cells = sheet.cells
    start = mapping.header_index + 1
    used = sorted(set(mapping.fields.values()) | set(mapping.items.values()))
    used = [c for c in used if c in cells.columns]
    skipped: list[SkippedRow] = []
    for i in range(len(cells) - 1, start - 1, -1):
        values = cells.iloc[i].tolist()
        kind = _below_data_kind(values)
        if kind is None:
            if any(not is_blank(values[c]) for c in used):
                break
            continue
        skipped.append(SkippedRow(i + sheet.first_row, kind, row_content(values)))
    skipped.reverse()
    return skipped


def skipped_text(skipped: list[SkippedRow], limit: int = 5) -> str:
    """ "2 rows below the data were skipped: row 24 (a note): Source: ..., row 25 (a total row)"."""
    n = len(skipped)
    shown = "; ".join(s.describe() for s in skipped[:limit])
    more = f"; and {n - limit} more" if n > limit else ""
    return (
        f"{n} row{'s' if n != 1 else ''} below the data {'were' if n != 1 else 'was'} "
        f"skipped (not data, so not checked): {shown}{more}"
    )


def data_rows(
    sheet: RawSheet,
    mapping: ColumnMapping,
    skipped: list[SkippedRow] | None = None,
    factors: dict | None = None,
) -> pd.DataFrame:
    """The cells below the header, blank rows and the rows below the data that are notes or
    totals (`skipped`, found when not given) dropped, with their Excel row numbers.

    `factors`, when given, receives each column's (codes, distinct cells) over the rows kept,
    for `convert.factorized_columns`."""
    if skipped is None:
        skipped = trailing_rows(sheet, mapping)
    end = len(sheet.cells)
    if skipped:
        end = min(end, skipped[0].row - sheet.first_row)
    body = sheet.cells.iloc[mapping.header_index + 1 : end]
    used = sorted(set(mapping.fields.values()) | set(mapping.items.values()))
    body = body[[c for c in used if c in body.columns]]
    if body.empty:
        out = pd.DataFrame(columns=[*used, ROW])
        return out
    nonblank = np.zeros(len(body), dtype=bool)
    found = {}
    start = mapping.header_index + 1
    for col in body.columns:
        known = sheet.column_factors(col)
        if known is not None:
            codes, uniques = factors_of_rows(*known, start, start + len(body))
        else:
            codes, uniques = factorize_cells(body[col].to_numpy(dtype=object))
        nonblank |= ~blank_of_distinct(uniques)[codes]
        found[col] = (codes, uniques)
    every = bool(nonblank.all())
    # A frame of its own either way (copy on write): the sheet's cells stay as read.
    body = body.copy(deep=False) if every else body[nonblank]
    if factors is not None:
        factors.update(
            (col, (codes if every else codes[nonblank], uniques))
            for col, (codes, uniques) in found.items()
        )
    body[ROW] = body.index.to_numpy() + sheet.first_row
    return body


def validate_sheet(
    sheet: RawSheet,
    mapping: ColumnMapping,
    instrument: InstrumentSpec | None = None,
    *,
    given: dict[str, object] | None = None,
    notes: list[str] | None = None,
    skipped: list[SkippedRow] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed rows of one sheet and every problem found in its cells.

    `given` holds values named at upload time for fields the file has no column for (e.g.
    the organisation of a contractor's export); `notes` receives how answers were read,
    `skipped` the rows below the data that are blank, notes or totals. Problems name the
    file's own headers, the cell and the row's content (`locate_problems`).
    """
    table = mapping.table
    problems: list[Problem] = []
    notes = notes if notes is not None else []
    given = {k: v for k, v in (given or {}).items() if v not in (None, "")}
    sheet_label = sheet.name if sheet.named_in_messages else None
    named = _quoted_header(mapping)
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
                    f"the header of column {mapping.letter(pos)} is {len(header):,} characters long; "
                    "headers must be short column names",
                    row=mapping.header_row,
                    sheet=sheet_label,
                    category="hostile",
                )
            )
    below = trailing_rows(sheet, mapping)
    if skipped is not None:
        skipped += below
    factors: dict = {}
    body = data_rows(sheet, mapping, below, factors)
    with factorized_columns(body.index, factors):
        typed = _typed_fields(body, mapping, given, sheet_label, named, problems)
        problems += _cross_field_checks(typed, table.name, sheet_label, named)
        problems += _validate_items(body, mapping, typed, instrument, sheet_label, notes)
    if table.name == "staff_survey":
        from impact_data.ingest.contractor import read_positive_scoring

        typed, more = read_positive_scoring(sheet, mapping, typed, sheet_label, notes)
        problems += more
    problems += _duplicates(typed, table.unique_key, table, sheet_label, named)
    return typed, locate_problems(problems, sheet, mapping)


def _typed_fields(
    body: pd.DataFrame,
    mapping: ColumnMapping,
    given: dict[str, object],
    sheet_label: str | None,
    named,
    problems: list[Problem],
) -> pd.DataFrame:
    """The typed values of the table's fields (not its items); the cells' problems go to
    `problems`."""
    table = mapping.table
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
            too_long = result.cells_where(lambda v, n=limit: isinstance(v, str) and len(v) > n)
            for idx in too_long[too_long].index:
                problems.append(
                    Problem(
                        f"{named(spec.name)} is too long: at most {limit} characters",
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
                        f"{named(spec.name)} {result.range_text}",
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
                        f"a value is required in {named(spec.name)}",
                        row=int(rows.at[idx]),
                        column=spec.name,
                        sheet=sheet_label,
                        category="required",
                    )
                )

    return typed


def _quoted_header(mapping: ColumnMapping):
    """A function naming a field by its column's header as written in the file."""
    return lambda name: _quote(mapping.header_of(name))


def _quote(header: str) -> str:
    """A header in a message: as it is when it is one word (q3f, org_code), else in quotes."""
    return header if header and not any(c.isspace() for c in header) else f"“{header}”"


def _cross_field_checks(
    typed: pd.DataFrame, table: str, sheet_label: str | None, header=lambda name: name
) -> list[Problem]:
    """Checks that involve two columns of a row (named by their headers in the file)."""
    problems: list[Problem] = []
    if table == "measures" and {"numerator", "denominator"} <= set(typed.columns):
        num = pd.to_numeric(typed["numerator"], errors="coerce")
        den = pd.to_numeric(typed["denominator"], errors="coerce")
        for idx in typed.index[(num > den).fillna(False)]:
            problems.append(
                Problem(
                    f"{header('numerator')} is larger than {header('denominator')}",
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
                    "an organisation cannot visit itself: "
                    f"{header('to_org')} must differ from {header('from_org')}",
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
                        f"{header('end_date')} is before {header('start_date')}",
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
    typed: pd.DataFrame,
    key: tuple[str, ...],
    table,
    sheet_label: str | None,
    header=lambda name: name,
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
            f"{header(n)}={format_found(typed.at[idx, n])}"
            for n in key
            if as_python(typed.at[idx, n]) is not None
        )
        problems.append(
            Problem(
                f"duplicate row: the same {', '.join(map(header, key))} as an earlier row",
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


def locate_problems(
    problems: list[Problem], sheet: RawSheet, mapping: ColumnMapping
) -> list[Problem]:
    """The problems with where they are in the file's own terms: the sheet (or CSV file),
    the column's header as written, the Excel cell ("D24") and the row's content."""
    if not problems:
        return problems
    by_header = {h: p for p, h in mapping.headers.items()}
    grid = sheet.cells.to_numpy(dtype=object) if len(sheet.cells) else None
    contents: dict[int, str] = {}

    def content(row: int) -> str | None:
        i = row - sheet.first_row
        if grid is None or not 0 <= i < len(grid):
            return None
        if i not in contents:
            contents[i] = row_content(grid[i].tolist())
        return contents[i]

    out = []
    for p in problems:
        if p.sheet_name is not None:
            out.append(p)
            continue
        position = None
        if p.column:
            position = mapping.position_of(p.column)
            if position is None:
                position = by_header.get(p.column)
        header = mapping.headers.get(position) if position is not None else None
        data_row = p.row is not None and p.row != mapping.header_row
        out.append(
            replace(
                p,
                sheet_name=sheet.name,
                in_csv=sheet.from_csv,
                header=header,
                cell=f"{mapping.letter(position)}{p.row}"
                if position is not None and p.row is not None
                else None,
                content=content(p.row) if data_row else None,
            )
        )
    return out


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
