"""From a file to a checked, typed upload ready to commit: read -> map -> validate -> check.

`prepare_upload` never writes. It returns a `PreparedUpload` with the column mapping of every
sheet, the typed rows, every problem found and notes about what will be ignored; the UI shows
it as the validation report and preview, the CLI prints its problems.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import pandas as pd
from sqlalchemy import select

from impact_data.ingest.columns import ColumnMapping, find_header, map_columns
from impact_data.ingest.kinds import (
    AGREE_LABELS,
    NATIONAL_KINDS,
    ORGANISATIONS_TABLE,
    AnswerLabels,
    TableSpec,
    UploadKind,
    get_kind,
    normalise_header,
    with_level_labels,
)
from impact_data.ingest.problems import Problem, row_content
from impact_data.ingest.read import RawSheet, UnreadableFile, read_file
from impact_data.ingest.validate import (
    ROW,
    InstrumentSpec,
    SkippedRow,
    locate_problems,
    rows_without_answers,
    skipped_text,
    validate_sheet,
)
from impact_data.store.db import Database
from impact_data.store.models import (
    CapabilityRecord,
    ImpactSelfAssessment,
    Instrument,
    InstrumentItem,
    Organisation,
    PdsaCycle,
    PdsaMeasure,
    PdsaProject,
    StaffSurveyResult,
    Upload,
    Visit,
)
from impact_data.store.settings import capability_level_labels

ORG_FIELDS = {"org_code", "from_org", "to_org"}


@dataclass
class PreparedTable:
    """One table of an upload after mapping and validation."""

    spec: TableSpec
    sheet: str
    mapping: ColumnMapping | None
    frame: pd.DataFrame
    items: list[str] = field(default_factory=list)
    sheet_label: str | None = None  # the sheet name as problems should show it, if at all
    # Rows below the data that are blank, notes or totals: skipped, not checked.
    skipped: list[SkippedRow] = field(default_factory=list)

    def header(self, name: str) -> str:
        """A field's column header as written in the file (its name when not mapped)."""
        return self.mapping.header_of(name) if self.mapping is not None else name

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def preview(self, n: int = 20) -> pd.DataFrame:
        """The first rows as they will be added, with their Excel row numbers."""
        if self.mapping is None:
            return self.frame.head(n).drop(
                columns=[c for c in self.frame.columns if c.startswith("_")]
            )
        cols = (
            [ROW] + [f.name for f in self.spec.fields if f.name in self.mapping.fields] + self.items
        )
        return self.frame[cols].head(n).rename(columns={ROW: "row"})


