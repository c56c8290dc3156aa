"""Finding the header row and mapping a sheet's columns to a table's fields."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import pandas as pd

from impact_data.ingest.kinds import TableSpec, normalise_header, question_code_from_header
from impact_data.ingest.read import RawSheet

__all__ = [
    "BRACKETED_NOTE",
    "HEADER_SEARCH_ROWS",
    "IGNORE",
    "ColumnMapping",
    "column_letter",
    "find_header",
    "header_score",
    "map_columns",
    "without_note",
]

HEADER_SEARCH_ROWS = 30
IGNORE = ""


@dataclass
class ColumnMapping:
    """How one sheet's columns map onto a table: fields, item/question columns, ignored ones."""

    table: TableSpec
    sheet: str
    header_index: int  # index into RawSheet.cells of the header row
    header_row: int  # Excel row number of the header
    headers: dict[int, str]  # column position -> header text as written
    fields: dict[str, int] = field(default_factory=dict)  # field name -> column position
    items: dict[str, int] = field(default_factory=dict)  # question/item code -> position
    item_texts: dict[str, str | None] = field(default_factory=dict)
    ignored: list[int] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required fields with no column
    by_hand: dict[str, str] = field(default_factory=dict)  # header -> target chosen by a user
    # column position -> how it was read, where that needs saying (a header recognised
    # without its note in brackets, a published item number, a 0-1 proportion).
    explained: dict[int, str] = field(default_factory=dict)
    first_column: int = 1  # Excel column number (A = 1) of position 0
    in_csv: bool = False  # a CSV file: places are "row 24, column D", not cell D24

    def letter(self, position: int) -> str:
        """The Excel column letter of a column position: "D"."""
        return column_letter(position + self.first_column - 1)

    def position_of(self, name: str) -> int | None:
        """The column position a field or item is read from, or None."""
        if name in self.fields:
            return self.fields[name]
        return self.items.get(name)

    def header_of(self, name: str) -> str:
        """The header as written in the file of the column a field or item is read from
        (the field's own name when the file has no such column)."""
        position = self.position_of(name)
        return self.headers.get(position, name) if position is not None else name

    def target_of(self, position: int) -> str:
        """The field or item a column feeds, or "" when ignored."""
        for name, pos in self.fields.items():
            if pos == position:
                return name
        for code, pos in self.items.items():
            if pos == position:
                return code
        return IGNORE

    def as_frame(self) -> pd.DataFrame:
        """One row per column: header, what it maps to, and how it was matched."""
        rows = []
        for pos, header in self.headers.items():
            target = self.target_of(pos)
            if header in self.by_hand:
                how = "chosen by you"
            elif pos in self.explained:
                how = self.explained[pos]
            elif target in self.items:
                how = "question/item column"
            elif target:
                how = "recognised"
            else:
                how = "ignored"
            rows.append(
                {"column": self.letter(pos), "header": header, "maps_to": target, "how": how}
            )
        return pd.DataFrame(rows, columns=["column", "header", "maps_to", "how"])

    def closest_header(self, field_name: str) -> str | None:
        """The unmapped header that looks most like `field_name`, for the error message."""
        spec = self.table.field(field_name)
        keys = spec.header_keys()
        candidates = {normalise_header(self.headers[p]): self.headers[p] for p in self.ignored}
        best, best_ratio = None, 0.0
        for norm, original in candidates.items():
            if not norm:
                continue
            for key in keys:
                ratio = difflib.SequenceMatcher(None, norm, key).ratio()
                if ratio > best_ratio:
                    best, best_ratio = original, ratio
        return best if best_ratio >= 0.5 else None


def column_letter(position: int) -> str:
    """Excel column letters of a 0-based column number: 0 -> A, 26 -> AA."""
    letters = ""
    n = position + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


# A known header followed by a unit or note in brackets: "Base (number of responses)".
BRACKETED_NOTE = re.compile(r"^(?P<header>.*?\S)\s*[\(\[][^\(\)\[\]]*[\)\]]\s*$")


def without_note(header: str) -> str | None:
    """The header before a trailing note in brackets, or None when there is no such note."""
    m = BRACKETED_NOTE.match(header or "")
    return m.group("header").strip() if m else None


