"""Real-browser fixtures: the app served by `streamlit run` on a free port, and Chromium.

Follows Streamlit's own e2e approach: start the real server, wait for /_stcore/health,
drive it with Playwright (Debian's /usr/bin/chromium; browser downloads are not possible).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = os.environ.get("IMPACT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(
    url: str, process: subprocess.Popen, timeout: float = 60, poll: float = 0.3
) -> None:
    """Wait until the server at `url` answers its health check (`poll`: seconds between tries;
    a benchmark timing the start polls more often)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(poll)
    raise TimeoutError(f"{url} did not become healthy in {timeout}s")


def launch_app(
    database_url: str, log: Path, extra_env: dict | None = None, *, preload: bool = False
) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free port with `database_url`; (process, its URL), not yet
    waited for (the browser tests and benchmarks/first_request.py start servers this way).
    `preload`: started as deploy/impact@.service starts it (`python -m ui.launch`)."""
    port = free_port()
    env = {**os.environ, "IMPACT_DATABASE_URL": database_url, **(extra_env or {})}
    command = ["ui.launch"] if preload else ["streamlit", "run", "app.py"]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            *command,
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
    )
    return process, f"http://127.0.0.1:{port}"


class AppServer:
    def __init__(self, url: str, database_url: str, process: subprocess.Popen, log: Path):
        self.url = url
        self.database_url = database_url
        self.process = process
        self.log = log


def start_app(tmp: Path) -> AppServer:
    database_url = f"sqlite:///{tmp / 'browser.db'}"
    log = tmp / "streamlit.log"
    process, url = launch_app(database_url, log)
    try:
        wait_healthy(url, process)
    except Exception:
        process.terminate()
        raise RuntimeError(log.read_text()[-3000:]) from None
    return AppServer(url, database_url, process, log)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory) -> AppServer:
    server = start_app(tmp_path_factory.mktemp("app"))
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ (kept by CI as an artifact)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_app(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector('[data-testid="stApp"]')
    # While the script runs, the status widget shows "Running..." / a Stop button.
    page.wait_for_function(
        """() => {
            const w = document.querySelector('[data-testid="stStatusWidget"]');
            return !w || !(w.innerText.includes('Running') || w.innerText.includes('Stop'));
        }""",
        timeout=120_000,
    )
    page.wait_for_timeout(500)


__all__ = [
    "free_port",
    "launch_app",
    "screenshot",
    "shutil",
    "start_app",
    "wait_for_app",
    "wait_healthy",
]