@dataclass
class PreparedUpload:
    """A file read, mapped and validated against the database, not yet written."""

    kind: UploadKind
    file_name: str
    sha256: str
    tables: dict[str, PreparedTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unknown_orgs: list[str] = field(default_factory=list)
    orgs_to_create: list[str] = field(default_factory=list)
    instrument: InstrumentSpec | None = None
    duplicate_of: int | None = None
    replace_upload_id: int | None = None
    release_year: int | None = None
    # National files: stored values this release restates differently (shown before commit).
    release_changes: pd.DataFrame | None = None
    # The workbook read from a zip of workbooks (the published detailed spreadsheets).
    source_workbook: str | None = None
    # How answer words were read (e.g. "Disagree ... Somewhat agree ... Agree").
    answer_scale: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def row_counts(self) -> dict[str, int]:
        return {name: t.n_rows for name, t in self.tables.items()}


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare_upload(
    db: Database,
    data: bytes,
    file_name: str,
    kind: str,
    *,
    mapping_overrides: dict[str, dict[str, str]] | None = None,
    create_orgs: bool = False,
    replace_upload_id: int | None = None,
    system: str | None = None,
    survey_year: int | None = None,
    sheets: list[RawSheet] | None = None,
    org_code: str | None = None,
) -> PreparedUpload:
    """Read, map and validate a file of `kind` against the database, without writing.

    For the national Staff Survey kinds, `system` limits the import to one system's
    organisations and `survey_year` gives a detailed file's year when its name does not;
    the published zip of workbooks is opened and the right workbook read. `org_code` names
    the organisation of a file that has no organisation column (a contractor's export).
    """
    upload_kind = get_kind(kind)
    prepared = PreparedUpload(
        upload_kind, file_name, sha256_of(data), replace_upload_id=replace_upload_id
    )
    org_code = org_code.strip().upper() if org_code and org_code.strip() else None
    try:
        read_name = file_name
        if sheets is None and kind in NATIONAL_KINDS:
            from impact_data.ingest import national

            if national.is_zip_of_workbooks(data):
                data, read_name = national.workbook_from_zip(data, file_name, kind)
                prepared.source_workbook = read_name
                prepared.notes.append(
                    f"{file_name} is a zip of workbooks: read {read_name!r}, the organisational "
                    "results (the national and organisation-type workbooks hold no organisation rows)"
                    if kind == "nss_detailed"
                    else f"{file_name} is a zip of workbooks: read {read_name!r}"
                )
        # A caller re-preparing the same file with other choices can pass the sheets it read.
        sheets = sheets if sheets is not None else read_file(data, read_name)
    except UnreadableFile as exc:
        prepared.problems.append(Problem(str(exc), category="unreadable"))
        return prepared
    if not sheets:
        prepared.problems.append(Problem("the file has no data in it", category="empty"))
        return prepared

    with db.connect() as conn:
        existing = conn.execute(
            select(Upload.id).where(Upload.kind == kind, Upload.sha256 == prepared.sha256)
        ).scalar()
        if existing is not None and existing != replace_upload_id:
            prepared.duplicate_of = existing
            prepared.problems.append(
                Problem(
                    f"this file was already loaded as upload {existing}; "
                    "the same file is not loaded twice",
                    category="duplicate_file",
                )
            )
            return prepared
        if replace_upload_id is not None:
            old_kind = conn.execute(
                select(Upload.kind).where(Upload.id == replace_upload_id)
            ).scalar()
            if old_kind is None:
                prepared.problems.append(
                    Problem(
                        f"upload {replace_upload_id} to replace does not exist", category="replace"
                    )
                )
            elif old_kind != kind:
                prepared.problems.append(
                    Problem(
                        f"upload {replace_upload_id} is a {old_kind} upload; "
                        f"it cannot be replaced by a {kind} file",
                        category="replace",
                    )
                )

    if kind in NATIONAL_KINDS:
        prepare_national(db, prepared, sheets, system=system, survey_year=survey_year)
        return prepared
    assignment = assign_sheets(sheets, upload_kind, prepared.notes)
    overrides = mapping_overrides or {}
    located: dict[str | None, tuple[RawSheet, ColumnMapping]] = {}
    for table, sheet in assignment:
        instrument = None
        mapping = map_columns(sheet, with_current_levels(db, table), overrides.get(table.name))
        if table.item_columns == "items":
            instrument = choose_instrument(db, sheet, mapping, prepared)
            prepared.instrument = instrument
        given = {}
        if org_code and any(f.name == "org_code" for f in table.fields):
            if "org_code" in mapping.fields:
                prepared.notes.append(
                    f"the file has its own organisation column "
                    f"({mapping.headers[mapping.fields['org_code']]!r}); "
                    f"it is used rather than {org_code}"
                )
            else:
                given["org_code"] = org_code
                prepared.notes.append(
                    f"the file has no organisation column: every row is for {org_code}, "
                    "as named at upload"
                )
        sheet_notes: list[str] = []
        skipped: list[SkippedRow] = []
        frame, problems = validate_sheet(
            sheet, mapping, instrument, given=given, notes=sheet_notes, skipped=skipped
        )
        located[sheet.name if sheet.named_in_messages else None] = (sheet, mapping)
        if skipped:
            label = f"sheet {sheet.name!r}: " if sheet.named_in_messages else ""
            prepared.notes.append(label + skipped_text(skipped))
        prepared.notes += sheet_notes
        for note in sheet_notes:
            if note.startswith("answers read on the scale "):
                prepared.answer_scale = note.removeprefix("answers read on the scale ")
        for pos, how in mapping.explained.items():
            if how.startswith("recognised as"):
                prepared.notes.append(
                    f"column {mapping.headers[pos]!r} read as {mapping.target_of(pos)}: {how}"
                )
        items = [c for c in mapping.items if c in frame.columns]
        prepared.problems += problems
        _note_ignored(mapping, prepared.notes)
        if table.item_columns and items:
            empty = rows_without_answers(frame, items)
            if empty.any():
                rows = frame.loc[empty, ROW].tolist()
                prepared.notes.append(
                    f"{len(rows)} row(s) have no answers and will not be added "
                    f"(rows {_row_list(rows)})"
                )
                frame = frame[~empty]
        prepared.tables[table.name] = PreparedTable(
            table,
            sheet.name,
            mapping,
            frame,
            items,
            sheet.name if sheet.named_in_messages else None,
            skipped,
        )

    if not prepared.tables:
        prepared.problems.append(
            Problem(
                f"no sheet in the file looks like a {upload_kind.label} sheet", category="empty"
            )
        )
        return prepared
    main_tables = [t for name, t in prepared.tables.items() if t.spec in upload_kind.tables]
    if main_tables and all(t.n_rows == 0 for t in main_tables) and not prepared.problems:
        header_rows = ", ".join(str(t.mapping.header_row) for t in main_tables)
        prepared.problems.append(
            Problem(f"no data rows found below the header (row {header_rows})", category="empty")
        )
        return prepared
    _check_against_database(db, prepared, create_orgs)
    prepared.problems = _locate_all(prepared.problems, located)
    return prepared


def _locate_all(
    problems: list[Problem], located: dict[str | None, tuple[RawSheet, ColumnMapping]]
) -> list[Problem]:
    """Problems found after validation (unknown organisations, rows already loaded, the
    instrument) placed in their sheet like the others: header, cell and row content."""
    pending: dict[str | None, list[int]] = {}
    for i, p in enumerate(problems):
        if p.sheet_name is None and p.sheet in located:
            pending.setdefault(p.sheet, []).append(i)
    out = list(problems)
    for label, indexes in pending.items():
        sheet, mapping = located[label]
        for i, p in zip(
            indexes, locate_problems([problems[i] for i in indexes], sheet, mapping), strict=True
        ):
            out[i] = p
    return out


def with_current_levels(db: Database, table: TableSpec) -> TableSpec:
    """`table` with its capability level field reading the levels' current labels (an admin
    may have renamed them): names in a file are matched against those."""
    if not any(f.type == "capability_level" for f in table.fields):
        return table
    return with_level_labels(table, capability_level_labels(db))


def assign_sheets(
    sheets: list[RawSheet], kind: UploadKind, notes: list[str]
) -> list[tuple[TableSpec, RawSheet]]:
    """Which sheet holds which table; an Organisations sheet may ride along with any kind."""
    tables = list(kind.tables)
    if kind.name != "organisations":
        tables.append(ORGANISATIONS_TABLE)
    chosen: dict[str, RawSheet] = {}
    free = list(sheets)

    def by_name(table: TableSpec) -> RawSheet | None:
        names = {normalise_header(n) for n in (table.name, table.label, *table.sheet_names)}
        for s in free:
            if normalise_header(s.name) in names:
                return s
        return None

    for table in tables:
        sheet = by_name(table)
        if sheet is not None and (table in kind.tables or _fits(sheet, table)):
            chosen[table.name] = sheet
            free.remove(sheet)
    for table in tables:
        if table.name in chosen:
            continue
        candidates = [(s, find_header(s, table)[1]) for s in free]
        fitting = [(s, sc) for s, sc in candidates if sc[0] == len(table.required)]
        if fitting:
            sheet = max(fitting, key=lambda t: t[1])[0]
            chosen[table.name] = sheet
            free.remove(sheet)
    primary = [t for t in kind.tables if t.name in chosen]
    if not primary and free:
        # Nothing fits fully: take the best-looking sheet for the main table so the report
        # can say exactly which columns are missing.
        table = kind.tables[0]
        sheet = max(free, key=lambda s: find_header(s, table)[1])
        chosen[table.name] = sheet
        free.remove(sheet)
    for s in free:
        notes.append(f"sheet {s.name!r} does not look like part of this upload and was ignored")
    return [(t, chosen[t.name]) for t in tables if t.name in chosen]


def _fits(sheet: RawSheet, table: TableSpec) -> bool:
    return find_header(sheet, table)[1][0] == len(table.required)


def _note_ignored(mapping: ColumnMapping, notes: list[str]) -> None:
    ignored = [mapping.headers[p] for p in mapping.ignored]
    if ignored:
        label = f"sheet {mapping.sheet!r}: " if mapping.sheet else ""
        notes.append(
            f"{label}column(s) not used: {', '.join(repr(h) for h in ignored)} "
            f"(header found on row {mapping.header_row})"
        )


def _row_list(rows: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def load_instruments(db: Database) -> dict[str, InstrumentSpec]:
    """Every readiness instrument with its items."""
    with db.read_session() as session:
        instruments = session.scalars(select(Instrument)).all()
        items = session.scalars(select(InstrumentItem).order_by(InstrumentItem.position)).all()
        specs = {
            i.code: InstrumentSpec(
                i.code, i.name, i.scale_min, i.scale_max, {}, instrument_labels(i)
            )
            for i in instruments
        }
        for item in items:
            if item.instrument_code in specs:
                specs[item.instrument_code].items[item.item_code] = item.subscale
                if item.alias:
                    specs[item.instrument_code].aliases[item.alias.lower()] = item.item_code
    return specs


def instrument_labels(instrument: Instrument) -> tuple[AnswerLabels, ...]:
    """The label sets an instrument's answers are read on: its own, else (for a 1-5 scale)
    Strongly disagree ... Strongly agree."""
    if instrument.labels:
        return tuple(AnswerLabels.from_json(d) for d in instrument.labels)
    if (instrument.scale_min, instrument.scale_max) == (1, 5):
        return (AGREE_LABELS,)
    return ()


def choose_instrument(
    db: Database, sheet: RawSheet, mapping: ColumnMapping, prepared: PreparedUpload
) -> InstrumentSpec | None:
    """The instrument an upload names, or the one whose item codes its columns carry."""
    instruments = load_instruments(db)
    named: set[str] = set()
    if "instrument" in mapping.fields:
        column = sheet.cells.iloc[mapping.header_index + 1 :, mapping.fields["instrument"]]
        named = {normalise_header(v) for v in column.tolist() if normalise_header(v)}
    lookup = {normalise_header(code): code for code in instruments}
    lookup.update({normalise_header(spec.name): code for code, spec in instruments.items()})
    if named:
        unknown = sorted(n for n in named if n not in lookup)
        if unknown:
            prepared.problems.append(
                Problem(
                    f"unknown instrument(s) {', '.join(unknown)}; known: {', '.join(instruments)}",
                    column="instrument",
                    category="instrument",
                )
            )
            return None
        codes = {lookup[n] for n in named}
        if len(codes) > 1:
            prepared.problems.append(
                Problem(
                    f"one upload must use one instrument; this file names {', '.join(sorted(codes))}",
                    column="instrument",
                    category="instrument",
                )
            )
            return None
        spec = instruments[codes.pop()]
    else:
        columns = set(mapping.items)

        def known(s: InstrumentSpec) -> set[str]:
            return set(s.items) | set(s.aliases)

        ranked = sorted(
            instruments.values(), key=lambda s: (-len(columns & known(s)), s.code != "oric")
        )
        if not ranked or not columns & known(ranked[0]):
            prepared.problems.append(
                Problem(
                    "no item columns of a known readiness instrument found "
                    "(ORIC uses c1-c5 and e1-e7, or OR1-OR12 as published); columns found: "
                    f"{', '.join(sorted(columns)) or 'none'}",
                    row=mapping.header_row,
                    category="missing_column",
                )
            )
            return None
        spec = ranked[0]
        prepared.notes.append(f"instrument inferred from the item columns: {spec.name}")
    if not _use_published_numbering(spec, mapping, prepared):
        return None
    extra = [c for c in mapping.items if c not in spec.items]
    if extra:
        prepared.notes.append(
            f"column(s) {', '.join(extra)} are not items of {spec.name} and were ignored"
        )
    absent = [c for c in spec.items if c not in mapping.items]
    if absent:
        prepared.notes.append(f"{spec.name} items not in the file: {', '.join(absent)}")
    return spec


def _use_published_numbering(
    spec: InstrumentSpec, mapping: ColumnMapping, prepared: PreparedUpload
) -> bool:
    """Read item columns numbered as published (ORIC's OR1-OR12) as the instrument's items;
    False (with a problem) when a file carries both numberings of one item."""
    aliased = {code: spec.aliases[code] for code in mapping.items if code in spec.aliases}
    if not aliased:
        return True
    both = sorted(f"{a.upper()} and {c}" for a, c in aliased.items() if c in mapping.items)
    if both:
        prepared.problems.append(
            Problem(
                "the file has the same item twice, in both numberings: " + ", ".join(both),
                row=mapping.header_row,
                category="duplicate_column",
            )
        )
        return False
    for alias, code in aliased.items():
        pos = mapping.items.pop(alias)
        mapping.items[code] = pos
        mapping.item_texts[code] = mapping.item_texts.pop(alias, None)
        mapping.explained[pos] = f"item {code} ({alias.upper()} in the published numbering)"
    pairs = ", ".join(f"{a.upper()}={c}" for a, c in sorted(aliased.items(), key=lambda t: t[1]))
    prepared.notes.append(
        f"item columns numbered as published ({spec.name}) read as its items: {pairs}"
    )
    return True


def _check_against_database(db: Database, prepared: PreparedUpload, create_orgs: bool) -> None:
    """Unknown organisations, references to projects, and rows loaded by another upload."""
    with db.connect() as conn:
        known = set(conn.execute(select(Organisation.org_code)).scalars())
    sheet_orgs = prepared.tables.get("organisations")
    if sheet_orgs is not None and prepared.kind.name != "organisations":
        known |= set(sheet_orgs.frame["org_code"].dropna())
    if prepared.kind.name == "organisations":
        return
    unknown_rows: dict[str, list[tuple[PreparedTable, int, str]]] = {}
    for table in prepared.tables.values():
        if table.spec is ORGANISATIONS_TABLE:
            continue
        for col in ORG_FIELDS & set(table.frame.columns):
            values = table.frame[col]
            mask = values.notna() & ~values.isin(known)
            for row, code in zip(table.frame.loc[mask, ROW], values[mask], strict=True):
                unknown_rows.setdefault(code, []).append((table, int(row), col))
    prepared.unknown_orgs = sorted(unknown_rows)
    if unknown_rows and create_orgs:
        prepared.orgs_to_create = prepared.unknown_orgs
        prepared.notes.append(
            f"{len(unknown_rows)} new "
            f"{'organisation' if len(unknown_rows) == 1 else 'organisations'} will be created: "
            f"{', '.join(prepared.unknown_orgs)} "
            "(name and type unknown: upload an organisations file to complete them)"
        )
    else:
        for code, places in unknown_rows.items():
            for table, row, col in places:
                prepared.problems.append(
                    Problem(
                        "not a known organisation; load it in an organisations file first, add an "
                        "Organisations sheet, or ask for unknown organisations to be created",
                        row=row,
                        column=col,
                        found=code,
                        sheet=table.sheet_label,
                        category="unknown_org",
                    )
                )
    if prepared.kind.name == "pdsa":
        _check_pdsa(db, prepared)
    prepared.problems += overlap_problems(db, prepared)


def already_loaded_problems(db: Database, prepared: PreparedUpload) -> list[Problem]:
    """Rows of this upload that another upload already holds: the same problems whether the
    other upload was committed before this file was checked or a moment before it was written."""
    problems = project_clash_problems(db, prepared) + overlap_problems(db, prepared)
    return locate_in_tables(problems, prepared)


def locate_in_tables(problems: list[Problem], prepared: PreparedUpload) -> list[Problem]:
    """Problems placed by the tables' column mappings (the file itself is not kept): header,
    cell and the row as read, for problems found when the file is written."""
    tables = {t.sheet_label: t for t in prepared.tables.values() if t.mapping is not None}
    out = []
    for p in problems:
        table = tables.get(p.sheet)
        if table is None or p.sheet_name is not None:
            out.append(p)
            continue
        mapping = table.mapping
        position = mapping.position_of(p.column) if p.column else None
        row = table.frame[table.frame[ROW] == p.row] if p.row is not None else table.frame[:0]
        used = sorted((pos, name) for name, pos in {**mapping.fields, **mapping.items}.items())
        values = [row.iloc[0][name] for _, name in used if name in row.columns] if len(row) else []
        out.append(
            replace(
                p,
                sheet_name=table.sheet,
                in_csv=mapping.in_csv,
                header=mapping.headers.get(position) if position is not None else None,
                cell=f"{mapping.letter(position)}{p.row}"
                if position is not None and p.row is not None
                else None,
                content=row_content(values) if values else None,
            )
        )
    return out


def project_clash_problems(db: Database, prepared: PreparedUpload) -> list[Problem]:
    """PDSA projects of this upload whose project_id another upload already holds."""
    projects = prepared.tables.get("projects")
    if projects is None or projects.frame.empty:
        return []
    with db.connect() as conn:
        stored = dict(conn.execute(select(PdsaProject.project_ref, PdsaProject.upload_id)).all())
    clash = projects.frame["project_id"].isin(
        [ref for ref, up in stored.items() if up != prepared.replace_upload_id]
    )
    return [
        Problem(
            f"this {projects.header('project_id')} was already loaded in upload {stored[ref]}; "
            f"replace that upload to correct it, or use a new {projects.header('project_id')}",
            row=int(row),
            column="project_id",
            found=ref,
            sheet=projects.sheet_label,
            category="already_loaded",
        )
        for row, ref in zip(
            projects.frame.loc[clash, ROW], projects.frame.loc[clash, "project_id"], strict=True
        )
    ]


def _check_pdsa(db: Database, prepared: PreparedUpload) -> None:
    projects = prepared.tables.get("projects")
    in_file = set(projects.frame["project_id"].dropna()) if projects is not None else set()
    with db.connect() as conn:
        stored = dict(conn.execute(select(PdsaProject.project_ref, PdsaProject.upload_id)).all())
    prepared.problems += project_clash_problems(db, prepared)
    replaced_refs = {ref for ref, up in stored.items() if up == prepared.replace_upload_id}
    available = in_file | (set(stored) - replaced_refs)
    for name in ("cycles", "measures"):
        table = prepared.tables.get(name)
        if table is None:
            continue
        mask = table.frame["project_id"].notna() & ~table.frame["project_id"].isin(available)
        for row, ref in zip(
            table.frame.loc[mask, ROW], table.frame.loc[mask, "project_id"], strict=True
        ):
            prepared.problems.append(
                Problem(
                    "unknown project: it is not on the Projects sheet and not already loaded",
                    row=int(row),
                    column="project_id",
                    found=ref,
                    sheet=table.sheet_label,
                    category="unknown_project",
                )
            )


def overlap_problems(db: Database, prepared: PreparedUpload) -> list[Problem]:
    """Rows with the natural key of a row another upload already holds: refused rather than
    double-counted (the database's unique keys enforce the same under concurrent uploads)."""
    problems: list[Problem] = []
    checks = {
        "staff_survey": (
            StaffSurveyResult,
            ("org_code", "year", "question_code", "team", "staff_group"),
        ),
        "impact_self_assessment": (
            ImpactSelfAssessment,
            ("org_code", "assessment_date", "component"),
        ),
        "visits": (Visit, ("from_org", "to_org", "visit_date")),
        "capability": (
            CapabilityRecord,
            ("org_code", "team", "staff_group", "level", "as_of"),
        ),
        "cycles": (PdsaCycle, ("project_id", "cycle_no")),
        "measures": (PdsaMeasure, ("project_id", "date")),
    }
    for name, (model, key) in checks.items():
        table = prepared.tables.get(name)
        if table is None or table.frame.empty:
            continue
        existing = _existing_keys(db, model, key, prepared.replace_upload_id)
        if not existing:
            continue
        frame = table.frame
        for idx in frame.index:
            k = tuple(_norm_key(frame.at[idx, c]) for c in key)
            if k in existing:
                problems.append(
                    Problem(
                        f"already loaded in upload {existing[k]}: the same "
                        f"{', '.join(map(table.header, key))}; replace that upload to correct it",
                        row=int(frame.at[idx, ROW]),
                        column=key[0],
                        sheet=table.sheet_label,
                        category="already_loaded",
                    )
                )
    return problems


def _norm_key(value: object) -> object:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _existing_keys(db: Database, model, key: tuple[str, ...], replacing: int | None) -> dict:
    org = Organisation.__table__
    with db.connect() as conn:
        if model is StaffSurveyResult:
            q = select(
                org.c.org_code,
                model.year,
                model.question_code,
                model.team,
                model.staff_group,
                model.upload_id,
            ).join(org, org.c.id == model.org_id)
        elif model is ImpactSelfAssessment:
            q = select(
                org.c.org_code, model.assessment_date, model.component, model.upload_id
            ).join(org, org.c.id == model.org_id)
        elif model is CapabilityRecord:
            q = select(
                org.c.org_code,
                model.team,
                model.staff_group,
                model.level,
                model.as_of,
                model.upload_id,
            ).join(org, org.c.id == model.org_id)
        elif model is Visit:
            o2 = org.alias("o2")
            q = (
                select(org.c.org_code, o2.c.org_code, model.visit_date, model.upload_id)
                .join(org, org.c.id == model.from_org_id)
                .join(o2, o2.c.id == model.to_org_id)
            )
        else:
            col = model.cycle_no if model is PdsaCycle else model.date
            q = select(PdsaProject.project_ref, col, model.upload_id).join(
                PdsaProject, PdsaProject.id == model.project_id
            )
        if replacing is not None:
            q = q.where(model.upload_id != replacing)
        rows = conn.execute(q).all()
    return {tuple(_norm_key(v) for v in r[:-1]): r[-1] for r in rows}


__all__ = [
    "already_loaded_problems",
    "overlap_problems",
    "project_clash_problems",
    "PreparedTable",
    "PreparedUpload",
    "prepare_upload",
    "sha256_of",
    "with_current_levels",
    "load_instruments",
    "instrument_labels",
    "choose_instrument",
    "prepare_national",
]


def prepare_national(
    db: Database,
    prepared: PreparedUpload,
    sheets: list[RawSheet],
    *,
    system: str | None,
    survey_year: int | None,
) -> None:
    """Read a national Staff Survey file into organisations and values, with the differences
    from values other releases already hold."""
    from impact_data.ingest import national

    if prepared.kind.name == "nss_benchmark":
        orgs, values = national.read_benchmark(sheets, prepared.problems, prepared.notes)
        table, spec = "nss_values", national.NSS_VALUES_TABLE
        years = sorted(values["year"].unique().tolist()) if not values.empty else []
        release = max(years) if years else None
        label_kind = "benchmark data"
    else:
        year = (
            survey_year
            or (
                prepared.source_workbook and national.survey_year_from(prepared.source_workbook, [])
            )
            or national.survey_year_from(prepared.file_name, sheets)
        )
        if year is None:
            prepared.problems.append(
                Problem(
                    "cannot tell the survey year of this detailed file: name it like the "
                    "published file (NSS25 detailed spreadsheets ...) or give the year",
                    category="year",
                )
            )
            return
        orgs, values = national.read_detailed(sheets, year, prepared.problems, prepared.notes)
        table, spec = "nss_question_results", national.NSS_QUESTIONS_TABLE
        years, release, label_kind = [year], year, "detailed spreadsheets"
    if orgs.empty or values.empty:
        prepared.problems.append(
            Problem(
                f"no organisation rows found: this does not look like the national {label_kind}",
                category="empty",
            )
        )
        return
    orgs = national.complete_identity(orgs.drop_duplicates("org_code"), prepared.problems)
    values = values[values["org_code"].isin(set(orgs["org_code"]))]
    orgs, values = national.apply_scope(db, orgs, values, system, prepared.problems, prepared.notes)
    prepared.release_year = release
    prepared.tables["nss_organisations"] = PreparedTable(
        national.NSS_ORGS_TABLE, "", None, orgs.reset_index(drop=True)
    )
    prepared.tables[table] = PreparedTable(spec, "", None, values.reset_index(drop=True))
    prepared.notes.append(
        f"NHS Staff Survey {release} {label_kind}: {orgs['org_code'].nunique()} organisations, "
        f"survey years {', '.join(map(str, years))}"
    )
    if table == "nss_values":
        changes = national.release_differences(db, values, release)
        prepared.release_changes = changes
        if not changes.empty:
            biggest = changes.reindex(
                changes["change"].abs().sort_values(ascending=False).index
            ).iloc[0]
            prepared.notes.append(
                f"{len(changes):,} stored value(s) from other releases differ in this release "
                f"(largest: {biggest['org_code']} {biggest['metric_code']} {biggest['year']}: "
                f"{biggest['stored_value']:.3g} in release {biggest['stored_release']} -> "
                f"{biggest['value']:.3g}); views will use the newest release"
            )
