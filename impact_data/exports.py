"""Writing tables to .xlsx and .csv, safe against formula injection."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest.kinds import get_kind
from impact_data.measures import queries
from impact_data.store.db import Database

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised (numbers are left as numbers)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


ABOUT_SHEET = "About this export"
SUPPRESSION_RULE = (
    "Small-number suppression: a group with fewer responses than this dashboard's threshold "
    "(set on the Settings page; 11 unless an admin changed it) is shown as suppressed (its "
    "figures left blank, with suppressed = TRUE), and so is one more group wherever a hidden one "
    "could be worked out from a total and the other groups."
)


def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, rule: str | None = None) -> bytes:
    """An .xlsx workbook with one sheet per frame, and a last sheet stating the suppression
    rule the figures follow (`rule` gives the exact threshold where the caller knows it)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe = safe_frame(_naive_datetimes(frame))
            safe.to_excel(writer, sheet_name=name[:31], index=False)
        about = pd.DataFrame(
            {
                "": ["Source", "Suppression", "Formulas"],
                "About this export": [
                    "IMPACT dashboard",
                    rule or SUPPRESSION_RULE,
                    "Text cells starting with = + - or @ are prefixed with ' so they are never "
                    "run as formulas.",
                ],
            }
        )
        about.to_excel(writer, sheet_name=ABOUT_SHEET, index=False)
    return buffer.getvalue()


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads accents right)."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def _naive_datetimes(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
    return out


def export_tables(
    db: Database, kind: str, viewer: Viewer, *, raw: bool = False
) -> dict[str, pd.DataFrame]:
    """The stored data of one upload kind: view-level (suppressed) tables, or the rows as
    uploaded (`raw`, full-access viewers only, re-loadable through the same kind)."""
    get_kind(kind)
    if raw and not viewer.sees_all_detail:
        raise AccessDenied("raw exports need full access")
    if raw:
        from impact_data.raw_export import raw_tables

        return raw_tables(db, kind)
    if kind == "organisations":
        return {"Organisations": queries.organisations(db, viewer)}
    if kind == "staff_survey":
        return {
            level.replace("_", " ").title(): queries.staff_survey_results(db, viewer, level=level)
            for level in ("org", "team", "staff_group")
        }
    if kind == "pulse_survey":
        return {"Pulse by month": queries.pulse_summary(db, viewer)}
    if kind == "readiness":
        return {"Readiness scores": queries.readiness_scores(db, viewer)}
    if kind == "impact_self_assessment":
        return {"NHS IMPACT self-assessment": queries.impact_self_assessments(db, viewer)}
    if kind == "pdsa":
        return {
            "Projects": queries.pdsa_projects(db, viewer),
            "Cycles": queries.pdsa_cycles(db, viewer),
            "Measures": queries.pdsa_measures(db, viewer),
        }
    return {"Visits": queries.visits(db, viewer)}


def write_export(
    sheets: Mapping[str, pd.DataFrame], out: str | Path, *, rule: str | None = None
) -> Path:
    """Write to .xlsx (all sheets) or .csv (one sheet, or one file per sheet beside it)."""
    out = Path(out)
    if out.suffix.lower() == ".csv":
        if len(sheets) == 1:
            out.write_bytes(to_csv_bytes(next(iter(sheets.values()))))
            return out
        for name, frame in sheets.items():
            slug = "".join(ch if ch.isalnum() else "_" for ch in name.lower())
            (out.with_name(f"{out.stem}_{slug}.csv")).write_bytes(to_csv_bytes(frame))
        return out
    out.write_bytes(to_xlsx_bytes(sheets, rule=rule))
    return out
