"""First request after a server start: how long the first visitor waits for a page.

Starts the real server (`streamlit run app.py` on a free port, as tests/browser/conftest.py
does) on a database, waits until it answers /_stcore/health, then opens the first page in
headless Chromium (Playwright, /usr/bin/chromium) and times until its content is served: the
page's title is on screen and the script has finished running. Then a second visitor (a new
browser context) opens the same page, for comparison. Each run is a fresh server process.

The database: the sample system (default; loaded once into a temporary SQLite file), the
national-scale data set (`--orgs N`, benchmarks/national_data.py, fixed seed), or `--db URL`.
Each run starts the server twice: once with the disk cache of query results (ui.disk_cache)
emptied, as after a restart on changed data ("cold"), then again on the same data, reading
the results the first server kept ("same data"). Prints, per run and start, wall seconds
from the server process starting to healthy, the first request (navigation to content), the
second request, and the server process's CPU seconds (user + system, from /proc) spent on
the first request. Issue 20's target: the first request after a server start <= 3 s.
`--disk-cache off` runs without the disk cache (IMPACT_CACHE_DIR=off), as before it.
The server is started as deploy/impact@.service starts it (`python -m ui.launch`: the app's
modules imported before it listens, and in local mode the opening figures computed at start);
`--launch streamlit` starts it with plain `streamlit run app.py`.

    python benchmarks/first_request.py [--runs 3] [--orgs 220 | --db URL] [--path /]
                                       [--title "System overview"] [--disk-cache off]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    launch_app,
    wait_healthy,
)

TARGET_FIRST = 3.0
TIMEOUT_MS = 300_000
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def sample_db(workdir: Path) -> str:
    from impact_data.demo import load_demo
    from impact_data.store.db import Database

    path = workdir / "sample.db"
    db = Database(f"sqlite:///{path}")
    load_demo(db)
    db.dispose()
    return f"sqlite:///{path}"


def national_db(workdir: Path, n_orgs: int) -> str:
    from benchmarks.national_data import load_national, write_national
    from impact_data.store.db import Database

    data_dir = workdir / f"national_{n_orgs}"
    write_national(data_dir, n_orgs=n_orgs, n_systems=max(1, round(n_orgs * 42 / 220)))
    path = workdir / f"national_{n_orgs}.db"
    db = Database(f"sqlite:///{path}")
    load_national(db, data_dir)
    db.dispose()
    return f"sqlite:///{path}"


def open_page(browser, url: str, title: str) -> float:
    """Seconds from navigating to `url` until the page's title is shown and its script has
    finished (Streamlit's status widget no longer says Running)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        start = time.perf_counter()
        page.goto(url)
        page.get_by_role("heading", name=title, level=1).first.wait_for()
        page.wait_for_function(
            """() => {
                const w = document.querySelector('[data-testid="stStatusWidget"]');
                return !w || !(w.innerText.includes('Running') || w.innerText.includes('Stop'));
            }""",
            timeout=TIMEOUT_MS,
        )
        return time.perf_counter() - start
    finally:
        context.close()


def clear_disk_cache(database_url: str) -> None:
    """Empty the disk cache of query results the app keeps for `database_url`."""
    from impact_data.store.db import Database
    from ui import disk_cache

    db = Database(database_url, migrate=False)
    try:
        where = disk_cache.folder(db)
    finally:
        db.dispose()
    if where is not None and where.is_dir():
        shutil.rmtree(where)


def one_run(
    browser,
    database_url: str,
    path: str,
    title: str,
    workdir: Path,
    extra_env: dict | None = None,
    preload: bool = True,
) -> dict:
    log = workdir / "streamlit.log"
    started = time.perf_counter()
    process, url = launch_app(database_url, log, extra_env, preload=preload)
    try:
        try:
            wait_healthy(url, process, timeout=120, poll=0.05)
        except Exception:
            raise RuntimeError(log.read_text()[-3000:]) from None
        healthy = time.perf_counter() - started
        cpu_before = cpu_seconds(process.pid)
        first = open_page(browser, url + path, title)
        cpu_first = cpu_seconds(process.pid) - cpu_before
        second = open_page(browser, url + path, title)
        return {"healthy": healthy, "first": first, "first_cpu": cpu_first, "second": second}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--orgs", type=int, help="national-scale data set of N organisations")
    source.add_argument("--db", help="an existing database URL (not changed)")
    parser.add_argument("--path", default="/", help="the address opened first")
    parser.add_argument("--title", default="System overview", help="the first page's title")
    parser.add_argument(
        "--disk-cache", choices=("on", "off"), default="on", help="off: IMPACT_CACHE_DIR=off"
    )
    parser.add_argument(
        "--launch",
        choices=("preload", "streamlit"),
        default="preload",
        help="preload: `python -m ui.launch`, as deploy/impact@.service starts the app "
        "(default); streamlit: plain `streamlit run app.py`",
    )
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is not installed")
        return 2
    from playwright.sync_api import sync_playwright

    starts = ["cold", "same data"] if args.disk_cache == "on" else ["no disk cache"]
    # As deployed: warm-ups on (importing the test helpers turned them off in this process).
    extra_env = {"IMPACT_WARM_CACHES": "on"}
    if args.disk_cache == "off":
        extra_env["IMPACT_CACHE_DIR"] = "off"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.db:
            url, what = args.db, args.db
        elif args.orgs:
            url, what = national_db(workdir, args.orgs), f"national data, {args.orgs} orgs"
        else:
            url, what = sample_db(workdir), "the sample system"
        print(
            f"First request after a server start, {what}, {args.path} ({args.runs} runs, "
            f"started with {'python -m ui.launch' if args.launch == 'preload' else 'streamlit run app.py'})"
        )
        print(
            f"{'run':>3} {'start':>13} {'healthy s':>10} {'first s':>8} {'first CPU s':>12} "
            f"{'second s':>9}"
        )
        rows: dict[str, list[dict]] = {start: [] for start in starts}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for i in range(1, args.runs + 1):
                    for start in starts:
                        if start == "cold":
                            clear_disk_cache(url)
                        row = one_run(
                            browser,
                            url,
                            args.path,
                            args.title,
                            workdir,
                            extra_env,
                            preload=args.launch == "preload",
                        )
                        rows[start].append(row)
                        print(
                            f"{i:>3} {start:>13} {row['healthy']:>10.2f} {row['first']:>8.2f} "
                            f"{row['first_cpu']:>12.2f} {row['second']:>9.2f}",
                            flush=True,
                        )
            finally:
                browser.close()
    for start in starts:
        first = statistics.median(r["first"] for r in rows[start])
        print(
            f"median, {start}: first request {first:.2f} s (server CPU "
            f"{statistics.median(r['first_cpu'] for r in rows[start]):.2f} s), second "
            f"{statistics.median(r['second'] for r in rows[start]):.2f} s; target first <= "
            f"{TARGET_FIRST:g} s: {'met' if first <= TARGET_FIRST else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
