"""`python -m impact_data`: the same functions as the app, for scripts and operations.

Exit codes: 0 success; 1 a command that could not run (e.g. unknown upload, refused delete,
a restore into a database holding data without --replace); 2 a file with validation problems
(every problem printed on stderr, one per line), or a restore of a damaged or foreign file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from impact_data.ingest.kinds import KINDS, UPLOAD_KINDS
from impact_data.store.db import Database, database_url
from impact_data.views.wording import plural

__all__ = [
    "COMMANDS",
    "EXIT_FAILED",
    "EXIT_INVALID",
    "EXIT_OK",
    "main",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m impact_data",
        description="IMPACT dashboard data layer. Database: IMPACT_DATABASE_URL "
        "(default: a SQLite file in ./.impact/).",
    )
    parser.add_argument("--database", help="database URL (overrides IMPACT_DATABASE_URL)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create or upgrade the database schema")
    load = sub.add_parser("load", help="validate a file and load it in one transaction")
    load.add_argument("file", type=Path)
    load.add_argument("--kind", required=True, choices=sorted(UPLOAD_KINDS))
    load.add_argument("--create-orgs", action="store_true", help="create unknown organisations")
    load.add_argument(
        "--replace", type=int, metavar="UPLOAD_ID", help="replace this earlier upload"
    )
    load.add_argument(
        "--by", default="command line", help="who is loading (recorded on the upload)"
    )
    load.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    load.add_argument("--system", help="national files: import only this system's organisations")
    load.add_argument("--year", type=int, help="national detailed files: the survey year")
    load.add_argument(
        "--org",
        metavar="CODE",
        help="the organisation of a file with no organisation column (e.g. a survey "
        "contractor's export)",
    )
    sub.add_parser("demo", help="load the sample integrated care system")
    status = sub.add_parser("status", help="row counts and uploads")
    status.add_argument("--json", action="store_true", help="print JSON")
    delete = sub.add_parser("delete-upload", help="delete an upload and exactly its rows")
    delete.add_argument("upload_id", type=int)
    export = sub.add_parser("export", help="export stored data of one kind to .xlsx or .csv")
    export.add_argument("--kind", required=True, choices=sorted(KINDS))
    export.add_argument("--out", required=True, type=Path)
    export.add_argument(
        "--raw", action="store_true", help="rows as uploaded (re-loadable), unsuppressed"
    )
    export.add_argument(
        "--period",
        type=_period_argument,
        metavar="YYYY-MM",
        help="the reporting period (a month, e.g. 2025-11) that 'last 90 days' counts back "
        "from; default: the newest complete month with data, as on the screens",
    )
    backup = sub.add_parser(
        "backup", help="write every table and the schema revision to one file (a snapshot)"
    )
    backup.add_argument("--out", required=True, type=Path, help="the backup file (.zip)")
    restore = sub.add_parser(
        "restore", help="restore a backup (all or nothing; SQLite <-> PostgreSQL moves too)"
    )
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--replace", action="store_true", help="replace everything in a database holding data"
    )
    restore.add_argument(
        "--by", default="command line", help="who is restoring (recorded in the audit log)"
    )
    template = sub.add_parser("template", help="write the blank template of a kind")
    template.add_argument("--kind", required=True, choices=sorted(KINDS))
    template.add_argument("--out", required=True, type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = args.database or database_url()
    if args.command == "template":
        from impact_data.ingest.templates import build_template

        args.out.write_bytes(build_template(args.kind, _level_labels(args.kind, url)))
        print(f"wrote {args.out}")
        return EXIT_OK
    db = Database(url)
    try:
        return COMMANDS[args.command](db, args)
    finally:
        db.dispose()


def _level_labels(kind_name: str, url: str) -> list[str] | None:
    """The capability levels' current labels for a template that names them (None: a kind
    without a capability level column, so no database is opened)."""
    if not any(f.type == "capability_level" for t in KINDS[kind_name].tables for f in t.fields):
        return None
    from impact_data.store.settings import capability_level_labels

    db = Database(url)
    try:
        return capability_level_labels(db)
    finally:
        db.dispose()


def _init(db: Database, args) -> int:
    print(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")
    return EXIT_OK


def _load(db: Database, args) -> int:
    from impact_data.ingest.uploads import commit_file, prepare_file
    from impact_data.views.upload_report import overrides_text

    if not args.file.exists():
        print(f"{args.file}: no such file", file=sys.stderr)
        return EXIT_FAILED
    prepared, remembered = prepare_file(
        db,
        args.file.read_bytes(),
        args.file.name,
        args.kind,
        create_orgs=args.create_orgs,
        replace_upload_id=args.replace,
        system=args.system,
        survey_year=args.year,
        org_code=args.org,
    )
    if remembered:
        print(
            "note: column choices remembered from an earlier upload were applied: "
            + overrides_text(remembered),
            file=sys.stderr,
        )
    for note in prepared.notes:
        print(f"note: {note}", file=sys.stderr)
    if not prepared.ok:
        for problem in prepared.problems:
            print(str(problem), file=sys.stderr)
        print(
            f"{args.file.name}: {plural(len(prepared.problems), 'problem')}; nothing was loaded",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if args.dry_run:
        print(
            f"{args.file.name}: valid; {json.dumps(prepared.row_counts)} (dry run, nothing written)"
        )
        return EXIT_OK
    from impact_data.access import AccessDenied
    from impact_data.ingest import UploadRefused

    try:
        result = commit_file(db, prepared, uploaded_by=args.by)
    except UploadRefused as exc:
        # Another writer got there first (the same file, the same rows, the same replace):
        # the same report and exit code as a file refused before writing.
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        print(f"{args.file.name}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except AccessDenied as exc:
        print(f"{args.file.name}: not loaded: {exc}", file=sys.stderr)
        return EXIT_FAILED
    replaced = (
        f", replacing upload {result.replaced_upload_id}" if result.replaced_upload_id else ""
    )
    print(
        f"loaded {args.file.name} as upload {result.upload_id}{replaced}: "
        + ", ".join(f"{n:,} {t}" for t, n in result.row_counts.items())
    )
    if result.created_orgs:
        print(f"created organisations: {', '.join(result.created_orgs)}")
    return EXIT_OK


def _demo(db: Database, args) -> int:
    from impact_data.demo import load_demo

    results = load_demo(db)
    for r in results:
        print(f"upload {r.upload_id} ({r.kind}): {r.total_rows:,} rows")
    if not results:
        print("sample data already loaded")
    return EXIT_OK


def _status(db: Database, args) -> int:
    from impact_data.measures.queries import status

    info = status(db)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return EXIT_OK
    print(
        f"database: {info['database']} (schema revision {info.get('schema_revision')}, "
        f"data version {info['data_version']})"
    )
    for table, n in info["tables"].items():
        print(f"  {table:28} {n:>10,}")
    print(f"uploads: {len(info['uploads'])}")
    for u in info["uploads"]:
        print(f"  #{u['upload_id']:<5} {u['kind']:24} {u['row_count']:>9,} rows  {u['file_name']}")
    return EXIT_OK


def _delete(db: Database, args) -> int:
    from impact_data.ingest import DeleteRefused, delete_upload

    try:
        counts = delete_upload(db, args.upload_id)
    except DeleteRefused as exc:
        print(f"not deleted: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"deleted upload {args.upload_id}: "
        + (", ".join(f"{n:,} {t}" for t, n in counts.items()) or "no rows")
    )
    return EXIT_OK


def _period_argument(text: str):
    """--period YYYY-MM: a reporting period, or argparse's usage error (exit code 2)."""
    from impact_data.measures.period import parse_period

    try:
        return parse_period(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _export(db: Database, args) -> int:
    from impact_data.access import Viewer
    from impact_data.exports import export_tables, write_export
    from impact_data.measures.period import default_period
    from impact_data.store.settings import suppression_rule

    period = args.period or default_period(db)
    sheets = export_tables(db, args.kind, Viewer.local(), raw=args.raw, period=period)
    out = write_export(sheets, args.out, rule=suppression_rule(db), period=period)
    print(f"wrote {out}: " + ", ".join(f"{name} ({len(f):,} rows)" for name, f in sheets.items()))
    return EXIT_OK


def _backup(db: Database, args) -> int:
    from impact_data.backup import BackupError, write_backup

    try:
        info = write_backup(db, args.out)
    except (BackupError, OSError) as exc:
        print(f"no backup written: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"wrote {args.out}: {info.total_rows:,} rows in {len(info.row_counts)} tables, "
        f"schema revision {info.schema_revision}, data version {info.data_version}"
    )
    return EXIT_OK


def _restore(db: Database, args) -> int:
    from impact_data.backup import BackupError, RestoreRefused, restore_backup

    if not args.file.exists():
        print(f"{args.file}: no such file", file=sys.stderr)
        return EXIT_FAILED
    try:
        result = restore_backup(db, args.file, replace=args.replace, restored_by=args.by)
    except BackupError as exc:
        print(f"not restored: {exc}; the database is unchanged", file=sys.stderr)
        return EXIT_INVALID
    except RestoreRefused as exc:
        print(f"not restored: {exc}", file=sys.stderr)
        return EXIT_FAILED
    info = result.info
    print(
        f"restored {args.file} (taken {info.taken_at} from {info.source_dialect}, schema "
        f"revision {info.schema_revision}): {info.total_rows:,} rows; schema now at "
        f"{result.schema_revision}, data version {result.data_version}"
    )
    return EXIT_OK


COMMANDS = {
    "backup": _backup,
    "restore": _restore,
    "init": _init,
    "load": _load,
    "demo": _demo,
    "status": _status,
    "delete-upload": _delete,
    "export": _export,
}
