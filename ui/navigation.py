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

from ui.safe import html_text, md

__all__ = [
    "APP_CSS",
    "in_pages_folder_mode",
    "leave_pages_folder_mode",
    "mark_app_navigation",
    "requested_address",
    "sidebar_navigation",
    "unknown_address_page",
]

# Styles every page shares (WCAG 2.2 AA, checked by axe-core in the browser suite).
# Streamlit draws captions, and links inside them, at 60% of the text colour: 4.0:1 for text
# and 2.8:1 for NHS Blue links on white, under the 4.5:1 that small text needs. NHS Dark Grey
# text (#4C6272, 6.2:1) and NHS Blue links (#005EB8, 5.9:1) keep them quieter than body text
# while readable. The header's "Stop" button, shown while a page runs, is drawn in the same
# faint grey: NHS Dark Grey too.
APP_CSS = """
<style>
[data-testid="stCaptionContainer"] { color: #4C6272; opacity: 1; }
[data-testid="stCaptionContainer"] a, [data-testid="stCaptionContainer"] a:visited {
  color: #005EB8; opacity: 1; text-decoration: underline;
}
[data-testid="stStatusWidget"] button, [data-testid="stBaseButton-header"] {
  color: #4C6272; opacity: 1;
}
.st-key-impact_navigation p.impact-nav-section {
  margin: 0.75rem 0 0.1rem 0.5rem; font-size: 0.8rem; font-weight: 600;
  letter-spacing: 0.02em; text-transform: uppercase; color: #4C6272;
}
</style>
"""


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


_FOCUSABLE_SIDEBAR = """
<script>
(() => {
  const mark = () => {
    const content = document.querySelector('[data-testid="stSidebarContent"]');
    if (content && !content.hasAttribute("tabindex")) {
      content.setAttribute("tabindex", "0");
    }
  };
  for (const wait of [0, 250, 1000]) setTimeout(mark, wait);
})();
</script>
"""

_CLOSE_STREAMLIT_NOT_FOUND = """
<script>
(() => {
  const close = () => {
    for (const dialog of document.querySelectorAll('[role="dialog"]')) {
      if ((dialog.innerText || "").includes("does not seem to exist")) {
        const button = dialog.querySelector('button[aria-label="Close"]');
        if (button) button.click();
      }
    }
  };
  for (const wait of [0, 250, 750, 1500, 3000]) setTimeout(close, wait);
})();
</script>
"""


def unknown_address_page(address: str, pages: list[st.Page]) -> st.Page:
    """A hidden page served at an address no page has: says so and links to every page."""

    def page_not_found() -> None:
        # The very first request after a server start is answered in Streamlit's pages-folder
        # mode, which cannot know this page and also opens its own "Page not found" dialog
        # over it. This page says the same with links to every page, so close that dialog.
        st.html(_CLOSE_STREAMLIT_NOT_FOUND, unsafe_allow_javascript=True)
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


def sidebar_navigation(sections: dict[str, list[st.Page]]) -> None:
    """The pages, grouped under their section names, at the top of the sidebar.

    Streamlit's own sectioned navigation puts each section's `<div>` straight inside a `<ul>`
    and its `<li>` items outside any list (axe-core: "list" and "listitem" failures on every
    page). These are plain links under a section label, which assistive technology reads as
    they look; the current page's link is marked by Streamlit as the active one.
    """
    # A sidebar taller than the window scrolls: keyboard users must be able to reach it
    # (axe-core "scrollable-region-focusable"), so it joins the tab order.
    st.html(_FOCUSABLE_SIDEBAR, unsafe_allow_javascript=True)
    with st.sidebar.container(key="impact_navigation"):
        for section, pages in sections.items():
            if not pages:
                continue
            st.html(f'<p class="impact-nav-section">{html_text(section)}</p>')
            for page in pages:
                st.page_link(page)
