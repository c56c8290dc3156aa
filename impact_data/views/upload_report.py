"""What the Upload page shows about a prepared file, as plain values and DataFrames.

Problems are grouped (one line per kind of problem with its rows), the column mapping is
turned into the choices a user may make, and results and history become display tables.
Nothing here draws anything, so all of it is tested without Streamlit.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd

from impact_data.ingest import PreparedTable, PreparedUpload, Problem, UploadResult
from impact_data.ingest.columns import IGNORE
from impact_data.ingest.kinds import KINDS
from impact_data.ingest.problems import format_found
from impact_data.ingest.templates import build_template
from impact_data.ingest.validate import InstrumentSpec, skipped_text
from impact_data.measures.pdsa_editing import upload_notes_text
from impact_data.views.wording import count_list, local_time, plain_label, plain_words, plural

# How a kind of problem is headed in the report, in the order the report lists them.
CATEGORY_TITLES: dict[str, str] = {
    "unreadable": "The file could not be read",
    "empty": "No data found",
    "duplicate_file": "This file was already loaded",
    "replace": "The upload to replace",
    "missing_column": "Columns that are missing",
    "instrument": "The readiness instrument",
    "required": "Required values left blank",
    "invalid": "Values that could not be read",
    "bad_answer": "Answers that are not 1-5 or a Likert word",
    "ambiguous_scale": "Answers that could be read on two scales",
    "duplicate_column": "Columns that appear twice",
    "too_long": "Values that are too long",
    "out_of_range": "Values outside the allowed range",
    "duplicate": "Rows that appear twice",
    "unknown_org": "Organisations that are not known yet",
    "unknown_project": "PDSA projects that are not known",
    "already_loaded": "Rows another upload already holds",
    "more": "More rows with the same problem",
}
# Problems whose message already names what was found.
FOUND_IN_MESSAGE = ("duplicate", "missing_column", "unknown_org", "unknown_project")
ROWS_SHOWN = 20  # row numbers listed for one problem before "and N more"
GROUP_COLUMNS = [
    "sheet",
    "category",
    "title",
    "column",
    "message",
    "rows",
    "count",
    "found",
    "header",
    "cells",
    "content",
]
CSV_COLUMNS = ["sheet", "cell", "row", "column header", "problem", "found", "row content", "kind"]
SKIPPED_COLUMNS = ["sheet", "row", "what", "content"]


def category_title(category: str) -> str:
    """The heading a kind of problem is listed under."""
    return CATEGORY_TITLES.get(category, category.replace("_", " ").capitalize())


def row_ranges(rows: Sequence[int]) -> list[str]:
    """Sorted distinct row numbers as runs: [2, 3, 4, 9] -> ["2-4", "9"]."""
    out: list[str] = []
    ordered = sorted(set(int(r) for r in rows))
    start = prev = None
    for r in ordered:
        if start is None:
            start = prev = r
        elif r == prev + 1:
            prev = r
        else:
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = prev = r
    if start is not None:
        out.append(str(start) if start == prev else f"{start}-{prev}")
    return out


def rows_text(rows: Sequence[int], limit: int = ROWS_SHOWN) -> str:
    """ "rows 6, 19, 44", "row 6", "rows 2-40" or "rows 2, 5, ... and 1,230 more"."""
    ordered = sorted(set(int(r) for r in rows))
    if not ordered:
        return ""
    runs = row_ranges(ordered)
    label = "row" if len(ordered) == 1 else "rows"
    if len(runs) <= limit:
        return f"{label} {', '.join(runs)}"
    shown = runs[:limit]
    covered = sum(_run_length(run) for run in shown)
    return f"{label} {', '.join(shown)} and {len(ordered) - covered:,} more"


def _run_length(run: str) -> int:
    if "-" in run:
        start, end = run.split("-")
        return int(end) - int(start) + 1
    return 1


def _examples(values: list[object], limit: int = 3) -> str:
    distinct: list[str] = []
    for value in values:
        if value is None or value == "":
            continue
        text = format_found(value)
        if text not in distinct:
            distinct.append(text)
    if len(distinct) > limit:
        return ", ".join(distinct[:limit]) + ", ..."
    return ", ".join(distinct)


def group_problems(problems: Sequence[Problem]) -> pd.DataFrame:
    """One row per kind of problem (sheet, category, column, message) with its rows and count.

    Groups keep the order categories are listed in CATEGORY_TITLES, then first appearance;
    `rows` is the row list in words, `found` up to three example values.
    """
    groups: dict[tuple, dict] = {}
    for p in problems:
        key = (p.sheet or "", p.category, p.column or "", p.message)
        group = groups.setdefault(
            key,
            {"rows": [], "count": 0, "found": [], "cells": [], "header": "", "content": ""},
        )
        group["count"] += 1
        if p.row is not None:
            group["rows"].append(p.row)
        if p.cell:
            group["cells"].append((p.row, p.cell, p.in_csv))
        group["header"] = group["header"] or p.header or ""
        if p.content and not group["content"]:
            group["content"] = f"row {p.row} reads: {p.content}"
        if len(group["found"]) < 20:
            group["found"].append(p.found)
    order = list(CATEGORY_TITLES)
    keys = sorted(
        groups, key=lambda k: order.index(k[1]) if k[1] in order else len(order)
    )  # sorted() is stable: first appearance within a category
    records = []
    for key in keys:
        sheet, category, column, message = key
        group = groups[key]
        records.append(
            {
                "sheet": sheet,
                "category": category,
                "title": category_title(category),
                "column": column,
                "message": message,
                "rows": rows_text(group["rows"]),
                "count": group["count"],
                "found": _examples(group["found"]),
                "header": group["header"],
                "cells": cells_text(group["cells"]),
                "content": group["content"],
            }
        )
    return pd.DataFrame(records, columns=GROUP_COLUMNS).astype({"count": "int64"})


def cells_text(cells: Sequence[tuple[int, str, bool]], limit: int = ROWS_SHOWN) -> str:
    """Where a group of problems is, as a spreadsheet names it: "cells D6, D19 and 3 more", or
    in a CSV (which has no cells) "rows 6, 19 of column D"."""
    if not cells:
        return ""
    ordered = sorted(set(cells))
    if ordered[0][2]:  # a CSV file
        letters = sorted({cell.rstrip("0123456789") for _, cell, _ in ordered})
        rows = rows_text([row for row, _, _ in ordered], limit)
        return f"{rows} of column{'s' if len(letters) > 1 else ''} {', '.join(letters)}"
    names = [cell for _, cell, _ in ordered]
    label = "cell" if len(names) == 1 else "cells"
    shown = ", ".join(names[:limit])
    more = f" and {len(names) - limit:,} more" if len(names) > limit else ""
    return f"{label} {shown}{more}"


def describe_group(group: pd.Series | dict) -> str:
    """One line of the report, naming the column by its header in the file and the cells:
    "“Score (%)” must be between 0 and 100 — cells D6, D19 (found: 104, 250); row 6 reads:
    ZA1 | 2025 | q3f | 104"."""
    message = str(group["message"])
    column = str(group["column"] or "")
    header = str(group.get("header") or "")
    # A template's header is the field's own name: said in plain words, like a form's.
    if header and header != column:
        if header not in message:
            message = f"“{header}”: {message}"
    else:
        if column and column not in message:
            message = f"{column}: {message}"
        message = plain_words(message)
    if group["sheet"]:
        message = f"sheet {group['sheet']!r}, {message}"
    text = message
    place = str(group.get("cells") or "") or str(group["rows"] or "")
    if group["rows"] and group["category"] == "missing_column":
        text += f" (header on {group['rows']})"
    elif place:
        text += f" — {place}"
    if group["found"] and group["category"] not in FOUND_IN_MESSAGE:
        text += f" (found: {group['found']})"
    if group.get("content"):
        text += f"; {group['content']}"
    return text