def _field_index(table: TableSpec) -> tuple[dict[str, str], dict[str, list[str]]]:
    canonical = {normalise_header(f.name): f.name for f in table.fields}
    synonyms: dict[str, list[str]] = {}
    for f in table.fields:
        for key in f.header_keys():
            synonyms.setdefault(key, []).append(f.name)
    return canonical, synonyms


def header_score(row: list[str], table: TableSpec) -> tuple[int, int]:
    """(required fields recognised, all fields and item columns recognised) in a row."""
    canonical, synonyms = _field_index(table)
    required = {f.name for f in table.required}
    found: set[str] = set()
    items = 0
    for text in row:
        norm = normalise_header(text)
        if not norm:
            continue
        names = [canonical[norm]] if norm in canonical else synonyms.get(norm, [])
        if not names and (short := without_note(text)):
            key = normalise_header(short)
            names = [canonical[key]] if key in canonical else synonyms.get(key, [])
        if names:
            found.add(names[0])
        elif table.item_columns and question_code_from_header(text):
            items += 1
    return len(found & required), len(found) + min(items, 1)


def find_header(sheet: RawSheet, table: TableSpec) -> tuple[int, tuple[int, int]]:
    """Index of the most header-like row among the first rows, with its score."""
    best_index, best_score = 0, (-1, -1)
    limit = min(HEADER_SEARCH_ROWS, len(sheet.cells))
    for i in range(limit):
        row = [_cell_text(v) for v in sheet.cells.iloc[i].tolist()]
        score = header_score(row, table)
        if score > best_score:
            best_index, best_score = i, score
    return best_index, best_score


def map_columns(
    sheet: RawSheet,
    table: TableSpec,
    overrides: dict[str, str] | None = None,
    header_index: int | None = None,
) -> ColumnMapping:
    """Map a sheet's header to `table`: exact names first, then synonyms, then question codes.

    `overrides` maps a header as written to a field or item code ("" to ignore the column);
    it wins over automatic matching.
    """
    if header_index is None:
        header_index, _ = find_header(sheet, table)
    raw = sheet.cells.iloc[header_index].tolist() if len(sheet.cells) else []
    headers = {pos: _cell_text(v) for pos, v in enumerate(raw)}
    mapping = ColumnMapping(
        table=table,
        sheet=sheet.name,
        header_index=header_index,
        header_row=sheet.first_row + header_index,
        headers={p: h for p, h in headers.items() if h},
        first_column=sheet.first_column,
        in_csv=sheet.from_csv,
    )
    overrides = {k.strip(): v for k, v in (overrides or {}).items()}
    field_names = {f.name for f in table.fields}
    taken: set[int] = set()

    for pos, header in mapping.headers.items():
        if header in overrides:
            target = overrides[header]
            mapping.by_hand[header] = target
            taken.add(pos)
            if target in field_names and target not in mapping.fields:
                mapping.fields[target] = pos
            elif target and target not in field_names and table.item_columns:
                mapping.items[target.lower()] = pos
                mapping.item_texts[target.lower()] = None
            else:
                mapping.ignored.append(pos)

    canonical, synonyms = _field_index(table)
    for pos, header in mapping.headers.items():
        name = canonical.get(normalise_header(header))
        if pos not in taken and name and name not in mapping.fields:
            mapping.fields[name] = pos
            taken.add(pos)
    for pos, header in mapping.headers.items():
        if pos in taken:
            continue
        for name in synonyms.get(normalise_header(header), []):
            if name not in mapping.fields:
                mapping.fields[name] = pos
                taken.add(pos)
                break
    for pos, header in mapping.headers.items():
        short = without_note(header)
        if pos in taken or not short:
            continue
        key = normalise_header(short)
        for name in [canonical[key]] if key in canonical else synonyms.get(key, []):
            if name not in mapping.fields:
                mapping.fields[name] = pos
                mapping.explained[pos] = f'recognised as "{short}" (the note in brackets set aside)'
                taken.add(pos)
                break
    for pos, header in mapping.headers.items():
        if pos in taken:
            continue
        parsed = question_code_from_header(header) if table.item_columns else None
        if parsed and parsed[0] not in mapping.items:
            mapping.items[parsed[0]] = pos
            mapping.item_texts[parsed[0]] = parsed[1]
            taken.add(pos)
        else:
            mapping.ignored.append(pos)
    mapping.ignored = sorted(set(mapping.ignored) - set(mapping.fields.values()))
    mapping.missing = [f.name for f in table.required if f.name not in mapping.fields]
    return mapping
