"""The page pieces every page shares (`ui.components`), drawn headless with AppTest."""

from __future__ import annotations

import ast

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui.components import download_stem


def _script() -> None:
    import altair as alt
    import pandas as pd

    from ui.components import chart_with_text, data_behind, table_with_downloads

    frame = pd.DataFrame({"org_code": ["ZA1", "ZB1"], "positive_pct": [61.5, None]})
    chart_with_text(
        alt.Chart(frame).mark_bar().encode(x="org_code", y="positive_pct"),
        "ZA1 is at 61.5%; ZB1 is *suppressed*.",
    )

    def as_text(table: pd.DataFrame) -> pd.DataFrame:
        pct = table["positive_pct"].map(lambda v: "suppressed" if pd.isna(v) else f"{v:.1f}")
        return table.assign(positive_pct=pct)

    data_behind(frame, "Culture: by organisation", "behind", display=as_text)
    table_with_downloads(frame, "the same table", "plain")


def test_chart_text_data_behind_and_downloads():
    at = AppTest.from_function(_script, default_timeout=30).run()
    assert not at.exception, at.exception
    # The text alternative is written beneath the chart, Markdown escaped.
    assert [c.value for c in at.caption] == [r"ZA1 is at 61.5%; ZB1 is \*suppressed\*."]
    assert len(at.get("vega_lite_chart")) == 1
    # The data behind the chart, folded away, shown through its display function.
    assert [e.label for e in at.expander] == ["Data behind this chart"]
    [behind] = at.expander[0].dataframe
    assert behind.value["positive_pct"].tolist() == ["61.5", "suppressed"]
    assert at.dataframe[1].value["positive_pct"].tolist()[0] == 61.5
    # CSV and Excel of each table, under keys derived from the table's.
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Download CSV", "Download Excel"] * 2
    keys = [b.proto.id.rsplit("-", 1)[-1] for b in buttons]
    assert keys == ["behind_csv", "behind_xlsx", "plain_csv", "plain_xlsx"]


def test_download_file_names_are_safe():
    assert download_stem("Culture: by organisation") == "culture_by_organisation"
    assert download_stem("NHS IMPACT self-assessments") == "nhs_impact_self-assessments"
    assert download_stem("a/b\\c*?[x]") == "a_b_c_x"
    assert download_stem("  ") == "table"


def test_pages_draw_downloads_and_charts_only_through_the_shared_components():
    """No page keeps its own copy of the download / data-behind / chart-with-text helpers."""
    own_copies = {"downloads", "data_behind", "chart_with_text", "table", "chart"}
    problems = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.lstrip("_") in own_copies:
                problems.append(f"{path.name}:{node.lineno} defines {node.name}")
            if isinstance(node, ast.ImportFrom) and node.module == "impact_data.exports":
                problems.append(f"{path.name}:{node.lineno} builds export files itself")
    assert problems == []


def test_chart_spec_is_built_once_per_data_and_options():
    import altair as alt
    import pandas as pd
    import streamlit as st

    from ui.components import chart_data, chart_spec

    st.cache_data.clear()
    calls = []

    def bars(frame: pd.DataFrame, *, title: str) -> alt.Chart:
        calls.append(title)
        return alt.Chart(frame, title=title).mark_bar().encode(x="org_code", y="cycles")

    frame = pd.DataFrame({"org_code": ["ZA1", "ZB1"], "cycles": [3, 5]})
    spec = chart_spec(bars, frame, title="Cycles")
    with alt.theme.enable("none"):
        expected = bars(frame, title="Cycles").to_dict()
    # The same spec as Altair's own, its data named by content and carried as Arrow bytes.
    rows = next(iter(expected.pop("datasets").values()))
    name = spec["data"]["name"]
    assert set(spec["datasets"]) == {name} and isinstance(spec["datasets"][name], bytes)
    assert {k: v for k, v in spec.items() if k not in ("data", "datasets")} == {
        k: v for k, v in expected.items() if k != "data"
    }
    assert chart_data(spec, name).to_dict("records") == rows
    assert "config" not in spec  # no fixed 300 x 300 view from Altair's default theme
    calls.clear()
    assert chart_spec(bars, frame.copy(), title="Cycles") == spec
    assert calls == []  # equal data and options: the cached spec
    chart_spec(bars, frame, title="Other title")
    chart_spec(bars, frame.assign(cycles=[3, 6]), title="Cycles")
    relabelled = frame.copy()
    relabelled.attrs["chart"] = "p'"
    chart_spec(bars, relabelled, title="Cycles")
    assert calls == ["Other title", "Cycles", "Cycles"]


def test_chart_text_is_worded_once_per_data_and_arguments():
    import pandas as pd
    import streamlit as st

    from ui.components import chart_text

    st.cache_data.clear()
    calls = []

    def words(frame: pd.DataFrame, org: str, *, unit: str) -> str:
        calls.append(org)
        return f"{org}: {int(frame['cycles'].sum())} {unit}"

    frame = pd.DataFrame({"org_code": ["ZA1", "ZB1"], "cycles": [3, 5]})
    assert chart_text(words, frame, "ZA1", unit="cycles") == "ZA1: 8 cycles"
    assert chart_text(words, frame.copy(), "ZA1", unit="cycles") == "ZA1: 8 cycles"
    assert calls == ["ZA1"]  # equal data and arguments: the words already worked out
    assert chart_text(words, frame, "ZB1", unit="cycles") == "ZB1: 8 cycles"
    assert chart_text(words, frame.assign(cycles=[1, 1]), "ZA1", unit="cycles") == "ZA1: 2 cycles"
    assert calls == ["ZA1", "ZB1", "ZA1"]


def test_chart_spec_takes_a_national_scale_data_set():
    import altair as alt
    import pandas as pd
    from pandas.testing import assert_frame_equal

    from ui.components import chart_data, chart_spec

    def points(frame: pd.DataFrame) -> alt.Chart:
        return alt.Chart(frame).mark_point().encode(x="month:O", y="value:Q")

    frame = pd.DataFrame({"month": range(6000), "value": [0.5] * 6000})  # over Altair's 5,000
    spec = chart_spec(points, frame)
    assert_frame_equal(chart_data(spec), frame)
    assert alt.data_transformers.options.get("max_rows", 5000) == 5000  # left as it was
