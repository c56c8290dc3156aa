"""`python -m ui.launch`: the app's modules imported before the server listens, the opening
figures warmed once it runs (local mode only), then `streamlit run app.py` as usual."""

from __future__ import annotations

import sys

import pytest

from impact_data import Viewer
from ui import launch


def test_preload_imports_the_pages_modules_but_not_the_tooling():
    names = launch.preload()
    for needed in ("impact_data.views.overview", "impact_data.views.compare", "ui.state",
                   "ui.components", "ui.navigation"):  # fmt: skip
        assert needed in names
        assert needed in sys.modules
    assert not [n for n in names if n.startswith(launch.SKIP)]


def test_main_starts_streamlit_run_on_the_app_with_the_options_given(monkeypatch):
    from streamlit.web import cli

    calls = []
    monkeypatch.setattr(cli.main, "main", lambda **kw: calls.append(kw))
    monkeypatch.setattr(launch, "preload", lambda: calls.append("preload"))
    monkeypatch.setenv("IMPACT_WARM_CACHES", "off")  # no warm-up thread in this test
    launch.main(["--server.port", "8599"])
    assert calls == [
        "preload",
        {"args": ["run", str(launch.APP), "--server.port", "8599"], "prog_name": "streamlit"},
    ]
    assert launch.APP.name == "app.py" and launch.APP.exists()


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_warm_up_at_start_runs_once_the_runtime_exists_in_local_mode_only(
    monkeypatch, signed_in
):
    import streamlit.runtime

    import ui.state

    warmed = []
    monkeypatch.setattr(streamlit.runtime.Runtime, "exists", classmethod(lambda cls: True))
    monkeypatch.setattr(ui.state, "sign_in_configured", lambda: signed_in)
    monkeypatch.setattr(ui.state, "warm_caches", lambda who, **kw: warmed.append((who, kw)))
    launch.warm_when_running(timeout=5, delay=0).join(timeout=10)
    assert warmed == ([] if signed_in else [(Viewer.local(), {})])
    warmed.clear()
    assert launch.warm_landing_page() is not signed_in  # before the server listens
    assert warmed == ([] if signed_in else [(Viewer.local(), {"landing_only": True})])


def test_no_warm_up_without_a_runtime(monkeypatch):
    import streamlit.runtime

    import ui.state

    warmed = []
    monkeypatch.setattr(streamlit.runtime.Runtime, "exists", classmethod(lambda cls: False))
    monkeypatch.setattr(ui.state, "warm_caches", lambda who, **kw: warmed.append(who))
    thread = launch.warm_when_running(timeout=0.2, delay=0)
    thread.join(timeout=5)
    assert not thread.is_alive() and warmed == []
