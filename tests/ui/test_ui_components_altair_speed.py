"""`ui.components.chart_spec` builds charts without Altair's debug-mode validation (which
checks every schema object as it is made): every chart every dashboard page draws must still
be the same spec, byte for byte, as the one made before. The previous code path is kept here as the reference; the
pages are run on the sample system and on a generated national one."""

from __future__ import annotations

import hashlib
import json

import altair as alt
import pandas as pd
import pytest
import streamlit as st
from altair.utils import schemapi
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

import ui.components
from tests.conftest import ROOT, use_database

PAGES = ["overview", "compare", "culture", "readiness", "pdsa"]


# --- The reference: chart_spec's previous code, with Altair's own functions ----------------


def _reference_arrow(data, datasets):
    if not isinstance(data, pd.DataFrame):
        return alt.to_values(data)
    payload = dataframe_util.convert_anything_to_arrow_bytes(data)
    name = f"data-{hashlib.sha256(payload).hexdigest()[:32]}"
    datasets[name] = payload
    return {"name": name}


def reference_chart_spec(builder, data: pd.DataFrame, monkeypatch, **options) -> dict:
    """The spec as chart_spec made it before: built in Altair's debug mode."""
    assert schemapi.DEBUG_MODE
    chart = builder(data, **options)
    datasets: dict[str, bytes] = {}
    alt.data_transformers.register("impact_reference_arrow", _reference_arrow)
    transformer = alt.data_transformers.enable("impact_reference_arrow", datasets=datasets)
    with transformer, alt.theme.enable("none"):
        spec = chart.to_dict(validate=False)
    if datasets:
        spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def _comparable(spec: dict) -> str:
    return json.dumps(spec, sort_keys=True, default=lambda b: b.hex())


# --- Every chart of every page, on the sample and a generated system -----------------------


@pytest.fixture(params=["sample", "national"])
def system(request, loaded_system, monkeypatch):
    db = loaded_system(request.param, n_orgs=30, n_systems=4)
    use_database(db.url, monkeypatch)
    return request.param


def _page_charts(page: str, monkeypatch) -> list[tuple]:
    """(builder, data, options, spec) of every chart_spec call of a page's first run."""
    calls = []
    fast = ui.components.chart_spec

    def spy(builder, data, **options):
        spec = fast(builder, data, **options)
        calls.append((builder, data.copy(), options, spec))
        return spec

    monkeypatch.setattr(ui.components, "chart_spec", spy)
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    return calls


@pytest.mark.parametrize("page", PAGES)
def test_every_page_chart_is_the_spec_altairs_own_code_makes(system, page, monkeypatch):
    charts = _page_charts(page, monkeypatch)
    if system == "national" or page != "overview":
        assert charts, f"{page} drew no chart through chart_spec"
    for builder, data, options, spec in charts:
        expected = reference_chart_spec(builder, data, monkeypatch, **options)
        assert _comparable(spec) == _comparable(expected), builder.__qualname__
    assert schemapi.DEBUG_MODE


def test_the_reference_can_tell_a_different_spec(monkeypatch):
    """The comparison fails on a chart that differs in one option."""

    def bars(frame, *, title):
        return alt.Chart(frame, title=title).mark_bar().encode(x="org_code:N", y="n:Q")

    frame = pd.DataFrame({"org_code": ["ZA1", "ZB1"], "n": [3, 5]})
    st.cache_data.clear()
    spec = ui.components.chart_spec(bars, frame, title="Cycles")
    same = reference_chart_spec(bars, frame, monkeypatch, title="Cycles")
    other = reference_chart_spec(bars, frame, monkeypatch, title="Cycle")
    assert _comparable(spec) == _comparable(same)
    assert _comparable(spec) != _comparable(other)
