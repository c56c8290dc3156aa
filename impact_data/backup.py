"""Back up and restore the whole database as one portable file.

A backup is a zip: `manifest.json` (format, schema revision, data version, when it was taken,
each table's columns with their types, row counts and checksums, and the id sequences) and
one `tables/<name>.jsonl` per table, a JSON array per row in primary-key order. Values are
written in one canonical form (dates `YYYY-MM-DD`, time-zone-aware datetimes in UTC ISO 8601,
booleans as JSON booleans, binary as base64, JSON columns as JSON), so a backup taken on SQLite
restores into PostgreSQL and back with every value unchanged: this is how a team moves.

A backup is one snapshot: every table is read in one read transaction (REPEATABLE READ on
PostgreSQL; on SQLite in WAL mode a read transaction sees one snapshot), so it is consistent
while the app is in use. A restore is one transaction: it refuses a database holding data
unless told to replace it, rebuilds the schema at the backup's revision, loads every row,
upgrades to the current revision through Alembic, moves the id sequences past every restored
id and advances the data version past both the old and the restored one (so no app replica
serves a cached result of the data it replaced).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import functools
import hashlib
import io
import json
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import (
    JSON,
    Connection,
    MetaData,
    Table,
    column,
    func,
    insert,
    select,
    table,
    text,
    update,
)
from sqlalchemy.exc import SAWarning
from sqlalchemy.types import (
    BINARY,
    VARBINARY,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Time,
    TypeEngine,
)

from impact_data.access import Viewer, require_admin
from impact_data.store.db import MIGRATION_LOCK_ID, Database, alembic_config
from impact_data.store.models import (
    SEARCH_FTS_TABLE,
    AuditEvent,
    Base,
    DataVersion,
    is_search_index_name,
)

__all__ = [
    "BACKUP_FORMAT",
    "BACKUP_FORMAT_VERSION",
    "BackupError",
    "BackupInfo",
    "RestoreRefused",
    "RestoreResult",
    "decode_value",
    "encode_value",
    "is_empty",
    "logical_type",
    "read_backup_info",
    "restore_backup",
    "table_rows",
    "write_backup",
]

BACKUP_FORMAT = "impact-dashboard-backup"
BACKUP_FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ALEMBIC_TABLE = "alembic_version"
INSERT_BATCH = 2_000
READ_BATCH = 5_000

BackupSource = str | Path | bytes | IO[bytes]
Progress = Callable[[str, int], None]


class BackupError(Exception):
    """A file that is not a usable backup: corrupt, foreign, or from a newer app."""


class RestoreRefused(Exception):
    """A restore that would overwrite data it was not told to replace."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds: its schema revision, data version, time taken and row counts."""

    schema_revision: str
    data_version: int
    taken_at: str
    source_dialect: str
    row_counts: dict[str, int]
    sequences: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        """Rows in every table together."""
        return sum(self.row_counts.values())


@dataclass(frozen=True)
class RestoreResult:
    """A finished restore: what was restored and the data version it left."""

    info: BackupInfo
    previous_data_version: int | None
    data_version: int
    schema_revision: str


# ---------------------------------------------------------------------------------------------
# Values: one canonical JSON form per column type


def logical_type(type_: TypeEngine) -> str:
    """The backup's name for a column type (how its values are written and read back)."""
    if isinstance(type_, Boolean):
        return "boolean"
    if isinstance(type_, DateTime):
        return "datetime_tz" if type_.timezone else "datetime"
    if isinstance(type_, Date):
        return "date"
    if isinstance(type_, Time):
        return "time"
    if isinstance(type_, JSON):
        return "json"
    if isinstance(type_, LargeBinary | BINARY | VARBINARY):
        return "binary"
    if isinstance(type_, Float):
        return "float"
    if isinstance(type_, Numeric):
        return "decimal"
    if isinstance(type_, Integer):
        return "integer"
    if isinstance(type_, String):
        return "text"
    raise BackupError(f"a column of type {type_!r} cannot be backed up")


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite keeps no offset: the app writes UTC, so a naive value is UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def encode_value(kind: str, value: object) -> object:
    """A column value in the backup's canonical JSON form."""
    if value is None:
        return None
    if kind == "datetime_tz":
        return _utc(value).isoformat()
    if kind == "datetime":
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if kind in ("date", "time"):
        return value.isoformat()
    if kind == "boolean":
        return bool(value)
    if kind == "binary":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal":
        return str(value)
    if kind == "integer":
        return int(value)
    if kind == "float":
        return float(value)
    return value


