"""Guide: NHS IMPACT, using each page, and reading the statistics, in the product's own words."""

from __future__ import annotations

import streamlit as st

from impact_data.store.settings import capability_level_labels
from ui.guide import SECTIONS
from ui.navigation import leave_pages_folder_mode
from ui.safe import md
from ui.state import database, viewer

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

viewer()
st.title("Guide")
st.write(
    "What NHS IMPACT asks of a system investing in people and culture, how to use each page, "
    "and how to read the charts. Every page links here where it uses a statistical term."
)
st.markdown("\n".join(f"- [{s.title}](#{s.anchor})" for s in SECTIONS))
levels = md(", ".join(capability_level_labels(database())))
for section in SECTIONS:
    st.header(section.title, anchor=section.anchor)
    # The threshold in force, not a number written into the text (it is set in Settings).
    # Likewise the capability levels by the names an admin gave them.
    body = section.body.replace("{threshold}", str(database().suppression_threshold()))
    st.markdown(body.replace("{capability_levels}", levels))
