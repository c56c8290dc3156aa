"""Workshop load: a room of phones answering at once while the big screen polls the totals.

80 participant threads drive the participant flow through the data layer (join, answer all at
the same moment, then change their answers), a few more participants go through the real Join
page (AppTest), and a "facilitator" thread reads `counts` and `results` every 0.2 s, as the
live view does. Checks: no answer lost or doubled, the facilitator's counts exact; measures the
time from a participant pressing send to the answer showing in the facilitator's totals.
Target (issue 9): median under 2 s, on SQLite and on PostgreSQL.

    python benchmarks/workshop_load.py [--participants 80] [--apptest 5] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingest_pulse import DEFAULT_PG, make_db  # noqa: E402
from impact_data.access import Viewer  # noqa: E402
from impact_data.workshop import (  # noqa: E402
    counts,
    create_session,
    join,
    my_answers,
    results,
    submit_answers,
)

LOCAL = Viewer.local()
POLL_SECONDS = 0.2
JOIN_PAGE = str(ROOT / "pages" / "join.py")


def first_answers(i: int, items: list[str]) -> dict[str, int]:
    return {item: 1 + (i + j) % 5 for j, item in enumerate(items)}


def final_answers(i: int, items: list[str]) -> dict[str, int]:
    """What participant i ends up answering (after changing their mind once)."""
    return {item: 1 + (2 * i + 3 * j + 1) % 5 for j, item in enumerate(items)}


@dataclass
class Run:
    """Timings and what the facilitator saw."""

    sent: list[tuple[float, float]] = field(default_factory=list)  # first submit (start, end)
    polls: list[tuple[float, int, int, int]] = field(
        default_factory=list
    )  # (t, joined, answered, people)
    poll_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tokens: dict[int, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def facilitator(db, code: str, n_items: int, run: Run, stop: threading.Event) -> None:
    """Reads the totals every 0.2 s, like the live view's fragment."""
    while not stop.is_set():
        started = time.perf_counter()
        seen = counts(db, LOCAL, code)
        frame = results(db, LOCAL, code)
        done = time.perf_counter()
        people = int(frame["n"].sum()) // n_items if not frame.empty else 0
        run.polls.append((done, seen["joined"], seen["answered"], people))
        run.poll_ms.append((done - started) * 1000)
        time.sleep(max(0.0, POLL_SECONDS - (done - started)))


def participant(db, code, i, items, run: Run, joined: threading.Barrier, ready: threading.Barrier):
    try:
        joined.wait()
        token = join(db, code)
        ready.wait()  # everybody presses send at the same moment: the worst case
        start = time.perf_counter()
        submit_answers(db, code, token, first_answers(i, items))
        end = time.perf_counter()
        time.sleep(random.uniform(0.0, 1.0))
        submit_answers(db, code, token, final_answers(i, items))  # a change replaces, never adds
        with run.lock:
            run.sent.append((start, end))
            run.tokens[i] = token
    except Exception as exc:  # noqa: BLE001 - every failure is counted and printed
        with run.lock:
            run.errors.append(f"participant {i}: {exc!r}")


def apptest_participants(db_url: str, code: str, first: int, count: int, items, run: Run) -> None:
    """Participants on the real Join page (headless), answering while the threads run."""
    from streamlit.testing.v1 import AppTest

    os.environ["IMPACT_DATABASE_URL"] = db_url
    for i in range(first, first + count):
        try:
            at = AppTest.from_file(JOIN_PAGE, default_timeout=60)
            at.query_params["code"] = code
            at.run()
            for radio, item in zip(at.radio, items, strict=True):
                radio.set_value(final_answers(i, items)[item])
            start = time.perf_counter()
            next(b for b in at.button if b.label == "Send my answers").click()
            at.run()
            end = time.perf_counter()
            if at.exception or "Thank you, your answers are in." not in [
                s.value for s in at.success
            ]:
                raise RuntimeError([e.value for e in at.exception] or "no thank-you message")
            with run.lock:
                run.sent.append((start, end))
                run.tokens[i] = at.query_params["p"]
        except Exception as exc:  # noqa: BLE001 - every failure is counted and printed
            with run.lock:
                run.errors.append(f"AppTest participant {i}: {exc!r}")


def latencies(run: Run) -> list[float]:
    """Seconds from each submit to the first facilitator read whose totals include it.

    Submits are matched to totals in the order they completed: the k-th completed submit is
    in the totals once the facilitator counts k people."""
    out = []
    for k, (start, _end) in enumerate(sorted(run.sent, key=lambda s: s[1]), start=1):
        seen = next((t for t, _j, _a, people in run.polls if people >= k and t >= start), None)
        if seen is not None:
            out.append(seen - start)
    return out


