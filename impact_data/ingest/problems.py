"""Problems with a user's file: values, not exceptions, printed the same by the UI and CLI."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Problem",
    "format_found",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (sheet, row, column), what, and what was found."""

    message: str
    row: int | None = None
    column: str | None = None
    found: object = None
    sheet: str | None = None
    category: str = "invalid"

    def location(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.found is not None and self.found != "":
            text += f" (found: {format_found(self.found)})"
        return text

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "found": None if self.found is None else format_found(self.found),
            "category": self.category,
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
