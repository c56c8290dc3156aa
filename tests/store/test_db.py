"""Database set-up: migrations, SQLite settings, concurrent writers, data version."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from impact_data.ingest import UploadRefused, commit_upload, prepare_upload
from impact_data.store.db import Database
from impact_data.store.models import Base, in_schema_comparison
from tests.files import ORGS, csv_bytes


def test_migrations_build_exactly_the_models(db):
    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": in_schema_comparison})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(db):
    db.upgrade()
    db.upgrade()
    assert db.data_version() == 0


def test_default_sqlite_settings(sqlite_db):
    with sqlite_db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_default_database_is_a_sqlite_file_under_dot_impact(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IMPACT_DATABASE_URL", raising=False)
    db = Database()
    assert db.url == "sqlite:///.impact/impact.db"
    assert (tmp_path / ".impact" / "impact.db").exists()
    db.dispose()


def test_oric_is_seeded(db):
    with db.connect() as conn:
        items = conn.execute(
            text(
                "SELECT item_code, subscale FROM instrument_items WHERE instrument_code = 'oric' ORDER BY position"
            )
        ).all()
    assert [i[0] for i in items] == [
        "c1",
        "c2",
        "c3",
        "c4",
        "c5",
        "e1",
        "e2",
        "e3",
        "e4",
        "e5",
        "e6",
        "e7",
    ]
    assert {i[1] for i in items} == {"Change commitment", "Change efficacy"}


def test_concurrent_writers_wait_instead_of_failing(db):
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    files = []
    for i in range(8):
        rows = [
            ["org_code", "year", "question_code", "responses"],
            ["ZA1", 2000 + i, "q3f", 100 + i],
        ]
        files.append(prepare_upload(db, csv_bytes(rows), f"s{i}.csv", "staff_survey"))
    errors: list[BaseException] = []

    def write(prepared):
        try:
            commit_upload(db, prepared)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM staff_survey_results")).scalar() == 8
        assert conn.execute(text("SELECT version FROM data_version")).scalar() == 9


def test_same_file_committed_twice_at_once_loads_once(db):
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    rows = csv_bytes(
        [["org_code", "year", "question_code", "responses"], ["ZA1", 2024, "q3f", 100]]
    )
    first = prepare_upload(db, rows, "a.csv", "staff_survey")
    second = prepare_upload(db, rows, "a copy.csv", "staff_survey")
    commit_upload(db, first)
    try:
        commit_upload(db, second)
    except UploadRefused as exc:
        assert "loaded by someone else" in str(exc)
    else:
        raise AssertionError("the second commit of the same file should be refused")
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM staff_survey_results")).scalar() == 1


def test_schema_revision_is_the_alembic_head(db):
    from alembic.script import ScriptDirectory

    from impact_data.store.db import alembic_config

    heads = ScriptDirectory.from_config(alembic_config(db.url)).get_heads()
    assert [db.schema_revision()] == heads


@pytest.mark.postgres
def test_pool_size_and_statement_timeout_come_from_the_environment(postgres_db, monkeypatch):
    from impact_data.store.db import make_engine

    monkeypatch.setenv("IMPACT_DB_POOL_SIZE", "3")
    monkeypatch.setenv("IMPACT_DB_MAX_OVERFLOW", "4")
    monkeypatch.setenv("IMPACT_DB_STATEMENT_TIMEOUT_MS", "250")
    engine = make_engine(postgres_db.url)
    try:
        assert (engine.pool.size(), engine.pool._max_overflow) == (3, 4)
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "250ms"
            # The URL's own options (here the test schema's search_path) still apply.
            assert conn.execute(text("SELECT current_schema()")).scalar().startswith("t_")
            with pytest.raises(Exception, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(1)"))
    finally:
        engine.dispose()
    monkeypatch.setenv("IMPACT_DB_POOL_SIZE", "ten")
    with pytest.raises(ValueError, match="IMPACT_DB_POOL_SIZE must be a whole number, found 'ten'"):
        make_engine(postgres_db.url)
