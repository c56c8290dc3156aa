"""Page speed at national scale: cold, first interaction and warm rerun of every dashboard page.

Generates the national-scale data set (benchmarks/national_data.py, fixed seed) at each size,
loads it through the ingest path, then times each page with Streamlit's AppTest:
- cold: caches cleared, a fresh script run (what the first visitor after a change waits for);
- first: the first widget change after that (a selectbox or radio moved to another option; a
  selectbox that starts empty, like Overview's organisation, is given its first option);
- warm: the same widget moved back (everything it needs was computed before); for a selectbox
  that started empty: emptied again (not timed), then given the same option again.
Prints min and median of `--runs` runs per page, database and size. Issue 20's targets at 220
organisations: cold <= 2 s, warm <= 0.3 s (median).

    python benchmarks/page_speed.py [--orgs 10 50 220] [--runs 5] [--pages overview culture]
                                    [--no-postgres] [--postgres URL] [--cpu] [--data DIR]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("STREAMLIT_GLOBAL_DEVELOPMENT_MODE", "false")
# Cold is cold: no results kept on disk by an earlier run (ui.disk_cache) and no background
# warm-up of the other pages after the first one (ui.state.warm_in_background).
os.environ.setdefault("IMPACT_CACHE_DIR", "off")
os.environ.setdefault("IMPACT_WARM_CACHES", "off")

from benchmarks.ingest_pulse import DEFAULT_PG, empty_db  # noqa: E402
from benchmarks.national_data import MANIFEST, load_national, write_national  # noqa: E402

PAGES = {
    "overview": "pages/overview.py",
    "compare": "pages/compare.py",
    "culture": "pages/culture.py",
    "readiness": "pages/readiness.py",
    "pdsa": "pages/pdsa.py",
}
TIMEOUT = 600


def _clear_caches() -> None:
    import streamlit as st

    from impact_data.measures import readiness
    from impact_data.measures.culture import clear_scores_cache

    st.cache_data.clear()
    clear_scores_cache()  # the data layer's own cache of culture scores: cold is cold
    if hasattr(readiness, "clear_scores_cache"):  # and of readiness scores (issue 20)
        readiness.clear_scores_cache()
    from impact_data.measures import period

    period.clear_dates_cache()  # and of the dates of data per source


CLOCK = {"clock": time.perf_counter}  # --cpu: this process's CPU time (steadier on a busy machine)


def _run(at) -> float:
    clock = CLOCK["clock"]
    start = clock()
    at.run(timeout=TIMEOUT)
    elapsed = clock() - start
    if at.exception:
        raise SystemExit(f"page raised: {[e.value for e in at.exception][:1]}")
    return elapsed


def _raw_values(db_url: str) -> list[object]:
    """Values a page's selectboxes may hold behind their labels: organisation codes, project
    ids, years (AppTest shows only the formatted labels)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            orgs = [r[0] for r in conn.execute(text("SELECT org_code FROM organisations"))]
            projects = [r[0] for r in conn.execute(text("SELECT project_ref FROM pdsa_projects"))]
    finally:
        engine.dispose()
    return [*orgs, *projects, *range(2015, 2031)]


def _value_for(widget, label: str, raw: list[object]) -> object | None:
    try:
        fmt = widget.format_func
    except Exception:  # noqa: BLE001 - radios and others without a stored format_func
        fmt = str
    for candidate in (label, *raw):
        try:
            if str(fmt(candidate)) == label:
                return candidate
        except Exception:  # noqa: BLE001 - a format_func that only takes its own kind
            continue
    return None


