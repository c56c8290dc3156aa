"""The pieces every page draws the same way: a chart with its text alternative, the data behind
a chart, and CSV and Excel downloads of exactly the table on screen."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from typing import Literal

import altair as alt
import pandas as pd
import streamlit as st
from altair.utils.schemapi import debug_mode
from streamlit import dataframe_util

from impact_data.exports import to_csv_bytes, to_xlsx_bytes
from impact_data.store.settings import suppression_rule
from impact_data.views.changes import change_notes
from ui.safe import md
from ui.state import database, query

__all__ = [
    "CSV_MIME",
    "DATA_BEHIND",
    "XLSX_MIME",
    "chart_spec",
    "chart_text",
    "chart_with_text",
    "data_behind",
    "download_stem",
    "downloads",
    "show_change_notes",
    "table_with_downloads",
]

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_BEHIND = "Data behind this chart"
# How a table is shown on screen when that differs from the file (e.g. mixed columns as text).
Display = Callable[[pd.DataFrame], pd.DataFrame]
SHEET_NAME_LIMIT = 31  # Excel's limit on a sheet name
# Characters a file name should not carry on any system, and Excel refuses in a sheet name.
_UNSAFE = re.compile(r'[\\/:*?"<>|\[\]\x00-\x1f]+')


def download_stem(name: str) -> str:
    """A file name (without extension) for a table's title: lower case, words joined by "_"."""
    words = _UNSAFE.sub(" ", name).lower().split()
    return "_".join(words) or "table"


def _sheet_name(name: str) -> str:
    return (_UNSAFE.sub(" ", name).strip() or "Table")[:SHEET_NAME_LIMIT]


def downloads(table: pd.DataFrame, name: str, key: str) -> None:
    """CSV and Excel download buttons for `table`, each file built only when it is clicked.

    The files hold exactly the table given (suppressed cells included, formula-injection safe).
    """
    row = st.container(horizontal=True)
    stem = download_stem(name)
    row.download_button(
        "Download CSV",
        lambda: to_csv_bytes(table),
        file_name=f"{stem}.csv",
        mime=CSV_MIME,
        key=f"{key}_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    row.download_button(
        "Download Excel",
        lambda: to_xlsx_bytes({_sheet_name(name): table}, rule=suppression_rule(database())),
        file_name=f"{stem}.xlsx",
        mime=XLSX_MIME,
        key=f"{key}_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )


def table_with_downloads(
    table: pd.DataFrame, name: str, key: str, *, display: Display | None = None
) -> None:
    """A table on screen (through `display`, if given) with downloads of `table` beneath it."""
    shown = table if display is None else display(table)
    st.dataframe(shown, hide_index=True, width="stretch")
    downloads(table, name, key)


def data_behind(
    table: pd.DataFrame,
    name: str,
    key: str,
    *,
    display: Display | None = None,
    label: str = DATA_BEHIND,
) -> None:
    """The table behind a chart, folded away in an expander, with its downloads."""
    with st.expander(label):
        table_with_downloads(table, name, key, display=display)


def chart_with_text(
    chart: alt.TopLevelMixin | dict,
    text: str,
    *,
    width: Literal["stretch", "content"] | int | None = None,
    key: str | None = None,
) -> None:
    """A chart with its text alternative: given to screen readers and written beneath it.

    `width` None lets Streamlit choose: the container's width, except for faceted and
    side-by-side charts, which keep their own. A dict is a Vega-Lite spec (`chart_spec`).
    """
    if isinstance(chart, dict):
        st.vega_lite_chart(chart, width=width, alt=text, key=key)
    else:
        st.altair_chart(chart, width=width, alt=text, key=key)
    st.caption(md(text))


def chart_spec(builder: Callable[..., alt.TopLevelMixin], data: pd.DataFrame, **options) -> dict:
    """The Vega-Lite spec of `builder(data, **options)`, built once per data (values and attrs)
    and options: building an Altair spec costs more than the rest of a warm rerun.

    As st.altair_chart does, each data set of the chart travels in the spec's "datasets" as
    Arrow bytes under a name made from its content (`chart_data` reads one back), not as JSON
    rows written out in Python, which was most of the cost of a national-scale chart."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    return _chart_spec(name, builder, data, repr(data.attrs), options)


@st.cache_data(show_spinner=False, max_entries=256)
def _chart_spec(
    name: str, _builder: Callable[..., alt.TopLevelMixin], data: pd.DataFrame, attrs: str, options
) -> dict:
    # Built and written out under a lock: the settings below are Altair's, global to every
    # thread. The builder runs without Altair's "debug mode", which validates every schema
    # object against the Vega-Lite schema as it is made (a fifth of the cost of building a
    # chart), and the spec is not validated either: the builders' tests validate every spec
    # they make. As st.altair_chart does: without the default theme's fixed 300 x 300 view,
    # and with no limit on the rows of data (Altair's own 5,000 stops a national-scale chart).
    datasets: dict[str, bytes] = {}
    with _ALTAIR_SETTINGS:
        with debug_mode(False):
            chart = _builder(data, **options)
        alt.data_transformers.register("impact_arrow", _arrow_dataset)
        with alt.data_transformers.enable("impact_arrow", datasets=datasets):
            if alt.theme.active == "default":
                with alt.theme.enable("none"):
                    spec = chart.to_dict(validate=False)
            else:
                spec = chart.to_dict(validate=False)
    if datasets:
        spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def _arrow_dataset(data: pd.DataFrame | dict, datasets: dict[str, bytes]) -> dict[str, str]:
    """Altair data transformer: keep `data` as Arrow bytes in `datasets`, named by content."""
    if not isinstance(data, pd.DataFrame):
        return alt.to_values(data)  # a spec's own inline values (not a frame): left as they are
    payload = dataframe_util.convert_anything_to_arrow_bytes(data)
    name = f"data-{hashlib.sha256(payload).hexdigest()[:32]}"
    datasets[name] = payload
    return {"name": name}


def chart_data(spec: dict, name: str | None = None) -> pd.DataFrame:
    """A data set of a `chart_spec` spec as a frame (the first one when `name` is None)."""
    datasets = spec.get("datasets", {})
    payload = datasets[name] if name is not None else next(iter(datasets.values()))
    if isinstance(payload, bytes):
        return dataframe_util.convert_arrow_bytes_to_pandas_df(payload)
    return pd.DataFrame(payload)


_ALTAIR_SETTINGS = threading.RLock()


def show_change_notes() -> None:
    """A note for each recent change of the culture measure or the suppression threshold,
    saying which figures are not comparable across it (drawn at the top of every dashboard)."""
    for note in query(change_notes):
        st.info(md(note.text), icon=":material/history:")


def chart_text(describe: Callable[..., str], data: pd.DataFrame, *args, **options) -> str:
    """`describe(data, *args, **options)`, a chart's text alternative, worked out once per data
    (values and attrs) and arguments, as `chart_spec` builds a chart once: a warm rerun then
    costs a look-up, not the wording of every organisation again."""
    name = f"{describe.__module__}.{describe.__qualname__}"
    return _chart_text(name, describe, data, repr(data.attrs), args, options)


@st.cache_data(show_spinner=False, max_entries=256)
def _chart_text(
    name: str, _describe: Callable[..., str], data: pd.DataFrame, attrs: str, args, options
) -> str:
    return _describe(data, *args, **options)
