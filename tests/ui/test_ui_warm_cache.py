"""Caches that survive (ui.state, ui.disk_cache): the warm-up after an upload fills the very
entries the pages then read, with the figures a cold run gives; results kept on disk for the
first visitor after a restart lapse when the data version moves on (SQLite and PostgreSQL)
and are never shared across access scopes."""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.measures.period import default_period
from impact_data.views import compare, freshness, overview
from impact_data.views import culture as culture_views
from tests.conftest import ROOT

LOCAL = Viewer.local()
EXEC = Viewer("erin@example.nhs.uk", "executive", frozenset({"RX1", "RX2"}))
TEAM = Viewer("tom@example.nhs.uk", "team_member", frozenset({"RX1"}))
CALLS: Counter = Counter()

# The building blocks Overview, Culture and Compare open with.
BLOCKS = [
    (overview, "system_overview"),
    (overview, "culture_by_year"),
    (freshness, "freshness_table"),
    (culture_views, "org_scores"),
    (compare, "funnel_frame"),
    (compare, "trend_panel"),
]


def scope_echo(db, viewer, n):
    """A query whose result shows who it ran as and on which data version."""
    CALLS[("scope_echo", viewer.scope)] += 1
    return {"scope": viewer.scope, "orgs": sorted(viewer.org_codes), "n": n, "v": db.data_version()}


def slow_echo(db, viewer, n):
    CALLS["slow_echo"] += 1
    time.sleep(0.3)
    return n * 2


@pytest.fixture
def state(monkeypatch):
    import ui.state

    CALLS.clear()
    ui.state.clear_caches()
    yield ui.state
    ui.state.clear_caches()


@pytest.fixture
def counted(monkeypatch):
    """Count the calls of each building block (the pages and the warm-up call the patched
    function: the cache key names the same module and function)."""
    for module, name in BLOCKS:
        original = getattr(module, name)

        def counting(*args, _original=original, _name=name, **kwargs):
            CALLS[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, functools.wraps(original)(counting))
    return CALLS


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_warm_up_fills_the_caches_the_pages_open_with(demo_db, counted, state, tmp_path):
    from impact_data import load_file

    csv = tmp_path / "orgs.csv"  # an upload: the data version moves on
    csv.write_text("org_code,org_name,org_type\nRZZ,Trust Zed,community\n")
    prepared, result = load_file(demo_db, csv, "organisations")
    assert result is not None, prepared.problems
    thread = state.warm_in_background(LOCAL)  # what the Upload page starts after a commit
    assert thread is not None
    assert state.warm_in_background(LOCAL) is None  # once per data version and scope
    thread.join(timeout=240)
    assert not thread.is_alive()
    warmed = {name: counted[name] for _m, name in BLOCKS}
    assert all(warmed.values()), warmed  # culture_by_year: by system_overview, and itself
    at = _run(AppTest.from_file(str(ROOT / "app.py"), default_timeout=240))  # Overview
    assert at.title[0].value == "System overview"
    for page in ("pages/culture.py", "pages/compare.py"):
        at.switch_page(page)
        _run(at)
    # Every page found its opening figures computed: not one more call of a building block.
    assert {name: counted[name] for _m, name in BLOCKS} == warmed


def test_the_landing_page_warm_up_computes_overview_only(demo_db, counted, state):
    """What `python -m ui.launch` computes before the server listens: Overview's figures (the
    page the app opens on), not the other pages'."""
    state.warm_caches(LOCAL, landing_only=True)
    warmed = {name: counted[name] for _m, name in BLOCKS}
    assert warmed["system_overview"] and warmed["freshness_table"], warmed
    assert not (warmed["org_scores"] or warmed["funnel_frame"] or warmed["trend_panel"]), warmed
    at = _run(AppTest.from_file(str(ROOT / "app.py"), default_timeout=240))  # Overview
    assert at.title[0].value == "System overview"
    assert {name: counted[name] for _m, name in BLOCKS} == warmed  # nothing computed again


def test_warmed_and_disk_results_equal_a_cold_run(demo_db, state):
    state.warm_caches(LOCAL)
    period = default_period(demo_db)
    scope = state.scope_viewer(LOCAL.scope)
    version = culture_views.version_numbers(demo_db, scope)[0]
    calls = [
        (overview.system_overview, (), {"org_types": (), "systems": (), "as_of": period.end}),
        (culture_views.org_scores, (), {"version": version, "source": "staff_survey"}),
        (freshness.freshness_table, (period,), {}),
    ]
    for fn, args, kwargs in calls:
        cold = fn(demo_db, scope, *args, **kwargs)
        assert len(cold) > 0
        assert_same(state.query_as(LOCAL, fn, *args, **kwargs), cold)
        state._cached.clear()  # a restart: memory empty, the disk copy remains
        assert_same(state.query_as(LOCAL, fn, *args, **kwargs), cold)


