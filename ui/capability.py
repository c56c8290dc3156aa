"""Improvement capability on the Overview (one organisation) and Compare (side by side), and
the Settings section where admins rename the capability levels."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from impact_data.access import AccessDenied
from impact_data.store.settings import set_capability_level_labels
from impact_data.views import capability
from ui.charts import capability as charts
from ui.components import chart_with_text, data_behind, table_with_downloads
from ui.guide import guide_link
from ui.safe import md
from ui.state import clear_caches, database, query, viewer

__all__ = ["compare_section", "level_labels_section", "overview_section"]

FLASH = "capability_levels_flash"
LABEL_KEYS = [f"capability_level_{i}" for i in range(1, 11)]


def overview_section(org_code: str, org_name: str, as_of: dt.date | None = None) -> None:
    """One organisation's people trained per level, per 1,000 staff, and change over time."""
    detail = query(capability.org_capability, org_code, as_of=as_of)
    st.caption(guide_link("capability", "How to read improvement capability"))
    reason = detail.why_empty()
    if reason:
        st.info(md(reason))
        return
    labels = query(capability.level_labels)
    chart_with_text(
        charts.levels_chart(detail.levels, labels, org_name=org_name), detail.summary(org_name)
    )
    st.dataframe(detail.level_table(), hide_index=True, width="stretch")
    chart_with_text(
        charts.over_time_chart(detail.over_time, labels, org_name=org_name),
        detail.over_time_summary(org_name),
    )
    data_behind(
        detail.over_time_table(),
        f"{org_name} improvement capability over time",
        "overview_capability_over_time",
    )
    if detail.teams is None:
        st.caption("Team and staff group detail is shown only to people who may see it.")
    elif not detail.teams.empty:
        data_behind(
            detail.team_table(),
            f"{org_name} improvement capability by team",
            "overview_capability_teams",
            label="By team and staff group",
        )


def compare_section(as_of: dt.date | None = None) -> None:
    """Organisations side by side: people trained per level per 1,000 staff (no ranks)."""
    st.caption(guide_link("capability", "How to read improvement capability"))
    comparison = query(capability.compare_capability, as_of=as_of)
    if comparison.empty:
        st.info(
            "No improvement capability figures yet. Load a file of the kind Improvement "
            "capability on the Upload page, with staff numbers in the organisations file."
        )
        return
    st.markdown(
        "People trained in improvement per 1,000 staff, per level, each organisation as at "
        "its newest date on or before the reporting period. Organisations are listed by "
        "name: the right mix of levels depends on the organisation, so this is not a ranking."
    )
    frame = comparison.chart_frame()
    if not frame.empty:
        chart_with_text(
            charts.compare_chart(frame, comparison.labels), comparison.summary(), width="content"
        )
    table_with_downloads(
        comparison.table(), "Improvement capability per 1,000 staff", "compare_capability"
    )


def level_labels_section() -> None:
    """Rename the improvement capability levels (admins; audited)."""
    st.subheader("Improvement capability levels")
    st.markdown(
        "Capability uploads give each count a level, by its number or its name. Use the words "
        "your system uses for its training levels; the numbers stay the same, so figures "
        "already loaded keep their level. Each label must differ from the others."
    )
    if message := st.session_state.pop(FLASH, None):
        st.success(message, icon=":material/check_circle:")
    labels = query(capability.level_labels)
    if not viewer().is_admin:
        st.markdown("\n".join(f"- Level {i}: {md(label)}" for i, label in enumerate(labels, 1)))
        st.info("Only an admin can rename the capability levels.")
        return
    with st.form("capability_level_labels_form"):
        new = [
            st.text_input(f"Level {i}", value=label, key=LABEL_KEYS[i - 1])
            for i, label in enumerate(labels, 1)
        ]
        submitted = st.form_submit_button("Save capability levels", type="primary")
    if not submitted:
        return
    try:
        set_capability_level_labels(database(), viewer(), new)
    except ValueError as exc:
        st.error(f"The levels were not saved: {md(exc)}.")
        return
    except AccessDenied as exc:
        st.error(f"The levels were not saved: {md(exc)}.")
        return
    clear_caches()
    st.session_state[FLASH] = "Capability levels saved."
    st.rerun()