EXPECTED = {
    "datetime_tz": "a date and time with a UTC offset (ISO 8601)",
    "datetime": "a date and time (ISO 8601)",
    "date": "a date (YYYY-MM-DD)",
    "time": "a time (HH:MM:SS)",
    "boolean": "true or false",
    "binary": "base64 text",
    "decimal": "a decimal number as text",
    "integer": "a whole number",
    "float": "a number",
    "text": "text",
    "json": "a JSON value",
}


def decode_value(kind: str, value: object) -> object:
    """A canonical JSON value back as the Python value its column stores."""
    if value is None:
        return None
    if kind == "datetime_tz":
        parsed = dt.datetime.fromisoformat(_str(value))
        if parsed.tzinfo is None:
            raise ValueError("no UTC offset")
        return parsed.astimezone(dt.UTC)
    if kind == "datetime":
        return dt.datetime.fromisoformat(_str(value))
    if kind == "date":
        return dt.date.fromisoformat(_str(value))
    if kind == "time":
        return dt.time.fromisoformat(_str(value))
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError("not a boolean")
        return value
    if kind == "binary":
        return base64.b64decode(_str(value), validate=True)
    if kind == "decimal":
        return decimal.Decimal(_str(value))
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("not a whole number")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("not a number")
        return float(value)
    if kind == "text":
        return _str(value)
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not text")
    return value


# ---------------------------------------------------------------------------------------------
# Reading the database


def _reflect(conn: Connection) -> MetaData:
    meta = MetaData()
    with warnings.catch_warnings():
        # Expression indexes are not needed to read or drop a table's rows.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        # The learning library's full-text index (SQLite FTS5 tables) is not data: it is
        # rebuilt from search_documents as their rows are restored.
        meta.reflect(bind=conn, only=lambda name, _meta: not is_search_index_name(name))
    return meta


def _data_tables(conn: Connection) -> list[Table]:
    """Every table in the database (its current schema), parents before children."""
    return [t for t in _reflect(conn).sorted_tables if t.name != ALEMBIC_TABLE]


def _column_kinds(table_: Table) -> list[tuple[str, str]]:
    """(column, logical type) per column, taking time zones from the models where known
    (SQLite's schema does not record them)."""
    model = Base.metadata.tables.get(table_.name)
    kinds = []
    for col in table_.columns:
        source = model.c[col.name] if model is not None and col.name in model.c else col
        kinds.append((col.name, logical_type(source.type)))
    return kinds


def _ordered(table_: Table):
    keys = list(table_.primary_key.columns) or list(table_.columns)
    return select(table_).order_by(*keys)


def _schema_revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text(f"SELECT version_num FROM {ALEMBIC_TABLE}")).scalar()
    except Exception:  # noqa: BLE001 - no alembic table: a database never set up
        return None


def _sequences(conn: Connection, tables: list[Table]) -> dict[str, int]:
    """The last id each id sequence handed out ("table.column"), so restored ids stay unique
    even for rows deleted before the backup (an upload id is never reused)."""
    found: dict[str, int] = {}
    if conn.dialect.name == "sqlite":
        has = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
        ).scalar()
        if has:
            by_name = {t.name: t for t in tables}
            for name, seq in conn.execute(text("SELECT name, seq FROM sqlite_sequence")):
                pk = [c.name for c in by_name[name].primary_key] if name in by_name else []
                if len(pk) == 1 and seq is not None:
                    found[f"{name}.{pk[0]}"] = int(seq)
        return found
    for table_, col in _serial_columns(tables):
        seq = _pg_sequence(conn, table_.name, col)
        if seq:
            last, called = conn.execute(text(f"SELECT last_value, is_called FROM {seq}")).one()
            found[f"{table_.name}.{col}"] = int(last) if called else int(last) - 1
    return found


def _serial_columns(tables: list[Table]) -> Iterator[tuple[Table, str]]:
    for table_ in tables:
        pk = list(table_.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer):
            yield table_, pk[0].name


