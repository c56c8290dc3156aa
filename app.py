"""IMPACT dashboard: page config, sign-in notice and navigation over the pages."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.navigation import (
    APP_CSS,
    mark_app_navigation,
    requested_address,
    sidebar_navigation,
    unknown_address_page,
)
from ui.safe import md
from ui.state import (
    background_warming,
    database,
    require_sign_in,
    sign_in_configured,
    warm_in_background,
)
from ui.workshop_view import is_participant_view, is_presentation_view

ROOT = Path(__file__).resolve().parent

st.set_page_config(
    page_title="IMPACT dashboard",
    # A local image: a Material icon here would make every browser fetch it from Google.
    page_icon=str(ROOT / "ui" / "static" / "favicon.png"),
    layout="wide",
    initial_sidebar_state="expanded",
)

database()  # create or upgrade the schema before any page runs
mark_app_navigation()  # pages run by this session from now on need no hand-over

# The navigation, built from one list: (section, file, title, icon, url_path).
PAGE_SPECS = [
    ("System", "pages/overview.py", "Overview", ":material/dashboard:", "overview"),
    ("System", "pages/compare.py", "Compare", ":material/compare_arrows:", "compare"),
    ("Culture and readiness", "pages/culture.py", "Culture", ":material/groups:", "culture"),
    ("Culture and readiness", "pages/readiness.py", "Readiness", ":material/flag:", "readiness"),
    ("Improvement", "pages/pdsa.py", "PDSA & measures", ":material/autorenew:", "pdsa"),
    ("Improvement", "pages/workshop.py", "Workshop", ":material/co_present:", "workshop"),
    ("Improvement", "pages/join.py", "Join a workshop", ":material/smartphone:", "join"),
    ("Learning", "pages/case_studies.py", "Case studies", ":material/article:", "case_studies"),
    ("Learning", "pages/library.py", "Learning library", ":material/local_library:", "library"),
    ("Your data", "pages/upload.py", "Upload", ":material/upload_file:", "upload"),
    ("Your data", "pages/settings.py", "Settings", ":material/settings:", "settings"),
    ("Help", "pages/guide.py", "Guide", ":material/menu_book:", "guide"),
]


HOME = "overview"  # the page "/" opens


def _listed_pages() -> dict[str, list]:
    sections: dict[str, list] = {}
    for section, path, title, icon, url_path in PAGE_SPECS:
        sections.setdefault(section, []).append(
            st.Page(path, title=title, icon=icon, url_path=url_path)
        )
    return sections


def _pages(sections: dict[str, list]) -> dict[str, list]:
    sections = dict(sections)
    listed = [page for pages in sections.values() for page in pages]
    # "/" opens the Overview page file too, as a hidden default page: a default page answers
    # only at "/", so this way Overview keeps its own address, /overview, like every page.
    path, title, icon = next((p, t, i) for _s, p, t, i, u in PAGE_SPECS if u == HOME)
    hidden = [
        st.Page(path, title=title, icon=icon, url_path="home", default=True, visibility="hidden")
    ]
    # An address no page has gets a page that says so and links to every page.
    address = requested_address()
    if address and "/" not in address and address not in {page.url_path for page in listed}:
        hidden.append(unknown_address_page(address, listed))
    sections[""] = hidden
    return sections


st.html(APP_CSS)  # styles every page shares (caption contrast, navigation labels)

# Workshop participants (arriving with a join code, or at /join) see the join page alone: no
# navigation and no sign-in. Every other page still asks for sign-in itself (ui.state.viewer),
# so a participant's link cannot open anything else.
if is_participant_view():
    st.navigation(_pages(_listed_pages()), position="hidden").run()
    st.stop()

focused_view = is_presentation_view()
listed_pages = _listed_pages()
# Our own sidebar links (ui.navigation.sidebar_navigation), not Streamlit's sectioned list.
navigation = st.navigation(_pages(listed_pages), position="hidden")
who = require_sign_in()  # everyone but participants signs in (when sign-in is configured)
if not focused_view:
    sidebar_navigation(listed_pages)
if not sign_in_configured() and not focused_view:
    st.sidebar.info(
        "**Local mode: no sign-in.** Anyone using this app here has full access to all "
        "data. Configure sign-in before sharing it.",
        icon=":material/lock_open:",
    )
elif sign_in_configured() and not focused_view:
    st.sidebar.caption(f"Signed in as {md(who.user)} ({who.role.replace('_', ' ')})")
    if st.sidebar.button("Sign out"):
        st.logout()

navigation.run()
# Once per data version and access scope: the other pages' opening figures, computed in the
# background (or read from the disk cache) while this person reads the page they opened.
if background_warming():
    warm_in_background(who)
