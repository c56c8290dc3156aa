"""Replicas behind nginx: N app processes (`python -m ui.launch`, as deploy/impact@.service) on one PostgreSQL with the
repository's deploy/nginx.conf in front, driven by simulated users through the proxy.

    python -m benchmarks.replicas --replicas 1 2 4 --users 8 --rounds 3

For each replica count it loads the sample system into a fresh PostgreSQL schema, starts the
replicas and nginx on free loopback ports (temporary prefix, pid and log files; nothing is
installed or left running), warms every replica, then runs `--users` simulated users at once.
Each user speaks Streamlit's own WebSocket protocol through the proxy, like a browser tab:
per round it opens Overview, Compare and Culture, reruns Culture (a click), and joins a live
workshop and sends its answers (a phone). It prints throughput and the median and 95th
percentile response per page. Loops are bounded (`--rounds`, `--seconds`); loopback only.

The same `Deployment` starts the set-up for tests/browser/test_deploy_browser.py.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_SITE = ROOT / "deploy" / "nginx.conf"
POSTGRES_URL = os.environ.get(
    "IMPACT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
AFFINITY_COOKIE = "impact_replica"
REPLICA_HEADER = "X-Impact-Replica"
PAGES = ("overview", "compare", "culture")


# ---------------------------------------------------------------------------------------------
# The set-up: replicas, nginx, a PostgreSQL schema


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_site(template: str, replica_ports: list[int], listen_port: int) -> str:
    """deploy/nginx.conf with its replicas and listening port changed (nothing else)."""
    servers = re.findall(r"^( *)server 127\.0\.0\.1:\d+( [^;\n]*)?;\n", template, re.M)
    if not servers:
        raise ValueError(f"{NGINX_SITE}: no `server 127.0.0.1:PORT ...;` lines in the upstream")
    indent, options = servers[0]
    lines = "".join(f"{indent}server 127.0.0.1:{p}{options};\n" for p in replica_ports)
    site = re.sub(
        r"(^ *server 127\.0\.0\.1:\d+[^;\n]*;\n)+", lambda _: lines, template, count=1, flags=re.M
    )
    health = re.findall(r"^ *location = /_replicas/\d+/health \{.*?^ *\}\n", site, re.M | re.S)
    if health:
        blocks = "".join(
            re.sub(
                r"/_replicas/\d+/",
                f"/_replicas/{n}/",
                re.sub(r":\d+/_stcore", f":{p}/_stcore", health[0]),
            )
            for n, p in enumerate(replica_ports, start=1)
        )
        site = site.replace("".join(health), blocks)
    site, n = re.subn(r"^( *)listen 80;", rf"\1listen 127.0.0.1:{listen_port};", site, flags=re.M)
    if n != 1:
        raise ValueError(f"{NGINX_SITE}: expected one `listen 80;` line")
    return site


def nginx_main(prefix: Path, site: Path) -> str:
    """A main nginx.conf that runs as the current user with every path under `prefix`."""
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {name}_temp_path {prefix / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        f"    access_log {prefix / 'access.log'};\n{temp}\n"
        f"    include {site};\n"
        "}\n"
    )


def postgres_problem() -> str | None:
    """Why the PostgreSQL server cannot be used (None when it can)."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return str(exc).splitlines()[0]
    return None


def create_schema() -> tuple[str, str]:
    """A fresh PostgreSQL schema: (its name, a database URL that uses it)."""
    from sqlalchemy import create_engine, text

    schema = f"deploy_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in POSTGRES_URL else "?"
    return schema, f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    """Drop a schema made by `create_schema`."""
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Wait for `url` to answer "ok"; RuntimeError with the log's end if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{url} exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} was not healthy after {timeout}s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a process this module started, and its children (its own process group)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


