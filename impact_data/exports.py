"""Writing tables to .xlsx and .csv, safe against formula injection."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest.convert import FORMULA_PREFIXES, protect_formula_text
from impact_data.ingest.kinds import get_kind
from impact_data.measures import capability, culture, pdsa, queries, readiness
from impact_data.measures.period import ReportingPeriod, default_period, up_to
from impact_data.store.db import Database

__all__ = [
    "ABOUT_SHEET",
    "FORMULA_PREFIXES",
    "SUPPRESSION_RULE",
    "culture_measure_table",
    "export_tables",
    "neutralise",
    "safe_frame",
    "to_csv_bytes",
    "to_xlsx_bytes",
    "write_export",
]


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed so it stays text
    (loading the file again takes the prefix off: a raw export round-trips exactly)."""
    return protect_formula_text(value)


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
    "(set on the Settings page) is shown as suppressed (its figures left blank, with suppressed = TRUE); where groups are parts of a published total, "
    "further groups are hidden until the total minus the groups shown is zero or at least the "
    "threshold, so no hidden group can be worked out; figures pooled over groups pool only "
    "groups that are shown on their own."
)


def to_xlsx_bytes(
    sheets: Mapping[str, pd.DataFrame],
    *,
    rule: str | None = None,
    period: ReportingPeriod | None = None,
) -> bytes:
    """An .xlsx workbook with one sheet per frame, and a last sheet stating the suppression
    rule the figures follow (`rule` gives the exact threshold where the caller knows it) and,
    when given, the reporting period."""
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
                    "run as formulas; loading this file into the dashboard takes the ' off again.",
                ],
            }
        )
        if period is not None:
            line = pd.DataFrame(
                {"": ["Reporting period"], "About this export": [period.description]}
            )
            about = pd.concat([about.iloc[:1], line, about.iloc[1:]], ignore_index=True)
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
    db: Database,
    kind: str,
    viewer: Viewer,
    *,
    raw: bool = False,
    as_of: dt.date | None = None,
    period: ReportingPeriod | None = None,
) -> dict[str, pd.DataFrame]:
    """The stored data of one upload kind: view-level (suppressed) tables from the same
    `measures` functions the screens use, or the rows as uploaded (`raw`, full-access viewers
    only, re-loadable through the same kind). `as_of` is the day PDSA activity counts back
    from: by default the end of `period`, the reporting period (`measures.period`; when not
    given, the default period, as on the screens)."""
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
            **{
                level.replace("_", " ").title(): queries.staff_survey_results(
                    db, viewer, level=level
                )
                for level in ("org", "team", "staff_group")
            },
            "Culture measure by year": culture_measure_table(db, viewer, "staff_survey"),
        }
    if kind == "pulse_survey":
        return {
            "Pulse by month": queries.pulse_summary(db, viewer),
            "Culture measure by month": culture_measure_table(db, viewer, "pulse"),
        }
    if kind in ("readiness", "impact_self_assessment", "capability", "pdsa"):
        period = period or default_period(db)
    if kind == "readiness":
        # The Readiness page's tables and the Overview's pooled figure, from the same
        # functions, so the export and the screens give the same figure and hide the same groups;
        # like them, only rounds up to the reporting period's end.
        until = period.end
        return {
            "Readiness by team": up_to(
                readiness.readiness_scores(db, viewer, by_team=True), "round", until
            ).reset_index(drop=True),
            "Readiness by organisation": up_to(
                readiness.readiness_scores(db, viewer, by_team=False), "round", until
            ).reset_index(drop=True),
            "Readiness latest (pooled)": readiness.readiness_pooled(
                db, viewer, latest=True, until=until
            ),
        }
    if kind == "impact_self_assessment":
        return {
            "NHS IMPACT self-assessment": readiness.impact_self_assessments(
                db, viewer, until=period.end
            ),
            "NHS IMPACT latest levels": readiness.impact_maturity(db, viewer, until=period.end),
        }
    if kind == "pdsa":
        as_of = as_of or period.end
        return {
            "Projects": pdsa.pdsa_projects(db, viewer),
            "Cycles": pdsa.pdsa_cycles(db, viewer),
            "Measures": pdsa.pdsa_measures(db, viewer),
            "Activity": pdsa.pdsa_activity(db, viewer, as_of=as_of).assign(
                reporting_period=period.key, as_of=as_of
            ),
            "Cycles per month": pdsa.pdsa_cycles_per_month(db, viewer, as_of=as_of),
        }
    if kind == "capability":
        # The Overview's and Compare's figures, from the same functions (same hidden counts).
        return {
            "Capability by level": capability.capability_by_level(db, viewer, as_of=period.end),
            "Capability over time": up_to(
                capability.capability_over_time(db, viewer), "as_of", period.end
            ).reset_index(drop=True),
        }
    return {"Visits": queries.visits(db, viewer)}


def culture_measure_table(db: Database, viewer: Viewer, source: str) -> pd.DataFrame:
    """The culture measure's overall score and dimensions per organisation and period, from
    `measures.culture.culture_scores` (the figure of the Culture page, Overview and Compare)."""
    scores = culture.culture_scores(db, viewer, source=source)
    frame = pd.concat([scores["overall"], scores["dimensions"]], ignore_index=True)
    columns = [
        "org_code",
        "period",
        "dimension",
        "score",
        "ci_low",
        "ci_high",
        "responses",
        "n_questions",
        "suppressed",
        "suppression",
    ]
    frame = frame.reindex(columns=columns).sort_values(["org_code", "period", "dimension"])
    return frame.assign(measure=scores["overall"].attrs.get("measure")).reset_index(drop=True)


def write_export(
    sheets: Mapping[str, pd.DataFrame],
    out: str | Path,
    *,
    rule: str | None = None,
    period: ReportingPeriod | None = None,
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
    out.write_bytes(to_xlsx_bytes(sheets, rule=rule, period=period))
    return out