def problems_frame(problems: Sequence[Problem]) -> pd.DataFrame:
    """Every problem, one per row, in the file's own terms: the sheet (or CSV file), the
    cell, the row, the column's header as written, what is wrong, what was found and the
    row's content."""
    records = []
    for p in problems:
        d = p.as_dict()
        records.append(
            {
                "sheet": d["sheet"] or "",
                "cell": d["cell"] or "",
                "row": d["row"],
                "column header": d["header"] or (plain_label(p.column) if p.column else ""),
                "problem": d["message"]
                if d["header"] and d["header"] != p.column
                else plain_words(d["message"]),
                "found": d["found"] or "",
                "row content": d["row_content"] or "",
                "kind": category_title(p.category),
            }
        )
    return pd.DataFrame(records, columns=CSV_COLUMNS).astype({"row": "Int64"})


def problems_csv(problems: Sequence[Problem]) -> bytes:
    """Every problem (not only those listed on screen), one per row, as a CSV for download
    (UTF-8 with BOM, so Excel reads it)."""
    frame = problems_frame(problems)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8-sig")


def skipped_rows(prepared: PreparedUpload) -> pd.DataFrame:
    """The rows below the data that were skipped as blank, notes or totals, per sheet."""
    what = {"blank": "blank row", "note": "note or footnote", "total": "total row"}
    records = [
        {"sheet": t.sheet, "row": s.row, "what": what[s.reason], "content": s.content}
        for t in prepared.tables.values()
        for s in t.skipped
    ]
    return pd.DataFrame(records, columns=SKIPPED_COLUMNS)


