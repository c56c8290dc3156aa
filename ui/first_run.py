"""The first screen on an empty database: what the dashboard is for, and how to start."""

from __future__ import annotations

import streamlit as st

from impact_data.demo import load_demo
from impact_data.ingest import UploadRefused
from impact_data.views.overview import organisation_count
from ui.safe import md
from ui.state import clear_caches, database, query

PURPOSE = (
    "The IMPACT dashboard shows how the organisations of a health and care system are "
    "investing in improvement culture: staff survey results, readiness for change, NHS IMPACT "
    "self-assessments and PDSA improvement work, side by side with the statistics done right.",
    "There is no data here yet, so explore it with a fictional sample system or upload your "
    "own spreadsheets to begin.",
)
SAMPLE_BUTTON = "Explore with sample data"
UPLOAD_BUTTON = "Upload your own spreadsheets"


def is_first_run() -> bool:
    """True when the database holds no organisations yet."""
    return query(organisation_count) == 0


def show_first_run() -> None:
    """Explain the dashboard and offer the sample data or the Upload page."""
    st.title("Welcome to the IMPACT dashboard")
    st.markdown(" ".join(PURPOSE))
    sample, upload = st.columns(2)
    if sample.button(SAMPLE_BUTTON, type="primary", icon=":material/science:", width="stretch"):
        _load_sample()
    if upload.button(UPLOAD_BUTTON, icon=":material/upload_file:", width="stretch"):
        st.switch_page("pages/upload.py")


def _load_sample() -> None:
    bar = st.progress(0.0, text="Loading the sample system")
    try:
        load_demo(database(), progress=lambda share, message: bar.progress(share, text=message))
    except UploadRefused as exc:
        bar.empty()
        st.error(
            f"The sample data could not be loaded: {md(exc)}. Files loaded before this one are "
            "kept; press the button again to load the rest."
        )
        return
    except Exception:  # noqa: BLE001 - say it plainly; no traceback on screen
        bar.empty()
        st.error(
            "The sample data could not be loaded because the database could not be written. "
            "Check that the database is reachable and not read-only, then try again."
        )
        return
    clear_caches()
    st.rerun()
