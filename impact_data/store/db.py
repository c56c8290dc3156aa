"""Connecting to the database and keeping its schema current.

`IMPACT_DATABASE_URL` picks the database; without it a SQLite file under `./.impact/` is used.
The schema is created or upgraded with Alembic the first time a `Database` is used.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select, text, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from impact_data.store.models import DataVersion, Setting

__all__ = [
    "DEFAULT_SETTINGS",
    "DEFAULT_SQLITE_PATH",
    "MIGRATIONS_DIR",
    "MIGRATION_LOCK_ID",
    "SQLITE_BUSY_TIMEOUT_MS",
    "Database",
    "alembic_config",
    "bump_data_version",
    "database_url",
    "get_database",
    "make_engine",
]

DEFAULT_SQLITE_PATH = Path(".impact") / "impact.db"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Held while migrating (and restoring): several replicas starting at once migrate one at a time.
MIGRATION_LOCK_ID = 4242001
# Alembic keeps its running command in module globals, so two threads of one process (a page
# and a background warm-up) must not run `upgrade` at once.
_MIGRATING = threading.RLock()
# PostgreSQL connection pool per app process, and a statement timeout (0: none). See the
# README, "Deploying for many users", for the numbers these defaults rest on.
POOL_SIZE_ENV = "IMPACT_DB_POOL_SIZE"
MAX_OVERFLOW_ENV = "IMPACT_DB_MAX_OVERFLOW"
STATEMENT_TIMEOUT_ENV = "IMPACT_DB_STATEMENT_TIMEOUT_MS"
DEFAULT_POOL_SIZE = 10
DEFAULT_MAX_OVERFLOW = 20

DEFAULT_SETTINGS: dict[str, object] = {
    # Groups with fewer than this many responses are suppressed (NHS trusts' rule of 11).
    "suppression_threshold": 11,
}


def database_url() -> str:
    """The configured database URL: `IMPACT_DATABASE_URL` or the default SQLite file."""
    url = os.environ.get("IMPACT_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # Autocommit at the driver level so SQLAlchemy's BEGIN is the only transaction control.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    # Writes take the lock up front (IMMEDIATE), so two writers queue (busy_timeout) instead
    # of one failing with "database is locked" when it upgrades a read lock. Reads begin
    # deferred: in WAL mode they never wait for a writer.
    if conn.get_execution_options().get("impact_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for `url`, with SQLite set up for WAL, foreign keys and waiting writers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db_path = parsed.database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=_env_int(POOL_SIZE_ENV, DEFAULT_POOL_SIZE),
        max_overflow=_env_int(MAX_OVERFLOW_ENV, DEFAULT_MAX_OVERFLOW),
    )
    timeout_ms = _env_int(STATEMENT_TIMEOUT_ENV, 0)
    if timeout_ms > 0 and parsed.get_backend_name() == "postgresql":

        def _set_timeout(dbapi_connection, _record) -> None:
            # SET, not a connect option, so options already in the URL (search_path) stay.
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {timeout_ms}")
            dbapi_connection.commit()

        event.listen(engine, "connect", _set_timeout)
    return engine


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, found {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be 0 or more, found {value}")
    return value


class Database:
    """One database: its engine, sessions, schema upgrades, settings and data version."""

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = url or database_url()
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(
            self.engine.execution_options(impact_write=True), expire_on_commit=False
        )
        if migrate:
            self.upgrade()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> None:
        """Create or upgrade the schema to the latest Alembic revision."""
        from alembic import command

        # On SQLite the migration takes the write lock up front (BEGIN IMMEDIATE): several
        # processes starting at once on an empty file queue for it (busy_timeout) and each
        # then sees the schema the first one created, instead of failing "database is locked".
        with (
            _MIGRATING,  # Alembic's command context is module-global: one upgrade at a time
            self.engine.execution_options(impact_write=True).begin() as conn,
        ):
            if self.dialect == "postgresql":
                # Several app replicas may start at once: one migrates, the others wait.
                conn.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction, committed on success and rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only (on SQLite it never waits for a writer)."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A read connection."""
        with self.engine.connect() as conn:
            yield conn

    def data_version(self) -> int:
        """The current data version; changes whenever any data is written."""
        with self.engine.connect() as conn:
            return conn.execute(select(DataVersion.version).where(DataVersion.id == 1)).scalar_one()

    def schema_revision(self) -> str | None:
        """The Alembic revision the schema is at (None before the schema exists)."""
        with self.engine.connect() as conn:
            try:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except Exception:  # noqa: BLE001 - no alembic_version table: not set up yet
                return None

    def get_setting(self, key: str) -> object:
        """A setting's value, or its default."""
        with self.engine.connect() as conn:
            value = conn.execute(select(Setting.value).where(Setting.key == key)).scalar()
        return DEFAULT_SETTINGS.get(key) if value is None else value

    def set_setting(self, key: str, value: object) -> None:
        """Store a setting and bump the data version (views depend on settings)."""
        with self.session() as session:
            session.merge(Setting(key=key, value=value))
            bump_data_version(session)

    def suppression_threshold(self) -> int:
        return int(self.get_setting("suppression_threshold"))

    def dispose(self) -> None:
        self.engine.dispose()


def bump_data_version(session: Session) -> None:
    """Advance the data version inside the caller's transaction."""
    session.execute(
        update(DataVersion)
        .where(DataVersion.id == 1)
        .values(version=DataVersion.version + 1, updated_at=dt.datetime.now(dt.UTC))
    )


def alembic_config(url: str):
    """An Alembic config pointing at our migrations, for `url`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_default: Database | None = None
_default_lock = threading.Lock()


def get_database() -> Database:
    """The process-wide database for the configured URL (created on first use)."""
    global _default
    with _default_lock:
        if _default is None or _default.url != database_url():
            _default = Database(database_url())
        return _default