def skipped_summary(prepared: PreparedUpload) -> str:
    """ "2 rows below the data were skipped, not checked: a note (row 24) and a total row
    (row 25). They are not loaded."."""
    frame = skipped_rows(prepared)
    if frame.empty:
        return ""
    names = {
        "blank row": ("a blank row", "blank rows"),
        "note or footnote": ("a note", "notes"),
        "total row": ("a total row", "total rows"),
    }
    parts = []
    for what, rows in frame.groupby("what", sort=False):
        one, many = names[what]
        label = one if len(rows) == 1 else f"{len(rows):,} {many}"
        parts.append(f"{label} ({rows_text(rows['row'].tolist())})")
    n = len(frame)
    return (
        f"{plural(n, 'row')} below the data {'was' if n == 1 else 'were'} skipped, not "
        f"checked: {count_and(parts)}. {'It is' if n == 1 else 'They are'} not loaded."
    )


def notes_shown(prepared: PreparedUpload) -> list[str]:
    """The file's notes except the ones about skipped rows (shown by `skipped_summary`)."""
    skipped = {skipped_text(t.skipped) for t in prepared.tables.values() if t.skipped}
    return [n for n in prepared.notes if n.split(": ", 1)[-1] not in skipped and n not in skipped]


def count_and(parts: Sequence[str]) -> str:
    """ "a, b and c"."""
    parts = list(parts)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def problem_summary(problems: Sequence[Problem]) -> str:
    """ "3 problems in 20 rows" style headline for the report."""
    rows = {(p.sheet, p.row) for p in problems if p.row is not None}
    n = len(problems)
    text = f"{n:,} problem{'s' if n != 1 else ''}"
    if rows:
        text += f" in {len(rows):,} row{'s' if len(rows) != 1 else ''}"
    return text


def editable_headers(table: PreparedTable) -> dict[int, str]:
    """Columns whose mapping the user may choose: not recognised, or already chosen by hand."""
    mapping = table.mapping
    if mapping is None:  # national files are read by position, not by header
        return {}
    return {
        pos: header
        for pos, header in mapping.headers.items()
        if pos in mapping.ignored or header in mapping.by_hand
    }


def target_choices(
    table: PreparedTable, position: int, instrument: InstrumentSpec | None = None
) -> list[str]:
    """What a column may map to: "" (ignore), its current target, fields and items still free."""
    mapping = table.mapping
    current = mapping.target_of(position)
    choices = [IGNORE]
    if current and current not in choices:
        choices.append(current)
    for f in table.spec.fields:
        if f.name not in mapping.fields and f.name not in choices:
            choices.append(f.name)
    if table.spec.item_columns == "items" and instrument is not None:
        choices += [c for c in instrument.items if c not in mapping.items and c not in choices]
    return choices


def choice_label(target: str, table: PreparedTable) -> str:
    """How a mapping choice reads in a select box."""
    if target == IGNORE:
        return "ignore this column"
    names = {f.name: f for f in table.spec.fields}
    if target in names:
        f = names[target]
        return f"{target} (required)" if f.required else target
    return f"{target} (question/item)"


