"""Ingest speed: a 100,000-respondent x 30-question pulse survey, end to end.

Compares a full load (read in the isolated child, map, validate, write) with a bare pandas
read of the same file, on SQLite and PostgreSQL, for .xlsx and the equivalent .csv, and the
cost of isolation itself (the workbook parsed in the limited child vs in this process).

Every figure is the median of `--repeat` rounds (default 5). The rounds are interleaved: each
round takes one bare read and then one full load of each file, so machine noise (other jobs on
a shared box) falls on both sides of each ratio.
Targets (issues 16 and 20): end to end <= 1.2x the bare `pandas.read_excel(engine="calamine")`
on both databases; isolation adds at most 10% to parsing.

    python benchmarks/ingest_pulse.py [--respondents 100000] [--postgres URL] [--repeat 5]
        [--no-postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.pulse_fixture import ORG_CODES, write_csv, write_xlsx  # noqa: E402
from impact_data.ingest import commit_upload, prepare_upload  # noqa: E402
from impact_data.ingest.read import (  # noqa: E402
    check_workbook_container,
    parse_workbook,
    read_workbook_bytes,
)
from impact_data.store.db import Database  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def empty_db(kind: str, pg_url: str, workdir: Path):
    """A fresh, empty database (a SQLite file or a PostgreSQL schema); returns (db, cleanup)."""
    if kind == "sqlite":
        db = Database(f"sqlite:///{workdir / f'bench_{uuid.uuid4().hex[:6]}.db'}")
        return db, db.dispose
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(f"{pg_url}?options=-csearch_path%3D{schema}")

    def cleanup() -> None:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return db, cleanup


def make_db(kind: str, pg_url: str, workdir: Path):
    """A fresh database with the fixture's organisations; returns (db, cleanup)."""
    db, cleanup = empty_db(kind, pg_url, workdir)
    orgs = "org_code,org_name,org_type\n" + "\n".join(f"{c},Org {c},acute" for c in ORG_CODES)
    commit_upload(db, prepare_upload(db, orgs.encode(), "orgs.csv", "organisations"))
    return db, cleanup


def full_load(kind: str, pg_url: str, workdir: Path, path: Path) -> tuple[float, int]:
    db, cleanup = make_db(kind, pg_url, workdir)
    try:
        data = path.read_bytes()
        start = time.perf_counter()
        prepared = prepare_upload(db, data, path.name, "pulse_survey")
        assert prepared.ok, [str(p) for p in prepared.problems[:5]]
        result = commit_upload(db, prepared)
        elapsed = time.perf_counter() - start
        return elapsed, result.row_counts["pulse_answers"]
    finally:
        cleanup()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def in_process_parse(data: bytes) -> None:
    """What reading costs without isolation: the same checks, the parse in this process."""
    check_workbook_container(data)
    parse_workbook(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    n = args.respondents
    xlsx, csv = out / f"pulse_{n}.xlsx", out / f"pulse_{n}.csv"
    if not xlsx.exists():
        print(f"generating {xlsx} ...", flush=True)
        write_xlsx(xlsx, n)
    if not csv.exists():
        write_csv(csv, n)
    print(
        f"files: {xlsx.name} {xlsx.stat().st_size / 1e6:.1f} MB, "
        f"{csv.name} {csv.stat().st_size / 1e6:.1f} MB; {args.repeat} interleaved rounds"
    )
    xlsx_data = xlsx.read_bytes()
    bare_readers = {
        ".xlsx": ("read_excel", lambda: pd.read_excel(xlsx, engine="calamine")),
        ".csv": ("read_csv", lambda: pd.read_csv(csv)),
    }
    backends = ["sqlite"] if args.no_postgres else ["sqlite", "postgres"]
    bare: dict[str, list[float]] = defaultdict(list)
    loads: dict[tuple[str, str], list[float]] = defaultdict(list)
    answers: dict[tuple[str, str], int] = {}
    parse: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(1, args.repeat + 1):
            parse["in process"].append(timed(lambda: in_process_parse(xlsx_data)))
            parse["isolated"].append(timed(lambda: read_workbook_bytes(xlsx_data)))
            for backend in backends:
                for path in (xlsx, csv):
                    bare[path.suffix].append(timed(bare_readers[path.suffix][1]))
                    seconds, count = full_load(backend, args.postgres, Path(tmp), path)
                    loads[backend, path.suffix].append(seconds)
                    answers[backend, path.suffix] = count
            print(f"round {round_no} of {args.repeat} done", flush=True)

    median = statistics.median
    bare_xlsx = median(bare[".xlsx"])
    print()
    for suffix, (name, _fn) in bare_readers.items():
        print(f"bare pandas.{name + ':':12} {median(bare[suffix]):6.2f} s (median)")
    print()
    print(
        f"{'database':9} {'file':5} {'load s':>7} {'x read_excel':>13} {'x own reader':>13}  answers"
    )
    ratios = {}
    for backend in backends:
        for suffix, (name, _fn) in bare_readers.items():
            load = median(loads[backend, suffix])
            ratios[backend, suffix] = load / bare_xlsx
            print(
                f"{backend:9} {suffix:5} {load:7.2f} {load / bare_xlsx:12.2f}x "
                f"{load / median(bare[suffix]):12.2f}x  {answers[backend, suffix]:,}"
                f"  (own reader: pandas.{name})"
            )
    in_process, isolated = median(parse["in process"]), median(parse["isolated"])
    overhead = isolated / in_process - 1
    print(
        f"\nisolation overhead: workbook parsed in the limited child {isolated:.2f} s vs in "
        f"process {in_process:.2f} s: {overhead:+.1%}"
    )
    print()
    for backend in backends:
        ratio = ratios[backend, ".xlsx"]
        verdict = "PASS" if ratio <= 1.2 else "FAIL"
        print(f"target: {backend} .xlsx end to end <= 1.20x read_excel: {ratio:.2f}x {verdict}")
    verdict = "PASS" if overhead <= 0.10 else "FAIL"
    print(f"target: isolation adds <= 10% to parsing: {overhead:+.1%} {verdict}")


if __name__ == "__main__":
    main()