def _pg_sequence(conn: Connection, table_name: str, col: str) -> str | None:
    return conn.execute(
        text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": f'"{table_name}"', "c": col}
    ).scalar()


@contextmanager
def _snapshot(db: Database) -> Iterator[Connection]:
    """One read transaction that sees one consistent state of every table."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.execute(text("SET TRANSACTION READ ONLY"))
                conn.execute(text("SET LOCAL statement_timeout = 0"))
                yield conn
        else:
            with conn.begin():
                yield conn


def _data_version(conn: Connection) -> int | None:
    try:
        return conn.execute(text("SELECT version FROM data_version WHERE id = 1")).scalar()
    except Exception:  # noqa: BLE001 - no data_version table yet
        return None


def _canonical_lines(conn: Connection, table_: Table) -> Iterator[list]:
    kinds = [kind for _, kind in _column_kinds(table_)]
    result = conn.execute(_ordered(table_).execution_options(yield_per=READ_BATCH))
    for row in result:
        yield [encode_value(kind, value) for kind, value in zip(kinds, row, strict=True)]


def write_backup(
    db: Database,
    out: str | Path | IO[bytes],
    *,
    viewer: Viewer | None = None,
    progress: Progress | None = None,
) -> BackupInfo:
    """Write every table and the schema revision, from one snapshot, to a backup file."""
    if viewer is not None:
        require_admin(viewer, "back up the database")
    if isinstance(out, str | Path):
        target = Path(out)
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("wb") as handle:
                info = write_backup(db, handle, viewer=viewer, progress=progress)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return info
    info = _write_snapshot(db, out, progress)
    if viewer is not None:
        from impact_data.users import record

        record(db, viewer, "backup", {"rows": info.total_rows, "data_version": info.data_version})
    return info


def _write_snapshot(db: Database, out: IO[bytes], progress: Progress | None) -> BackupInfo:
    with _snapshot(db) as conn:
        revision = _schema_revision(conn)
        if revision is None:
            raise BackupError("this database has no schema yet: there is nothing to back up")
        tables = _data_tables(conn)
        version = _data_version(conn) or 0
        sequences = _sequences(conn, tables)
        taken_at = dt.datetime.now(dt.UTC).isoformat()
        entries = []
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for table_ in tables:
                digest = hashlib.sha256()
                rows = 0
                member = f"tables/{table_.name}.jsonl"
                with zf.open(member, "w", force_zip64=True) as stream:
                    for values in _canonical_lines(conn, table_):
                        line = (
                            json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n"
                        ).encode("utf-8")
                        digest.update(line)
                        stream.write(line)
                        rows += 1
                entries.append(
                    {
                        "name": table_.name,
                        "file": member,
                        "columns": [
                            {"name": name, "type": kind} for name, kind in _column_kinds(table_)
                        ],
                        "rows": rows,
                        "sha256": digest.hexdigest(),
                    }
                )
                if progress is not None:
                    progress(table_.name, rows)
            manifest = {
                "format": BACKUP_FORMAT,
                "format_version": BACKUP_FORMAT_VERSION,
                "schema_revision": revision,
                "data_version": version,
                "taken_at": taken_at,
                "source_dialect": conn.dialect.name,
                "sequences": sequences,
                "tables": entries,
            }
            zf.writestr(MANIFEST, json.dumps(manifest, indent=2))
    return _info(manifest)


def _info(manifest: dict) -> BackupInfo:
    return BackupInfo(
        schema_revision=str(manifest["schema_revision"]),
        data_version=int(manifest["data_version"]),
        taken_at=str(manifest["taken_at"]),
        source_dialect=str(manifest["source_dialect"]),
        row_counts={t["name"]: int(t["rows"]) for t in manifest["tables"]},
        sequences={str(k): int(v) for k, v in manifest.get("sequences", {}).items()},
    )


def table_rows(db: Database) -> dict[str, list[list]]:
    """Every table's rows in the backup's canonical form, sorted: for comparing databases."""
    with _snapshot(db) as conn:
        return {
            t.name: sorted(_canonical_lines(conn, t), key=lambda r: json.dumps(r, default=str))
            for t in _data_tables(conn)
        }


# ---------------------------------------------------------------------------------------------
# Reading a backup file


@contextmanager
def _open_backup(source: BackupSource) -> Iterator[tuple[zipfile.ZipFile, dict]]:
    """The backup's zip and its checked manifest; BackupError for anything else."""
    name = str(source) if isinstance(source, str | Path) else "the file"
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        zf = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise BackupError(f"{name}: no such file") from None
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BackupError(
            f"{name} is not an IMPACT dashboard backup (expected a .zip written by "
            "`python -m impact_data backup`, found something else)"
        ) from None
    with zf:
        manifest = _manifest(zf, name)
        _check_members(zf, manifest, name)
        yield zf, manifest


