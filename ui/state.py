"""The database, the viewer and cached queries for the pages.

Query results are cached per (query, arguments, access scope, data version), with no time
limit: any write bumps the data version, so every app process (and replica) sees new data on
its next rerun, and two people with the same role and organisations share one result.
Results are also kept on disk for the next server start on the same data (ui.disk_cache),
and `warm_in_background` computes what the pages open with after an upload.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable

import streamlit as st

from impact_data import Database, Viewer
from ui import disk_cache
from ui.safe import md

log = logging.getLogger(__name__)


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
# recently used entries go first when there are too many. Identical calls made at the same
# time (a page and the warm-up thread) are computed once: st.cache_data holds a lock per key
# while it computes, and the second caller waits for, then reads, the first one's result.
@st.cache_data(show_spinner=False, max_entries=512)
def _cached(
    module: str, name: str, url: str, version: int, scope: tuple, args: tuple, kwargs: dict
):
    # Not in memory: read from the disk cache (a restart on unchanged data), else compute
    # and keep it there too.
    key = (module, name, url, version, scope, args, kwargs)
    stamp = disk_cache.data_stamp(database(), version) if disk_cache.folder(database()) else None
    found, result = disk_cache.load(database(), stamp, key)
    if found:
        return result
    fn = getattr(importlib.import_module(module), name)
    result = fn(database(), scope_viewer(scope), *args, **kwargs)
    disk_cache.save(database(), stamp, key, result)
    return result


def cache_key(fn: Callable, who: Viewer, data_version: int, /, *args, **kwargs) -> tuple:
    """What a cached query is keyed by: the query, its arguments, the database, the data
    version and the viewer's access scope (role and organisations), never the person."""
    return (fn.__module__, fn.__name__, database().url, data_version, who.scope, args, kwargs)


def query(fn: Callable, *args, **kwargs):
    """Call a data-layer query `fn(db, viewer, *args, **kwargs)`, cached until data changes
    and shared by every viewer with the same role and organisations."""
    return _cached(*cache_key(fn, viewer(), database().data_version(), *args, **kwargs))


def query_as(who: Viewer, fn: Callable, *args, **kwargs):
    """`query` for a given viewer, outside a page's run too (the warm-up thread): the same
    cache entry the page's call with the same arguments and access scope reads."""
    return _cached(*cache_key(fn, who, database().data_version(), *args, **kwargs))


def clear_caches() -> None:
    """Forget cached query results (after a write in this process)."""
    from impact_data.measures.culture import clear_scores_cache
    from impact_data.measures.readiness import clear_scores_cache as clear_readiness_cache

    _cached.clear()
    disk_cache.clear(database())
    clear_scores_cache()
    clear_readiness_cache()


def warm_caches(who: Viewer | None = None, *, landing_only: bool = False) -> None:
    """Compute the figures Overview, Culture, Compare, Readiness and PDSA open with (default
    reporting period, default choices) for the current data version and `who`'s access scope
    (the current viewer's by default), so the first person to open a page rarely waits. Every
    call has the same arguments as the page's own (the cache key). `landing_only`: only the
    sidebar's and Overview's (the page the app opens on)."""
    from datetime import date

    from impact_data.measures import queries
    from impact_data.measures.period import available_periods, default_period, period_index
    from impact_data.views import compare, freshness, overview
    from impact_data.views import culture as culture_views
    from impact_data.views import pdsa as pdsa_views
    from impact_data.views import readiness as readiness_views

    who = viewer() if who is None else who

    def q(fn: Callable, *args, **kwargs):
        return query_as(who, fn, *args, **kwargs)

    today = date.today()
    q(available_periods, today=today)  # ui.period: the sidebar's reporting period
    period = q(default_period, today=today)
    until = period.end
    q(queries.organisations)
    # Overview, with no filters.
    q(overview.filter_options)
    frame = q(overview.system_overview, org_types=(), systems=(), as_of=until)
    if not frame.empty:
        q(overview.culture_by_year, org_codes=tuple(frame["org_code"]), until=until)
    q(freshness.freshness_summary, period)
    q(freshness.freshness_table, period)
    if landing_only:
        return
    # Culture: the current measure version and the first source.
    q(culture_views.organisation_names)
    versions = q(culture_views.version_numbers)
    if versions:
        q(culture_views.measure_summary, versions[0])
        q(culture_views.org_scores, version=versions[0], source=next(iter(culture_views.SOURCES)))
    # Compare: the funnel's and the trends' first measure, whole system.
    q(compare.organisation_names)
    q(compare.peer_group_options)
    options = q(compare.measure_options, statistic="proportion")
    if options:
        periods = q(compare.periods, options[0])
        q(
            compare.funnel_frame,
            options[0],
            period=periods[period_index(periods, period)] if periods else None,
            peer_group=None,
            overdispersion=next(iter(compare.OVERDISPERSION_CHOICES)),
        )
    trend_options = q(compare.measure_options)
    if trend_options:
        measure = trend_options[compare.default_trend_index(trend_options)]
        q(compare.trend_panel, measure, peer_group=None, until=until)
    # Readiness and PDSA cut their figures at the reporting period's end too.
    q(readiness_views.all_org_codes)
    q(readiness_views.filter_options, until=until)
    q(pdsa_views.project_summary, until=until)  # the PDSA registry: every measure's SPC icons


_warming: dict[tuple, threading.Thread] = {}
_warming_lock = threading.Lock()


def background_warming() -> bool:
    """Whether pages start background warm-ups (after the first page of a data version and
    after an upload); `IMPACT_WARM_CACHES=off` turns them off (the tests do, so that no thread
    outlives the test that started it)."""
    return os.environ.get("IMPACT_WARM_CACHES", "on").strip().lower() != "off"


def warm_in_background(who: Viewer | None = None) -> threading.Thread | None:
    """Start `warm_caches` for `who`'s access scope in a background thread, once per data
    version and scope in this process, and return at once (None when it already ran or is
    running). A page asking for the same figure meanwhile waits for the thread's result
    rather than computing it again (st.cache_data's lock per key)."""
    who = viewer() if who is None else who
    key = (database().url, database().data_version(), who.scope)
    with _warming_lock:
        if key in _warming:
            return None
        for done in [k for k, t in _warming.items() if k[1] != key[1] and not t.is_alive()]:
            del _warming[done]  # earlier data versions' finished warm-ups
        thread = threading.Thread(
            target=_warm_quietly, args=(who,), name=f"impact-warm-{key[1]}", daemon=True
        )
        _warming[key] = thread
    try:
        from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        if ctx is not None:
            add_script_run_ctx(thread, ctx)
    except ImportError:  # pragma: no cover - an older Streamlit: the thread still works
        pass
    thread.start()
    return thread


def _warm_quietly(who: Viewer) -> None:
    try:
        warm_caches(who)
    except Exception:  # noqa: BLE001 - a page computes its figures itself if warming fails
        log.exception("warming the caches failed")