def _widget_to_move(at, raw: list[object]):
    """The first selectbox (else radio) with a second option whose value can be found, as
    (widget, value now, value to move to). A selectbox that starts empty (a choice the page
    waits for, such as Overview's organisation) counts when nothing else can move: its value
    now is None and it moves to its first option."""
    empty = None
    for group in (at.selectbox, at.radio):
        for widget in group:
            options = list(widget.options or [])
            if widget.disabled or not options:
                continue
            if widget.value is None:
                value = _value_for(widget, options[0], raw)
                if empty is None and value is not None:
                    empty = (widget, None, value)
                continue
            if len(options) < 2:
                continue
            current = _value_for(widget, options[widget.index or 0], raw)
            for label in options:
                value = _value_for(widget, label, raw)
                if value is not None and value != widget.value and current is not None:
                    return widget, widget.value, value
    return empty or (None, None, None)


def _same(at, key: str):
    """The widget with `key` (or id) after a rerun (AppTest rebuilds its element tree)."""
    return next(w for w in (*at.selectbox, *at.radio) if (w.key or w.id) == key)


def time_page(page: str, runs: int, raw: list[object]) -> dict[str, list[float]]:
    """Cold, first-interaction and warm times of one page, `runs` times each."""
    from streamlit.testing.v1 import AppTest

    times: dict[str, list[float]] = {"cold": [], "first": [], "warm": []}
    for _ in range(runs):
        _clear_caches()
        at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
        times["cold"].append(_run(at))
        widget, first, other = _widget_to_move(at, raw)
        if widget is None:
            continue
        key = widget.key or widget.id
        widget.set_value(other)
        times["first"].append(_run(at))
        if first is None:  # started empty: empty it again, then choose the same option
            _same(at, key).set_value(None)
            _run(at)
            first, other = other, None
        _same(at, key).set_value(first)
        times["warm"].append(_run(at))
    return times


def _cell(values: list[float]) -> str:
    if not values:
        return "        -        "
    return f"{min(values):6.2f} / {statistics.median(values):6.2f}"


def main() -> None:
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, nargs="+", default=[10, 50, 220])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", nargs="+", choices=sorted(PAGES), default=list(PAGES))
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--data",
        type=Path,
        help="keep the generated data set in this folder and reuse it on later runs (the "
        "generator has a fixed seed, so it is the same data); default: a temporary folder",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time this process's CPU seconds, not wall-clock (a busy machine; on PostgreSQL "
        "the server's own time is then left out)",
    )
    args = parser.parse_args()
    if args.cpu:
        CLOCK["clock"] = time.process_time
    backends = ["sqlite"] if args.no_postgres else ["sqlite", "postgres"]
    os.chdir(ROOT)
    clock = "CPU seconds of this process" if args.cpu else "seconds"
    print(clock + ", min / median of", args.runs, "runs (AppTest; cold = caches cleared)")
    print(f"{'db':9} {'orgs':>5} {'page':10} {'cold':>17} {'first':>17} {'warm':>17}")
    with tempfile.TemporaryDirectory() as tmp:
        for n_orgs in args.orgs:
            data_dir = (args.data or Path(tmp)) / f"national_{n_orgs}"
            if args.data is None or not (data_dir / MANIFEST).exists():
                n_systems = max(1, round(n_orgs * 42 / 220))
                write_national(data_dir, n_orgs=n_orgs, n_systems=n_systems)
            for backend in backends:
                db, cleanup = empty_db(backend, args.postgres, Path(tmp))
                try:
                    start = time.perf_counter()
                    load_national(db, data_dir)
                    load_s = time.perf_counter() - start
                    os.environ["IMPACT_DATABASE_URL"] = db.url
                    raw = _raw_values(db.url)
                    print(f"{backend:9} {n_orgs:>5} {'(load)':10} {load_s:17.2f}")
                    for name in args.pages:
                        t = time_page(PAGES[name], args.runs, raw)
                        print(
                            f"{backend:9} {n_orgs:>5} {name:10} {_cell(t['cold'])} "
                            f"{_cell(t['first'])} {_cell(t['warm'])}",
                            flush=True,
                        )
                finally:
                    cleanup()


if __name__ == "__main__":
    main()
