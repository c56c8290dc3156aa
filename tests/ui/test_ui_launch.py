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
def test_the_warm_ups_at_start(monkeypatch, signed_in):
    import streamlit.runtime

    import ui.state

    warmed = []
    monkeypatch.setattr(streamlit.runtime.Runtime, "exists", classmethod(lambda cls: True))
    monkeypatch.setattr(ui.state, "sign_in_configured", lambda: signed_in)
    monkeypatch.setattr(ui.state, "warm_caches", lambda who, **kw: warmed.append((who, kw)))
    launch.warm_when_running(timeout=5, delay=0).join(timeout=10)
    assert warmed == ([] if signed_in else [(Viewer.local(), {})])
    warmed.clear()
    # Before the server listens: whatever the mode (the secrets are not read that early).
    assert launch.warm_landing_page()
    assert warmed == [(Viewer.local(), {"landing_only": True})]


def test_no_warm_up_without_a_runtime(monkeypatch):
    import streamlit.runtime

    import ui.state

    warmed = []
    monkeypatch.setattr(streamlit.runtime.Runtime, "exists", classmethod(lambda cls: False))
    monkeypatch.setattr(ui.state, "warm_caches", lambda who, **kw: warmed.append(who))
    thread = launch.warm_when_running(timeout=0.2, delay=0)
    thread.join(timeout=5)
    assert not thread.is_alive() and warmed == []


def test_the_landing_page_warm_up_never_reads_the_secrets(monkeypatch):
    """Streamlit keeps the secrets it reads first: read before the server has read its options
    (`--secrets.files`), a configured sign-in could be missed and the app run in local mode."""
    import ui.state

    monkeypatch.setattr(ui.state, "warm_caches", lambda who, **kw: None)

    def no_secrets():
        raise AssertionError("the secrets were read before the server started")

    monkeypatch.setattr(ui.state, "sign_in_configured", no_secrets)
    assert launch.warm_landing_page()
