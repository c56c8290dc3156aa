"""Start the dashboard ready for its first visitor.

    python -m ui.launch [streamlit run options, e.g. --server.port 8501]

`streamlit run app.py` imports the app's modules (Streamlit's page code, pandas, Altair, the
data layer: about 1.5 s of CPU) only when the first visitor opens a page, and computes the
figures that page opens with then. This launcher imports them before the server starts
listening, so no visitor waits for them. It also computes, before listening, the figures of
the page the app opens on (Overview, and the sidebar's reporting period) for the local-mode
access scope, and, in local mode (no sign-in configured: one access scope, known in advance),
a few seconds after the server runs (so as not to slow the first visitor's page), those the
other pages open with, as after an upload (`ui.state.warm_caches`): in memory and in the disk
cache when a page asks. With sign-in, the first visitor's page starts that warm-up for their
access scope, as it does under `streamlit run`.
deploy/impact@.service starts replicas this way.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
# Not needed to show a page (tooling and schema changes).
SKIP = ("impact_data.__main__", "impact_data.cli", "impact_data.store.migrations", "ui.launch")

log = logging.getLogger(__name__)


def preload() -> list[str]:
    """Import the app's modules and the libraries they use; the names imported."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    names = []
    # Before the runtime exists, Streamlit's check of each cache decorator says it would fall
    # back to a memory cache: not so, the caches are made at their first call, in the runtime.
    quiet = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        for package in ("impact_data", "ui"):
            module = importlib.import_module(package)
            for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
                if info.name.startswith(SKIP):
                    continue
                importlib.import_module(info.name)
                names.append(info.name)
    finally:
        quiet.setLevel(level)
    return names


def _local_mode() -> bool:
    from ui.state import sign_in_configured

    return not sign_in_configured()


def warm_landing_page() -> bool:
    """Compute the figures of the page the app opens on, for the local-mode viewer's access
    scope, before the server listens; False when it failed (the page computes them then).

    Done whether or not sign-in is configured: that is in Streamlit's secrets, which must not
    be read before the server has read its options (`--secrets.files`), or the server would
    keep the secrets found first. With sign-in the results serve only viewers of that scope
    (an admin's: every organisation); results are never shared across scopes."""
    from impact_data import Viewer
    from ui.state import warm_caches

    # Without a runtime yet, Streamlit's caches say they use memory: they do, and the runtime
    # goes on using the same caches once it starts.
    quiet = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        warm_caches(Viewer.local(), landing_only=True)
        return True
    except Exception:  # noqa: BLE001 - the page computes its figures itself
        log.exception("warming the landing page's figures at start failed")
        return False
    finally:
        quiet.setLevel(level)


def warm_when_running(timeout: float = 120.0, delay: float = 5.0) -> threading.Thread:
    """Start a thread that waits for the Streamlit runtime and `delay` seconds more (the first
    visitor's page goes first), then (local mode only) computes the figures the pages open
    with, into the same caches the pages read."""

    def run() -> None:
        from streamlit.runtime import Runtime

        from ui.state import warm_caches

        deadline = time.monotonic() + timeout
        while not Runtime.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not Runtime.exists() or not _local_mode():
            return
        time.sleep(delay)
        try:
            from impact_data import Viewer

            warm_caches(Viewer.local())
        except Exception:  # noqa: BLE001 - the pages compute their figures themselves
            log.exception("warming the caches at start failed")

    thread = threading.Thread(target=run, name="impact-warm-start", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    preload()
    from ui.state import background_warming

    if background_warming():
        warm_landing_page()
        warm_when_running()
    from streamlit.web import cli

    cli.main.main(args=["run", str(APP), *args], prog_name="streamlit")


if __name__ == "__main__":
    main()