def _manifest(zf: zipfile.ZipFile, name: str) -> dict:
    try:
        raw = zf.read(MANIFEST)
    except KeyError:
        raise BackupError(
            f"{name} is not an IMPACT dashboard backup (it has no {MANIFEST})"
        ) from None
    except (zipfile.BadZipFile, OSError, zlib.error) as exc:
        raise BackupError(f"{name} is damaged: {MANIFEST} cannot be read ({exc})") from None
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BackupError(f"{name} is damaged: {MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise BackupError(
            f"{name} is not an IMPACT dashboard backup ({MANIFEST} format: expected "
            f"{BACKUP_FORMAT!r}, found {found!r})"
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > BACKUP_FORMAT_VERSION:
        raise BackupError(
            f"{name} was written by a newer version of the app (backup format {version!r}; "
            f"this app reads format {BACKUP_FORMAT_VERSION}): upgrade the app, then restore"
        )
    try:
        _info(manifest)
        for t in manifest["tables"]:
            for c in t["columns"]:
                if c["type"] not in EXPECTED:
                    raise ValueError(f"column {t['name']}.{c['name']} has type {c['type']!r}")
            str(t["file"]), str(t["sha256"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError(f"{name} is damaged: {MANIFEST} is incomplete ({exc})") from None
    return manifest


def _check_members(zf: zipfile.ZipFile, manifest: dict, name: str) -> None:
    """Every table file is present, with the manifest's checksum and row count."""
    for entry in manifest["tables"]:
        digest = hashlib.sha256()
        rows = 0
        try:
            with zf.open(entry["file"]) as stream:
                for line in stream:
                    digest.update(line)
                    rows += 1
        except KeyError:
            raise BackupError(f"{name} is damaged: {entry['file']} is missing") from None
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise BackupError(f"{name} is damaged: {entry['file']} cannot be read") from None
        if digest.hexdigest() != entry["sha256"]:
            raise BackupError(
                f"{name} is damaged: {entry['file']} does not match its checksum "
                "(the file was changed or cut short)"
            )
        if rows != int(entry["rows"]):
            raise BackupError(
                f"{name} is damaged: {entry['file']} has {rows} rows, expected {entry['rows']}"
            )


def read_backup_info(source: BackupSource) -> BackupInfo:
    """Check a backup file (format, checksums, row counts) and say what it holds."""
    with _open_backup(source) as (_, manifest):
        return _info(manifest)


# ---------------------------------------------------------------------------------------------
# Restoring


@functools.lru_cache(maxsize=1)
def _fresh_database() -> tuple[dict[str, int], int]:
    """Row counts and data version of a newly created database (its seed rows)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Database(f"sqlite:///{Path(tmp) / 'fresh.db'}")
        try:
            with fresh.connect() as conn:
                counts = {
                    t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in _data_tables(conn)
                }
                version = _data_version(conn) or 0
        finally:
            fresh.dispose()
    return counts, version


def _holds_data(conn: Connection, tables: list[Table]) -> list[str]:
    """The tables holding more rows than a new database starts with ([] when empty)."""
    seeds, fresh_version = _fresh_database()
    full = [
        t.name
        for t in tables
        if conn.execute(select(func.count()).select_from(t)).scalar_one() > seeds.get(t.name, 0)
    ]
    version = _data_version(conn)
    if not full and version is not None and version != fresh_version:
        full.append("data_version")
    return full


def is_empty(db: Database) -> bool:
    """True when the database holds nothing beyond what a new database starts with."""
    with db.connect() as conn:
        return not _holds_data(conn, _data_tables(conn))


def _check_revision(db: Database, revision: str) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(db.url))
    try:
        known = script.get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        known = None
    if known is None:
        raise BackupError(
            f"the backup's schema revision {revision!r} is not one this app knows: it was "
            "probably written by a newer version of the app; upgrade the app, then restore"
        )


def _upgrade(conn: Connection, url: str, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(url)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def _drop_everything(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        # The FTS5 table takes its shadow tables with it; its triggers go with their table.
        conn.execute(text(f"DROP TABLE IF EXISTS {SEARCH_FTS_TABLE}"))
    _reflect(conn).drop_all(bind=conn)


def _compatible(backup_kind: str, target_kind: str) -> bool:
    datetimes = {"datetime", "datetime_tz"}
    return backup_kind == target_kind or {backup_kind, target_kind} <= datetimes


def _insert_target(target: Table, names: list[str]):
    cols = []
    for name in names:
        col = target.c[name]
        type_ = JSON(none_as_null=True) if isinstance(col.type, JSON) and col.nullable else col.type
        cols.append(column(name, type_))
    return insert(table(target.name, *cols))


def _restore_table(conn: Connection, zf: zipfile.ZipFile, entry: dict, target: Table) -> None:
    names = [c["name"] for c in entry["columns"]]
    kinds = [c["type"] for c in entry["columns"]]
    target_kinds = dict(_column_kinds(target))
    for name, kind in zip(names, kinds, strict=True):
        if name not in target_kinds:
            raise BackupError(
                f"{entry['file']}: column {name!r} does not exist in table {target.name} at the "
                "backup's schema revision"
            )
        if not _compatible(kind, target_kinds[name]):
            raise BackupError(
                f"{entry['file']}, column {name}: expected {EXPECTED[target_kinds[name]]}, "
                f"found {kind} values"
            )
    rows = _decoded_rows(zf, entry, names, kinds)
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, target, names, kinds, rows, entry["file"])
        return
    statement = _insert_target(target, names)
    batch: list[dict] = []
    for values in rows:
        batch.append(dict(zip(names, values, strict=True)))
        if len(batch) >= INSERT_BATCH:
            _insert(conn, statement, batch, entry["file"])
            batch = []
    if batch:
        _insert(conn, statement, batch, entry["file"])


def _decoded_rows(
    zf: zipfile.ZipFile, entry: dict, names: list[str], kinds: list[str]
) -> Iterator[list]:
    """A table file's rows as Python values; BackupError naming line and column if not."""
    with zf.open(entry["file"]) as stream:
        for line_no, line in enumerate(io.TextIOWrapper(stream, encoding="utf-8"), start=1):
            values = _row(entry["file"], line_no, line, len(names))
            decoded = []
            for name, kind, value in zip(names, kinds, values, strict=True):
                try:
                    decoded.append(decode_value(kind, value))
                except (ValueError, TypeError, decimal.InvalidOperation, binascii.Error):
                    raise BackupError(
                        f"{entry['file']} line {line_no}, column {name}: expected "
                        f"{EXPECTED[kind]}, found {json.dumps(value)[:60]}"
                    ) from None
            yield decoded


def _copy_rows(
    conn: Connection, target: Table, names: list[str], kinds: list[str], rows, member: str
) -> None:
    """PostgreSQL: one COPY per table (several times faster than INSERTs)."""
    import psycopg

    nullable = {c.name: c.nullable for c in target.columns}
    json_columns = [
        (i, nullable[name])
        for i, (name, kind) in enumerate(zip(names, kinds, strict=True))
        if kind == "json"
    ]
    columns = ", ".join(f'"{name}"' for name in names)
    dbapi = conn.connection.driver_connection
    try:
        with (
            dbapi.cursor() as cursor,
            cursor.copy(f'COPY "{target.name}" ({columns}) FROM STDIN') as copy,
        ):
            for values in rows:
                for i, can_be_null in json_columns:
                    if values[i] is not None or not can_be_null:
                        values[i] = json.dumps(values[i])
                copy.write_row(values)
    except psycopg.Error as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BackupError(f"{member}: the database refused a row ({reason})") from None


def _row(member: str, line_no: int, line: str, width: int) -> list:
    try:
        values = json.loads(line)
    except json.JSONDecodeError:
        raise BackupError(f"{member} line {line_no}: not a valid JSON row") from None
    if not isinstance(values, list) or len(values) != width:
        found = len(values) if isinstance(values, list) else type(values).__name__
        raise BackupError(f"{member} line {line_no}: expected {width} values, found {found}")
    return values


def _insert(conn: Connection, statement, batch: list[dict], member: str) -> None:
    from sqlalchemy.exc import DBAPIError, StatementError

    try:
        conn.execute(statement, batch)
    except (DBAPIError, StatementError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise BackupError(f"{member}: the database refused a row ({reason})") from None


def _reset_sequences(conn: Connection, recorded: dict[str, int]) -> None:
    """Move every id sequence past the largest restored id and the backup's own sequence."""
    tables = _data_tables(conn)
    if conn.dialect.name == "sqlite":
        autoincrement = set(
            conn.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND upper(sql) LIKE '%AUTOINCREMENT%'"
                )
            ).scalars()
        )
        for table_, col in _serial_columns(tables):
            if table_.name not in autoincrement:
                continue
            top = max(
                conn.execute(select(func.max(table_.c[col]))).scalar() or 0,
                recorded.get(f"{table_.name}.{col}", 0),
            )
            conn.execute(text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table_.name})
            if top > 0:
                conn.execute(
                    text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :s)"),
                    {"t": table_.name, "s": top},
                )
        return
    for table_, col in _serial_columns(tables):
        seq = _pg_sequence(conn, table_.name, col)
        if not seq:
            continue
        top = max(
            conn.execute(select(func.max(table_.c[col]))).scalar() or 0,
            recorded.get(f"{table_.name}.{col}", 0),
        )
        conn.execute(
            text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
            {"s": seq, "v": max(top, 1), "called": top > 0},
        )


