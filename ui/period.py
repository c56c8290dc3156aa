"""The reporting period control: one month, chosen in the sidebar, used by every page.

The choice is remembered for the browser session (across pages and reruns) and written to the
address as `?period=2025-11`, so a shared link opens on the same period. Without a choice the
period is the newest complete month with data (`impact_data.measures.period.default_period`).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from impact_data.measures.period import (
    ReportingPeriod,
    available_periods,
    default_period,
    parse_period,
)
from ui.safe import md
from ui.state import query

__all__ = ["PERIOD_KEY", "QUERY_PARAM", "WIDGET_KEY", "reporting_period", "show_period"]

PERIOD_KEY = "reporting_period"  # session state: the chosen period's key, "2025-11"
WIDGET_KEY = "reporting_period_choice"  # the sidebar select box
QUERY_PARAM = "period"


def _chosen() -> None:
    key = st.session_state[WIDGET_KEY]
    st.session_state[PERIOD_KEY] = key
    st.query_params[QUERY_PARAM] = key


def reporting_period() -> ReportingPeriod:
    """The reporting period the page reports on, with its control in the sidebar."""
    today = dt.date.today()
    periods = query(available_periods, today=today)
    keys = [p.key for p in periods]
    default = query(default_period, today=today)
    if default.key not in keys:
        keys.insert(0, default.key)
    linked = st.query_params.get(QUERY_PARAM)
    wanted = linked or st.session_state.get(PERIOD_KEY)
    if linked and linked not in keys:
        st.sidebar.warning(
            f"The link asks for the reporting period {md(linked)}, which has no data here "
            "or has not ended yet; showing the default period instead.",
            icon=":material/event_busy:",
        )
    if wanted not in keys:
        wanted = default.key
    st.session_state[PERIOD_KEY] = wanted
    st.session_state[WIDGET_KEY] = wanted
    st.sidebar.selectbox(
        "Reporting period",
        keys,
        key=WIDGET_KEY,
        format_func=lambda key: (
            parse_period(key).label + (" (newest complete month)" if key == default.key else "")
        ),
        on_change=_chosen,
        help="The month every page, the board pack and downloads report on. 'Last 90 days' "
        "means the 90 days up to the month's last day, and SPC charts stop at that month.",
    )
    if st.query_params.get(QUERY_PARAM) != wanted:
        st.query_params[QUERY_PARAM] = wanted
    return parse_period(wanted)


def show_period(period: ReportingPeriod) -> None:
    """The period line under a page's title."""
    st.caption(f"**{md(period.description)}.**")
