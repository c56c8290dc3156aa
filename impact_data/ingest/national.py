"""The national NHS Staff Survey files, read as published.

Benchmark workbook (`nss_benchmark`): one sheet per benchmarking group, header in row 1, one
row per organisation, metric columns `<code>_<year>` (`PP1_2024`, `PP3_2_2024`,
`theme_engagement_2024`, `q3f_2024` as a fraction), counts with `_n` before the year
(`PP4_2_n_2024`), response rates, and significance columns (skipped).

Detailed spreadsheets (`nss_detailed`): sheets by section, each question a block of columns
(`% Strongly disagree` ... `% Strongly agree`, `Base (number of responses)`) under a merged
question label in row 1, the header on row 5, identity columns `ODS code`, `Organisation
name`, `Benchmarking group`, `Region`, `ICS/STP` (or `ICS`), `Weighting`.

Each file is a release: the survey year it was published for. A release restates earlier
years, so values carry their release and views use the newest release per figure.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

from impact_data.ingest.convert import parse_number
from impact_data.ingest.kinds import (
    TableSpec,
    normalise_header,
    question_code_from_header,
)
from impact_data.ingest.problems import Problem
from impact_data.ingest.read import RawSheet
from impact_data.store.db import Database
from impact_data.store.models import NssValue, Organisation

MISSING_MARKERS = {"", "-", "*", "<11", "n/a", "na", "..", "x", "~"}
METRIC = re.compile(r"^(?P<code>.+?)(?P<n>_n)?_(?P<year>(19|20)\d\d)$", re.I)

# Benchmarking groups as the national files name them -> our org types.
GROUP_TYPES = [
    ("acutespecialist", "specialist"),
    ("acute", "acute"),
    ("mhld", "mental_health"),
    ("mentalhealth", "mental_health"),
    ("ambulance", "ambulance"),
    ("community", "community"),
    ("socialenterprise", "other"),
    ("icb", "icb"),
]

NSS_VALUES_TABLE = TableSpec("nss_values", "National benchmark scores", ())
NSS_QUESTIONS_TABLE = TableSpec("nss_question_results", "National question results", ())
NSS_ORGS_TABLE = TableSpec("nss_organisations", "Organisations in the national file", ())

AGREE_COLUMNS = {
    "stronglydisagree": "pct_strongly_disagree",
    "disagree": "pct_disagree",
    "neitheragreenordisagree": "pct_neither",
    "neither": "pct_neither",
    "agree": "pct_agree",
    "stronglyagree": "pct_strongly_agree",
}


def metric_type(code: str) -> str:
    """element | sub_score | theme | theme_sub_score | question | response_rate | other."""
    c = code.lower()
    if re.fullmatch(r"pp\d", c):
        return "element"
    if re.fullmatch(r"pp\d_\d", c):
        return "sub_score"
    if c.startswith("theme_"):
        return "theme"
    if re.fullmatch(r"[em]_\d", c):
        return "theme_sub_score"
    if c == "response_rate":
        return "response_rate"
    if re.fullmatch(r"q\d{1,2}[a-z]{0,2}", c):
        return "question"
    return "other"


def org_type_for_group(group: str) -> str:
    key = normalise_header(group)
    for fragment, org_type in GROUP_TYPES:
        if fragment in key:
            return org_type
    return "other"


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_MARKERS


def _header(sheet: RawSheet, index: int = 0) -> list[str]:
    if len(sheet.cells) <= index:
        return []
    return [str(v).strip() if v is not None else "" for v in sheet.cells.iloc[index].tolist()]


# --- benchmark workbook ------------------------------------------------------------------


def read_benchmark(
    sheets: list[RawSheet], problems: list[Problem], notes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(organisations, values) from the benchmark workbook's group sheets."""
    org_frames, value_frames = [], []
    skipped_sheets, sig_columns, odd_cells = [], 0, 0
    for sheet in sheets:
        header = _header(sheet)
        keys = [normalise_header(h) for h in header]
        if "orgid" not in keys or not any(METRIC.match(h) for h in header):
            skipped_sheets.append(sheet.name)
            continue
        col = {k: i for i, k in enumerate(keys) if k}
        body = sheet.cells.iloc[1:]
        body = body[body[col["orgid"]].map(lambda v: not _is_missing(v))]
        rows = body.index.to_numpy() + sheet.first_row
        codes = body[col["orgid"]].map(lambda v: str(v).strip().upper())
        orgs = pd.DataFrame(
            {
                "org_code": codes.to_numpy(),
                "org_name": body[col["orgname"]].map(str).str.strip().to_numpy()
                if "orgname" in col
                else codes.to_numpy(),
                "benchmark_group": sheet.name,
                "_row": rows,
                "_sheet": sheet.name,
            }
        )
        org_frames.append(orgs)
        metrics: dict[tuple[str, int], dict[str, int]] = {}
        for i, h in enumerate(header):
            if "_sig" in h.lower():
                sig_columns += 1
                continue
            m = METRIC.match(h)
            if not m:
                continue
            key = (m.group("code"), int(m.group("year")))
            metrics.setdefault(key, {})["n" if m.group("n") else "value"] = i
        keys_in_order = list(metrics)
        value_cols = [metrics[k].get("value") for k in keys_in_order]
        n_cols = [metrics[k].get("n") for k in keys_in_order]
        values, odd = _block_numbers(body, value_cols)
        counts, _ = _block_numbers(body, n_cols)
        odd_cells += int(odd.sum())
        types = np.array([metric_type(code) for code, _ in keys_in_order], dtype=object)
        fraction = np.isin(types, ["question", "response_rate"])
        score = np.isin(types, ["element", "sub_score", "theme", "theme_sub_score"])
        with np.errstate(invalid="ignore"):
            bad_fraction = (values > 1) & fraction[None, :]
            bad_score = ((values < 0) | (values > 10)) & score[None, :]
        for _what, bad, message in (
            ("fraction", bad_fraction, "should be a fraction between 0 and 1"),
            ("score", bad_score, "a score must be between 0 and 10"),
        ):
            for r, c in zip(*np.nonzero(bad), strict=True):
                column = header[value_cols[c]]
                problems.append(
                    Problem(
                        f"{column}: {message}",
                        row=int(body.index[r]) + sheet.first_row,
                        column=column,
                        found=values[r, c],
                        sheet=sheet.name,
                        category="out_of_range",
                    )
                )
        values = np.where(fraction[None, :], values * 100, values)
        n_orgs, n_metrics = values.shape
        codes_out = np.array(
            [
                code.lower() if t == "question" else code
                for (code, _), t in zip(keys_in_order, types, strict=True)
            ],
            dtype=object,
        )
        frame = pd.DataFrame(
            {
                "org_code": np.repeat(codes.to_numpy(dtype=object), n_metrics),
                "year": np.tile(np.array([y for _, y in keys_in_order]), n_orgs),
                "metric_code": np.tile(codes_out, n_orgs),
                "metric_type": np.tile(types, n_orgs),
                "value": values.reshape(-1),
                "n": counts.reshape(-1),
                "benchmark_group": sheet.name,
            }
        )
        value_frames.append(frame[frame["value"].notna() | frame["n"].notna()])
    if skipped_sheets:
        notes.append(
            f"sheet(s) without organisation rows skipped: {', '.join(repr(s) for s in skipped_sheets)}"
        )
    if sig_columns:
        notes.append(f"{sig_columns} significance (_sig) column(s) skipped")
    if odd_cells:
        notes.append(f"{odd_cells} cell(s) with text that is not a number were read as missing")
    orgs = (
        pd.concat(org_frames, ignore_index=True)
        if org_frames
        else pd.DataFrame(columns=["org_code", "org_name", "benchmark_group", "_row", "_sheet"])
    )
    values = (
        pd.concat(value_frames, ignore_index=True)
        if value_frames
        else pd.DataFrame(
            columns=[
                "org_code",
                "year",
                "metric_code",
                "metric_type",
                "value",
                "n",
                "benchmark_group",
            ]
        )
    )
    return orgs, values


