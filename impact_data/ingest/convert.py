"""Turning raw cells into typed values, column by column, with the cells that failed.

Cells arrive as read (str, float, date, datetime, bool, "" or None). Each type has a parser
for one cell returning the value or the reason it is not valid; a column is converted by
parsing each distinct cell once (columns repeat values heavily: answers, dates, org codes)
and broadcasting, which keeps a 100,000-row file fast. Blank cells are missing, never zero.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from impact_data.ingest.kinds import (
    AGREE_LABELS,
    IMPACT_COMPONENTS,
    AnswerLabels,
    Field,
    normalise_header,
)

__all__ = [
    "COMPONENT_EXPECTED",
    "CONVERTERS",
    "DATE_EXPECTED",
    "LIKERT_EXPECTED",
    "Converted",
    "LabelChoice",
    "Parsed",
    "answer_words",
    "blank_of_distinct",
    "choose_labels",
    "convert",
    "convert_bool",
    "convert_capability_level",
    "convert_code",
    "convert_component",
    "convert_date",
    "convert_enum",
    "convert_float",
    "convert_int",
    "convert_likert",
    "convert_question",
    "convert_text",
    "convert_year",
    "factorized_columns",
    "factors_of_rows",
    "merge_factors",
    "is_blank",
    "parse_date",
    "parse_number",
    "range_text",
    "text_of",
    "protect_formula_text",
    "unprotect_formula_text",
    "FORMULA_PREFIXES",
]

Parsed = tuple[object, str | None]  # (value or None, problem or None)


@dataclass
class Converted:
    """A converted column: values (None where blank or bad), bad cells and their reasons."""

    values: pd.Series
    bad: pd.Series
    reasons: pd.Series  # problem text per cell ("" where fine)
    out_of_range: pd.Series | None = None
    range_text: str = ""
    blank: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    # Each cell's value as the distinct values (`distinct`) taken at `codes`: a check of the
    # values can look at each distinct one once.
    codes: np.ndarray | None = None
    distinct: np.ndarray | None = None

    def cells_where(self, test: Callable[[object], bool]) -> pd.Series:
        """True for each cell whose value passes `test` (called once per distinct value)."""
        if self.codes is None or self.distinct is None:
            return self.values.map(test).astype(bool)
        passed = np.fromiter(map(test, self.distinct), dtype=bool, count=len(self.distinct))
        return pd.Series(passed[self.codes], index=self.values.index)


def is_blank(value: object) -> bool:
    """True for an empty cell: None, NaN, "" or only spaces."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    if isinstance(value, str):
        return not value.strip()
    return value is pd.NA or value is pd.NaT


# Factorizing is the costliest step of checking a big file (about 10 ms per 100,000 cells),
# and a sheet's columns are read several times (blank rows, the answer words of the whole
# file, then each column's values), so within `factorized_columns` each column is
# factorized once.
_KNOWN: ContextVar[tuple[pd.Index, Mapping] | None] = ContextVar("factorized", default=None)


@contextmanager
def factorized_columns(
    index: pd.Index, factors: Mapping[object, tuple[np.ndarray, np.ndarray]]
) -> Iterator[None]:
    """Within: a column named as a key of `factors` with exactly `index` as its index is taken
    as already factorized, (codes, distinct cells) as `factorize_cells` gives them."""
    token = _KNOWN.set((index, factors))
    try:
        yield
    finally:
        _KNOWN.reset(token)