def measure(kind: str, pg_url: str, workdir: Path, n_threads: int, n_apptest: int) -> dict:
    db, cleanup = make_db(kind, pg_url, workdir)
    try:
        session = create_session(db, LOCAL, "readiness", "Load test")
        items = [item["code"] for item in session.items]
        code = session.code
        run = Run()
        stop = threading.Event()
        joined = threading.Barrier(n_threads)
        ready = threading.Barrier(n_threads)
        poller = threading.Thread(target=facilitator, args=(db, code, len(items), run, stop))
        poller.start()
        threads = [
            threading.Thread(
                target=participant, args=(db, code, i, items, run, joined, ready), daemon=True
            )
            for i in range(n_threads)
        ]
        wall = time.perf_counter()
        for t in threads:
            t.start()
        apptest_participants(db.url, code, n_threads, n_apptest, items, run)
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall
        time.sleep(1.0)  # let the facilitator take a few more reads
        stop.set()
        poller.join()

        total = n_threads + n_apptest
        final = results(db, LOCAL, code).set_index("item_code")
        expected = {item: {v: 0 for v in range(1, 6)} for item in items}
        for i in run.tokens:
            for item, value in final_answers(i, items).items():
                expected[item][value] += 1
        lost = doubled = 0
        for item in items:
            for value in range(1, 6):
                got = int(final.at[item, f"answer_{value}"])
                lost += max(0, expected[item][value] - got)
                doubled += max(0, got - expected[item][value])
        own_ok = sum(
            my_answers(db, code, token) == final_answers(i, items)
            for i, token in run.tokens.items()
        )
        last = counts(db, LOCAL, code)
        max_seen = max((people for *_x, people in run.polls), default=0)
        lat = latencies(run)
        return {
            "backend": kind,
            "participants": total,
            "thread": n_threads,
            "apptest": n_apptest,
            "errors": run.errors,
            "joined": last["joined"],
            "answered": last["answered"],
            "answers_expected": total * len(items),
            "answers_stored": int(final["n"].sum()),
            "lost": lost,
            "doubled": doubled,
            "own_answers_exact": own_ok,
            "counts_exact": last == {"joined": total, "answered": total}
            and run.polls[-1][1:] == (total, total, total)
            and max_seen <= total,
            "polls": len(run.polls),
            "poll_ms_median": statistics.median(run.poll_ms),
            "latency_n": len(lat),
            "latency_median_s": statistics.median(lat) if lat else float("nan"),
            "latency_p95_s": sorted(lat)[int(0.95 * (len(lat) - 1))] if lat else float("nan"),
            "latency_max_s": max(lat) if lat else float("nan"),
            "submit_median_s": statistics.median(end - start for start, end in run.sent),
            "wall_s": wall,
        }
    finally:
        cleanup()


def print_result(r: dict) -> None:
    ok = (
        not r["errors"]
        and r["lost"] == 0
        and r["doubled"] == 0
        and r["counts_exact"]
        and r["own_answers_exact"] == r["participants"]
        and r["latency_median_s"] < 2.0
    )
    print(
        f"\n{r['backend']}: {r['participants']} participants "
        f"({r['thread']} threads through the data layer + {r['apptest']} on the Join page)"
    )
    print(f"  errors                         {len(r['errors'])}")
    for e in r["errors"][:5]:
        print(f"    {e}")
    print(f"  joined / answered (counts)     {r['joined']} / {r['answered']}")
    print(f"  answers stored / expected      {r['answers_stored']} / {r['answers_expected']}")
    print(f"  lost / doubled answers         {r['lost']} / {r['doubled']}")
    print(f"  own answers read back exactly  {r['own_answers_exact']} of {r['participants']}")
    print(f"  facilitator's counts exact     {r['counts_exact']} ({r['polls']} reads)")
    print(f"  facilitator read (median)      {r['poll_ms_median']:.1f} ms")
    print(f"  submit call (median)           {r['submit_median_s'] * 1000:.0f} ms")
    print(
        f"  submit -> facilitator's totals median {r['latency_median_s']:.2f} s, "
        f"p95 {r['latency_p95_s']:.2f} s, max {r['latency_max_s']:.2f} s "
        f"({r['latency_n']} submits)"
    )
    print(f"  wall time                      {r['wall_s']:.1f} s")
    print(f"  target (no loss, exact, median < 2 s): {'MET' if ok else 'NOT MET'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=80)
    parser.add_argument("--apptest", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="runs per database")
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    random.seed(9)
    backends = ["sqlite"] + ([] if args.skip_postgres else ["postgres"])
    failed = False
    summary: dict[str, list[float]] = {}
    print(f"CPUs {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in backends:
            for _ in range(args.repeat):
                try:
                    result = measure(
                        kind, args.postgres, Path(tmp), args.participants, args.apptest
                    )
                except Exception as exc:  # noqa: BLE001 - e.g. no PostgreSQL server: say so
                    print(f"\n{kind}: not measured ({str(exc).splitlines()[0]})")
                    failed = True
                    break
                print_result(result)
                summary.setdefault(kind, []).append(result["latency_median_s"])
                failed |= bool(result["errors"] or result["lost"] or result["doubled"])
                failed |= not result["counts_exact"]
    print("\nsubmit -> facilitator's totals, median of each run:")
    for kind, medians in summary.items():
        runs = ", ".join(f"{m:.2f}" for m in medians)
        print(
            f"  {kind:<9} {runs} s; median over runs {statistics.median(medians):.2f} s "
            f"(target < 2 s: {'met' if statistics.median(medians) < 2.0 else 'NOT met'})"
        )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
