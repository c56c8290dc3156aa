"""The pieces every page draws the same way: a chart with its text alternative, the data behind
a chart, and CSV and Excel downloads of exactly the table on screen."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

import altair as alt
import pandas as pd
import streamlit as st

from impact_data.exports import to_csv_bytes, to_xlsx_bytes
from ui.safe import md

__all__ = [
    "CSV_MIME",
    "DATA_BEHIND",
    "XLSX_MIME",
    "chart_with_text",
    "data_behind",
    "download_stem",
    "downloads",
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
        lambda: to_xlsx_bytes({_sheet_name(name): table}),
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
    chart: alt.TopLevelMixin,
    text: str,
    *,
    width: Literal["stretch", "content"] | int | None = None,
    key: str | None = None,
) -> None:
    """A chart with its text alternative: given to screen readers and written beneath it.

    `width` None lets Streamlit choose: the container's width, except for faceted and
    side-by-side charts, which keep their own.
    """
    st.altair_chart(chart, width=width, alt=text, key=key)
    st.caption(md(text))
