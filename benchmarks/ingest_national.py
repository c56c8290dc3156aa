"""National Staff Survey benchmark workbook: 5 group sheets, ~260 organisations, ~600 columns,
loaded end to end (read, parse, write). Target (issue 6): under 10 seconds.

    python benchmarks/ingest_national.py [--orgs-per-sheet 52] [--postgres URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest_pulse import DEFAULT_PG, make_db  # noqa: E402
from impact_data.ingest import commit_upload, prepare_upload  # noqa: E402
from tests.nss_files import GROUP_SHEETS, benchmark_workbook  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs-per-sheet", type=int, default=52)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    orgs = {
        sheet: [(f"R{i}{j:02d}", f"Trust {i}-{j}") for j in range(args.orgs_per_sheet)]
        for i, sheet in enumerate(GROUP_SHEETS)
    }
    data = benchmark_workbook(orgs, [2021, 2022, 2023, 2024, 2025], extra_questions=17)
    import io

    ws = load_workbook(io.BytesIO(data), read_only=True)[GROUP_SHEETS[0]]
    n_columns = len(next(ws.iter_rows(max_row=1, values_only=True)))
    print(
        f"workbook: {len(GROUP_SHEETS)} group sheets, {len(GROUP_SHEETS) * args.orgs_per_sheet} "
        f"organisations, {n_columns} columns, {len(data) / 1e6:.1f} MB"
    )
    backends = ["sqlite"] if args.no_postgres else ["sqlite", "postgres"]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            db, cleanup = make_db(backend, args.postgres, Path(tmp))
            try:
                start = time.perf_counter()
                prepared = prepare_upload(db, data, "NSS25 benchmark.xlsx", "nss_benchmark")
                assert prepared.ok, [str(p) for p in prepared.problems[:5]]
                result = commit_upload(db, prepared)
                elapsed = time.perf_counter() - start
            finally:
                cleanup()
            verdict = "PASS" if elapsed < 10 else "FAIL"
            print(
                f"{backend:9} end to end {elapsed:6.2f} s  ({result.row_counts['nss_values']:,} values)"
                f"  target < 10 s: {verdict}"
            )


if __name__ == "__main__":
    main()
