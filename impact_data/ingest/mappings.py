"""Column mappings chosen by hand, remembered per organisation and upload kind.

When a team maps a header the app did not recognise ("Org cde" -> org_code), the choice is
stored in `column_mappings` and applied automatically the next time that organisation uploads
a file of the same kind. Mappings describe files, not data: storing them does not bump the
data version. A target of "" means "ignore this column".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest.kinds import (
    ORGANISATIONS_TABLE,
    TableSpec,
    get_kind,
    question_code_from_header,
)
from impact_data.ingest.prepare import PreparedUpload, prepare_upload
from impact_data.ingest.read import UnreadableFile, read_file
from impact_data.store.db import Database
from impact_data.store.models import ColumnMapping

Overrides = dict[str, dict[str, str]]  # table name -> header as written -> field, item code or ""

ORG_COLUMNS = ("org_code", "from_org", "to_org")
MAX_HEADER = 300
MAX_TARGET = 60


def _tables_of(kind: str) -> dict[str, TableSpec]:
    upload_kind = get_kind(kind)
    tables = {t.name: t for t in upload_kind.tables}
    tables.setdefault(ORGANISATIONS_TABLE.name, ORGANISATIONS_TABLE)
    return tables


def normalise_target(table: TableSpec, target: str | None) -> str:
    """A mapping target as stored: a field name, a lower-case question/item code, or "" (ignore).

    ValueError when it is none of these, in words a user can act on.
    """
    target = (target or "").strip()
    if target == "" or target in {f.name for f in table.fields}:
        return target
    parsed = question_code_from_header(target) if table.item_columns else None
    if parsed and len(parsed[0]) <= MAX_TARGET:
        return parsed[0]
    if table.item_columns:
        raise ValueError(
            f"{target!r} is not a column of {table.label} nor a question or item code "
            "(a code is letters then digits, e.g. q3f or c1)"
        )
    raise ValueError(f"{target!r} is not a column of {table.label}")


def clean_overrides(kind: str, overrides: Overrides) -> Overrides:
    """Overrides with headers stripped and item codes lower-cased; ValueError if one is invalid."""
    tables = _tables_of(kind)
    out: Overrides = {}
    for table_name, columns in overrides.items():
        if table_name not in tables:
            raise ValueError(f"{kind} uploads have no table {table_name!r}")
        table = tables[table_name]
        for header, target in columns.items():
            header = str(header).strip()
            if not header or len(header) > MAX_HEADER:
                raise ValueError(f"a column header must be 1-{MAX_HEADER} characters: {header!r}")
            target = normalise_target(table, target)
            out.setdefault(table_name, {})[header] = target
    return out


def saved_overrides(db: Database, viewer: Viewer, org_code: str, kind: str) -> Overrides:
    """Mappings remembered for an organisation and kind; those for mixed files ("") fill gaps."""
    get_kind(kind)
    codes = [""] if not org_code else ["", org_code]
    with db.connect() as conn:
        rows = conn.execute(
            select(
                ColumnMapping.org_code,
                ColumnMapping.table_name,
                ColumnMapping.source_header,
                ColumnMapping.target,
            ).where(ColumnMapping.kind == kind, ColumnMapping.org_code.in_(codes))
        ).all()
    out: Overrides = {}
    # The organisation's own choices are applied last, so they win over the shared ones.
    for _org, table, header, target in sorted(rows, key=lambda r: r.org_code != ""):
        out.setdefault(table, {})[header] = target
    return out


def _any_org_overrides(db: Database, kind: str) -> Overrides:
    """Mappings of any organisation for a kind, where every organisation chose the same."""
    with db.connect() as conn:
        rows = conn.execute(
            select(
                ColumnMapping.table_name, ColumnMapping.source_header, ColumnMapping.target
            ).where(ColumnMapping.kind == kind)
        ).all()
    targets: dict[tuple[str, str], Counter] = {}
    for table, header, target in rows:
        targets.setdefault((table, header), Counter())[target] += 1
    out: Overrides = {}
    for (table, header), counts in targets.items():
        if len(counts) == 1:
            out.setdefault(table, {})[header] = next(iter(counts))
    return out


def remember_overrides(
    db: Database, viewer: Viewer, org_code: str, kind: str, overrides: Overrides
) -> int:
    """Store hand-chosen mappings for an organisation ("" for a mixed file) and kind."""
    if viewer.role == "facilitator" or (org_code and not viewer.can_upload_for({org_code})):
        raise AccessDenied(f"{viewer.user} may not upload files for {org_code or 'organisations'}")
    rows = [
        {
            "org_code": org_code,
            "kind": kind,
            "table_name": table,
            "source_header": header,
            "target": target,
        }
        for table, columns in clean_overrides(kind, overrides).items()
        for header, target in columns.items()
    ]
    if not rows:
        return 0
    key = ["org_code", "kind", "table_name", "source_header"]
    with db.session() as session:
        if db.dialect in ("sqlite", "postgresql"):
            dialect_insert = sqlite.insert if db.dialect == "sqlite" else postgresql.insert
            stmt = dialect_insert(ColumnMapping)
            session.execute(
                stmt.on_conflict_do_update(
                    index_elements=key, set_={"target": stmt.excluded.target}
                ),
                rows,
            )
        else:
            for row in rows:
                session.execute(
                    delete(ColumnMapping).where(*(getattr(ColumnMapping, k) == row[k] for k in key))
                )
                session.add(ColumnMapping(**row))
    return len(rows)


def org_codes_in(prepared: PreparedUpload) -> set[str]:
    """Every organisation code the file's rows name."""
    codes: set[str] = set()
    for table in prepared.tables.values():
        for column in ORG_COLUMNS:
            if column in table.frame.columns:
                codes |= {str(c) for c in table.frame[column].dropna().unique()}
    return codes


