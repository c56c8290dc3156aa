"""The national NHS Staff Survey files, read as published.

Benchmark workbook (`nss_benchmark`): one sheet per benchmarking group, header in row 1, one
row per organisation, metric columns `<code>_<year>` (`PP1_2024`, `PP3_2_2024`,
`theme_engagement_2024`, `q3f_2024` as a fraction), counts with `_n` before the year
(`PP4_2_n_2024`), response rates, and significance columns (skipped).

Detailed spreadsheets (`nss_detailed`): sheets by section, each question a block of columns
(one `% <answer>` per option of its scale: agreement, frequency, satisfaction, yes/no or a
count, then `Base (number of responses)`) under a merged question label in row 1, the header on
row 5, identity columns `ODS code`, `Organisation name`, `Benchmarking group`, `Region`,
`ICS/STP` (or `ICS`), `Weighting` (`Occupation Group` or `Unweighted`). Published as a zip of
three workbooks, of which the organisational results one is read. Each question keeps its full
answer distribution, the % choosing its reported option and a direction-aware % favourable
(directions from the published question set, `nss_question_set`).

Identity cells of `-`, `*`, blank or `<11` are missing; an ICB belongs to its own system;
breakdown columns (ethnicity summaries and the like) are skipped with a note.

Each file is a release: the survey year it was published for. A release restates earlier
years, so values carry their release and views use the newest release per figure.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

from impact_data.ingest.convert import factorize_cells, parse_number
from impact_data.ingest.kinds import (
    TableSpec,
    normalise_header,
    question_code_from_header,
)
from impact_data.ingest.nss_question_set import higher_is_better
from impact_data.ingest.problems import Problem
from impact_data.ingest.read import (
    MAX_FILE_BYTES,
    MAX_UNZIPPED_BYTES,
    MAX_ZIP_RATIO,
    WORKBOOK_SUFFIXES,
    RawSheet,
    UnreadableFile,
)
from impact_data.ingest.validate import ORG_CODE_LENGTH
from impact_data.store.db import Database
from impact_data.store.models import NssValue, Organisation

__all__ = [
    "AGREE_COLUMNS",
    "GROUP_TYPES",
    "KNOWN_METRIC",
    "MAX_ZIP_MEMBERS",
    "METRIC",
    "MISSING_MARKERS",
    "NSS_ORGS_TABLE",
    "NSS_QUESTIONS_TABLE",
    "NSS_VALUES_TABLE",
    "OPTION_VARIANTS",
    "SCALES",
    "SCALE_NAMES",
    "apply_scope",
    "choose_workbook",
    "complete_identity",
    "identity_text",
    "is_zip_of_workbooks",
    "metric_type",
    "option_key",
    "org_type_for_group",
    "read_benchmark",
    "read_detailed",
    "release_differences",
    "scale_of",
    "survey_year_from",
    "system_key",
    "system_of_icb",
    "workbook_from_zip",
]

MISSING_MARKERS = {"", "-", "*", "<11", "n/a", "na", "..", "x", "~"}
METRIC = re.compile(r"^(?P<code>.+?)(?P<n>_n)?_(?P<year>(19|20)\d\d)$", re.I)

# Benchmarking groups as the national files name them -> our org types, first match wins.
# Social enterprises and community surgical services are their own peer groups, not trusts of
# the type their name also mentions ("Social Enterprises - Mental Health", "... MH").
GROUP_TYPES = [
    ("socialenterprise", "other"),
    ("communitysurgical", "other"),
    ("integratedcareboard", "icb"),
    ("icb", "icb"),
    ("ccg", "other"),
    ("clinicalcommissioning", "other"),
    ("csu", "other"),
    ("commissioningsupport", "other"),
    ("acutespecialist", "specialist"),
    ("acute", "acute"),
    ("mhld", "mental_health"),
    ("mentalhealth", "mental_health"),
    ("learningdisabilit", "mental_health"),
    ("ambulance", "ambulance"),
    ("community", "community"),
]

# A benchmark metric code we store; anything else with a year (ethnicity summaries such as
# equal_eth_summary_1, q16b_eth_summary_2, theme columns broken down by a question) is a
# breakdown, skipped with a note rather than stored as a figure of its own.
KNOWN_METRIC = re.compile(
    r"^(pp\d(_\d)?|theme_[a-z]+|[em]_\d|response_rate|q\d{1,2}[a-z]{0,2})$", re.I
)

NSS_VALUES_TABLE = TableSpec("nss_values", "National benchmark scores", ())
NSS_QUESTIONS_TABLE = TableSpec("nss_question_results", "National question results", ())
NSS_ORGS_TABLE = TableSpec("nss_organisations", "Organisations in the national file", ())


def metric_type(code: str) -> str:
    """element | sub_score | theme | theme_sub_score | question | response_rate | other."""
    if not KNOWN_METRIC.match(code):
        return "other"
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
    """Our org type for a national benchmarking group (or sheet) name."""
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


def identity_text(value: object) -> str | None:
    """An identity cell (name, group, region, ICS) as text; `-`, `*`, blank, `<11` are missing."""
    if _is_missing(value):
        return None
    text = " ".join(str(value).split())
    return text or None


_SYSTEM_PREFIX = re.compile(r"^(nhs)")
_SYSTEM_SUFFIX = re.compile(
    r"(integratedcareboard|integratedcaresystem|healthandcarepartnership|icb|ics|stp)$"
)


def system_key(name: object) -> str:
    """A system's name compared loosely: "NHS Greater Manchester ICB", "Greater Manchester
    ICS" and "Greater Manchester" are one system."""
    key = normalise_header(name)
    key = _SYSTEM_SUFFIX.sub("", key)
    return _SYSTEM_PREFIX.sub("", key)