def _block_numbers(body: pd.DataFrame, columns: list[int | None]) -> tuple[np.ndarray, np.ndarray]:
    """A block of cells as floats (missing markers -> NaN), parsing each distinct cell once;
    also a mask of cells holding text that is neither a number nor a missing marker."""
    present = [c for c in columns if c is not None]
    out = np.full((len(body), len(columns)), np.nan)
    odd = np.zeros((len(body), len(columns)), dtype=bool)
    if not present or body.empty:
        return out, odd
    where = [i for i, c in enumerate(columns) if c is not None]
    cells = body.iloc[:, present].to_numpy(dtype=object)
    flat = cells.reshape(-1)
    codes, uniques = pd.factorize(flat, use_na_sentinel=True)
    parsed = np.full(len(uniques) + 1, np.nan)
    strange = np.zeros(len(uniques) + 1, dtype=bool)
    for i, u in enumerate(uniques):
        if _is_missing(u):
            continue
        number = parse_number(u)
        if number is None:
            strange[i] = True
        else:
            parsed[i] = number
    out[:, where] = parsed[codes].reshape(cells.shape)
    odd[:, where] = strange[codes].reshape(cells.shape)
    return out, odd


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from cells; missing markers are missing; other text is missing and flagged."""
    missing = values.map(_is_missing)
    parsed = values.map(lambda v: None if _is_missing(v) else parse_number(v))
    parsed = pd.to_numeric(parsed, errors="coerce").astype(float)
    odd = parsed.isna() & ~missing
    return parsed, odd


# --- detailed spreadsheets ---------------------------------------------------------------


def survey_year_from(file_name: str, sheets: list[RawSheet]) -> int | None:
    """The survey year of a detailed file: from `NSS25` in its name, else its Notes sheet."""
    m = re.search(r"nss\s*(\d{2})(?!\d)", Path(file_name).stem, re.I)
    if m:
        return 2000 + int(m.group(1))
    m = re.search(r"(20\d\d)", Path(file_name).stem)
    if m:
        return int(m.group(1))
    for sheet in sheets:
        if normalise_header(sheet.name) == "notes":
            text = " ".join(str(v) for v in sheet.cells.head(20).to_numpy().ravel() if v)
            m = re.search(r"(?:staff survey|nss)\D{0,10}(20\d\d)", text, re.I)
            if m:
                return int(m.group(1))
    return None


def read_detailed(
    sheets: list[RawSheet], year: int, problems: list[Problem], notes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(organisations, question results) from the detailed spreadsheets."""
    org_frames, result_frames = [], []
    skipped_sheets, other_scales = [], []
    for sheet in sheets:
        header_index = None
        for i in range(min(10, len(sheet.cells))):
            if "odscode" in [normalise_header(h) for h in _header(sheet, i)]:
                header_index = i
                break
        if header_index is None:
            skipped_sheets.append(sheet.name)
            continue
        header = _header(sheet, header_index)
        keys = [normalise_header(h) for h in header]
        labels = _header(sheet, 0)
        col = {k: i for i, k in enumerate(keys) if k}
        body = sheet.cells.iloc[header_index + 1 :]
        body = body[body[col["odscode"]].map(lambda v: not _is_missing(v))]
        if "weighting" in col:
            weights = body[col["weighting"]].map(lambda v: normalise_header(v))
            if (weights == "weighted").any():
                body = body[weights == "weighted"]
        codes = body[col["odscode"]].map(lambda v: str(v).strip().upper())
        ics_col = col.get("icsstp", col.get("ics"))
        org_frames.append(
            pd.DataFrame(
                {
                    "org_code": codes.to_numpy(),
                    "org_name": body[col["organisationname"]].map(str).to_numpy()
                    if "organisationname" in col
                    else codes.to_numpy(),
                    "benchmark_group": body[col["benchmarkinggroup"]].map(str).to_numpy()
                    if "benchmarkinggroup" in col
                    else None,
                    "region": body[col["region"]].map(str).to_numpy() if "region" in col else None,
                    "system": body[ics_col].map(str).to_numpy() if ics_col is not None else None,
                    "_row": body.index.to_numpy() + sheet.first_row,
                    "_sheet": sheet.name,
                }
            )
        )
        # Question blocks: a label in row 1 starts a block that runs until the next label.
        blocks: list[tuple[str, int, int]] = []
        starts = [i for i, label in enumerate(labels) if label and question_code_from_header(label)]
        for j, start in enumerate(starts):
            end = starts[j + 1] if j + 1 < len(starts) else len(header)
            blocks.append((labels[start], start, end))
        for label, start, end in blocks:
            parsed = question_code_from_header(label)
            code, text = parsed if parsed else (None, None)
            columns: dict[str, int] = {}
            for i in range(start, end):
                key = normalise_header(header[i])  # "% Strongly agree" -> "stronglyagree"
                if key.startswith("base"):
                    columns["responses"] = i
                elif key in AGREE_COLUMNS:
                    columns[AGREE_COLUMNS[key]] = i
            if not {"pct_agree", "pct_strongly_agree"} <= set(columns):
                other_scales.append(code or label[:20])
                continue
            frame = pd.DataFrame(
                {
                    "org_code": codes.to_numpy(),
                    "year": year,
                    "question_code": code,
                    "question_text": text,
                }
            )
            for name, i in columns.items():
                frame[name] = _numbers(body[i])[0].to_numpy()
            for name in AGREE_COLUMNS.values():
                if name not in frame.columns:
                    frame[name] = np.nan
            frame["positive_pct"] = frame["pct_agree"] + frame["pct_strongly_agree"]
            bad = (frame["positive_pct"] > 100.5) | (frame["positive_pct"] < 0)
            for idx in frame.index[bad.fillna(False)]:
                problems.append(
                    Problem(
                        f"{code}: % Agree + % Strongly agree is over 100",
                        row=int(body.index[idx]) + sheet.first_row,
                        column=header[columns["pct_agree"]],
                        found=frame.at[idx, "positive_pct"],
                        sheet=sheet.name,
                        category="out_of_range",
                    )
                )
            result_frames.append(
                frame[
                    frame["positive_pct"].notna()
                    | frame.get("responses", pd.Series(dtype=float)).notna()
                ]
            )
    if skipped_sheets:
        notes.append(
            f"sheet(s) without an ODS code header skipped: {', '.join(repr(s) for s in skipped_sheets)}"
        )
    if other_scales:
        notes.append(
            f"{len(other_scales)} question(s) not on the agree/disagree scale skipped "
            f"(e.g. {', '.join(map(str, other_scales[:5]))})"
        )
    orgs = (
        pd.concat(org_frames, ignore_index=True).drop_duplicates("org_code")
        if org_frames
        else pd.DataFrame(
            columns=[
                "org_code",
                "org_name",
                "benchmark_group",
                "region",
                "system",
                "_row",
                "_sheet",
            ]
        )
    )
    results = pd.concat(result_frames, ignore_index=True) if result_frames else pd.DataFrame()
    if "responses" not in results.columns:
        results["responses"] = np.nan
    return orgs, results


