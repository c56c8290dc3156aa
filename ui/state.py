"""The database, the viewer and cached queries for the pages.

Query results are cached per (query, arguments, access scope, data version), with no time
limit: any write bumps the data version, so every app process (and replica) sees new data on
its next rerun, and two people with the same role and organisations share one result.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import streamlit as st

from impact_data import Database, Viewer
from ui.safe import md


@st.cache_resource(show_spinner=False)
def _database(url: str) -> Database:
    return Database(url)


def database() -> Database:
    """The app's database (one engine per process, shared by every session)."""
    from impact_data.store.db import database_url

    return _database(database_url())


def sign_in_configured() -> bool:
    """True when an [auth] section is configured for st.login."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all means no sign-in
        return False


def viewer() -> Viewer:
    """Who is using the app, for a page: stops the page with the sign-in (or waiting) screen
    unless they have access, so a page reached by a direct link is guarded too."""
    return require_sign_in()


def _current_viewer() -> Viewer:
    """The signed-in user's role from the database, or, without sign-in configured, the
    single local-mode user."""
    if not sign_in_configured():
        return Viewer.local()
    user = st.user
    if not getattr(user, "is_logged_in", False):
        return Viewer("signed out", "none")
    from impact_data.users import Identity, sign_in, viewer_for_identity

    # Who signed in is the provider's issuer + subject; the email only counts when verified.
    identity = Identity.from_claims(user.to_dict())
    key = (identity.issuer, identity.subject)
    if st.session_state.get("_signed_in_as") != key:
        # First run of this browser session after signing in: record it once.
        from impact_data.access import AccessDenied

        try:
            who = sign_in(database(), identity)
        except AccessDenied as exc:
            st.error(f"Signed in, but {md(exc)}. Ask your admin to check the sign-in set-up.")
            st.stop()
        st.session_state["_signed_in_as"] = key
        return who
    return viewer_for_identity(database(), *key)


def require_sign_in() -> Viewer:
    """Stop the page with a sign-in button (or a waiting message) unless the viewer has
    access. Returns the viewer."""
    who = _current_viewer()
    if who.has_access:
        return who
    if sign_in_configured() and not getattr(st.user, "is_logged_in", False):
        st.title("IMPACT dashboard")
        st.write("Sign in with your organisation account to see your system's improvement data.")
        if st.button("Sign in", type="primary"):
            st.login()
        st.stop()
    st.title("Waiting for access")
    st.write(
        f"You are signed in as {md(who.user)}, but an admin has not given you a role yet. "
        "Ask your system's IMPACT dashboard admin to add you."
    )
    if sign_in_configured() and st.button("Sign out"):
        st.logout()
    st.stop()
    return who


def scope_viewer(scope: tuple[str, tuple[str, ...]]) -> Viewer:
    """The viewer a shared cached query runs as: a role and organisations (`Viewer.scope`),
    not a person, so everyone with the same rights gets (and pays for) the same result."""
    role, org_codes = scope
    return Viewer(f"{role} viewer", role, frozenset(org_codes))


# No time limit: an entry lapses when the data version moves on (any write), and the least
# recently used entries go first when there are too many.
@st.cache_data(show_spinner=False, max_entries=512)
def _cached(
    module: str, name: str, url: str, version: int, scope: tuple, args: tuple, kwargs: dict
):
    fn = getattr(importlib.import_module(module), name)
    return fn(database(), scope_viewer(scope), *args, **kwargs)


def cache_key(fn: Callable, who: Viewer, data_version: int, /, *args, **kwargs) -> tuple:
    """What a cached query is keyed by: the query, its arguments, the database, the data
    version and the viewer's access scope (role and organisations), never the person."""
    return (fn.__module__, fn.__name__, database().url, data_version, who.scope, args, kwargs)


def query(fn: Callable, *args, **kwargs):
    """Call a data-layer query `fn(db, viewer, *args, **kwargs)`, cached until data changes
    and shared by every viewer with the same role and organisations."""
    return _cached(*cache_key(fn, viewer(), database().data_version(), *args, **kwargs))


def clear_caches() -> None:
    """Forget cached query results (after a write in this process)."""
    from impact_data.measures.culture import clear_scores_cache
    from impact_data.measures.readiness import clear_scores_cache as clear_readiness_cache

    _cached.clear()
    clear_scores_cache()
    clear_readiness_cache()


def warm_caches() -> None:
    """Compute the figures most pages open with for the current data version, so the first
    person to open a page after an upload rarely waits (run after a commit)."""
    from impact_data.measures import queries
    from impact_data.views import culture as culture_views
    from impact_data.views import pdsa as pdsa_views
    from impact_data.views import readiness as readiness_views

    # The same calls, with the same arguments, as the pages make on opening (the cache key).
    query(queries.organisations)
    query(culture_views.organisation_names)
    query(readiness_views.all_org_codes)
    # Both pages cut their figures at the reporting period's end (the default period's here).
    from datetime import date

    from impact_data.measures.period import default_period

    until = query(default_period, today=date.today()).end
    query(readiness_views.filter_options, until=until)
    query(pdsa_views.project_summary, until=until)  # the PDSA registry: every measure's SPC icons
    versions = query(culture_views.version_numbers)
    if versions:
        query(culture_views.measure_summary, versions[0])
        query(
            culture_views.org_scores, version=versions[0], source=next(iter(culture_views.SOURCES))
        )