@dataclass
class Deployment:
    """Replicas of the app on one database, and nginx in front, all on loopback."""

    database_url: str
    replicas: int
    prefix: Path
    env: dict[str, str] = field(default_factory=dict)
    replica_ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen] = field(default_factory=list)
    proxy_port: int = 0

    @property
    def url(self) -> str:
        """The address users open: the proxy."""
        return f"http://127.0.0.1:{self.proxy_port}"

    def replica_url(self, n: int) -> str:
        """Replica n's own address (1-based), bypassing the proxy."""
        return f"http://127.0.0.1:{self.replica_ports[n - 1]}"

    def start(self) -> Deployment:
        """Start every replica at once (they migrate one at a time), then nginx."""
        self.prefix.mkdir(parents=True, exist_ok=True)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.replica_ports = [free_port() for _ in range(self.replicas)]
        env = {
            **os.environ,
            "IMPACT_DATABASE_URL": self.database_url,
            "STREAMLIT_SERVER_COOKIE_SECRET": uuid.uuid4().hex,
            **self.env,
        }
        logs = []
        try:
            for n, port in enumerate(self.replica_ports, start=1):
                log = self.prefix / f"replica{n}.log"
                logs.append(log)
                self.processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "ui.launch",  # as deploy/impact@.service starts a replica
                            "--server.port",
                            str(port),
                            "--server.address",
                            "127.0.0.1",
                            "--server.headless",
                            "true",
                            "--browser.gatherUsageStats",
                            "false",
                            "--server.fileWatcherType",
                            "none",
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=log.open("w"),
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            for n, (process, log) in enumerate(zip(self.processes, logs, strict=True), start=1):
                wait_healthy(f"{self.replica_url(n)}/_stcore/health", process, log)
            self.proxy_port = free_port()
            site = self.prefix / "impact.conf"
            site.write_text(nginx_site(NGINX_SITE.read_text(), self.replica_ports, self.proxy_port))
            main = self.prefix / "nginx.conf"
            main.write_text(nginx_main(self.prefix, site))
            log = self.prefix / "error.log"
            proxy = subprocess.Popen(
                [
                    nginx,
                    "-p",
                    str(self.prefix),
                    "-c",
                    str(main),
                    "-e",
                    str(log),
                    "-g",
                    "daemon off;",
                ],
                stdout=(self.prefix / "nginx.out").open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.processes.append(proxy)
            wait_healthy(f"{self.url}/_stcore/health", proxy, self.prefix / "nginx.out")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop nginx and every replica this deployment started."""
        for process in reversed(self.processes):
            stop(process)
        self.processes.clear()

    def stop_replica(self, n: int) -> None:
        """Stop replica n (1-based), as if it had crashed."""
        stop(self.processes[n - 1])

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def answered_by(self, cookie: str | None, path: str = "/_stcore/health") -> str:
        """Which replica ("127.0.0.1:PORT") the proxy sends a browser with this cookie to."""
        request = urllib.request.Request(f"{self.url}{path}")
        if cookie:
            request.add_header("Cookie", f"{AFFINITY_COOKIE}={cookie}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers[REPLICA_HEADER]

    def cookies_by_replica(self, timeout: float = 45) -> dict[int, str]:
        """An affinity cookie value that reaches each replica (1-based).

        A replica nginx has just marked down (max_fails within fail_timeout, e.g. a slow answer
        on a loaded machine) gets no traffic for up to 10 s, so keep trying until it is back.
        """
        found: dict[int, str] = {}
        by_port = {f"127.0.0.1:{p}": n for n, p in enumerate(self.replica_ports, start=1)}
        deadline = time.monotonic() + timeout
        while True:
            for i in range(200):
                value = f"pin{i}"
                found.setdefault(by_port[self.answered_by(value)], value)
                if len(found) == self.replicas:
                    return found
            if time.monotonic() > deadline:
                raise RuntimeError("no cookie value reaches every replica")
            time.sleep(1)


# ---------------------------------------------------------------------------------------------
# A simulated user: Streamlit's WebSocket protocol, as a browser tab speaks it


class PageFailed(Exception):
    """A page run that raised an exception in the app or never finished."""


@dataclass
class PageRun:
    seconds: float
    elements: list
    query_string: str


class StreamlitUser:
    """One browser tab: a WebSocket session with the app through the proxy."""

    def __init__(self, base_url: str, cookie: str | None = None, timeout: float = 120) -> None:
        from websockets.sync.client import connect

        self.base_url = base_url
        self.timeout = timeout
        headers = {"Cookie": f"{AFFINITY_COOKIE}={cookie}"} if cookie else {}
        self._connection = connect(
            base_url.replace("http://", "ws://") + "/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            open_timeout=30,
        )
        self.ws = self._connection.__enter__()

    def close(self) -> None:
        self._connection.__exit__(None, None, None)

    def run(self, page: str, query: str = "", widgets: list | None = None) -> PageRun:
        """Run a page (as opening or clicking in it does) and wait until it has finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        back = BackMsg()
        state = back.rerun_script
        state.query_string = query
        state.page_name = page
        state.context_info.url = f"{self.base_url}/{page}" + (f"?{query}" if query else "")
        state.context_info.timezone = "Europe/London"
        if widgets:
            state.widget_states.widgets.extend(widgets)
        started = time.perf_counter()
        self.ws.send(back.SerializeToString())
        elements: list = []
        failures: list[str] = []
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PageFailed(f"{page}: no answer in {self.timeout}s")
            msg = ForwardMsg()
            msg.ParseFromString(self.ws.recv(timeout=remaining))
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                if element.WhichOneof("type") == "exception":
                    failures.append(element.exception.message)
                elements.append(element)
            elif kind == "page_info_changed":
                query = msg.page_info_changed.query_string
            elif kind == "script_finished" and msg.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY,
                ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ):
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise PageFailed(f"{page}: the script did not compile")
                if failures:
                    raise PageFailed(f"{page}: the app raised {failures[0][:200]!r}")
                return PageRun(time.perf_counter() - started, elements, query)


