"""Problems with a user's file: values, not exceptions, printed the same by the UI and CLI."""

from __future__ import annotations

from dataclasses import dataclass

# How many rows of one problem (same column, same message) are listed before summarising.
MAX_ROWS_PER_PROBLEM = 200


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


def summarise(problems: list[Problem]) -> list[Problem]:
    """Cap each repeated problem at MAX_ROWS_PER_PROBLEM rows, adding a count of the rest."""
    seen: dict[tuple, int] = {}
    out: list[Problem] = []
    extra: dict[tuple, int] = {}
    for p in problems:
        key = (p.sheet, p.column, p.message)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= MAX_ROWS_PER_PROBLEM:
            out.append(p)
        else:
            extra[key] = extra.get(key, 0) + 1
    for (sheet, column, message), count in extra.items():
        out.append(
            Problem(
                f"{count:,} more rows with the same problem: {message}",
                column=column,
                sheet=sheet,
                category="more",
            )
        )
    return out