def system_of_icb(name: str | None) -> str | None:
    """The system an ICB leads, from its name: "NHS Greater Manchester Integrated Care Board"
    -> "Greater Manchester"."""
    if not name:
        return None
    text = re.sub(r"^\s*NHS\s+", "", name, flags=re.I)
    text = re.sub(
        r"\s*(Integrated Care Board|ICB|Integrated Care System|ICS)\s*$", "", text, flags=re.I
    )
    return text.strip() or None


def complete_identity(orgs: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """Org types from the benchmarking groups, each ICB in its own system, and codes too long
    for the database refused with a message."""
    orgs = orgs.copy()
    groups = orgs["benchmark_group"].map(lambda g: g or "")
    orgs["org_type"] = groups.map(org_type_for_group)
    names = orgs["org_name"].map(lambda n: n or "")
    icb = (orgs["org_type"] == "icb") | names.map(
        lambda n: bool(re.search(r"(integrated care board|\bICB)\s*$", n, re.I))
    )
    orgs.loc[icb, "org_type"] = "icb"
    if "system" not in orgs.columns:
        orgs["system"] = None
    no_system = icb & orgs["system"].isna()
    orgs.loc[no_system, "system"] = orgs.loc[no_system, "org_name"].map(system_of_icb)
    too_long = orgs["org_code"].str.len() > ORG_CODE_LENGTH
    for _, rec in orgs[too_long].iterrows():
        problems.append(
            Problem(
                f"organisation code is {len(rec['org_code'])} characters; the database holds "
                f"codes of up to {ORG_CODE_LENGTH}",
                row=int(rec["_row"]),
                column="ODS code",
                found=rec["org_code"][:40] + "...",
                sheet=rec["_sheet"],
                category="too_long",
            )
        )
    return orgs[~too_long]


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
    breakdowns: list[str] = []
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
        names = body[col["orgname"]].map(identity_text) if "orgname" in col else codes
        orgs = pd.DataFrame(
            {
                "org_code": codes.to_numpy(),
                "org_name": names.where(names.notna(), codes).to_numpy(),
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
            if not KNOWN_METRIC.match(m.group("code")):
                breakdowns.append(h)
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
        years_out = np.array([y for _, y in keys_in_order])
        directions = np.array(
            [
                higher_is_better(code, year) if t == "question" else None
                for code, year, t in zip(codes_out, years_out, types, strict=True)
            ],
            dtype=object,
        )
        frame = pd.DataFrame(
            {
                "org_code": np.repeat(codes.to_numpy(dtype=object), n_metrics),
                "year": np.tile(years_out, n_orgs),
                "metric_code": np.tile(codes_out, n_orgs),
                "metric_type": np.tile(types, n_orgs),
                "value": values.reshape(-1),
                "n": counts.reshape(-1),
                "benchmark_group": sheet.name,
                "higher_is_better": np.tile(directions, n_orgs),
            }
        )
        value_frames.append(frame[frame["value"].notna() | frame["n"].notna()])
    if skipped_sheets:
        notes.append(
            f"sheet(s) without organisation rows skipped: {', '.join(repr(s) for s in skipped_sheets)}"
        )
    if sig_columns:
        notes.append(f"{sig_columns} significance (_sig) column(s) skipped")
    if breakdowns:
        shown = ", ".join(list(dict.fromkeys(breakdowns))[:4])
        notes.append(
            f"{len(breakdowns)} breakdown column(s) skipped (e.g. {shown}): they split a result "
            "by staff characteristics such as ethnicity, not an organisation's own figure"
        )
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
                "higher_is_better",
            ]
        )
    )
    lower = sorted(set(values.loc[values["higher_is_better"].eq(False), "metric_code"]))
    if lower:
        notes.append(
            f"{len(lower)} question(s) report the % choosing an unfavourable answer, so lower "
            f"is better (from the published question set): {', '.join(lower)}"
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
    codes, uniques = factorize_cells(flat)
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

# The answer scales of the detailed spreadsheets: options lowest first as (normalised header
# after "%", label), and the options the national reports count (the "reported option").
SCALES: dict[str, tuple[tuple[tuple[str, str], ...], frozenset[str]]] = {
    "agree": (
        (
            ("stronglydisagree", "Strongly disagree"),
            ("disagree", "Disagree"),
            ("neitheragreenordisagree", "Neither agree nor disagree"),
            ("agree", "Agree"),
            ("stronglyagree", "Strongly agree"),
        ),
        frozenset({"agree", "stronglyagree"}),
    ),
    "frequency": (
        (
            ("never", "Never"),
            ("rarely", "Rarely"),
            ("sometimes", "Sometimes"),
            ("often", "Often"),
            ("always", "Always"),
        ),
        frozenset({"often", "always"}),
    ),
    "satisfaction": (
        (
            ("verydissatisfied", "Very dissatisfied"),
            ("dissatisfied", "Dissatisfied"),
            ("neithersatisfiednordissatisfied", "Neither satisfied nor dissatisfied"),
            ("satisfied", "Satisfied"),
            ("verysatisfied", "Very satisfied"),
        ),
        frozenset({"satisfied", "verysatisfied"}),
    ),
    "yes_no": ((("yes", "Yes"), ("no", "No")), frozenset({"yes"})),
    "count": (
        (
            ("never", "Never"),
            ("12", "1-2"),
            ("35", "3-5"),
            ("610", "6-10"),
            ("morethan10", "More than 10"),
        ),
        frozenset({"12", "35", "610", "morethan10"}),
    ),
}
OPTION_VARIANTS = {
    "neither": "neitheragreenordisagree",
    "neitheragreeordisagree": "neitheragreenordisagree",
    "neithersatisfiedordissatisfied": "neithersatisfiednordissatisfied",
    "1to2": "12",
    "3to5": "35",
    "6to10": "610",
    "over10": "morethan10",
    "morethan10times": "morethan10",
    "12times": "12",
    "35times": "35",
    "610times": "610",
}
SCALE_NAMES = {
    "agree": "agreement (Strongly disagree ... Strongly agree)",
    "frequency": "frequency (Never ... Always)",
    "satisfaction": "satisfaction (Very dissatisfied ... Very satisfied)",
    "yes_no": "yes / no",
    "count": "number of times (Never, 1-2, 3-5, 6-10, More than 10)",
}


def option_key(header: str) -> str:
    """ "% Strongly agree" -> "stronglyagree"; "% 1-2" -> "12"."""
    key = normalise_header(header)
    return OPTION_VARIANTS.get(key, key)


def scale_of(option_keys: list[str]) -> str | None:
    """The answer scale a question's option columns belong to, or None if none fits."""
    best, best_overlap = None, 1
    present = set(option_keys)
    for name, (options, reported) in SCALES.items():
        overlap = len(present & {k for k, _ in options})
        if reported & present and overlap > best_overlap:
            best, best_overlap = name, overlap
    return best


def survey_year_from(file_name: str, sheets: list[RawSheet]) -> int | None:
    """The survey year of a detailed file: from its name (`NSS25 ...`, `ST19-...`,
    `P101197-ST20-...`, `... 2024 ...`), else from the title cells of its sheets."""
    stem = Path(file_name).stem
    for pattern in (r"nss\s*(\d{2})(?!\d)", r"(?:^|[^a-z0-9])st(\d{2})(?!\d)"):
        m = re.search(pattern, stem, re.I)
        if m:
            return 2000 + int(m.group(1))
    m = re.search(r"(?<!\d)(20\d\d)(?!\d)", stem)
    if m:
        return int(m.group(1))
    title = re.compile(
        r"(?:staff survey|nss)\D{0,12}(20\d\d)(?!\d)|(?<!\d)(20\d\d)\s+(?:nhs\s+)?"
        r"(?:national\s+)?(?:nhs\s+)?staff survey",
        re.I,
    )
    ordered = sorted(sheets, key=lambda sh: normalise_header(sh.name) != "notes")
    for sheet in ordered:
        cells = [v for v in sheet.cells.head(6).to_numpy().ravel() if isinstance(v, str)]
        for text in cells:
            m = title.search(text)
            if m:
                return int(m.group(1) or m.group(2))
    return None


def _detailed_header(sheet: RawSheet) -> int | None:
    for i in range(min(10, len(sheet.cells))):
        keys = [normalise_header(h) for h in _header(sheet, i)]
        if "odscode" in keys or "organisationcode" in keys:
            return i
    return None


def _prefer_weighted(
    body: pd.DataFrame, code_col: int, weight_col: int | None, notes: list[str]
) -> pd.DataFrame:
    """One row per organisation: a weighted row (`Occupation Group`, `Weighted`) where the file
    has one, else its `Unweighted` row."""
    if weight_col is None:
        return body
    weights = body[weight_col].map(normalise_header)
    unweighted = weights.isin(["unweighted", "none", "notweighted"])
    order = pd.Series(np.where(unweighted, 1, 0), index=body.index)
    codes = body[code_col].map(lambda v: str(v).strip().upper())
    ranked = pd.DataFrame({"code": codes, "order": order, "pos": np.arange(len(body))})
    keep = ranked.sort_values(["order", "pos"]).drop_duplicates("code").sort_values("pos").index
    dropped = int((unweighted & ~body.index.isin(keep)).sum())
    if dropped:
        kinds = sorted({str(v) for v in body.loc[~unweighted, weight_col].dropna()})
        notes.append(
            f"{dropped} 'Unweighted' row(s) set aside where the file has a weighted row "
            f"({', '.join(kinds)}) for the same organisation"
        )
    return body.loc[keep]


def read_detailed(
    sheets: list[RawSheet], year: int, problems: list[Problem], notes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(organisations, question results) from the detailed spreadsheets: every question's
    full answer distribution, the % choosing its reported option and the % favourable."""
    org_frames, result_frames = [], []
    skipped_sheets, unknown_scales = [], []
    scales_seen: dict[str, int] = {}
    weight_notes: list[str] = []
    for sheet in sheets:
        header_index = _detailed_header(sheet)
        if header_index is None:
            skipped_sheets.append(sheet.name)
            continue
        header = _header(sheet, header_index)
        keys = [normalise_header(h) for h in header]
        labels = _header(sheet, 0)
        col = {k: i for i, k in enumerate(keys) if k}
        code_col = col.get("odscode", col.get("organisationcode"))
        body = sheet.cells.iloc[header_index + 1 :]
        body = body[body[code_col].map(lambda v: not _is_missing(v))]
        body = _prefer_weighted(body, code_col, col.get("weighting"), weight_notes)
        codes = body[code_col].map(lambda v: str(v).strip().upper())
        ics_col = col.get("icsstp", col.get("ics", col.get("stp")))

        def identity(key, body=body):
            return body[key].map(identity_text).to_numpy() if key is not None else None

        names = (
            body[col["organisationname"]].map(identity_text) if "organisationname" in col else codes
        )
        org_frames.append(
            pd.DataFrame(
                {
                    "org_code": codes.to_numpy(),
                    "org_name": names.where(names.notna(), codes).to_numpy(),
                    "benchmark_group": identity(col.get("benchmarkinggroup")),
                    "region": identity(col.get("region")),
                    "system": identity(ics_col),
                    "_row": body.index.to_numpy() + sheet.first_row,
                    "_sheet": sheet.name,
                }
            )
        )
        # Question blocks: a label in row 1 starts a block that runs until the next label.
        starts = [i for i, label in enumerate(labels) if label and question_code_from_header(label)]
        for j, start in enumerate(starts):
            end = starts[j + 1] if j + 1 < len(starts) else len(header)
            code, text = question_code_from_header(labels[start])
            options: dict[str, int] = {}
            texts: dict[str, str] = {}
            responses_col = None
            for i in range(start, end):
                key = option_key(header[i])
                if key.startswith("base") or key in ("n", "responses", "numberofresponses"):
                    responses_col = i
                elif key:
                    options[key] = i
                    texts[key] = header[i].lstrip("% ").strip()
            scale = scale_of(list(options))
            if scale is None:
                unknown_scales.append(code)
                continue
            scales_seen[scale] = scales_seen.get(scale, 0) + 1
            result_frames.append(
                _question_frame(
                    body,
                    codes,
                    sheet,
                    header,
                    year,
                    code,
                    text,
                    scale,
                    options,
                    texts,
                    responses_col,
                    problems,
                )
            )
    notes.extend(weight_notes)
    if skipped_sheets:
        notes.append(
            f"sheet(s) without an ODS code header skipped: {', '.join(repr(s) for s in skipped_sheets)}"
        )
    if scales_seen:
        notes.append(
            "questions read with their full answer distribution: "
            + "; ".join(f"{n} on the {SCALE_NAMES[s]} scale" for s, n in scales_seen.items())
        )
    if unknown_scales:
        notes.append(
            f"{len(unknown_scales)} question(s) with answer columns of no known scale skipped "
            f"(e.g. {', '.join(map(str, unknown_scales[:5]))})"
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
    if not results.empty:
        lower = sorted(set(results.loc[~results["higher_is_better"].astype(bool), "question_code"]))
        if lower:
            notes.append(
                f"{len(lower)} question(s) report the % choosing an unfavourable answer, so lower "
                f"is better (from the published question set): {', '.join(lower[:12])}"
                + (" ..." if len(lower) > 12 else "")
            )
    return orgs, results


# Agreement answers also fill the Strongly disagree ... Strongly agree columns.
AGREE_COLUMNS = {
    "stronglydisagree": "pct_strongly_disagree",
    "disagree": "pct_disagree",
    "neitheragreenordisagree": "pct_neither",
    "agree": "pct_agree",
    "stronglyagree": "pct_strongly_agree",
}


def _question_frame(
    body: pd.DataFrame,
    codes: pd.Series,
    sheet: RawSheet,
    header: list[str],
    year: int,
    code: str,
    text: str | None,
    scale: str,
    options: dict[str, int],
    texts: dict[str, str],
    responses_col: int | None,
    problems: list[Problem],
) -> pd.DataFrame:
    """One question's rows: distribution, reported %, favourable %, direction, responses."""
    scale_options, reported = SCALES[scale]
    keys = list(options)
    values, _ = _block_numbers(body, [options[k] for k in keys])
    frame = pd.DataFrame(
        {"org_code": codes.to_numpy(), "year": year, "question_code": code, "question_text": text}
    )
    frame["responses"] = (
        _numbers(body[responses_col])[0].to_numpy() if responses_col is not None else np.nan
    )
    for key, column in AGREE_COLUMNS.items():
        frame[column] = values[:, keys.index(key)] if scale == "agree" and key in keys else np.nan
    reported_idx = [keys.index(k) for k in keys if k in reported]
    answered = ~np.isnan(values[:, reported_idx]).all(axis=1)
    frame["positive_pct"] = np.where(answered, np.nansum(values[:, reported_idx], axis=1), np.nan)
    better = higher_is_better(code, year, scale)
    frame["higher_is_better"] = better
    frame["favourable_pct"] = frame["positive_pct"] if better else 100 - frame["positive_pct"]
    frame["answer_scale"] = scale
    frame["reported_option"] = " / ".join(label for k, label in scale_options if k in reported)
    labels = [texts[k] for k in keys]
    frame["distribution"] = [
        {label: float(v) for label, v in zip(labels, row, strict=True) if v == v} for row in values
    ]
    bad = (frame["positive_pct"] > 100.5) | (frame["positive_pct"] < 0)
    for idx in frame.index[bad.fillna(False)]:
        problems.append(
            Problem(
                f"{code}: the % choosing {frame.at[idx, 'reported_option']} is over 100",
                row=int(body.index[idx]) + sheet.first_row,
                column=header[options[keys[reported_idx[0]]]],
                found=frame.at[idx, "positive_pct"],
                sheet=sheet.name,
                category="out_of_range",
            )
        )
    return frame[frame["positive_pct"].notna() | frame["responses"].notna()]


# --- the published zip of detailed spreadsheets -----------------------------------------

MAX_ZIP_MEMBERS = 50


def is_zip_of_workbooks(data: bytes) -> bool:
    """True for a zip archive holding workbooks (not itself a workbook)."""
    if data[:4] != b"PK\x03\x04":
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    if "[Content_Types].xml" in names or "mimetype" in names:
        return False
    return any(Path(n).suffix.lower() in WORKBOOK_SUFFIXES for n in names)


def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and "__macosx" not in info.filename.lower()
        and not Path(info.filename).name.startswith(("~$", "."))
        and Path(info.filename).suffix.lower() in WORKBOOK_SUFFIXES
    ]


def choose_workbook(names: list[str], kind: str) -> str | None:
    """The member to read: the organisational-results workbook of the detailed spreadsheets
    (not the national or organisation-type ones), or the benchmark workbook."""
    if len(names) == 1:
        return names[0]
    keyed = {n: normalise_header(Path(n).stem) for n in names}
    if kind == "nss_benchmark":
        wanted = [n for n, k in keyed.items() if "benchmark" in k]
    else:
        wanted = [
            n
            for n, k in keyed.items()
            if ("organisational" in k or "organizational" in k) and "type" not in k
        ] or [
            n
            for n, k in keyed.items()
            if ("organisation" in k or "organization" in k) and "type" not in k
        ]
    return wanted[0] if len(wanted) == 1 else None


def workbook_from_zip(data: bytes, file_name: str, kind: str) -> tuple[bytes, str]:
    """(bytes, name) of the workbook to read from a published zip, within size bounds."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(f"{file_name}: the zip file is damaged ({exc})") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise UnreadableFile(
                f"{file_name} holds {len(infos):,} files; a published zip holds a few workbooks"
            )
        unzipped = sum(i.file_size for i in infos)
        if unzipped > MAX_UNZIPPED_BYTES or (
            unzipped > 50 * 1024 * 1024 and unzipped > MAX_ZIP_RATIO * len(data)
        ):
            raise UnreadableFile(
                f"{file_name} would unpack to {unzipped / 1e6:,.0f} MB from "
                f"{len(data) / 1e6:,.1f} MB; that is not a normal zip of spreadsheets and was refused"
            )
        members = _members(archive)
        names = [m.filename for m in members]
        chosen = choose_workbook(names, kind)
        if chosen is None:
            raise UnreadableFile(
                f"{file_name}: cannot tell which workbook in the zip to read "
                f"({', '.join(Path(n).name for n in names) or 'no workbooks'}); "
                + (
                    "upload the benchmark workbook itself"
                    if kind == "nss_benchmark"
                    else "upload the organisational results workbook itself"
                )
            )
        info = archive.getinfo(chosen)
        if info.file_size > MAX_FILE_BYTES:
            raise UnreadableFile(
                f"{Path(chosen).name} in {file_name} is {info.file_size / 1e6:,.0f} MB; the limit "
                f"is {MAX_FILE_BYTES / 1e6:,.0f} MB"
            )
        with archive.open(info) as member:
            # Read no more than the size the zip declares: a member that lies is refused.
            content = member.read(info.file_size + 1)
        if len(content) > info.file_size:
            raise UnreadableFile(f"{file_name}: {Path(chosen).name} is larger than declared")
    return content, Path(chosen).name


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
    wanted = system_key(system)
    in_file = (
        orgs["system"].map(lambda s: bool(s) and system_key(s) == wanted)
        if "system" in orgs.columns and orgs["system"].notna().any()
        else None
    )
    in_db = orgs["org_code"].map(lambda c: system_key(known.get(c) or "") == wanted)
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
        f"importing {len(codes)} {'organisation' if len(codes) == 1 else 'organisations'} of "
        f"{system} out of {orgs['org_code'].nunique()} in the file"
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