def overrides_text(overrides: dict[str, dict[str, str]]) -> str:
    """ "'Org cde' → org_code, 'Notes' → ignored" for remembered or chosen mappings."""
    parts = [
        f"{header!r} → {target or 'ignored'}"
        for columns in overrides.values()
        for header, target in columns.items()
    ]
    return ", ".join(parts)


def mapping_overview(prepared: PreparedUpload) -> pd.DataFrame:
    """One row per table: sheet, header row, rows to add, columns missing and ignored."""
    records = [
        {
            "table": t.spec.label,
            "sheet": t.sheet,
            "header_row": t.mapping.header_row,
            "rows": t.n_rows,
            "question/item columns": len(t.items),
            "missing": ", ".join(plain_label(name) for name in t.mapping.missing),
            "ignored": len(t.mapping.ignored),
        }
        for t in prepared.tables.values()
        if t.mapping is not None
    ]
    columns = ["table", "sheet", "header_row", "rows", "question/item columns", "missing"]
    return pd.DataFrame(records, columns=[*columns, "ignored"])


def result_frame(result: UploadResult) -> pd.DataFrame:
    """Rows added per table by a committed upload."""
    return pd.DataFrame(
        [{"table": plain_label(name), "rows added": n} for name, n in result.row_counts.items()],
        columns=["table", "rows added"],
    )


def result_text(result: UploadResult) -> str:
    """ "Loaded as upload 7: 4,312 staff survey results." plus what was replaced and created."""
    text = f"Loaded as upload {result.upload_id}: {count_list(result.row_counts)}"
    if result.replaced_upload_id is not None:
        text += f", replacing upload {result.replaced_upload_id}"
    text += "."
    if result.created_orgs:
        text += f" New organisations: {codes_text(result.created_orgs)}."
    if result.updated_orgs:
        text += f" Updated organisations: {codes_text(result.updated_orgs)}."
    return text


def codes_text(codes: Sequence[str], limit: int = 12) -> str:
    """ "ZA1, ZB1 and 3 more"."""
    codes = list(codes)
    shown = ", ".join(codes[:limit])
    return shown + (f" and {len(codes) - limit} more" if len(codes) > limit else "")


def template_for(kind_name: str, level_labels: Sequence[str] | None = None) -> bytes | None:
    """The kind's blank template, or None for kinds loaded as published (no columns to fill).
    `level_labels`: the capability levels' current labels, which the template names."""
    kind = KINDS[kind_name]
    if not any(t.fields for t in kind.tables):
        return None
    return build_template(kind_name, level_labels)


def file_size_text(n_bytes: int) -> str:
    """ "812 KB", "3.4 MB"."""
    if n_bytes < 1024:
        return f"{n_bytes} bytes"
    if n_bytes < 1024 * 1024:
        return f"{n_bytes / 1024:.0f} KB"
    return f"{n_bytes / (1024 * 1024):.1f} MB"


def history_table(uploads: pd.DataFrame) -> pd.DataFrame:
    """The upload history (from `queries.uploads`) for display: kind labels, orgs in words,
    and the upload's notes in words (`pdsa_editing.upload_notes_text`)."""
    columns = [
        "upload",
        "kind",
        "file",
        "rows",
        "organisations",
        "uploaded (UK time)",
        "by",
        "replaces",
        "notes",
    ]
    if uploads.empty:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(
        {
            "upload": uploads["upload_id"].astype("int64"),
            "kind": uploads["kind"].map(lambda k: KINDS[k].label if k in KINDS else k),
            "file": uploads["file_name"],
            "rows": uploads["row_count"].astype("int64"),
            "organisations": uploads["org_codes"].map(lambda c: codes_text(list(c or []), 5)),
            "uploaded (UK time)": uploads["uploaded_at"].map(local_time),
            "by": uploads["uploaded_by"],
            "replaces": uploads["replaces_upload_id"].astype("Int64"),
            # How the file was read and the corrections made since, in words
            # ("2 cycles edited on 7 December 2026").
            "notes": (
                uploads["notes"].map(upload_notes_text) if "notes" in uploads.columns else ""
            ),
        }
    )
    return frame[columns]