def _factorize(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct cells); code -1 (a missing cell) indexes the extra last slot."""
    known = _KNOWN.get()
    if known is not None:
        index, factors = known
        hit = factors.get(raw.name)
        if hit is not None and len(raw) == len(index) and raw.index.equals(index):
            return hit
    return factorize_cells(raw.to_numpy(dtype=object))


_UNMIXED = {"boolean", "integer", "floating", "mixed-integer-float"}


def factorize_cells(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct cells) of a 1-D object array; code -1 marks a missing cell.

    True == 1 == 1.0 and False == 0 == 0.0 hash alike, so a plain factorize would read every
    cell of such a pair as whichever came first (a TRUE cell in an answer column would turn the
    column's 1s into TRUE, or itself pass as 1): booleans get distinct cells of their own.
    """
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    numeric = (bool, int, float, np.bool_, np.integer, np.floating)
    suspect = [i for i, u in enumerate(uniques) if isinstance(u, numeric) and (u == 0 or u == 1)]
    if not suspect:
        return codes, uniques
    where = np.flatnonzero(np.isin(codes, suspect))
    if infer_dtype(cells[where], skipna=True) in _UNMIXED:
        return codes, uniques  # only booleans, or only numbers: nothing was merged (fast check)
    flags = np.fromiter(
        (isinstance(v, bool | np.bool_) for v in cells[where]), dtype=bool, count=len(where)
    )
    if flags.all() or not flags.any():
        return codes, uniques  # only booleans, or only numbers: nothing was merged
    codes = codes.copy()
    slots: dict[tuple[bool, float], int] = {}
    extra: list = []
    for i, is_bool in zip(where, flags, strict=True):
        key = (bool(is_bool), float(cells[i]))
        if key not in slots:
            slots[key] = len(uniques) + len(extra)
            extra.append(cells[i])
        codes[i] = slots[key]
    merged = np.empty(len(uniques) + len(extra), dtype=object)
    merged[: len(uniques)] = uniques
    merged[len(uniques) :] = extra
    return codes, merged


