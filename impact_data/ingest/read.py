"""Reading spreadsheets and CSV files into raw grids of cells.

Workbooks (.xlsx, .xlsm, .xls, .ods) are read with python-calamine (Rust). CSV files are
decoded as UTF-8 (with or without BOM) or cp1252 and split on `,` or `;`, whichever the
header lines use. Nothing is interpreted here: cells stay as found, so the header finder and
validator can report exactly what the user typed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

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


class UnreadableFile(Exception):
    """The file cannot be read at all (wrong format, corrupt, password-protected, hostile)."""


@dataclass
class RawSheet:
    """One sheet as a grid of cells; `first_row` is the Excel row number of `cells`' row 0."""

    name: str
    cells: pd.DataFrame
    first_row: int = 1
    # Problems name the sheet only where a workbook has several; a CSV has none to name.
    named_in_messages: bool = False

    @property
    def n_rows(self) -> int:
        return len(self.cells)


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


def read_workbook_bytes(data: bytes) -> list[RawSheet]:
    """All sheets with any content, in workbook order."""
    check_workbook_container(data)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise UnreadableFile(
            "the workbook is password-protected; save an unprotected copy and upload that"
        ) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise UnreadableFile(f"the file could not be opened as a spreadsheet ({exc})") from exc
    sheets: list[RawSheet] = []
    try:
        for name in workbook.sheet_names:
            try:
                sheet = workbook.get_sheet_by_name(name)
                if sheet.width > MAX_COLUMNS or sheet.height > MAX_ROWS:
                    raise UnreadableFile(
                        f"sheet {name!r} is {sheet.height:,} rows by {sheet.width:,} columns; "
                        f"the limits are {MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns"
                    )
                rows = sheet.to_python(skip_empty_area=True)
            except (CalamineError, ValueError) as exc:
                raise UnreadableFile(f"sheet {name!r} could not be read ({exc})") from exc
            if not rows:
                continue
            start = sheet.start or (0, 0)
            cells = pd.DataFrame(rows, dtype=object)
            sheets.append(RawSheet(name=name, cells=cells, first_row=int(start[0]) + 1))
    finally:
        workbook.close()
    if len(sheets) > 1:
        for sheet in sheets:
            sheet.named_in_messages = True
    return sheets


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


def read_csv_bytes(data: bytes, name: str = "csv") -> RawSheet:
    """A CSV file as a grid of strings (empty cells as "")."""
    check_text(data)
    text = decode_text(data)
    first_line = text[: text.find("\n") if "\n" in text else len(text)]
    if (
        len(first_line) > MAX_COLUMNS * 200
        or first_line.count(",") > MAX_COLUMNS
        or first_line.count(";") > MAX_COLUMNS
    ):
        raise UnreadableFile(
            f"the first line has more than {MAX_COLUMNS:,} columns; that is not a normal file"
        )
    delimiter = sniff_delimiter(text)
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
        # Ragged rows (e.g. a title line with fewer fields): the python engine pads them.
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        width = max((len(r) for r in rows), default=0)
        cells = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    cells = cells.astype(object)
    cells.columns = range(cells.shape[1])
    if cells.shape[1] > MAX_COLUMNS or cells.shape[0] > MAX_ROWS:
        raise UnreadableFile(
            f"the file is {cells.shape[0]:,} rows by {cells.shape[1]:,} columns; "
            f"the limits are {MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns"
        )
    return RawSheet(name=name, cells=cells, first_row=1)