# --- scope and differences ------------------------------------------------------------


def apply_scope(
    db: Database,
    orgs: pd.DataFrame,
    data: pd.DataFrame,
    system: str | None,
    problems: list[Problem],
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All organisations, or only those of one system (from the file's ICS column where it
    has one, else from the organisations already loaded)."""
    if not system:
        return orgs, data
    with db.connect() as conn:
        known = dict(conn.execute(select(Organisation.org_code, Organisation.system)).all())
    wanted = normalise_header(system)
    in_file = (
        orgs["system"].map(normalise_header) == wanted
        if "system" in orgs.columns and orgs["system"].notna().any()
        else None
    )
    in_db = orgs["org_code"].map(lambda c: normalise_header(known.get(c) or "") == wanted)
    keep = in_db | in_file if in_file is not None else in_db
    if not keep.any():
        problems.append(
            Problem(
                f"no organisation in the file belongs to the system {system!r}; load your "
                "organisations file (with its system column) first, or import all organisations",
                category="scope",
            )
        )
    codes = set(orgs.loc[keep, "org_code"])
    notes.append(
        f"importing {len(codes)} organisation(s) of {system} out of {orgs['org_code'].nunique()} in the file"
    )
    return orgs[orgs["org_code"].isin(codes)], data[data["org_code"].isin(codes)]


def release_differences(db: Database, values: pd.DataFrame, release_year: int) -> pd.DataFrame:
    """Stored values from other releases for the same org, year and metric, beside the new
    ones: what this release changes."""
    if values.empty:
        return pd.DataFrame()
    org = Organisation.__table__
    with db.connect() as conn:
        result = conn.execute(
            select(
                org.c.org_code,
                NssValue.year,
                NssValue.metric_code,
                NssValue.value,
                NssValue.release_year,
            )
            .join(org, org.c.id == NssValue.org_id)
            .where(NssValue.release_year != release_year)
        )
        stored = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if stored.empty:
        return stored
    stored = (
        stored.sort_values("release_year")
        .groupby(["org_code", "year", "metric_code"], as_index=False)
        .tail(1)
    )
    merged = values.merge(stored, on=["org_code", "year", "metric_code"], suffixes=("", "_stored"))
    merged = merged.rename(
        columns={"value_stored": "stored_value", "release_year": "stored_release"}
    )
    merged["change"] = merged["value"] - merged["stored_value"]
    changed = merged[
        (merged["change"].abs() > 1e-9) | (merged["value"].isna() != merged["stored_value"].isna())
    ]
    return changed[
        ["org_code", "year", "metric_code", "stored_release", "stored_value", "value", "change"]
    ].reset_index(drop=True)