def merge_factors(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One column's (codes, distinct cells) from those of its consecutive blocks of rows
    (each from `factorize_cells`): the column read as a whole would have the same cells."""
    if len(parts) == 1:
        return parts[0]
    joined = np.concatenate([uniques for _codes, uniques in parts])
    to_merged, merged = factorize_cells(joined)
    out = []
    start = 0
    for codes, uniques in parts:
        # The block's codes read through its distinct cells' merged codes (-1 stays -1).
        lookup = np.append(to_merged[start : start + len(uniques)], -1)
        out.append(lookup[codes])
        start += len(uniques)
    return np.concatenate(out), merged


def factors_of_rows(
    codes: np.ndarray, uniques: np.ndarray, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray]:
    """The (codes, distinct cells) of rows `start:stop` of a factorized column, as
    `factorize_cells` would give them for those rows alone: only the cells found there, in
    the order they first appear."""
    part = codes[start:stop]
    n = len(uniques)
    first = np.full(n + 1, len(part), dtype=np.int64)
    # Where each distinct cell first appears (assigned from the last row up, the first wins).
    first[part[::-1]] = np.arange(len(part) - 1, -1, -1)
    found = np.flatnonzero(first[:n] < len(part))
    order = found[np.argsort(first[found], kind="stable")]
    if len(order) == n and (n < 2 or bool(np.all(order[1:] > order[:-1]))):
        return part, uniques
    renumber = np.full(n + 1, -1, dtype=part.dtype if part.dtype.kind == "i" else np.intp)
    renumber[order] = np.arange(len(order))
    return renumber[part], uniques[order]


def blank_of_distinct(uniques: np.ndarray) -> np.ndarray:
    """Whether each distinct cell is empty, plus True for the missing cell's slot (code -1)."""
    return np.array([is_blank(u) for u in uniques] + [True], dtype=bool)


def _convert(raw: pd.Series, parse: Callable[[object], Parsed], numeric: bool = False) -> Converted:
    codes, uniques = _factorize(raw)
    n = len(uniques) + 1
    values_u = np.full(n, np.nan) if numeric else np.empty(n, dtype=object)
    reasons_u = np.full(n, "", dtype=object)
    blank_u = np.zeros(n, dtype=bool)
    blank_u[-1] = True
    if numeric:
        values_u[-1] = np.nan
    for i, value in enumerate(uniques):
        if is_blank(value):
            blank_u[i] = True
            continue
        out, problem = parse(value)
        if problem:
            reasons_u[i] = problem
        else:
            values_u[i] = out
    return _broadcast(raw, codes, values_u, reasons_u, blank_u, numeric)


def _convert_texts(raw: pd.Series, tidy: Callable[[str], str] | None = None) -> Converted:
    """A column read as text (`text_of`, then `tidy`): `_convert` with `text_of` as its parser,
    in a tighter loop (a column of respondent references has a distinct cell per row)."""
    codes, uniques = _factorize(raw)
    n = len(uniques) + 1
    values_u = np.empty(n, dtype=object)
    blank_u = np.zeros(n, dtype=bool)
    blank_u[-1] = True
    for i, value in enumerate(uniques):
        if value.__class__ is str:
            text = " ".join(value.split())
            if not text:
                blank_u[i] = True
                continue
            if text[0] == "'":
                text = unprotect_formula_text(text)
        elif is_blank(value):
            blank_u[i] = True
            continue
        else:
            text = text_of(value)
        values_u[i] = tidy(text) if tidy is not None else text
    return _broadcast(raw, codes, values_u, np.full(n, "", dtype=object), blank_u, False)


def _broadcast(
    raw: pd.Series,
    codes: np.ndarray,
    values_u: np.ndarray,
    reasons_u: np.ndarray,
    blank_u: np.ndarray,
    numeric: bool,
) -> Converted:
    """The distinct cells' values, reasons and blanks taken back to every cell (no comparison
    of every cell's reason text)."""
    bad_u = reasons_u != ""
    reasons = pd.Series(reasons_u[codes], index=raw.index, dtype=object)
    values = pd.Series(values_u[codes], index=raw.index, dtype=float if numeric else object)
    blank = pd.Series(blank_u[codes], index=raw.index, dtype=bool)
    return Converted(
        values,
        pd.Series(bad_u[codes], index=raw.index),
        reasons,
        blank=blank,
        codes=codes,
        distinct=values_u,
    )


# --- numbers ---------------------------------------------------------------------------

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def parse_number(value: object) -> float | None:
    """A number from a cell; text may carry %, thousands commas or a decimal comma."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    text = text[:-1] if text.endswith("%") else text
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def _number_parser(whole: bool, expected: str) -> Callable[[object], Parsed]:
    def parse(value: object) -> Parsed:
        number = parse_number(value)
        if number is None or (whole and not float(number).is_integer()):
            return None, f"expected {expected}"
        return number, None

    return parse


def _with_range(result: Converted, spec: Field) -> Converted:
    v = pd.to_numeric(result.values, errors="coerce")
    out = pd.Series(False, index=v.index)
    if spec.minimum is not None:
        out |= v < spec.minimum
    if spec.maximum is not None:
        out |= v > spec.maximum
    if out.any():
        result.out_of_range = out
        result.range_text = range_text(spec)
        result.values = result.values.where(~out, None)
        result.codes = result.distinct = None  # the values are no longer the distinct ones
    return result


def range_text(spec: Field) -> str:
    def fmt(x: float) -> str:
        return f"{x:g}"

    if spec.minimum is not None and spec.maximum is not None:
        return f"must be between {fmt(spec.minimum)} and {fmt(spec.maximum)}"
    if spec.minimum is not None:
        return (
            "must not be negative" if spec.minimum == 0 else f"must be at least {fmt(spec.minimum)}"
        )
    return f"must be at most {fmt(spec.maximum)}"


def convert_int(raw: pd.Series, spec: Field) -> Converted:
    return _with_range(_convert(raw, _number_parser(True, "a whole number")), spec)


def convert_float(raw: pd.Series, spec: Field) -> Converted:
    return _with_range(_convert(raw, _number_parser(False, "a number")), spec)


def _parse_year(value: object) -> Parsed:
    if isinstance(value, dt.date):
        return float(value.year), None
    number = parse_number(value)
    if number is None or not float(number).is_integer():
        return None, "expected a year such as 2024"
    return number, None


def convert_year(raw: pd.Series, spec: Field) -> Converted:
    return _with_range(_convert(raw, _parse_year), spec)


# --- text and codes --------------------------------------------------------------------


# A text cell starting with one of these would run as a formula in a spreadsheet; exports
# prefix it with "'" (see `protect_formula_text`) and loading takes that "'" off again.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PROTECTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


def protect_formula_text(value: object) -> object:
    """Text a spreadsheet would run as a formula, with one "'" in front so it stays text.

    Text that already starts with "'"s before such a character gets one more, so that
    `unprotect_formula_text` gives back exactly what was protected.
    """
    if isinstance(value, str) and (
        value.startswith(FORMULA_PREFIXES) or _PROTECTED_FORMULA.match(value)
    ):
        return "'" + value
    return value


def unprotect_formula_text(text: str) -> str:
    """The inverse of `protect_formula_text`: "'=SUM(A1)" is read back as "=SUM(A1)"."""
    return text[1:] if _PROTECTED_FORMULA.match(text) else text


def text_of(value: object) -> str:
    """A cell as text: whole numbers without ".0", dates as ISO, an export's formula
    protection ("'" before = + - @) taken off."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = " ".join(value.split())
        return unprotect_formula_text(text) if text.startswith("'") else text
    return str(value)


def convert_text(raw: pd.Series, spec: Field | None = None) -> Converted:
    return _convert_texts(raw)


def convert_code(raw: pd.Series, spec: Field | None = None) -> Converted:
    return _convert_texts(raw, lambda text: text.replace(" ", "").upper())


def convert_question(raw: pd.Series, spec: Field | None = None) -> Converted:
    """Question codes compare case-blind: "Q3F", "q3f" and "q 3f" are one question."""
    return _convert_texts(raw, lambda text: text.replace(" ", "").lower())


# --- dates -----------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_UK = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_MONTH_NAMES = (
    ("jan", "january"),
    ("feb", "february"),
    ("mar", "march"),
    ("apr", "april"),
    ("may",),
    ("jun", "june"),
    ("jul", "july"),
    ("aug", "august"),
    ("sep", "sept", "september"),
    ("oct", "october"),
    ("nov", "november"),
    ("dec", "december"),
)
_MONTHS = {name: i for i, names in enumerate(_MONTH_NAMES, start=1) for name in names}
_WORDY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([A-Za-z]+)[\s\-,]+(\d{4})$")

