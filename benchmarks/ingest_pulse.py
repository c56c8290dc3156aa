"""Ingest speed: a 100,000-respondent x 30-question pulse survey, end to end.

Compares a full load (read, map, validate, write) with a bare pandas read of the same file,
in the same run, on SQLite and PostgreSQL, for .xlsx and the equivalent .csv.
Target (issue 2): end-to-end .xlsx load into SQLite <= 2x pandas.read_excel(engine="calamine").

    python benchmarks/ingest_pulse.py [--respondents 100000] [--postgres URL] [--repeat 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.pulse_fixture import ORG_CODES, write_csv, write_xlsx  # noqa: E402
from impact_data.ingest import commit_upload, prepare_upload  # noqa: E402
from impact_data.store.db import Database  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--repeat", type=int, default=2)
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
        f"files: {xlsx.name} {xlsx.stat().st_size / 1e6:.1f} MB, {csv.name} {csv.stat().st_size / 1e6:.1f} MB"
    )

    bare_xlsx = best_of(args.repeat, lambda: pd.read_excel(xlsx, engine="calamine"))
    bare_csv = best_of(args.repeat, lambda: pd.read_csv(csv))
    print(f"bare pandas.read_excel(engine='calamine'): {bare_xlsx:6.2f} s")
    print(f"bare pandas.read_csv:                      {bare_csv:6.2f} s")

    backends = ["sqlite"] if args.no_postgres else ["sqlite", "postgres"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            for path, bare, bare_name in (
                (xlsx, bare_xlsx, "read_excel"),
                (csv, bare_csv, "read_csv"),
            ):
                times = [
                    full_load(backend, args.postgres, Path(tmp), path) for _ in range(args.repeat)
                ]
                best = min(t for t, _ in times)
                answers = times[0][1]
                rows.append(
                    (backend, path.suffix, best, best / bare_xlsx, best / bare, bare_name, answers)
                )
    print()
    print(
        f"{'database':9} {'file':5} {'load s':>7} {'x read_excel':>13} {'x own reader':>13}  answers"
    )
    for backend, suffix, best, ratio_xlsx, ratio_own, bare_name, answers in rows:
        print(
            f"{backend:9} {suffix:5} {best:7.2f} {ratio_xlsx:12.2f}x {ratio_own:12.2f}x  {answers:,}"
            f"  (own reader: pandas.{bare_name})"
        )
    target = next(r for r in rows if r[0] == "sqlite" and r[1] == ".xlsx")
    verdict = "PASS" if target[3] <= 2.0 else "FAIL"
    print(f"\ntarget: sqlite .xlsx end to end <= 2.00x read_excel: {target[3]:.2f}x {verdict}")


if __name__ == "__main__":
    main()