def org_code_of(prepared: PreparedUpload) -> str:
    """The one organisation a file is about, or "" when it names several or none."""
    codes = org_codes_in(prepared)
    return next(iter(codes)) if len(codes) == 1 else ""


def remembered_for(db: Database, viewer: Viewer, kind: str, org_codes: Iterable[str]) -> Overrides:
    """Mappings to offer for a file naming `org_codes`.

    One organisation: its own, then the shared ones. Several: the shared ones. None found
    (typically because the org_code column itself was not recognised): any organisation's,
    where they all agree.
    """
    codes = set(org_codes)
    if len(codes) == 1:
        return saved_overrides(db, viewer, codes.pop(), kind)
    if codes:
        return saved_overrides(db, viewer, "", kind)
    return _any_org_overrides(db, kind)


def _changes(prepared: PreparedUpload, remembered: Overrides, chosen: Overrides) -> Overrides:
    """Remembered mappings that apply to this file's headers and would change its mapping."""
    out: Overrides = {}
    for table_name, columns in remembered.items():
        table = prepared.tables.get(table_name)
        if table is None or table.mapping is None:  # national files have no column mapping
            continue
        mapping = table.mapping
        for pos, header in mapping.headers.items():
            if header in chosen.get(table_name, {}) or header not in columns:
                continue
            target = columns[header]
            if mapping.target_of(pos) != target:
                out.setdefault(table_name, {})[header] = target
    return out


def merge_overrides(*layers: Overrides) -> Overrides:
    """Overrides layered left to right: a later layer wins for the same table and header."""
    out: Overrides = {}
    for layer in layers:
        for table, columns in layer.items():
            out.setdefault(table, {}).update(columns)
    return out


def prepare_remembering(
    db: Database,
    viewer: Viewer,
    data: bytes,
    file_name: str,
    kind: str,
    *,
    overrides: Overrides | None = None,
    create_orgs: bool = False,
    replace_upload_id: int | None = None,
    system: str | None = None,
    survey_year: int | None = None,
    org_code: str | None = None,
) -> tuple[PreparedUpload, Overrides]:
    """`prepare_upload` with the mappings remembered for the file's organisation applied.

    Returns the prepared upload and the remembered mappings that were applied; `overrides`
    (chosen now) win over remembered ones.
    """
    chosen = overrides or {}
    options = {
        "create_orgs": create_orgs,
        "replace_upload_id": replace_upload_id,
        "system": system,
        "survey_year": survey_year,
        "org_code": org_code,
    }
    try:
        sheets = read_file(data, file_name)
    except UnreadableFile:
        sheets = None  # prepare_upload reads again and reports why
    prepared = prepare_upload(
        db, data, file_name, kind, mapping_overrides=chosen, sheets=sheets, **options
    )
    if not prepared.tables:
        return prepared, {}
    remembered = remembered_for(db, viewer, kind, org_codes_in(prepared))
    applied = _changes(prepared, remembered, chosen)
    if not applied:
        return prepared, {}
    merged = merge_overrides(applied, chosen)
    # The sheets already read are reused: a large file is read once, not twice.
    prepared = prepare_upload(
        db, data, file_name, kind, mapping_overrides=merged, sheets=sheets, **options
    )
    return prepared, applied


__all__ = [
    "Overrides",
    "clean_overrides",
    "merge_overrides",
    "normalise_target",
    "org_code_of",
    "org_codes_in",
    "prepare_remembering",
    "remember_overrides",
    "remembered_for",
    "saved_overrides",
]