DATE_EXPECTED = "not a valid date: expected dd/mm/yyyy or yyyy-mm-dd"


def parse_date(value: object) -> Parsed:
    """A date from a cell, or the reason it is not one. Day/month order is always UK."""
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None, f"{DATE_EXPECTED}; a plain number is not a date"
    text = str(value).strip()
    m = _ISO.match(text)
    if m:
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _UK.match(text)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        y = y + 2000 if y < 100 else y
        if mo > 12 and d <= 12:
            return None, (
                f"{DATE_EXPECTED}; this looks like US month/day order, which is not accepted "
                f"(write {mo:02d}/{d:02d}/{y} for {dt.date(y, d, mo):%d %B %Y})"
                if _valid(y, d, mo)
                else f"{DATE_EXPECTED}; month {mo} does not exist"
            )
        return _make_date(y, mo, d)
    m = _WORDY.match(text)
    if m and m.group(2).lower() in _MONTHS:
        return _make_date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    return None, DATE_EXPECTED


def _valid(y: int, m: int, d: int) -> bool:
    try:
        dt.date(y, m, d)
    except ValueError:
        return False
    return True


def _make_date(y: int, m: int, d: int) -> Parsed:
    if not _valid(y, m, d):
        return None, f"{DATE_EXPECTED}; there is no such day"
    return dt.date(y, m, d), None


