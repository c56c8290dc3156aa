"""Reading spreadsheets and CSV files into raw grids of cells.

Workbooks (.xlsx, .xlsm, .xls, .ods) are read with python-calamine (Rust). CSV files are
decoded as UTF-8 (with or without BOM) or cp1252 and split on `,` or `;`, whichever the
header lines use. Nothing is interpreted here: cells stay as found, so the header finder and
validator can report exactly what the user typed.

Memory is bounded whatever a file declares. Before any reader allocates, a workbook's parts
are checked: sizes unpacked, each sheet's declared range, its real extent (every cell
reference of sheets up to `SCAN_SHEET_BYTES`), the shared-string count. The reader then runs
in a child process with a memory and CPU limit (`isolation.py`), so even a reader bug fails
only that upload. Every line of a CSV counts toward the line-length, column and cell limits
before the grid is built.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import methodcaller
from pathlib import Path
from zlib import error as zlib_error

import numpy as np
import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from impact_data.ingest.convert import factorize_cells, merge_factors
from impact_data.ingest.isolation import ChildFailed, Limits, isolation_available, stream_isolated

__all__ = [
    "CSV_SUFFIXES",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_HEADER_CHARS",
    "MAX_ROWS",
    "MAX_UNZIPPED_BYTES",
    "MAX_ZIP_RATIO",
    "MAX_CELLS",
    "MAX_CSV_LINE_CHARS",
    "MAX_SHARED_STRINGS",
    "MAX_SHEET_XML_BYTES",
    "PARSE_LIMITS",
    "SCAN_SHEET_BYTES",
    "check_csv_shape",
    "check_workbook_parts",
    "SUPPORTED_SUFFIXES",
    "WORKBOOK_SUFFIXES",
    "RawSheet",
    "UnreadableFile",
    "check_text",
    "check_workbook_container",
    "decode_text",
    "read_csv_bytes",
    "read_file",
    "read_workbook_bytes",
    "parse_workbook",
    "pack_cells",
    "unpack_cells",
    "ROWS_PER_BLOCK",
    "column_number",
    "check_ods_extent",
    "sniff_delimiter",
]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


# Limits against hostile or accidental monsters. A real 100,000-respondent survey workbook
# is ~12 MB zipped and ~100 MB unzipped; Excel itself stops at 16,384 columns.
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNZIPPED_BYTES = 1536 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_COLUMNS = 5_000
MAX_ROWS = 2_000_000
MAX_HEADER_CHARS = 1_000
# A reader allocates a sheet's whole rectangle (calamine: 32 bytes a cell) however few cells
# hold data, so rows x columns is limited, declared or real: 40 million cells is 1.3 GB.
MAX_CELLS = 40_000_000
MAX_SHEET_XML_BYTES = 1024 * 1024 * 1024
MAX_SHARED_STRINGS = 5_000_000
# Sheets up to this size unpacked have every cell reference checked before parsing (a tiny
# file with cells at A1 and XFD1048576 is refused here); bigger ones rely on the child's limits.
SCAN_SHEET_BYTES = 8 * 1024 * 1024
# Python's csv module refuses fields over 131,072 characters: a line that long is refused.
MAX_CSV_LINE_CHARS = 131_072
PARSE_LIMITS = Limits(memory_bytes=4 * 1024**3, cpu_seconds=120, wall_seconds=300)


class UnreadableFile(Exception):
    """The file cannot be read at all (wrong format, corrupt, password-protected, hostile)."""


@dataclass
class RawSheet:
    """One sheet as a grid of cells; `first_row` is the Excel row number of `cells`' row 0,
    `first_column` the Excel column number (A = 1) of its column 0."""

    name: str
    cells: pd.DataFrame
    first_row: int = 1
    # Problems name the sheet only where a workbook has several; a CSV has none to name.
    named_in_messages: bool = False
    first_column: int = 1
    from_csv: bool = False  # places in a CSV are "row 24, column D" (it has no cells)
    # Each column's (codes, distinct cells) over every row of `cells` (convert.factorize_cells),
    # worked out block by block while the reader's child was still sending rows.
    factors: list[tuple[np.ndarray, np.ndarray]] | None = field(
        default=None, repr=False, compare=False
    )
    factors_of: object = field(default=None, repr=False, compare=False)

    @property
    def n_rows(self) -> int:
        return len(self.cells)

    def column_factors(self, column: object) -> tuple[np.ndarray, np.ndarray] | None:
        """Column `column`'s (codes, distinct cells) over all rows, when they were worked out
        for these very cells (None when not: cells replaced or a CSV)."""
        if self.factors is None or self.factors_of is not self.cells:
            return None
        if not isinstance(column, int) or not 0 <= column < len(self.factors):
            return None
        return self.factors[column]


def read_file(data: bytes, file_name: str) -> list[RawSheet]:
    """Every non-empty sheet of a workbook, or the one grid of a CSV file.

    Formulas are never evaluated (a workbook's cached values are read) and macros are
    ignored. Files over the size limits, zip bombs, encrypted workbooks and absurd shapes
    are refused with a message before they can exhaust memory.
    """
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(
            f"{file_name} is {len(data) / 1e6:,.0f} MB; the limit is {MAX_FILE_BYTES / 1e6:,.0f} MB"
        )
    suffix = Path(file_name).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return [read_csv_bytes(data, Path(file_name).stem)]
    if suffix in WORKBOOK_SUFFIXES:
        return read_workbook_bytes(data)
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return read_workbook_bytes(data)
    raise UnreadableFile(
        f"{file_name}: unsupported file type {suffix or '(none)'}; "
        f"expected one of {', '.join(SUPPORTED_SUFFIXES)}"
    )


def check_workbook_container(data: bytes) -> None:
    """Refuse encrypted workbooks and zip bombs before any parsing."""
    if (
        data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        and b"E\x00n\x00c\x00r\x00y\x00p\x00t" in data[:65536]
    ):
        raise UnreadableFile(
            "the workbook is password-protected (encrypted); save an unprotected copy and upload that"
        )
    if data[:4] != b"PK\x03\x04":
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(f"the file is damaged and cannot be opened ({exc})") from exc
    if unzipped > MAX_UNZIPPED_BYTES or (
        unzipped > 50 * 1024 * 1024 and unzipped > MAX_ZIP_RATIO * len(data)
    ):
        raise UnreadableFile(
            f"the workbook would unpack to {unzipped / 1e6:,.0f} MB from {len(data) / 1e6:,.1f} MB; "
            "that is not a normal spreadsheet and was refused"
        )
    check_workbook_parts(data)


_SHEET_PART = re.compile(r"(xl/worksheets/[^/]+\.xml|content\.xml)$", re.IGNORECASE)
_DIMENSION = re.compile(
    rb'<(?:\w+:)?dimension\s[^>]*?\bref="([A-Za-z$]*)(\d*)(?::([A-Za-z$]*)(\d*))?"'
)
_SST_COUNTS = re.compile(rb"<(?:\w+:)?sst\b[^>]*>")
_COUNT_ATTR = re.compile(rb'\b(count|uniqueCount)="(\d+)"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d+)"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="\$?([A-Za-z]{1,7})\$?(\d{1,12})"')
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")
_ROW_END = re.compile(rb"</(?:\w+:)?row>")


def column_number(letters: str) -> int:
    """Excel column letters as a number: A = 1, Z = 26, AA = 27, XFD = 16,384."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _check_extent(sheet: str, rows: int, columns: int, what: str) -> None:
    if columns > MAX_COLUMNS or rows > MAX_ROWS or rows * columns > MAX_CELLS:
        raise UnreadableFile(
            f"sheet {sheet!r} {what} {rows:,} rows by {columns:,} columns "
            f"({rows * columns:,} cells); the limits are {MAX_ROWS:,} rows, {MAX_COLUMNS:,} "
            f"columns and {MAX_CELLS:,} cells. If the data is smaller, copy it into a new "
            "sheet (stray cells far from the data make a sheet this big) and upload that"
        )


def _head(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int = 65536) -> bytes:
    with archive.open(info) as member:
        return member.read(size)


def check_workbook_parts(data: bytes) -> None:
    """Refuse a workbook whose sheets are too big by what they declare or hold, before any
    reader allocates: unpacked sheet sizes, declared ranges, real cell extents of sheets up to
    SCAN_SHEET_BYTES, and the shared-string count (.xlsx, .xlsm; .ods content)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(f"the file is damaged and cannot be opened ({exc})") from exc
    try:
        labels = _sheet_names_by_part(archive)
        for info in archive.infolist():
            name = info.filename
            if name.lower().endswith("sharedstrings.xml"):
                _check_shared_strings(archive, info)
            if not _SHEET_PART.search(name):
                continue
            label = labels.get(name, Path(name).stem)
            if info.file_size > MAX_SHEET_XML_BYTES:
                raise UnreadableFile(
                    f"sheet {label!r} unpacks to {info.file_size / 1e6:,.0f} MB; the limit for "
                    f"one sheet is {MAX_SHEET_XML_BYTES / 1e6:,.0f} MB"
                )
            if name.lower().endswith("content.xml"):
                if info.file_size <= SCAN_SHEET_BYTES:
                    check_ods_extent(archive.read(info))
                continue
            head = _head(archive, info)
            declared = _DIMENSION.search(head)
            if declared and declared.group(3):
                rows = int(declared.group(4) or 1) - int(declared.group(2) or 1) + 1
                columns = (
                    column_number(declared.group(3).decode().strip("$"))
                    - column_number(declared.group(1).decode().strip("$") or "A")
                    + 1
                )
                _check_extent(label, max(rows, 1), max(columns, 1), "declares a range of")
            if info.file_size <= SCAN_SHEET_BYTES:
                _check_cells(label, archive.read(info))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib_error) as exc:
        raise UnreadableFile(f"the file is damaged and cannot be opened ({exc})") from exc
    finally:
        archive.close()


_TAG = re.compile(rb"<(?:\w+:)?(sheet|Relationship)\s[^>]*>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')


def _sheet_names_by_part(archive: zipfile.ZipFile) -> dict[str, str]:
    """{"xl/worksheets/sheet1.xml": "Responses"}: sheet names for messages, from the
    workbook and its relationships (empty when the workbook does not say)."""
    try:
        workbook = archive.read("xl/workbook.xml")[:1_000_000]
        rels = archive.read("xl/_rels/workbook.xml.rels")[:1_000_000]
    except KeyError:
        return {}
    targets = {}
    for tag in _TAG.finditer(rels):
        attrs = dict(_ATTR.findall(tag.group(0)))
        if b"Id" in attrs and b"Target" in attrs:
            target = attrs[b"Target"].decode("utf-8", "replace").lstrip("/")
            targets[attrs[b"Id"]] = target if target.startswith("xl/") else f"xl/{target}"
    names = {}
    for tag in _TAG.finditer(workbook):
        attrs = {k.split(b":")[-1]: v for k, v in _ATTR.findall(tag.group(0))}
        if tag.group(1) == b"sheet" and attrs.get(b"id") in targets and b"name" in attrs:
            names[targets[attrs[b"id"]]] = attrs[b"name"].decode("utf-8", "replace")
    return names


def _check_shared_strings(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    if info.file_size > MAX_SHEET_XML_BYTES:
        raise UnreadableFile(
            f"the workbook's shared text unpacks to {info.file_size / 1e6:,.0f} MB; "
            f"the limit is {MAX_SHEET_XML_BYTES / 1e6:,.0f} MB"
        )
    tag = _SST_COUNTS.search(_head(archive, info, 4096))
    if tag is None:
        return
    counts = {k.decode(): int(v) for k, v in _COUNT_ATTR.findall(tag.group(0))}
    unique = counts.get("uniqueCount", 0)
    if unique > MAX_SHARED_STRINGS or counts.get("count", 0) > MAX_CELLS:
        raise UnreadableFile(
            f"the workbook declares {max(unique, counts.get('count', 0)):,} texts; the limit is "
            f"{MAX_SHARED_STRINGS:,} different texts in {MAX_CELLS:,} cells"
        )


def _check_cells(label: str, xml: bytes) -> None:
    """The real extent of a sheet's cells (what a reader allocates), whatever it declares."""
    refs = _CELL_REF.findall(xml)
    row_numbers = [int(r) for r in _ROW_REF.findall(xml)]
    rows = max([int(r) for _, r in refs] + row_numbers + [0])
    columns = max((column_number(c.decode()) for c, _ in refs), default=0)
    if len(refs) < len(_CELL_TAG.findall(xml)):
        # Cells without a reference take the next column: count the widest row.
        columns = max(
            columns, max((len(_CELL_TAG.findall(part)) for part in _ROW_END.split(xml)), default=0)
        )
    if rows and columns:
        _check_extent(label, rows, columns, "has cells spanning")


_ODS_TOKEN = re.compile(
    rb'<table:table\s[^>]*?table:name="([^"]*)"|<table:table-row\b([^>]*)>|</table:table-row>|'
    rb"<table:(?:covered-)?table-cell\b([^>]*?)(/?)>"
)
_ODS_REPEAT_ROWS = re.compile(rb'table:number-rows-repeated="(\d+)"')
_ODS_REPEAT_COLUMNS = re.compile(rb'table:number-columns-repeated="(\d+)"')


def check_ods_extent(xml: bytes) -> None:
    """An OpenDocument sheet's extent counting repeated rows and cells that hold something
    (repeated empty cells and rows, which every .ods has to the sheet's edge, cost nothing)."""
    sheet = ""
    rows = columns = pending = 0  # pending: empty rows that count only if data follows
    row_repeat = width = filled_width = 0
    for match in _ODS_TOKEN.finditer(xml):
        token = match.group(0)
        if match.group(1) is not None:
            sheet, rows, columns, pending = match.group(1).decode("utf-8", "replace"), 0, 0, 0
        elif token.startswith(b"<table:table-row"):
            repeat = _ODS_REPEAT_ROWS.search(match.group(2) or b"")
            row_repeat = int(repeat.group(1)) if repeat else 1
            width = filled_width = 0
        elif token.startswith(b"</table:table-row"):
            if filled_width:
                rows += pending + row_repeat
                pending = 0
                columns = max(columns, filled_width)
                _check_extent(sheet, rows, columns, "has cells spanning")
            else:
                pending += row_repeat
        else:
            attrs = match.group(3) or b""
            repeat = _ODS_REPEAT_COLUMNS.search(attrs)
            width += int(repeat.group(1)) if repeat else 1
            if b"office:value-type" in attrs or match.group(4) != b"/":
                filled_width = width


def read_workbook_bytes(data: bytes, *, limits: Limits | None = None) -> list[RawSheet]:
    """All sheets with any content, in workbook order, read in a child process with a memory
    and CPU limit after the workbook's parts were checked."""
    check_workbook_container(data)
    if not isolation_available():
        return _assemble(_sheet_parts(data, pack=False), packed=False)
    try:
        return _assemble(
            stream_isolated(_sheet_parts, data, limits=limits or PARSE_LIMITS), packed=True
        )
    except ChildFailed as exc:
        raise UnreadableFile(
            f"this workbook could not be read within the limits for one file: {exc}. It "
            "declares or holds far more cells than its data needs, or it is damaged; save "
            "the data into a new workbook and upload that"
        ) from exc


def parse_workbook(data: bytes) -> list[RawSheet]:
    """All sheets with any content, parsed in this process (callers check the parts first)."""
    return _assemble(_sheet_parts(data, pack=False), packed=False)


# Rows go from the child in blocks, so the parent unpacks one while the child packs the next.
ROWS_PER_BLOCK = 20_000


def _sheet_parts(data: bytes, pack: bool = True) -> Iterator[tuple]:
    """("sheet", name, first_row, first_column) then ("rows", block) for each sheet with content."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise UnreadableFile(
            "the workbook is password-protected; save an unprotected copy and upload that"
        ) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise UnreadableFile(f"the file could not be opened as a spreadsheet ({exc})") from exc
    try:
        for name in workbook.sheet_names:
            try:
                sheet = workbook.get_sheet_by_name(name)
                if sheet.width > MAX_COLUMNS or sheet.height > MAX_ROWS:
                    raise UnreadableFile(
                        f"sheet {name!r} is {sheet.height:,} rows by {sheet.width:,} columns; "
                        f"the limits are {MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns"
                    )
                _check_extent(name, sheet.height, sheet.width, "is")
            except (CalamineError, ValueError) as exc:
                raise UnreadableFile(f"sheet {name!r} could not be read ({exc})") from exc
            if not sheet.height or not sheet.width:
                continue
            first_row, first_column = (int(x) for x in (sheet.start or (0, 0)))
            yield ("sheet", name, first_row + 1, first_column + 1)
            # Rows are made block by block (less memory than all at once). iter_rows starts
            # at row 1 (but at the first used column): the empty rows above are skipped, as
            # to_python(skip_empty_area=True) does.
            rows = itertools.islice(sheet.iter_rows(), first_row, None)
            while block := list(itertools.islice(rows, ROWS_PER_BLOCK)):
                yield ("rows", pack_cells(block) if pack else block)
    finally:
        workbook.close()


def _assemble(parts: Iterable[tuple], *, packed: bool) -> list[RawSheet]:
    sheets: list[RawSheet] = []
    blocks: list = []
    # Columns are factorized block by block as the rows arrive, while the child reads on.
    block_factors: list[list[tuple[np.ndarray, np.ndarray]]] = []

    def finish() -> None:
        if not sheets:
            return
        sheet = sheets[-1]
        if packed:
            grid = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
            sheet.cells = pd.DataFrame(grid, dtype=object, copy=False)
            sheet.factors = [merge_factors(parts) for parts in zip(*block_factors, strict=True)]
        else:
            sheet.cells = pd.DataFrame([r for b in blocks for r in b], dtype=object)
            sheet.factors = [factorize_cells(sheet.cells[c].to_numpy()) for c in sheet.cells]
        sheet.factors_of = sheet.cells

    for part in parts:
        if part[0] == "sheet":
            finish()
            blocks = []
            block_factors = []
            sheets.append(
                RawSheet(
                    name=part[1], cells=pd.DataFrame(), first_row=part[2], first_column=part[3]
                )
            )
        elif packed:
            block = unpack_cells(part[1])
            blocks.append(block)
            block_factors.append([factorize_cells(block[:, j]) for j in range(block.shape[1])])
        else:
            blocks.append(part[1])
    finish()
    if len(sheets) > 1:
        for sheet in sheets:
            sheet.named_in_messages = True
    return sheets


# Cells travel from the child by type: numbers as one float array, texts joined into one
# string, dates as day numbers, anything else as it is. Far cheaper than pickling each cell.
_OTHER, _NUMBER, _TEXT, _DATE = 0, 1, 2, 3
_KIND_OF_TYPE = defaultdict(int, {float: _NUMBER, str: _TEXT, dt.date: _DATE})


def pack_cells(rows: list[list]) -> tuple:
    """Rows of cells (as the reader gives them) in a compact form for another process."""
    grid = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    grid[:] = rows
    flat = grid.ravel()
    kind = np.fromiter(map(_KIND_OF_TYPE.__getitem__, map(type, flat)), np.int8, flat.size)
    numbers = flat[kind == _NUMBER].astype(np.float64)
    texts = flat[kind == _TEXT].tolist()
    joined = "\x00".join(texts)
    if joined.count("\x00") != max(len(texts) - 1, 0):  # a text holds the separator itself
        kind[kind == _TEXT] = _OTHER
        texts, joined = [], ""
    days = np.fromiter((d.toordinal() for d in flat[kind == _DATE]), np.int32)
    others = flat[kind == _OTHER].tolist()
    return (grid.shape, kind, numbers, joined, len(texts), days, others)


def unpack_cells(packed: tuple) -> np.ndarray:
    """The 2-D object array of cells that `pack_cells` packed."""
    shape, kind, numbers, joined, n_texts, days, others = packed
    flat = np.empty(kind.size, dtype=object)
    flat[kind == _NUMBER] = numbers  # numpy makes the Python floats, far faster than a list
    if n_texts:
        texts = np.empty(n_texts, dtype=object)
        texts[:] = joined.split("\x00")
        flat[kind == _TEXT] = texts
    if len(days):
        flat[kind == _DATE] = [dt.date.fromordinal(d) for d in days.tolist()]
    if others:
        rest = np.empty(len(others), dtype=object)
        rest[:] = others
        flat[kind == _OTHER] = rest
    return flat.reshape(shape)


def decode_text(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (BOM or not), else cp1252, else Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def sniff_delimiter(text: str) -> str:
    """`;`, tab or `,`: whichever splits the first lines most consistently."""
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delim in (",", ";", "\t"):
        counts = []
        for row in csv.reader(lines, delimiter=delim):
            counts.append(len(row) - 1)
        if not counts or max(counts) == 0:
            continue
        # Consistent, non-zero column counts across lines beat a delimiter found in free text.
        modal = max(set(counts), key=counts.count)
        score = counts.count(modal) * 1000 + modal
        if modal > 0 and score > best_score:
            best, best_score = delim, score
    return best


def check_text(data: bytes) -> None:
    """Refuse binary data named .csv (NUL bytes or mostly control characters)."""
    head = data[:65536]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("this is not a text CSV file (it contains binary data)")
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if head and control / len(head) > 0.05:
        raise UnreadableFile("this is not a text CSV file (it contains binary data)")


def check_csv_shape(text: str) -> str:
    """The delimiter of a CSV text whose every line is within the limits: characters per
    line, columns per line, lines, and lines x widest line as cells."""
    lines = text.split("\n") if "\n" in text else text.split("\r")
    if len(lines) > MAX_ROWS + 1:
        raise UnreadableFile(f"the file has {len(lines):,} lines; the limit is {MAX_ROWS:,} rows")
    longest = max(map(len, lines), default=0)
    if longest > MAX_CSV_LINE_CHARS:
        line = next(i for i, x in enumerate(lines, start=1) if len(x) > MAX_CSV_LINE_CHARS)
        fields = max(lines[line - 1].count(d) for d in (",", ";", "\t")) + 1
        raise UnreadableFile(
            f"line {line:,} is {len(lines[line - 1]):,} characters long"
            + (f" with {fields:,} columns" if fields > MAX_COLUMNS else "")
            + f"; the limits are {MAX_CSV_LINE_CHARS:,} characters and {MAX_COLUMNS:,} "
            "columns a line"
        )
    delimiter = sniff_delimiter(text)
    widest = max(map(methodcaller("count", delimiter), lines), default=0) + 1
    if widest > MAX_COLUMNS or len(lines) * widest > MAX_CELLS:
        counts = [x.count(delimiter) + 1 for x in lines]
        line = counts.index(widest) + 1
        raise UnreadableFile(
            f"line {line:,} has {widest:,} columns"
            + (
                f"; the limit is {MAX_COLUMNS:,} columns"
                if widest > MAX_COLUMNS
                else f", and {len(lines):,} lines that wide would be {len(lines) * widest:,} "
                f"cells; the limit is {MAX_CELLS:,} cells"
            )
        )
    return delimiter


def read_csv_bytes(data: bytes, name: str = "csv") -> RawSheet:
    """A CSV file as a grid of strings (empty cells as "")."""
    check_text(data)
    text = decode_text(data)
    delimiter = check_csv_shape(text)
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            quotechar='"',
        )
    except pd.errors.EmptyDataError:
        cells = pd.DataFrame(dtype=object)
    except pd.errors.ParserError:
        # Ragged rows (e.g. a title line with fewer fields) are padded to the widest, so the
        # padded grid is checked against the limits before it is built.
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        except csv.Error as exc:
            raise UnreadableFile(f"the file is not a readable CSV file ({exc})") from exc
        width = max((len(r) for r in rows), default=0)
        if width > MAX_COLUMNS or len(rows) * width > MAX_CELLS:
            raise UnreadableFile(
                f"the file's rows have up to {width:,} fields; padded to that width its "
                f"{len(rows):,} rows would be {len(rows) * width:,} cells (the limits are "
                f"{MAX_COLUMNS:,} columns and {MAX_CELLS:,} cells)"
            ) from None
        cells = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    cells = cells.astype(object)
    cells.columns = range(cells.shape[1])
    if cells.shape[1] > MAX_COLUMNS or cells.shape[0] > MAX_ROWS:
        raise UnreadableFile(
            f"the file is {cells.shape[0]:,} rows by {cells.shape[1]:,} columns; "
            f"the limits are {MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns"
        )
    return RawSheet(name=name, cells=cells, first_row=1, from_csv=True)