def restore_backup(
    db: Database,
    source: BackupSource,
    *,
    replace: bool = False,
    viewer: Viewer | None = None,
    restored_by: str = "command line",
) -> RestoreResult:
    """Replace the database's contents with a backup's, all or nothing.

    Refuses (RestoreRefused) a database holding data unless `replace`; refuses (BackupError)
    a damaged or foreign file or one from a newer app, changing nothing.
    """
    if viewer is not None:
        require_admin(viewer, "restore a backup")
        restored_by = viewer.user
    with _open_backup(source) as (zf, manifest):
        info = _info(manifest)
        _check_revision(db, info.schema_revision)
        writer = db.engine.execution_options(impact_write=True)
        with writer.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Replicas starting up migrate under this lock: none may migrate mid-restore.
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_ID})
                conn.execute(text("SET LOCAL statement_timeout = 0"))
            existing = _data_tables(conn)
            full = _holds_data(conn, existing)
            if full and not replace:
                raise RestoreRefused(
                    "the database already holds data (" + ", ".join(full[:6]) + "): restore "
                    "into an empty database, or say to replace everything in it "
                    "(`restore --replace`)"
                )
            previous = _data_version(conn)
            _drop_everything(conn)
            _upgrade(conn, db.url, info.schema_revision)
            targets = {t.name: t for t in _data_tables(conn)}
            unknown = [e["name"] for e in manifest["tables"] if e["name"] not in targets]
            if unknown:
                raise BackupError(
                    f"the backup has tables this app does not have at schema revision "
                    f"{info.schema_revision}: {', '.join(unknown)}"
                )
            for target in reversed(list(targets.values())):
                conn.execute(target.delete())  # the new schema's seed rows: the backup has its own
            entries = {e["name"]: e for e in manifest["tables"]}
            for name, target in targets.items():
                if name in entries:
                    _restore_table(conn, zf, entries[name], target)
            _upgrade(conn, db.url, "head")
            _reset_sequences(conn, info.sequences)
            now = dt.datetime.now(dt.UTC)
            version = max(previous or 0, info.data_version) + 1
            conn.execute(
                update(DataVersion)
                .where(DataVersion.id == 1)
                .values(version=version, updated_at=now)
            )
            conn.execute(
                insert(AuditEvent).values(
                    at=now,
                    user=restored_by,
                    action="restore",
                    detail=json.dumps(
                        {
                            "taken_at": info.taken_at,
                            "source_dialect": info.source_dialect,
                            "schema_revision": info.schema_revision,
                            "rows": info.total_rows,
                            "replaced": bool(full),
                        },
                        sort_keys=True,
                    ),
                )
            )
            revision = _schema_revision(conn) or info.schema_revision
    return RestoreResult(
        info=info, previous_data_version=previous, data_version=version, schema_revision=revision
    )