def convert_date(raw: pd.Series, spec: Field | None = None) -> Converted:
    return _convert(raw, parse_date)


# --- answers, choices, yes/no, components -----------------------------------------------

LIKERT_EXPECTED = "an answer 1-5 or a Likert word (Strongly disagree ... Strongly agree)"


@dataclass
class LabelChoice:
    """Which label set a file's answer words are read on, or why none could be chosen."""

    labels: AnswerLabels | None
    words: dict[str, int]  # normalised word -> scale point
    problem: str | None = None  # set when the words fit two sets that read them differently
    words_found: tuple[str, ...] = ()


def answer_words(columns: Sequence[pd.Series]) -> dict[str, str]:
    """Normalised word -> the word as first written, for every text answer that is not a number."""
    found: dict[str, str] = {}
    for raw in columns:
        _codes, uniques = _factorize(raw)
        for value in uniques:
            if is_blank(value) or parse_number(value) is not None:
                continue
            found.setdefault(normalise_header(value), " ".join(str(value).split()))
    return found


def choose_labels(
    columns: Sequence[pd.Series], label_sets: Sequence[AnswerLabels], scale_min: int = 1
) -> LabelChoice:
    """The label set the answer words of a whole file are read on.

    A word read the same by every set that fits all the words ("Neither agree nor
    disagree") is unambiguous; a word that fits two sets with different values ("Agree": 4
    on Strongly disagree ... Strongly agree, 5 on Disagree ... Agree) is decided by the other
    words in the file, and if they do not decide it the choice says so, naming both readings.
    """
    if not label_sets:
        return LabelChoice(None, {})
    found = answer_words(columns)
    lookups = [s.values(scale_min) for s in label_sets]
    fitting = [i for i, lookup in enumerate(lookups) if set(found) <= set(lookup)]
    if not fitting:
        # No set holds every word: read on the set that holds most; the rest are bad cells.
        best = max(range(len(lookups)), key=lambda i: (len(set(found) & set(lookups[i])), -i))
        return LabelChoice(label_sets[best], lookups[best], words_found=tuple(found.values()))
    first = fitting[0]
    clashing = [i for i in fitting[1:] if any(lookups[i][w] != lookups[first][w] for w in found)]
    if not clashing:
        return LabelChoice(label_sets[first], lookups[first], words_found=tuple(found.values()))
    other = clashing[0]
    differ = [w for w in found if lookups[other][w] != lookups[first][w]]
    readings = "; ".join(
        f"on {label_sets[i].name} " + ", ".join(f'"{found[w]}" is {lookups[i][w]}' for w in differ)
        for i in (first, other)
    )
    problem = (
        "the answer words fit two scales that score them differently ("
        + readings
        + "); nothing in the file says which scale was used, so no answer was read. "
        "Answer with numbers, or use the words of one scale "
        f'(e.g. "{label_sets[first].words[-1]}" or "{label_sets[other].words[-2]}") '
        "so the scale is clear"
    )
    return LabelChoice(None, {}, problem, tuple(found.values()))


def convert_likert(
    raw: pd.Series,
    scale_min: int = 1,
    scale_max: int = 5,
    words: bool | dict[str, int] = True,
    expected_words: str | None = None,
) -> Converted:
    """Answers on a scale (1-5 by default); words are read by `words` (normalised word ->
    value; True: the standard agreement scale); blank is not answered. `expected_words` says
    which words the scale takes, for the message on a bad cell."""
    lookup = AGREE_LABELS.values(scale_min) if words is True else (words or {})
    if expected_words:
        expected = f"an answer {scale_min}-{scale_max} or {expected_words}"
    elif lookup and (scale_min, scale_max) == (1, 5) and words is True:
        expected = LIKERT_EXPECTED
    else:
        expected = f"a whole number {scale_min}-{scale_max}"

    def parse(value: object) -> Parsed:
        number = parse_number(value)
        if number is None and lookup:
            number = lookup.get(normalise_header(value))
        if number is None or not float(number).is_integer() or not scale_min <= number <= scale_max:
            return None, f"expected {expected}"
        return float(number), None

    return _convert(raw, parse, numeric=True)


