"""Board pack build time and size: the sample system, and a 40-organisation system whose
organisations have long names (60+ characters).

The 40-organisation system is `benchmarks/national_data.py`'s shape (fixed seed) in one
integrated care system, with every name lengthened; `long_name_system(db)` loads it through the
same ingest path as the Upload page (the board pack's text-fit test uses it too).

    python benchmarks/board_pack.py [--orgs 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import national_data  # noqa: E402
from impact_data.access import Viewer  # noqa: E402
from impact_data.demo import load_demo  # noqa: E402
from impact_data.ingest.uploads import load_file  # noqa: E402
from impact_data.store.db import Database  # noqa: E402
from ui.board_pack import board_pack_pdf  # noqa: E402

TODAY = dt.date(2025, 12, 1)
LONG_NAME = "{place} Community, Mental Health and Learning Disability Services NHS Foundation Trust"
PLACES = (
    "Northmoor",
    "Vale",
    "Fellside",
    "Eastbridge",
    "Riverside",
    "Westmarch",
    "Southdown",
    "Highcross",
)


def long_names(orgs):
    """Each organisation renamed to a 60+ character name, unique by a number."""
    orgs = orgs.copy()
    orgs["org_name"] = [
        LONG_NAME.format(place=f"{PLACES[i % len(PLACES)]} {i + 1}") for i in range(len(orgs))
    ]
    return orgs


def long_name_system(db: Database, n_orgs: int = 40, out: Path | None = None) -> None:
    """Load `n_orgs` organisations with long names in one system: organisations, staff
    survey, pulse survey, readiness checks and learning visits."""
    out = out or Path(tempfile.mkdtemp(prefix="pack-"))
    orgs = long_names(national_data.organisations(n_orgs, 1))
    files = {
        "organisations": orgs,
        "staff_survey": national_data.staff_survey(orgs),
        "pulse_survey": national_data.pulse_survey(orgs),
        "readiness": national_data.readiness(orgs),
        "visits": national_data.visits(orgs),
    }
    for kind, frame in files.items():
        path = out / f"{kind}.csv"
        frame.to_csv(path, index=False)
        prepared, result = load_file(db, path, kind)
        if result is None:
            problems = "; ".join(str(p) for p in prepared.problems[:5])
            raise SystemExit(f"{path.name} did not validate: {problems}")


def time_pack(db: Database) -> tuple[float, int]:
    start = time.perf_counter()
    pdf = board_pack_pdf(db, Viewer.local(), today=TODAY)
    return time.perf_counter() - start, len(pdf)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sample = Database(f"sqlite:///{Path(tmp) / 'sample.db'}")
        load_demo(sample)
        seconds, size = time_pack(sample)
        print(f"sample system (10 organisations): {seconds:.1f} s, {size / 1e6:.1f} MB")
        sample.dispose()
        big = Database(f"sqlite:///{Path(tmp) / 'big.db'}")
        long_name_system(big, args.orgs, Path(tmp))
        seconds, size = time_pack(big)
        print(f"{args.orgs} organisations, long names: {seconds:.1f} s, {size / 1e6:.1f} MB")
        big.dispose()


if __name__ == "__main__":
    main()