def upload_choice_label(upload: pd.Series | dict) -> str:
    """ "Upload 7: staff_survey.xlsx (4,312 rows, 3 April 2025, 14:05)" for a select box."""
    return (
        f"Upload {int(upload['upload_id'])}: {upload['file_name']} "
        f"({plural(int(upload['row_count']), 'row')}, {local_time(upload['uploaded_at'])})"
    )


def needs_organisation(prepared: PreparedUpload) -> bool:
    """True when a file has no organisation column, so the user must name its organisation."""
    return any(
        t.mapping is not None
        and any(f.name == "org_code" for f in t.spec.fields)
        and "org_code" not in t.mapping.fields
        for t in prepared.tables.values()
    )


def how_it_was_read(prepared: PreparedUpload) -> list[str]:
    """How the file was read, in the words of a survey lead: the workbook taken from a zip,
    the scale answers were read on, a contractor's export, headers with notes in brackets,
    columns set aside and why."""
    lines: list[str] = []
    if prepared.source_workbook:
        lines.append(
            f"Your zip holds several workbooks. We read {prepared.source_workbook}, the one "
            "with a row for each organisation; the national and organisation-type workbooks "
            "only hold averages, so they were not loaded."
        )
    if prepared.answer_scale:
        name, _, values = prepared.answer_scale.partition(" (")
        lines.append(
            f"Answers written as words were read on the scale {name}: "
            f"{values.rstrip(')')}. Answers given as numbers are kept as they are."
        )
    for note in prepared.notes:
        if "positive-scoring export" in note:
            lines.append(
                "This is a survey contractor's positive-scoring export: each Score is the "
                "share of people who answered positively (0.54 means 54%), so it is stored as "
                "a positive score of 54%. BaseSize is the number of people who answered; "
                "DimName and DimValue put a row under a team (directorate, ward, ...) or a "
                "staff group."
            )
        elif "broken down by" in note and "left out" in note:
            lines.append(
                note[0].upper() + note[1:] + ". Only whole-organisation, team and staff-group "
                "results are kept."
            )
        elif note.startswith("the file has no organisation column"):
            lines.append("The file has no organisation column: " + note.split(": ", 1)[1] + ".")
        elif note.startswith("column ") and "the note in brackets set aside" in note:
            header = note.split("'")[1] if "'" in note else note
            target = note.split(" read as ", 1)[1].split(":", 1)[0]
            lines.append(
                f"The column “{header}” was read as {target}: its heading was recognised "
                "with the explanation in brackets set aside."
            )
        elif "breakdown column(s) skipped" in note:
            lines.append(
                "Some columns split a result by staff characteristics (for example ethnicity "
                "summaries); they are not figures for the organisation itself, so they were "
                f"skipped: {note.split('(e.g. ', 1)[-1].split(')', 1)[0]}."
            )
        elif "so lower is better" in note:
            lines.append(
                "For some questions the national figure is the % choosing an unfavourable "
                "answer (for example feeling unwell from work-related stress, or thinking "
                "about leaving). These are marked “lower is better” automatically: "
                f"{note.rsplit(': ', 1)[-1]}."
            )
        elif note.startswith("item columns numbered as published"):
            lines.append(
                "The item columns use the published ORIC numbering (OR1-OR12); each was matched "
                "to the same statement in the template numbering: "
                f"{note.rsplit(': ', 1)[-1]}."
            )
        elif "'Unweighted' row(s) set aside" in note:
            lines.append(
                "Each organisation appears with weighted and unweighted results; the weighted "
                "results (the ones the national reports publish) were kept."
            )
    return lines


__all__ = [
    "CATEGORY_TITLES",
    "category_title",
    "cells_text",
    "choice_label",
    "codes_text",
    "describe_group",
    "editable_headers",
    "file_size_text",
    "group_problems",
    "history_table",
    "how_it_was_read",
    "needs_organisation",
    "mapping_overview",
    "overrides_text",
    "problem_summary",
    "problems_csv",
    "problems_frame",
    "notes_shown",
    "skipped_rows",
    "skipped_summary",
    "result_frame",
    "result_text",
    "row_ranges",
    "rows_text",
    "target_choices",
    "template_for",
    "upload_choice_label",
]