def answer_workshop(user: StreamlitUser, code: str, choice: int = 3) -> tuple[float, float]:
    """Join a workshop by its link and answer every question with option `choice` (0-based):
    (seconds to join, seconds to send)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    first = user.run("join", f"code={code}")
    # The join page's component reports this browser's device id from its localStorage (the
    # page waits for it): send one, as a browser's JavaScript does.
    device = [
        WidgetState(id=e.bidi_component.id, json_value=json.dumps({"device": uuid.uuid4().hex}))
        for e in first.elements
        if e.WhichOneof("type") == "bidi_component"
    ]
    joined = user.run("join", first.query_string, device) if device else first
    joined.seconds += first.seconds if device else 0.0
    widgets = list(device)
    submit = None
    for element in joined.elements:
        if element.WhichOneof("type") == "radio":
            # A radio's value is the label of the chosen option, as shown.
            options = element.radio.options
            widgets.append(
                WidgetState(
                    id=element.radio.id, string_value=options[min(choice, len(options) - 1)]
                )
            )
        elif (
            element.WhichOneof("type") == "button"
            and element.button.is_form_submitter
            and element.button.label.startswith("Send my answers")
        ):
            submit = element.button.id
    if submit is None or not widgets:
        raise PageFailed("join: no questions or no Send button")
    widgets.append(WidgetState(id=submit, trigger_value=True))
    sent = user.run("join", joined.query_string, widgets)
    said = " ".join(e.alert.body for e in sent.elements if e.WhichOneof("type") == "alert")
    if "your answers are in" not in said:
        raise PageFailed(f"join: answers not taken ({said[:200]!r})")
    return joined.seconds, sent.seconds


# ---------------------------------------------------------------------------------------------
# The benchmark


@dataclass
class Timings:
    by_page: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, page: str, seconds: float) -> None:
        with self.lock:
            self.by_page.setdefault(page, []).append(seconds)

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def simulated_user(url: str, code: str, rounds: int, deadline: float, timings: Timings) -> None:
    """One user: per round Overview, Compare, Culture, a Culture rerun and a workshop answer."""
    try:
        tab = StreamlitUser(url)
        try:
            for _ in range(rounds):
                if time.monotonic() > deadline:
                    return
                for page, name in [*((p, p) for p in PAGES), ("culture", "culture rerun")]:
                    try:
                        timings.add(name, tab.run(page).seconds)
                    except PageFailed as exc:
                        timings.fail(str(exc))
                phone = StreamlitUser(url)
                try:
                    join_s, send_s = answer_workshop(phone, code)
                except PageFailed as exc:
                    timings.fail(str(exc))
                else:
                    timings.add("workshop join", join_s)
                    timings.add("workshop answer", send_s)
                finally:
                    phone.close()
        finally:
            tab.close()
    except Exception as exc:  # noqa: BLE001 - counted and printed, never hidden
        timings.fail(f"{type(exc).__name__}: {exc}")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), by linear interpolation."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


class ConnectionCounter:
    """Samples how many PostgreSQL connections the replicas hold (by application_name)."""

    def __init__(self, database_url: str, application_name: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(database_url)
        self.name = application_name
        self.peak = 0
        self.active_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        from sqlalchemy import text

        query = text(
            "SELECT count(*), count(*) FILTER (WHERE state = 'active') "
            "FROM pg_stat_activity WHERE application_name = :name"
        )
        with self.engine.connect() as conn:
            while not self._stop.wait(0.25):
                total, active = conn.execute(query, {"name": self.name}).one()
                conn.commit()
                self.peak = max(self.peak, total)
                self.active_peak = max(self.active_peak, active)

    def __enter__(self) -> ConnectionCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()


def with_application_name(url: str, name: str) -> str:
    """The database URL with a PostgreSQL application_name, to find its connections."""
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


def measure(replicas: int, users: int, rounds: int, seconds: float, database_url: str) -> dict:
    """Start `replicas` behind nginx, warm them, drive `users` at once; the figures."""
    from impact_data import Viewer
    from impact_data.store.db import Database
    from impact_data.workshop import create_session

    app_name = f"impact-bench-{uuid.uuid4().hex[:8]}"
    replica_url = with_application_name(database_url, app_name)
    with (
        tempfile.TemporaryDirectory(prefix="impact-replicas-") as tmp,
        Deployment(replica_url, replicas, Path(tmp)) as deployment,
        ConnectionCounter(database_url, app_name) as connections,
    ):
        db = Database(database_url)
        code = create_session(db, Viewer.local(), "readiness", "Benchmark workshop").code
        db.dispose()
        for cookie in deployment.cookies_by_replica().values():
            warm = StreamlitUser(deployment.url, cookie)
            phone = StreamlitUser(deployment.url, cookie)
            try:
                for page in PAGES:
                    with contextlib.suppress(PageFailed):  # counted in the measured runs
                        warm.run(page)
                with contextlib.suppress(PageFailed):
                    answer_workshop(phone, code)
            finally:
                warm.close()
                phone.close()
        timings = Timings()
        deadline = time.monotonic() + seconds
        threads = [
            threading.Thread(
                target=simulated_user, args=(deployment.url, code, rounds, deadline, timings)
            )
            for _ in range(users)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    runs = sum(len(v) for v in timings.by_page.values())
    return {
        "replicas": replicas,
        "users": users,
        "wall_s": wall,
        "runs": runs,
        "runs_per_s": runs / wall if wall else 0.0,
        "pages": {
            page: (len(v), statistics.median(v), percentile(v, 95))
            for page, v in timings.by_page.items()
        },
        "errors": timings.errors,
        "peak_connections": connections.peak,
        "peak_active_connections": connections.active_peak,
    }


def report(result: dict) -> str:
    """One replica count's figures as text."""
    lines = [
        f"{result['replicas']} replica(s), {result['users']} users: {result['runs']} page runs "
        f"in {result['wall_s']:.1f} s = {result['runs_per_s']:.2f} runs/s"
        + (f"; {len(result['errors'])} error(s)" if result["errors"] else "")
        + f"; PostgreSQL connections held: peak {result['peak_connections']} "
        f"({result['peak_active_connections']} running a statement at once)",
        f"  {'page':18} {'runs':>5} {'median ms':>10} {'p95 ms':>8}",
    ]
    for page, (n, median, p95) in result["pages"].items():
        lines.append(f"  {page:18} {n:>5} {median * 1000:>10.0f} {p95 * 1000:>8.0f}")
    lines += [f"  error: {e}" for e in result["errors"][:5]]
    return "\n".join(lines)


