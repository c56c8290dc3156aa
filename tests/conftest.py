"""Shared fixtures: a real database per test, on SQLite and on PostgreSQL; and for the page
tests (AppTest), the sample system or an empty database that the page under test opens."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from impact_data.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
# Pages run by a test compute what they show themselves: no background warm-up of the other
# pages after each run (ui.state.warm_in_background; tests/ui/test_ui_warm_cache.py tests it).
os.environ.setdefault("IMPACT_WARM_CACHES", "off")
SAMPLE = ROOT / "sample_data"
POSTGRES_URL = os.environ.get(
    "IMPACT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return str(exc).splitlines()[0]
    return None


_PG_PROBLEM = _postgres_available()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory) -> Path:
    """An empty SQLite database at the latest revision, migrated once per test process; each
    test gets a copy (running the migrations takes ~0.3 s, a copy ~1 ms)."""
    path = tmp_path_factory.mktemp("migrated") / "impact.db"
    Database(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def sqlite_db(migrated_sqlite_file, tmp_path) -> Database:
    path = tmp_path / "impact.db"
    shutil.copy(migrated_sqlite_file, path)
    db = Database(f"sqlite:///{path}", migrate=False)
    yield db
    db.dispose()


@pytest.fixture
def postgres_db() -> Database:
    if _PG_PROBLEM:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable: {_PG_PROBLEM}")
        pytest.skip(f"PostgreSQL not reachable: {_PG_PROBLEM}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    db = Database(f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}")
    yield db
    db.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request) -> Database:
    """The same test on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_db")


# --- page tests: the app reads IMPACT_DATABASE_URL, so these point it at the test's database ---


def use_database(url: str, monkeypatch: pytest.MonkeyPatch) -> Database:
    """Point the app at `url` (as a page run by AppTest reads it) from the project's folder."""
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    return Database(url)


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory) -> Path:
    """The sample system loaded once into a SQLite file; each test works on a copy of it."""
    from impact_data.demo import load_demo

    path = tmp_path_factory.mktemp("demo") / "impact.db"
    db = Database(f"sqlite:///{path}")
    load_demo(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def loaded_system(tmp_path_factory):
    """`loaded_system("sample")`, or `loaded_system("national", n_orgs, n_systems)` for the
    generated national-scale data set (benchmarks/national_data.py, fixed seed): a database
    with it loaded, built once per test process and kind, for tests that only read (the
    fast-path tests compare their figures with reference code on both)."""
    from benchmarks.national_data import load_national, write_national
    from impact_data.demo import load_demo

    made: dict[tuple, Database] = {}

    def get(kind: str, n_orgs: int = 8, n_systems: int = 2) -> Database:
        key = (kind,) if kind == "sample" else (kind, n_orgs, n_systems)
        if key not in made:
            folder = tmp_path_factory.mktemp("-".join(map(str, key)))
            db = Database(f"sqlite:///{folder / 'impact.db'}")
            if kind == "sample":
                load_demo(db)
            else:
                write_national(folder / "data", n_orgs=n_orgs, n_systems=n_systems)
                load_national(db, folder / "data")
            made[key] = db
        return made[key]

    yield get
    for db in made.values():
        db.dispose()


@pytest.fixture
def demo_db(demo_file, tmp_path, monkeypatch) -> Database:
    """A copy of the sample system, opened by the page under test."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_file, path)
    db = use_database(f"sqlite:///{path}", monkeypatch)
    yield db
    db.dispose()


@pytest.fixture
def empty_db(tmp_path, monkeypatch) -> Database:
    """An empty database (created on first use), opened by the page under test."""
    db = use_database(f"sqlite:///{tmp_path / 'empty.db'}", monkeypatch)
    yield db
    db.dispose()
