"""Page speed in a real browser: Overview, Compare and Culture at national scale.

`benchmarks/page_speed.py` times the pages' scripts with AppTest; this times what a person
waits for in Chromium (Playwright, /usr/bin/chromium): the real server (`streamlit run app.py`),
its websocket, the browser's rendering of every chart. For each size (`--orgs`, the fixed-seed
national data set of benchmarks/national_data.py loaded into SQLite, or the sample system with
`--orgs 0`) and each page, every run starts a fresh server, opens the Guide once (so the
first-request cost of starting the app is not charged to the page), then:
- cold: opens the page (its data caches are empty) until its title is on screen and the
  script has finished (`data-test-script-state` on Streamlit's app root is notRunning);
- first: moves one of the page's drop-downs (Overview: Organisation, Culture: Dimension,
  Compare: its first) to its next option, until that rerun finishes;
- warm: after one more new choice, moves it back to the first (everything it needs was
  computed before).
The end of an interaction is read from the page itself: a MutationObserver records when the
app root's script state turns running and back, so a rerun shorter than a polling interval is
still timed. Prints min and median of `--runs` runs and the server's CPU seconds for the cold
open. Issue 20's targets at 220 organisations: cold <= 2 s, warm <= 0.3 s (median).

    python benchmarks/browser_speed.py [--orgs 10 50 220] [--runs 3]
                                       [--pages overview compare culture]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# Cold is cold: no results kept on disk by an earlier run (ui.disk_cache) and no background
# warm-up of the other pages after the first one (ui.state.warm_in_background).
os.environ.setdefault("IMPACT_CACHE_DIR", "off")
os.environ.setdefault("IMPACT_WARM_CACHES", "off")

from benchmarks.first_request import cpu_seconds, national_db, sample_db  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, launch_app, wait_healthy  # noqa: E402

PAGES = {  # address -> the page's title (its h1) and the drop-down a person would move
    "overview": ("System overview", "Organisation"),
    "compare": ("Compare", None),  # None: the main area's first drop-down
    "culture": ("Culture", "Dimension"),
}
TIMEOUT_MS = 120_000

# Records every change of the app root's script state with its time (performance.now()).
_OBSERVE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__runs = [];
    new MutationObserver(() => {
        window.__runs.push([performance.now(), app.getAttribute('data-test-script-state')]);
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""

# After `start` (performance.now() at the click): the time the first run that began after it
# finished, or null while it has not.
_FINISHED_SINCE = """(start) => {
    let began = false;
    for (const [t, state] of window.__runs) {
        if (t < start) continue;
        if (state === 'running') began = true;
        else if (began && state === 'notRunning') return t;
    }
    return null;
}"""


def _idle(page) -> None:
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning';
        }""",
        timeout=TIMEOUT_MS,
    )


def _open(page, url: str, title: str) -> float:
    start = time.perf_counter()
    page.goto(url)
    page.get_by_role("heading", name=title, level=1).first.wait_for()
    _idle(page)
    return time.perf_counter() - start


def _choose(page, label: str | None, step: str) -> float:
    """Move the drop-down labelled `label` one option (`ArrowDown` or `ArrowUp`); seconds from
    the choice until the rerun it starts has finished."""
    boxes = page.get_by_test_id("stMain").get_by_test_id("stSelectbox")
    box = (boxes.filter(has_text=label) if label else boxes).first
    box.locator("input").first.click()
    page.wait_for_timeout(400)  # the list opens
    page.keyboard.press(step)
    start = page.evaluate("() => performance.now()")
    page.keyboard.press("Enter")
    page.wait_for_function(_FINISHED_SINCE, arg=start, timeout=TIMEOUT_MS, polling=20)
    end = page.evaluate(_FINISHED_SINCE, start)
    page.wait_for_timeout(300)  # let the page settle before the next interaction
    return (end - start) / 1000


def one_run(browser, database_url: str, name: str, workdir: Path) -> dict[str, float]:
    process, url = launch_app(database_url, workdir / "streamlit.log")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        wait_healthy(url, process, timeout=120)
        _open(page, f"{url}/guide", "Guide")  # the app has started; the page's caches are cold
        cpu_before = cpu_seconds(process.pid)
        title, label = PAGES[name]
        cold = _open(page, f"{url}/{name}", title)
        cold_cpu = cpu_seconds(process.pid) - cpu_before
        page.evaluate(_OBSERVE)
        first = _choose(page, label, "ArrowDown")  # a new choice: computed for the first time
        _choose(page, label, "ArrowDown")  # another new one (a drop-down may start empty)
        warm = _choose(page, label, "ArrowUp")  # back to the first choice: computed before
        return {"cold": cold, "cold_cpu": cold_cpu, "first": first, "warm": warm}
    finally:
        context.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _cell(values: list[float]) -> str:
    return f"{min(values):7.2f} / {statistics.median(values):7.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, nargs="+", default=[220], help="0: the sample system")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", nargs="+", choices=sorted(PAGES), default=list(PAGES))
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is not installed")
        return 2
    from playwright.sync_api import sync_playwright

    print(f"seconds in Chromium, min / median of {args.runs} runs (fresh server each run)")
    print(f"{'orgs':>5} {'page':10} {'cold':>17} {'cold CPU':>17} {'first':>17} {'warm':>17}")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        workdir = Path(tmp)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for n_orgs in args.orgs:
                url = sample_db(workdir) if n_orgs == 0 else national_db(workdir, n_orgs)
                label = "sample" if n_orgs == 0 else str(n_orgs)
                for name in args.pages:
                    runs = [one_run(browser, url, name, workdir) for _ in range(args.runs)]
                    print(
                        f"{label:>5} {name:10} {_cell([r['cold'] for r in runs])} "
                        f"{_cell([r['cold_cpu'] for r in runs])} "
                        f"{_cell([r['first'] for r in runs])} {_cell([r['warm'] for r in runs])}",
                        flush=True,
                    )
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