def operations(database_url: str, respondents: int) -> str:
    """Figures for the settings: the slowest statement of each page (AppTest on this
    database), a large upload, a backup and a restore of the result."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from streamlit.testing.v1 import AppTest

    from benchmarks.pulse_fixture import write_csv
    from impact_data.backup import restore_backup, write_backup
    from impact_data.ingest.uploads import load_file
    from impact_data.store.db import Database

    slowest: dict[str, float] = {}
    activity = ["start"]

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        took = time.perf_counter() - conn.info.pop("started", time.perf_counter())
        slowest[activity[0]] = max(slowest.get(activity[0], 0.0), took)

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    os.environ["IMPACT_DATABASE_URL"] = database_url
    lines = []
    try:
        for page in PAGES:
            activity[0] = page
            started = time.perf_counter()
            AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=300).run()
            lines.append(
                f"  {page:10} page run {time.perf_counter() - started:6.2f} s; slowest "
                f"statement {slowest.get(page, 0) * 1000:6.0f} ms"
            )
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)
    db = Database(database_url)
    with tempfile.TemporaryDirectory(prefix="impact-ops-") as tmp:
        path = write_csv(Path(tmp) / "pulse_big.csv", respondents)
        started = time.perf_counter()
        _, result = load_file(db, path, "pulse_survey", uploaded_by="benchmark")
        took = time.perf_counter() - started
        lines.append(
            f"  upload of {respondents:,} pulse respondents x 30 questions (one transaction, "
            f"COPY): {took:.1f} s" + ("" if result else " (refused)")
        )
        started = time.perf_counter()
        info = write_backup(db, Path(tmp) / "b.zip")
        size = (Path(tmp) / "b.zip").stat().st_size / 1e6
        lines.append(
            f"  backup of {info.total_rows:,} rows: {time.perf_counter() - started:.1f} s, "
            f"{size:.1f} MB"
        )
        schema, url = create_schema()
        try:
            target = Database(url)
            started = time.perf_counter()
            restore_backup(target, Path(tmp) / "b.zip")
            lines.append(f"  restore into PostgreSQL: {time.perf_counter() - started:.1f} s")
            target.dispose()
            sqlite = Database(f"sqlite:///{Path(tmp) / 'moved.db'}")
            started = time.perf_counter()
            restore_backup(sqlite, Path(tmp) / "b.zip")
            lines.append(f"  restore into SQLite: {time.perf_counter() - started:.1f} s")
            sqlite.dispose()
        finally:
            drop_schema(schema)
    db.dispose()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--users", type=int, default=8, help="simulated users at once")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per user (bounded)")
    parser.add_argument("--seconds", type=float, default=120, help="stop new rounds after this")
    parser.add_argument(
        "--database", help="a PostgreSQL URL to use as is (default: a fresh schema, dropped after)"
    )
    parser.add_argument(
        "--operations",
        type=int,
        metavar="RESPONDENTS",
        help="instead: slowest statement per page, and upload/backup/restore times with a "
        "pulse survey of this many respondents",
    )
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} CPU(s); nginx + replicas + users all on loopback")
    if args.operations:
        from impact_data.demo import load_demo
        from impact_data.store.db import Database

        schema, url = create_schema()
        try:
            db = Database(url)
            load_demo(db)
            db.dispose()
            print(operations(url, args.operations), flush=True)
        finally:
            drop_schema(schema)
        return 0
    for replicas in args.replicas:
        schema = None
        url = args.database
        if url is None:
            from impact_data.demo import load_demo
            from impact_data.store.db import Database

            schema, url = create_schema()
            db = Database(url)
            load_demo(db)
            db.dispose()
        try:
            print(report(measure(replicas, args.users, args.rounds, args.seconds, url)), flush=True)
        finally:
            if schema:
                drop_schema(schema)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