def assert_same(got, expected) -> None:
    """Equal figures, frame by frame (a query returns a frame or a dict of them)."""
    assert type(got) is type(expected)
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected)
    elif isinstance(expected, dict):
        assert list(got) == list(expected)
        for key in expected:
            assert_same(got[key], expected[key])
    else:
        assert got == expected


@pytest.fixture
def app_db(db, tmp_path, monkeypatch):
    """The `db` fixture (SQLite and PostgreSQL) as the app's database, its disk cache in the
    place it would be by default."""
    monkeypatch.setenv("IMPACT_DATABASE_URL", db.url)
    monkeypatch.delenv("IMPACT_CACHE_DIR", raising=False)
    return db


def test_the_disk_cache_survives_a_restart_and_lapses_with_the_data_version(app_db, state):
    from ui import disk_cache

    where = disk_cache.folder(app_db)
    if app_db.url.startswith("sqlite"):
        assert where == app_db_file(app_db).parent / "cache"
    else:
        assert where.parent.name.startswith("impact-cache-")
    first = state.query_as(EXEC, scope_echo, 1)
    assert CALLS[("scope_echo", EXEC.scope)] == 1
    assert len(disk_cache.files(app_db)) == 1
    state._cached.clear()  # a restart
    assert state.query_as(EXEC, scope_echo, 1) == first
    assert CALLS[("scope_echo", EXEC.scope)] == 1  # read from disk, not computed
    app_db.set_setting("suppression_threshold", 11)  # a write: the data version moves on
    state._cached.clear()
    after = state.query_as(EXEC, scope_echo, 1)
    assert CALLS[("scope_echo", EXEC.scope)] == 2
    assert after["v"] == first["v"] + 1
    assert len(disk_cache.files(app_db)) == 1  # the older version's result was removed
    # A result computed while the data moved on is neither read nor kept.
    assert disk_cache.data_stamp(app_db, first["v"]) is None
    assert disk_cache.data_stamp(app_db, after["v"]) is not None
    state.clear_caches()
    assert disk_cache.files(app_db) == []


def test_a_folder_belonging_to_another_user_is_never_read(sqlite_db, monkeypatch):
    """Results are unpickled from the folder: one that someone else made is not trusted."""
    import os

    from ui import disk_cache

    version = sqlite_db.data_version()
    stamp = disk_cache.data_stamp(sqlite_db, version)
    disk_cache.save(sqlite_db, stamp, ("key",), {"answer": 42})
    assert disk_cache.load(sqlite_db, stamp, ("key",)) == (True, {"answer": 42})
    me = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: me + 1)  # the folder is now someone else's
    assert disk_cache.load(sqlite_db, stamp, ("key",)) == (False, None)
    disk_cache.save(sqlite_db, stamp, ("other",), {"answer": 1})  # nor written to
    monkeypatch.undo()
    assert disk_cache.load(sqlite_db, stamp, ("other",)) == (False, None)


def app_db_file(db):
    from sqlalchemy.engine import make_url

    return Path(make_url(db.url).database).resolve()


def test_a_recreated_database_never_reads_the_old_ones_results(tmp_path, monkeypatch, state):
    from ui import disk_cache

    url = f"sqlite:///{tmp_path / 'impact.db'}"
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    _write_once(url, 11)
    first = state.query_as(EXEC, scope_echo, 1)
    state._cached.clear()
    state._database.clear()
    for path in tmp_path.glob("impact.db*"):
        path.unlink()  # the same address, a new database: the same data version number
    _write_once(url, 12)
    assert disk_cache.files(state.database())  # the old file is still there
    again = state.query_as(EXEC, scope_echo, 1)
    assert again == first
    assert CALLS[("scope_echo", EXEC.scope)] == 2  # computed again, not read


def _write_once(url: str, threshold: int) -> None:
    from impact_data import Database

    db = Database(url)
    db.set_setting("suppression_threshold", threshold)
    db.dispose()


def test_results_are_never_shared_across_access_scopes(app_db, state):
    from ui import disk_cache

    executive = state.query_as(EXEC, scope_echo, 1)
    team = state.query_as(TEAM, scope_echo, 1)
    assert executive["scope"] == ("executive", ("RX1", "RX2"))
    assert team["scope"] == ("team_member", ("RX1",)) and team["orgs"] == ["RX1"]
    assert len(disk_cache.files(app_db)) == 2
    state._cached.clear()  # after a restart each scope reads its own file
    assert state.query_as(TEAM, scope_echo, 1) == team
    assert state.query_as(EXEC, scope_echo, 1) == executive
    assert CALLS[("scope_echo", TEAM.scope)] == 1 and CALLS[("scope_echo", EXEC.scope)] == 1


def test_identical_calls_at_the_same_time_are_computed_once(demo_db, state):
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(state.query_as(LOCAL, slow_echo, 21)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [42, 42, 42]
    assert CALLS["slow_echo"] == 1  # the others waited for the first one's result