def convert_enum(raw: pd.Series, spec: Field) -> Converted:
    lookup = {normalise_header(c): c for c in spec.choices}
    lookup.update(spec.choice_synonyms)
    expected = "expected one of: " + ", ".join(spec.choices)
    return _convert(
        raw,
        lambda v: (lookup[k], None) if (k := normalise_header(v)) in lookup else (None, expected),
    )


_TRUE = {"yes", "y", "true", "1", "t", "x"}
_FALSE = {"no", "n", "false", "0", "f"}


def _parse_bool(value: object) -> Parsed:
    if isinstance(value, bool):
        return value, None
    key = normalise_header(text_of(value))
    if key in _TRUE:
        return True, None
    if key in _FALSE:
        return False, None
    return None, "expected yes or no"


def convert_bool(raw: pd.Series, spec: Field | None = None) -> Converted:
    return _convert(raw, _parse_bool)


_COMPONENT_NAMES = {normalise_header(name): num for num, name in IMPACT_COMPONENTS.items()}
COMPONENT_EXPECTED = (
    "expected an NHS IMPACT component 1-5 or its name ("
    + "; ".join(f"{k} {v}" for k, v in IMPACT_COMPONENTS.items())
    + ")"
)


def _parse_component(value: object) -> Parsed:
    number = parse_number(value)
    if number is not None:
        return (
            (int(number), None)
            if float(number).is_integer() and 1 <= number <= 5
            else (None, COMPONENT_EXPECTED)
        )
    key = normalise_header(value).replace("and", "")
    stripped = key.lstrip("0123456789")
    for name, num in _COMPONENT_NAMES.items():
        plain = name.replace("and", "")
        # "Investing in people & culture", "2. Investing in people and culture"
        if stripped and (stripped == plain or stripped in plain or plain in stripped):
            return num, None
    return None, COMPONENT_EXPECTED


def convert_component(raw: pd.Series, spec: Field | None = None) -> Converted:
    return _convert(raw, _parse_component)


def convert_capability_level(raw: pd.Series, spec: Field) -> Converted:
    """An improvement capability level: its number 1-n or its name (any case), where the
    names are `spec.choices`, lowest first (the current labels: prepare passes them in)."""
    names = {normalise_header(name): num for num, name in enumerate(spec.choices, start=1)}
    top = len(spec.choices)
    expected = (
        f"expected a capability level 1-{top} or its name ("
        + ", ".join(f"{num} {name}" for num, name in enumerate(spec.choices, start=1))
        + ")"
    )

    def parse(value: object) -> Parsed:
        number = parse_number(value)
        if number is not None:
            if float(number).is_integer() and 1 <= number <= top:
                return int(number), None
            return None, expected
        key = normalise_header(value)
        if key in names:
            return names[key], None
        # "Level 3", "3. Practitioner", "Level 3 - Practitioner"
        rest = key.removeprefix("level")
        digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        name = rest[len(digits) :]
        if name in names and (not digits or int(digits) == names[name]):
            return names[name], None
        if digits and not name and 1 <= int(digits) <= top:
            return int(digits), None
        return None, expected

    return _convert(raw, parse)


CONVERTERS: dict[str, Callable[[pd.Series, Field], Converted]] = {
    "code": convert_code,
    "question": convert_question,
    "text": convert_text,
    "int": convert_int,
    "float": convert_float,
    "year": convert_year,
    "date": convert_date,
    "enum": convert_enum,
    "bool": convert_bool,
    "component": convert_component,
    "capability_level": convert_capability_level,
    "likert": lambda raw, spec: convert_likert(raw),
}


def convert(raw: pd.Series, spec: Field) -> Converted:
    """Convert one column according to its field's type."""
    return CONVERTERS[spec.type](raw, spec)
