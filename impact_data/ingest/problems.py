"""Problems with a user's file: values, not exceptions, printed the same by the UI and CLI."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CONTENT_CHARS",
    "Problem",
    "format_found",
    "row_content",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (sheet, row, column), what, and what was found.

    `column` is the field the problem is about (forms name their own field by it); `header`
    is that column's header as written in the file, `cell` its Excel address ("D24"),
    `content` the row's cells as a short text. `sheet` is named in messages only where a
    workbook has several sheets; `sheet_name` is the sheet (or CSV file) it is in, always.
    """

    message: str
    row: int | None = None
    column: str | None = None
    found: object = None
    sheet: str | None = None
    category: str = "invalid"
    header: str | None = None
    cell: str | None = None
    content: str | None = None
    sheet_name: str | None = None
    in_csv: bool = False

    def location(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.cell and self.in_csv:
            letters = self.cell.rstrip("0123456789")
            parts.append(f"row {self.row}, column {letters} ({self.header or self.column})")
        elif self.cell:
            parts.append(f"cell {self.cell} ({self.header or self.column})")
        else:
            if self.row is not None:
                parts.append(f"row {self.row}")
            if self.header or self.column:
                parts.append(f"column {self.header or self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.found is not None and self.found != "":
            text += f" (found: {format_found(self.found)})"
        return text

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet_name or self.sheet,
            "row": self.row,
            "cell": self.cell,
            "header": self.header,
            "column": self.column,
            "message": self.message,
            "found": None if self.found is None else format_found(self.found),
            "category": self.category,
            "row_content": self.content,
        }


def format_found(value: object) -> str:
    text = str(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if len(text) > 120:
        text = text[:117] + "..."
    if isinstance(value, str):
        try:
            float(text)
        except ValueError:
            return repr(text)
    return text


CONTENT_CHARS = 160  # a row's content shown with a problem, before "..."
CELL_CHARS = 40  # one cell of that content, before "..."


def _cell_shown(value: object, limit: int = CELL_CHARS) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime") and not isinstance(value, str):
        try:
            return value.strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def row_content(values: list) -> str:
    """A row's non-empty cells as one short line: "ZA1 | 10/01/2025 | Agree | 4" (a long
    cell cut short where the row has several)."""
    filled = [v for v in values if _cell_shown(v, CONTENT_CHARS)]
    limit = CONTENT_CHARS if len(filled) == 1 else CELL_CHARS
    text = " | ".join(_cell_shown(v, limit) for v in filled)
    return text if len(text) <= CONTENT_CHARS else text[: CONTENT_CHARS - 3] + "..."
