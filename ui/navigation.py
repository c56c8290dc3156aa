"""Addresses that always work: every page runs inside app.py's navigation.

With a `pages/` folder beside `app.py`, Streamlit starts in its legacy pages-folder mode: until
some session has run `app.py` (which calls `st.navigation`), a deep link such as `/settings` runs
the page file on its own, with a raw file list for navigation, no sign-in notice and a narrow
layout. `st.navigation` itself leaves that mode by clearing the flag below; a page file that finds
itself run directly does the same and reruns, so Streamlit runs `app.py` with the same page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui.safe import md

__all__ = [
    "in_pages_folder_mode",
    "leave_pages_folder_mode",
    "mark_app_navigation",
    "requested_address",
    "unknown_address_page",
]


_SEEN_APP = "impact_app_navigation_seen"


def in_pages_folder_mode() -> bool:
    """True while Streamlit would run page files directly, without app.py's navigation."""
    return bool(PagesManager.uses_pages_directory)


def mark_app_navigation() -> None:
    """Note that this session has run app.py's navigation (app.py calls it on every run)."""
    st.session_state[_SEEN_APP] = True


def leave_pages_folder_mode() -> None:
    """Hand a page that Streamlit ran directly over to app.py's navigation (same address)."""
    if not in_pages_folder_mode():
        return
    # Exactly what st.navigation does on its first call: from now on every run starts at
    # app.py, which resolves the address to the same page (hashes come from url paths).
    PagesManager.uses_pages_directory = False
    # Rerun only a session that has never been through app.py: its first run is this page,
    # with nothing to lose. (Streamlit's test harness restores pages-folder mode before every
    # run; rerunning there would drop the widget event that started the run.)
    if not st.session_state.get(_SEEN_APP):
        st.rerun()


def requested_address() -> str:
    """The page part of the address the browser asked for ("" for the home page)."""
    url = st.context.url or ""
    path = urlsplit(url).path.strip("/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base) :].strip("/")
    return path


def unknown_address_page(address: str, pages: list[st.Page]) -> st.Page:
    """A hidden page served at an address no page has: says so and links to every page."""

    def page_not_found() -> None:
        st.title("Page not found", anchor=False)
        st.write(
            f"There is no page at the address “/{md(address)}”. It may have been "
            "mistyped, or a page may have moved. These are the dashboard's pages:"
        )
        for page in pages:
            st.page_link(page)

    return st.Page(
        page_not_found,
        title="Page not found",
        icon=":material/search_off:",
        url_path=address,
        visibility="hidden",
    )
